/*
 * policy: the INI policy as plain data.
 *
 * Parsing and validation make no system call beyond reading the named file:
 * the caller's working directory comes in as an argument, so unit tests and
 * the fuzzer drive this module alone. Every error names file:line and the key.
 *
 * Life of a policy:
 *   sbx_policy_defaults()            the built-in default (== shipped sandbox.ini)
 *   sbx_policy_load_file() or
 *   sbx_policy_load_text()           a policy file: each key present replaces the
 *                                    default (a repeatable key given once or more
 *                                    replaces the whole default list)
 *   sbx_policy_override()            `-s section.key=value`, validated like the file
 *   sbx_policy_finish()              rules across keys; after it the policy is valid
 *   sbx_policy_free()
 */
#ifndef SBX_POLICY_H
#define SBX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sbx_err;

/* Where a value came from: for messages like "denied by sandbox.ini:42". */
struct sbx_origin {
	const char *file; /* points into sbx_policy.files[], or "built-in", or "-s" */
	int line;	  /* 0 for the built-in default and for -s overrides */
};

enum sbx_bind_cwd { SBX_BIND_CWD_RO, SBX_BIND_CWD_RW, SBX_BIND_CWD_NO };
enum sbx_log_level { SBX_LOG_QUIET, SBX_LOG_ERROR, SBX_LOG_WARN, SBX_LOG_INFO, SBX_LOG_DEBUG };
enum sbx_net_mode { SBX_NET_NONE, SBX_NET_LOOPBACK, SBX_NET_HOST, SBX_NET_EGRESS };
enum sbx_seccomp_preset { SBX_PRESET_DEFAULT, SBX_PRESET_NONE };
enum sbx_seccomp_action { SBX_ACTION_KILL, SBX_ACTION_ERRNO };
enum sbx_mount_kind { SBX_MOUNT_RO, SBX_MOUNT_RW, SBX_MOUNT_TMPFS };

/* One entry of [fs] ro / rw / tmpfs, in the order the policy gives them. */
struct sbx_mount {
	enum sbx_mount_kind kind;
	char *src;	     /* absolute host path (resolved); NULL for tmpfs */
	char *dst;	     /* absolute path inside the jail, normalised */
	bool optional;	     /* SRC had a leading '?': skip when absent */
	uint64_t size_bytes; /* tmpfs only; 0 = the kernel's default */
	struct sbx_origin origin;
};

/* One syscall named by [seccomp] deny or allow. */
struct sbx_syscall {
	char *name;
	int nr; /* native (x86_64) number, from libseccomp's tables */
	struct sbx_origin origin;
};

/* One [net] allow line: HOST_OR_CIDR[:PORT]. Resolved by the net step. */
struct sbx_net_rule {
	char *host;	/* a host name, or NULL when cidr is set */
	int family;	/* AF_INET or AF_INET6 when a CIDR was given, else 0 */
	uint8_t addr[16];
	int prefix_len; /* -1 when host is a name */
	int port;	/* 0 = any port */
	struct sbx_origin origin;
};

struct sbx_policy {
	/* The files read, kept so that origins can point into them. */
	char *files[4];
	size_t n_files;
	char *caller_cwd; /* absolute; relative policy paths resolve against it */

	struct {
		char *hostname;
		uint32_t uid, gid;
		char *cwd; /* "" = the caller's cwd (or / when bind_cwd = no) */
		enum sbx_bind_cwd bind_cwd;
		bool keep_env;
		char **env; /* NAME=VALUE, in order */
		size_t n_env;
		char **pass_env; /* NAME */
		size_t n_pass_env;
		bool close_fds;
		enum sbx_log_level log;
		char *report; /* absolute host path, or NULL */
	} sandbox;

	struct {
		bool user, mount, pid, net, ipc, uts, cgroup;
	} ns;

	struct {
		uint64_t root_size_bytes;
		struct sbx_mount *mounts;
		size_t n_mounts;
		bool proc;
		bool dev;
	} fs;

	struct {
		uint64_t wall_time_ms;	 /* 0 = no limit */
		char *wall_time_text;	 /* as written, for the message: "6", "0.5" */
		uint64_t cpu_time_ms;	 /* RLIMIT_CPU rounds up to whole seconds */
		char *cpu_time_text;
		uint64_t memory_bytes;
		char *memory_text; /* as written: "256M" */
		uint64_t address_space_bytes;
		uint64_t processes;
		bool require_cgroup;
		uint64_t file_size_bytes;
		uint64_t open_files;
	} limits;

	struct {
		enum sbx_net_mode mode;
		struct sbx_net_rule *allow; /* egress only: an allowlist when n_allow > 0 */
		size_t n_allow;
		struct sbx_net_rule *deny; /* egress only: CIDRs added to the denied set */
		size_t n_deny;
		char *dns; /* egress only: resolver address, NULL = the host's */
	} net;

	struct {
		enum sbx_seccomp_preset preset;
		struct sbx_syscall *deny;
		size_t n_deny;
		struct sbx_syscall *allow;
		size_t n_allow;
		enum sbx_seccomp_action action;
	} seccomp;

	/* Which keys a file or override set explicitly: "namespaces.net". */
	char **explicit_keys;
	size_t n_explicit_keys;
	/* Parallel to explicit_keys: where each key was last set (for messages). */
	struct sbx_origin *explicit_origins;

	/* Private to policy/: repeatable keys already given by -s overrides, one
	 * bit per key, so the first -s of a list replaces it and later ones append. */
	uint64_t override_seen;
};

/* The built-in default policy text: the shipped sandbox.ini, compiled in. */
extern const char sbx_default_policy_text[];

/* Start from the built-in default. caller_cwd must be absolute. */
int sbx_policy_defaults(struct sbx_policy *pol, const char *caller_cwd, struct sbx_err *err);

/* Apply a policy file on top of what pol holds. Errors: "FILE:LINE: key: why". */
int sbx_policy_load_file(struct sbx_policy *pol, const char *path, struct sbx_err *err);
/* The same on text in memory; name is used in messages. */
int sbx_policy_load_text(struct sbx_policy *pol, const char *text, size_t len, const char *name,
			 struct sbx_err *err);

/* Apply one "section.key=value" override (the launcher's -s). */
int sbx_policy_override(struct sbx_policy *pol, const char *assignment, struct sbx_err *err);

/* Rules across keys (contradictions). After 0, the policy is valid. */
int sbx_policy_finish(struct sbx_policy *pol, struct sbx_err *err);

/*
 * A finished policy read with caller_cwd FROM, made the one it would have
 * been with caller_cwd TO: the caller's cwd and every host path at or under
 * FROM (what resolved against it: `./home`, `report = ./r.json`) moved
 * under TO, as text (a `..` stays, and resolves where it would have). FROM's
 * first component must hold nothing but FROM: a path under it but not under
 * FROM is an error (EXDEV). sbx_zygote() reads its policy once with a
 * made-up cwd and moves it into each copy's.
 */
int sbx_policy_rebase(struct sbx_policy *pol, const char *from, const char *to,
		      struct sbx_err *err) __attribute__((warn_unused_result));

/* Was section.key set by a file or an override? */
bool sbx_policy_is_explicit(const struct sbx_policy *pol, const char *section_dot_key);

/* The policy as INI with every key: reading it back gives the same policy. */
int sbx_policy_dump(const struct sbx_policy *pol, FILE *out);

void sbx_policy_free(struct sbx_policy *pol);

/* Names for enums, as written in the INI. */
const char *sbx_net_mode_name(enum sbx_net_mode mode);
const char *sbx_log_level_name(enum sbx_log_level level);

#endif
