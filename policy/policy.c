/*
 * policy: INI text -> struct sbx_policy.
 *
 * inih (Debian 12 ships r55) does the splitting of "key = value" and the
 * stripping of comments, but r55 has traps: its handler gets no line number,
 * an indented line silently continues the previous key, a section with no
 * keys is never seen, and a line longer than 199 bytes is cut in two with the
 * tail parsed as a new line. So inih reads through our own line reader
 * (read_line), which counts lines, refuses indented lines and lines over
 * SBX_POLICY_MAX_LINE, checks each section header as it passes (every error
 * names FILE:LINE), and sets itself the rare key line too long for inih.
 *
 * The key table (keys[]) maps [section] key to a setter; a setter parses one
 * value with values.c and stores it. Rules across keys live in validate.c.
 */
#include "policy_int.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbx.h"

/*
 * From libseccomp's <seccomp.h>, seccomp_syscall_resolve_name(3). Declared
 * here because -Ipreload makes <seccomp.h> find preload/seccomp.h first.
 */
int seccomp_syscall_resolve_name(const char *name);

const char sbx_origin_builtin[] = "built-in";
const char sbx_origin_override[] = "-s";

/* Where a value is being read from: one file, the built-in text, or one -s. */
struct source {
	struct sbx_policy *pol;
	struct sbx_err *err;
	const char *file;     /* origin name: pol->files[i], "built-in" or "-s" */
	const char *override; /* the -s text, for messages; NULL for files */
	bool builtin;	      /* reading the built-in default: nothing is explicit */
	int line;
	bool failed;
	/* Keys seen in this source: a repeat of a plain key is an error, the
	 * first occurrence of a list key replaces the list. */
	int seen_line[64];
	bool seen[64];
};

/* One key being set: its source, its table entry, and whether it is the
 * first time this source gives it (a list is then replaced). */
struct setting {
	struct source *src;
	const struct key_def *def;
	struct sbx_origin origin;
	bool first;
};

struct key_def {
	const char *section;
	const char *name;
	bool repeatable;
	int (*set)(struct setting *st, const char *value);
};

static const char *const sections[] = {"sandbox", "namespaces", "fs", "limits", "net", "seccomp"};

/* ---- messages ---- */

/* "FILE:LINE: " or "-s TEXT: " or "FILE: " */
static void source_prefix(const struct source *src, char *buf, size_t size)
{
	if (src->override)
		snprintf(buf, size, "-s %.96s: ", src->override);
	else if (src->line > 0)
		snprintf(buf, size, "%s:%d: ", src->file, src->line);
	else
		snprintf(buf, size, "%s: ", src->file);
}

__attribute__((format(printf, 2, 3))) static int src_fail(struct source *src, const char *fmt, ...)
{
	char prefix[160], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	source_prefix(src, prefix, sizeof(prefix));
	src->failed = true;
	sbx_fail(src->err, SBX_STEP_POLICY, 0, "%s%s", prefix, msg);
	/* The message quotes the user's text: keep control bytes (a line
	 * break in a -s value, terminal escapes) out of the one-line error. */
	for (char *p = src->err->detail; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

/* "FILE:LINE: [section] key: why" */
__attribute__((format(printf, 2, 3))) static int bad(struct setting *st, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return src_fail(st->src, "[%s] %s: %s", st->def->section, st->def->name, msg);
}

/* A value quoted for a message, cut short so the message stays readable. */
#define QV(v) (strlen(v) > 64 ? 61 : 64), (v), (strlen(v) > 64 ? "..." : "")

static int oom(struct setting *st)
{
	st->src->failed = true;
	return sbx_fail(st->src->err, SBX_STEP_POLICY, ENOMEM, "[%s] %s", st->def->section,
			st->def->name);
}

void sbx_origin_format(const struct sbx_origin *o, char *buf, size_t size)
{
	if (o->line > 0)
		snprintf(buf, size, "%s:%d", o->file, o->line);
	else
		snprintf(buf, size, "%s", o->file ? o->file : sbx_origin_builtin);
}

/* ---- small helpers ---- */

static int set_string(struct setting *st, char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return oom(st);
	free(*field);
	*field = copy;
	return 0;
}

static int append_ptr(struct setting *st, char ***arr, size_t *n, char *item)
{
	char **grown = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!grown) {
		free(item);
		return oom(st);
	}
	grown[(*n)++] = item;
	*arr = grown;
	return 0;
}

static void free_strings(char ***arr, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*arr)[i]);
	free(*arr);
	*arr = NULL;
	*n = 0;
}

static void free_rules(struct sbx_net_rule **arr, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*arr)[i].host);
	free(*arr);
	*arr = NULL;
	*n = 0;
}

static void free_syscalls(struct sbx_syscall **arr, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*arr)[i].name);
	free(*arr);
	*arr = NULL;
	*n = 0;
}

/* Drop every mount of one kind (the first ro/rw/tmpfs of a source replaces them). */
static void drop_mounts(struct sbx_policy *pol, enum sbx_mount_kind kind)
{
	size_t j = 0;

	for (size_t i = 0; i < pol->fs.n_mounts; i++) {
		struct sbx_mount *m = &pol->fs.mounts[i];
		if (m->kind == kind) {
			free(m->src);
			free(m->dst);
		} else {
			pol->fs.mounts[j++] = *m;
		}
	}
	pol->fs.n_mounts = j;
}

/* ---- setters: [sandbox] ---- */

static int set_bool(struct setting *st, const char *value, bool *out)
{
	if (sbx_parse_bool(value, out))
		return bad(st, "bad boolean \"%.*s%s\" (use yes or no)", QV(value));
	return 0;
}

static int set_hostname(struct setting *st, const char *value)
{
	const char *why = sbx_check_hostname(value);

	if (why)
		return bad(st, "bad host name \"%.*s%s\" (%s)", QV(value), why);
	return set_string(st, &st->src->pol->sandbox.hostname, value);
}

static int set_uid(struct setting *st, const char *value)
{
	const char *why = sbx_parse_id(value, &st->src->pol->sandbox.uid);
	return why ? bad(st, "bad uid \"%.*s%s\" (%s)", QV(value), why) : 0;
}

static int set_gid(struct setting *st, const char *value)
{
	const char *why = sbx_parse_id(value, &st->src->pol->sandbox.gid);
	return why ? bad(st, "bad gid \"%.*s%s\" (%s)", QV(value), why) : 0;
}

static int set_cwd(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;
	char *path = NULL;
	const char *why;

	if (*value == '\0')
		return set_string(st, &pol->sandbox.cwd, "");
	why = sbx_parse_path(NULL, value, true, &path);
	if (why)
		return bad(st, "bad path \"%.*s%s\" (%s)", QV(value), why);
	free(pol->sandbox.cwd);
	pol->sandbox.cwd = path;
	return 0;
}

static int set_bind_cwd(struct setting *st, const char *value)
{
	enum sbx_bind_cwd *out = &st->src->pol->sandbox.bind_cwd;

	if (strcmp(value, "ro") == 0)
		*out = SBX_BIND_CWD_RO;
	else if (strcmp(value, "rw") == 0)
		*out = SBX_BIND_CWD_RW;
	else if (strcmp(value, "no") == 0)
		*out = SBX_BIND_CWD_NO;
	else
		return bad(st, "bad value \"%.*s%s\" (use ro, rw or no)", QV(value));
	return 0;
}

static int set_keep_env(struct setting *st, const char *value)
{
	return set_bool(st, value, &st->src->pol->sandbox.keep_env);
}

/* The two variables the jail itself owns: setting them inside would jail
 * the program's children a second time, or with another policy. */
static bool reserved_env(const char *name, size_t len)
{
	return (len == 10 && memcmp(name, "LD_PRELOAD", 10) == 0) ||
	       (len == 10 && memcmp(name, "SBX_POLICY", 10) == 0);
}

static int set_env(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;
	const char *eq = strchr(value, '=');
	size_t len;
	char *copy;

	if (st->first)
		free_strings(&pol->sandbox.env, &pol->sandbox.n_env);
	if (*value == '\0')
		return 0; /* "env =": an empty list */
	if (!eq)
		return bad(st, "bad value \"%.*s%s\" (use NAME=VALUE)", QV(value));
	len = (size_t)(eq - value);
	if (!sbx_env_name_valid(value, len))
		return bad(st, "bad variable name \"%.*s\" (letters, digits and _, not first a digit)",
			   (int)(len > 64 ? 64 : len), value);
	if (reserved_env(value, len))
		return bad(st, "%.*s cannot be set inside: the sandbox removes it", (int)len, value);
	for (size_t i = 0; i < pol->sandbox.n_env; i++)
		if (strncmp(pol->sandbox.env[i], value, len + 1) == 0)
			return bad(st, "%.*s is set twice", (int)len, value);
	copy = strdup(value);
	if (!copy)
		return oom(st);
	return append_ptr(st, &pol->sandbox.env, &pol->sandbox.n_env, copy);
}

static int set_pass_env(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;
	char *copy;

	if (st->first)
		free_strings(&pol->sandbox.pass_env, &pol->sandbox.n_pass_env);
	if (*value == '\0')
		return 0;
	if (!sbx_env_name_valid(value, strlen(value)))
		return bad(st, "bad variable name \"%.*s%s\" (letters, digits and _, not first a digit)",
			   QV(value));
	if (reserved_env(value, strlen(value)))
		return bad(st, "%s cannot be passed inside: the sandbox removes it", value);
	for (size_t i = 0; i < pol->sandbox.n_pass_env; i++)
		if (strcmp(pol->sandbox.pass_env[i], value) == 0)
			return 0; /* already passed */
	copy = strdup(value);
	if (!copy)
		return oom(st);
	return append_ptr(st, &pol->sandbox.pass_env, &pol->sandbox.n_pass_env, copy);
}

static int set_close_fds(struct setting *st, const char *value)
{
	return set_bool(st, value, &st->src->pol->sandbox.close_fds);
}

static const char *const log_names[] = {"quiet", "error", "warn", "info", "debug"};

static int set_log(struct setting *st, const char *value)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(value, log_names[i]) == 0) {
			st->src->pol->sandbox.log = (enum sbx_log_level)i;
			return 0;
		}
	}
	return bad(st, "bad level \"%.*s%s\" (use quiet, error, warn, info or debug)", QV(value));
}

static int set_report(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;
	char *path = NULL;
	const char *why;

	if (*value == '\0') {
		free(pol->sandbox.report);
		pol->sandbox.report = NULL;
		return 0;
	}
	why = sbx_parse_path(pol->caller_cwd, value, false, &path);
	if (why)
		return bad(st, "bad path \"%.*s%s\" (%s)", QV(value), why);
	if (strcmp(path, "/") == 0) {
		free(path);
		return bad(st, "bad path \"%.*s%s\" (a file is needed)", QV(value));
	}
	free(pol->sandbox.report);
	pol->sandbox.report = path;
	return 0;
}

/* ---- [namespaces] ---- */

#define NS_SETTER(field)                                                                           \
	static int set_ns_##field(struct setting *st, const char *value)                           \
	{                                                                                          \
		return set_bool(st, value, &st->src->pol->ns.field);                               \
	}
NS_SETTER(user)
NS_SETTER(mount)
NS_SETTER(pid)
NS_SETTER(net)
NS_SETTER(ipc)
NS_SETTER(uts)
NS_SETTER(cgroup)

/* ---- [fs] ---- */

static int set_size(struct setting *st, const char *value, uint64_t *out)
{
	const char *why = sbx_parse_size(value, out);

	if (why)
		return bad(st, "bad size \"%.*s%s\" (%s)", QV(value), why);
	return 0;
}

static int set_root_size(struct setting *st, const char *value)
{
	return set_size(st, value, &st->src->pol->fs.root_size_bytes);
}

static int add_mount(struct setting *st, struct sbx_mount *m)
{
	struct sbx_policy *pol = st->src->pol;
	struct sbx_mount *grown = realloc(pol->fs.mounts, (pol->fs.n_mounts + 1) * sizeof(*grown));

	if (!grown) {
		free(m->src);
		free(m->dst);
		return oom(st);
	}
	m->origin = st->origin;
	grown[pol->fs.n_mounts++] = *m;
	pol->fs.mounts = grown;
	return 0;
}

/* ro / rw: [?]SRC[:DST]. SRC is a host path (relative = the caller's cwd). */
static int set_bind(struct setting *st, const char *value, enum sbx_mount_kind kind)
{
	struct sbx_policy *pol = st->src->pol;
	struct sbx_mount m = {.kind = kind};
	const char *colon, *why, *srcp = value;
	char *src_text;

	if (st->first)
		drop_mounts(pol, kind);
	if (*value == '\0')
		return 0; /* "ro =": no mounts of this kind */
	if (*srcp == '?') {
		m.optional = true;
		srcp++;
	}
	colon = strchr(srcp, ':');
	if (colon && strchr(colon + 1, ':'))
		return bad(st, "bad value \"%.*s%s\" (use SRC[:DST]; paths cannot contain ':')",
			   QV(value));
	src_text = strndup(srcp, colon ? (size_t)(colon - srcp) : strlen(srcp));
	if (!src_text)
		return oom(st);
	why = sbx_parse_path(pol->caller_cwd, src_text, false, &m.src);
	free(src_text);
	if (why)
		return bad(st, "bad source in \"%.*s%s\" (%s)", QV(value), why);
	why = sbx_parse_path(NULL, colon ? colon + 1 : m.src, true, &m.dst);
	if (why) {
		free(m.src);
		return bad(st, "bad destination in \"%.*s%s\" (%s)", QV(value), why);
	}
	if (strcmp(m.dst, "/") == 0) {
		free(m.src);
		free(m.dst);
		return bad(st, "bad destination in \"%.*s%s\" (/ is the jail's own tmpfs)", QV(value));
	}
	return add_mount(st, &m);
}

static int set_ro(struct setting *st, const char *value)
{
	return set_bind(st, value, SBX_MOUNT_RO);
}

static int set_rw(struct setting *st, const char *value)
{
	return set_bind(st, value, SBX_MOUNT_RW);
}

/* tmpfs: DST[:SIZE] */
static int set_tmpfs(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;
	struct sbx_mount m = {.kind = SBX_MOUNT_TMPFS};
	const char *colon = strchr(value, ':'), *why; /* paths cannot hold ':' */
	char *dst_text;

	if (st->first)
		drop_mounts(pol, SBX_MOUNT_TMPFS);
	if (*value == '\0')
		return 0;
	if (colon) {
		why = sbx_parse_size(colon + 1, &m.size_bytes);
		if (why)
			return bad(st, "bad size in \"%.*s%s\" (%s)", QV(value), why);
	}
	dst_text = strndup(value, colon ? (size_t)(colon - value) : strlen(value));
	if (!dst_text)
		return oom(st);
	why = sbx_parse_path(NULL, dst_text, true, &m.dst);
	free(dst_text);
	if (why)
		return bad(st, "bad destination in \"%.*s%s\" (%s)", QV(value), why);
	if (strcmp(m.dst, "/") == 0) {
		free(m.dst);
		return bad(st, "bad destination in \"%.*s%s\" (/ is sized by root_size)", QV(value));
	}
	return add_mount(st, &m);
}

static int set_proc(struct setting *st, const char *value)
{
	return set_bool(st, value, &st->src->pol->fs.proc);
}

static int set_dev(struct setting *st, const char *value)
{
	return set_bool(st, value, &st->src->pol->fs.dev);
}

/* ---- [limits] ---- */

static int set_seconds(struct setting *st, const char *value, uint64_t *ms, char **text)
{
	const char *why = sbx_parse_seconds(value, ms);

	if (why)
		return bad(st, "bad time \"%.*s%s\" (%s)", QV(value), why);
	return set_string(st, text, value);
}

static int set_wall_time(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;
	return set_seconds(st, value, &pol->limits.wall_time_ms, &pol->limits.wall_time_text);
}

static int set_cpu_time(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;
	uint64_t *ms = &pol->limits.cpu_time_ms;

	if (set_seconds(st, value, ms, &pol->limits.cpu_time_text))
		return -1;
	/* RLIMIT_CPU counts whole seconds (setrlimit(2)): round up, so that a
	 * limit is never tighter than asked and 0.5 does not become 0 (none). */
	if (*ms % 1000)
		*ms += 1000 - *ms % 1000;
	return 0;
}

static int set_memory(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;

	if (set_size(st, value, &pol->limits.memory_bytes))
		return -1;
	return set_string(st, &pol->limits.memory_text, value);
}

static int set_address_space(struct setting *st, const char *value)
{
	return set_size(st, value, &st->src->pol->limits.address_space_bytes);
}

static int set_count(struct setting *st, const char *value, uint64_t *out)
{
	const char *why = sbx_parse_count(value, SBX_POLICY_MAX_COUNT, out);

	if (why)
		return bad(st, "bad number \"%.*s%s\" (%s, 0 to %llu)", QV(value), why,
			   (unsigned long long)SBX_POLICY_MAX_COUNT);
	return 0;
}

static int set_processes(struct setting *st, const char *value)
{
	return set_count(st, value, &st->src->pol->limits.processes);
}

static int set_require_cgroup(struct setting *st, const char *value)
{
	return set_bool(st, value, &st->src->pol->limits.require_cgroup);
}

static int set_file_size(struct setting *st, const char *value)
{
	return set_size(st, value, &st->src->pol->limits.file_size_bytes);
}

static int set_open_files(struct setting *st, const char *value)
{
	return set_count(st, value, &st->src->pol->limits.open_files);
}

/* ---- [net] ---- */

static const char *const net_mode_names[] = {"none", "loopback", "host", "egress"};

static int set_net_mode(struct setting *st, const char *value)
{
	for (size_t i = 0; i < sizeof(net_mode_names) / sizeof(net_mode_names[0]); i++) {
		if (strcmp(value, net_mode_names[i]) == 0) {
			st->src->pol->net.mode = (enum sbx_net_mode)i;
			return 0;
		}
	}
	return bad(st, "bad mode \"%.*s%s\" (use none, loopback, egress or host)", QV(value));
}

static int set_net_rule(struct setting *st, const char *value, bool allow)
{
	struct sbx_policy *pol = st->src->pol;
	struct sbx_net_rule **arr = allow ? &pol->net.allow : &pol->net.deny;
	size_t *n = allow ? &pol->net.n_allow : &pol->net.n_deny;
	struct sbx_net_rule rule, *grown;
	const char *why;

	if (st->first)
		free_rules(arr, n);
	if (*value == '\0')
		return 0;
	why = sbx_parse_net_rule(value, allow, &rule);
	if (why)
		return bad(st, "bad %s \"%.*s%s\" (%s)", allow ? "address" : "CIDR", QV(value), why);
	grown = realloc(*arr, (*n + 1) * sizeof(*grown));
	if (!grown) {
		free(rule.host);
		return oom(st);
	}
	rule.origin = st->origin;
	grown[(*n)++] = rule;
	*arr = grown;
	return 0;
}

static int set_net_allow(struct setting *st, const char *value)
{
	return set_net_rule(st, value, true);
}

static int set_net_deny(struct setting *st, const char *value)
{
	return set_net_rule(st, value, false);
}

static int set_net_dns(struct setting *st, const char *value)
{
	struct sbx_policy *pol = st->src->pol;
	char canon[64];
	const char *why;

	if (*value == '\0') {
		free(pol->net.dns);
		pol->net.dns = NULL;
		return 0;
	}
	why = sbx_parse_ip(value, canon, sizeof(canon));
	if (why)
		return bad(st, "bad address \"%.*s%s\" (%s)", QV(value), why);
	return set_string(st, &pol->net.dns, canon);
}

/* ---- [seccomp] ---- */

static int set_preset(struct setting *st, const char *value)
{
	if (strcmp(value, "default") == 0)
		st->src->pol->seccomp.preset = SBX_PRESET_DEFAULT;
	else if (strcmp(value, "none") == 0)
		st->src->pol->seccomp.preset = SBX_PRESET_NONE;
	else
		return bad(st, "bad preset \"%.*s%s\" (use default or none)", QV(value));
	return 0;
}

static int set_action(struct setting *st, const char *value)
{
	if (strcmp(value, "kill") == 0)
		st->src->pol->seccomp.action = SBX_ACTION_KILL;
	else if (strcmp(value, "errno") == 0)
		st->src->pol->seccomp.action = SBX_ACTION_ERRNO;
	else
		return bad(st, "bad action \"%.*s%s\" (use kill or errno)", QV(value));
	return 0;
}

/* deny / allow: names separated by blanks, each a syscall of this machine's
 * own ABI, as libseccomp's tables know them (seccomp_syscall_resolve_name(3)
 * is a table lookup, no system call). */
static int set_syscalls(struct setting *st, const char *value, bool deny)
{
	struct sbx_policy *pol = st->src->pol;
	struct sbx_syscall **arr = deny ? &pol->seccomp.deny : &pol->seccomp.allow;
	size_t *n = deny ? &pol->seccomp.n_deny : &pol->seccomp.n_allow;
	const char *p = value;

	if (st->first)
		free_syscalls(arr, n);
	while (*p) {
		char name[64];
		size_t len;
		int nr;
		bool dup = false;
		struct sbx_syscall *grown;

		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len == 0)
			break;
		if (len >= sizeof(name) || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_") < len)
			return bad(st, "bad syscall name \"%.*s\"", (int)(len > 64 ? 64 : len), p);
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		nr = seccomp_syscall_resolve_name(name);
		/* Negative numbers are libseccomp's pseudo-syscalls (names of
		 * other architectures, like socketcall): not on this machine. */
		if (nr < 0)
			return bad(st, "unknown syscall \"%s\" (not a system call of this machine)",
				   name);
		for (size_t i = 0; i < *n; i++)
			dup = dup || (*arr)[i].nr == nr;
		if (dup)
			continue;
		grown = realloc(*arr, (*n + 1) * sizeof(*grown));
		if (!grown)
			return oom(st);
		*arr = grown;
		grown[*n].name = strdup(name);
		if (!grown[*n].name)
			return oom(st);
		grown[*n].nr = nr;
		grown[*n].origin = st->origin;
		(*n)++;
	}
	return 0;
}

static int set_sc_deny(struct setting *st, const char *value)
{
	return set_syscalls(st, value, true);
}

static int set_sc_allow(struct setting *st, const char *value)
{
	return set_syscalls(st, value, false);
}

/* ---- the table ---- */

static const struct key_def keys[] = {
	{"sandbox", "hostname", false, set_hostname},
	{"sandbox", "uid", false, set_uid},
	{"sandbox", "gid", false, set_gid},
	{"sandbox", "cwd", false, set_cwd},
	{"sandbox", "bind_cwd", false, set_bind_cwd},
	{"sandbox", "keep_env", false, set_keep_env},
	{"sandbox", "env", true, set_env},
	{"sandbox", "pass_env", true, set_pass_env},
	{"sandbox", "close_fds", false, set_close_fds},
	{"sandbox", "log", false, set_log},
	{"sandbox", "report", false, set_report},
	{"namespaces", "user", false, set_ns_user},
	{"namespaces", "mount", false, set_ns_mount},
	{"namespaces", "pid", false, set_ns_pid},
	{"namespaces", "net", false, set_ns_net},
	{"namespaces", "ipc", false, set_ns_ipc},
	{"namespaces", "uts", false, set_ns_uts},
	{"namespaces", "cgroup", false, set_ns_cgroup},
	{"fs", "root_size", false, set_root_size},
	{"fs", "ro", true, set_ro},
	{"fs", "rw", true, set_rw},
	{"fs", "tmpfs", true, set_tmpfs},
	{"fs", "proc", false, set_proc},
	{"fs", "dev", false, set_dev},
	{"limits", "wall_time", false, set_wall_time},
	{"limits", "cpu_time", false, set_cpu_time},
	{"limits", "memory", false, set_memory},
	{"limits", "address_space", false, set_address_space},
	{"limits", "processes", false, set_processes},
	{"limits", "require_cgroup", false, set_require_cgroup},
	{"limits", "file_size", false, set_file_size},
	{"limits", "open_files", false, set_open_files},
	{"net", "mode", false, set_net_mode},
	{"net", "allow", true, set_net_allow},
	{"net", "deny", true, set_net_deny},
	{"net", "dns", false, set_net_dns},
	{"seccomp", "preset", false, set_preset},
	{"seccomp", "deny", true, set_sc_deny},
	{"seccomp", "allow", true, set_sc_allow},
	{"seccomp", "action", false, set_action},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(N_KEYS <= 64, "seen[] and override_seen hold one bit per key");

/* Keys the built-in default must give (the rest default to empty). */
static bool optional_in_builtin(const struct key_def *def)
{
	return def->repeatable || strcmp(def->name, "cwd") == 0 ||
	       strcmp(def->name, "report") == 0 || strcmp(def->name, "dns") == 0;
}

static bool known_section(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strlen(sections[i]) == len && memcmp(sections[i], name, len) == 0)
			return true;
	return false;
}

static int find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int mark_explicit(struct sbx_policy *pol, const struct key_def *def,
			 const struct sbx_origin *origin)
{
	char name[64];
	char **keys_grown;
	struct sbx_origin *origins_grown;

	snprintf(name, sizeof(name), "%s.%s", def->section, def->name);
	for (size_t i = 0; i < pol->n_explicit_keys; i++) {
		if (strcmp(pol->explicit_keys[i], name) == 0) {
			pol->explicit_origins[i] = *origin;
			return 0;
		}
	}
	keys_grown = realloc(pol->explicit_keys, (pol->n_explicit_keys + 1) * sizeof(char *));
	if (!keys_grown)
		return -1;
	pol->explicit_keys = keys_grown;
	origins_grown = realloc(pol->explicit_origins,
				(pol->n_explicit_keys + 1) * sizeof(struct sbx_origin));
	if (!origins_grown)
		return -1;
	pol->explicit_origins = origins_grown;
	keys_grown[pol->n_explicit_keys] = strdup(name);
	if (!keys_grown[pol->n_explicit_keys])
		return -1;
	origins_grown[pol->n_explicit_keys] = *origin;
	pol->n_explicit_keys++;
	return 0;
}

/* Set one key from one source: the one path for files, built-in and -s. */
static int apply_key(struct source *src, const char *section, const char *name, const char *value)
{
	struct setting st = {.src = src};
	int idx = find_key(section, name);

	if (idx < 0) {
		char list[160] = "";
		for (size_t i = 0; i < N_KEYS; i++)
			if (strcmp(keys[i].section, section) == 0)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s",
					 keys[i].name);
		src_fail(src, "[%s] unknown key \"%.*s%s\"", section, QV(name));
		sbx_hint(src->err, "keys of [%s]:%s", section, list);
		return -1;
	}
	st.def = &keys[idx];
	st.origin.file = src->file;
	st.origin.line = src->builtin ? 0 : src->line;
	if (src->override) {
		/* -s: the first of a list replaces it, later ones append; a
		 * plain key given twice takes the last value, as on a command line. */
		st.first = !(src->pol->override_seen & (1ULL << idx));
		src->pol->override_seen |= 1ULL << idx;
	} else {
		if (src->seen[idx] && !st.def->repeatable)
			return src_fail(src,
					"[%s] %s: repeated key (first given at line %d; only keys "
					"marked * in the reference may repeat)",
					section, name, src->seen_line[idx]);
		st.first = !src->seen[idx];
		src->seen[idx] = true;
		src->seen_line[idx] = src->line;
	}
	if (st.def->set(&st, value))
		return -1;
	if (!src->builtin && mark_explicit(src->pol, st.def, &st.origin)) {
		src->failed = true;
		return sbx_fail(src->err, SBX_STEP_POLICY, ENOMEM, "[%s] %s", section, name);
	}
	return 0;
}

/* ---- reading a file through inih ---- */

struct reader {
	struct source *src;
	const char *text;
	size_t len, pos;
	char section[32]; /* the current section, as our reader saw it */
	char *line;	  /* the current line, up to SBX_POLICY_MAX_LINE bytes */
};

/* Position of the first inline comment (a ';' after a blank, as inih's
 * find_chars_or_comment() sees it), or the string's end. */
static const char *comment_start(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p == ';' && p > s && isspace((unsigned char)p[-1]))
			return p;
	return s + strlen(s);
}

enum line_kind { LINE_BLANK, LINE_SECTION, LINE_KEY };

/* Check one line before inih sees it. Returns its kind, or -1 on error (src filled). */
static int check_line(struct reader *rd, const char *line)
{
	struct source *src = rd->src;
	const char *p = line + strspn(line, " \t\v\f");
	const char *end;

	if (*p == '\0' || *p == ';' || *p == '#')
		return LINE_BLANK; /* blank, or a whole-line comment (indented is fine) */
	if (p != line)
		return src_fail(src, "indented line: a value cannot continue on the next line "
				     "(remove the leading blanks)");
	if (*p == '[') {
		const char *close = strchr(p, ']');
		size_t len;
		if (!close)
			return src_fail(src, "bad section header (no ']')");
		len = (size_t)(close - p - 1);
		end = close + 1 + strspn(close + 1, " \t");
		if (*end != '\0' && *end != ';' && *end != '#')
			return src_fail(src, "unexpected text after the section header");
		if (!known_section(p + 1, len)) {
			src_fail(src, "unknown section [%.*s]", (int)(len > 64 ? 64 : len), p + 1);
			sbx_hint(src->err,
				 "sections: [sandbox] [namespaces] [fs] [limits] [net] [seccomp]");
			return -1;
		}
		memcpy(rd->section, p + 1, len);
		rd->section[len] = '\0';
		return LINE_SECTION;
	}
	/* A key line: inih splits at the first '=' or ':', or stops at a
	 * comment. Only '=' is ours (':' appears inside SRC:DST values). */
	end = p + strcspn(p, "=:");
	if (*end != '=' || comment_start(p) < end)
		return src_fail(src, "expected KEY = VALUE");
	if (rd->section[0] == '\0')
		return src_fail(src, "a key before any [section]");
	return LINE_KEY;
}

/* A key line too long for inih's buffer: split it by inih's own rules
 * (name and value trimmed, value cut at an inline comment) and set it. */
static int apply_long_line(struct reader *rd, char *line)
{
	char *eq = strchr(line, '='), *name_end = eq, *value = eq + 1, *value_end;

	while (name_end > line && isspace((unsigned char)name_end[-1]))
		name_end--;
	*name_end = '\0';
	value_end = (char *)comment_start(value);
	while (value_end > value && isspace((unsigned char)value_end[-1]))
		value_end--;
	*value_end = '\0';
	while (isspace((unsigned char)*value))
		value++;
	return apply_key(rd->src, rd->section, line, value);
}

/* inih's fgets-like reader: one whole line at a time, or NULL at the end
 * (and after an error, so that inih stops). */
static char *read_line(char *str, int num, void *stream)
{
	struct reader *rd = stream;
	struct source *src = rd->src;
	const char *start, *nl;
	size_t n, room;
	int kind;

	if (src->failed || rd->pos >= rd->len)
		return NULL;
	start = rd->text + rd->pos;
	nl = memchr(start, '\n', rd->len - rd->pos);
	n = nl ? (size_t)(nl - start) : rd->len - rd->pos;
	rd->pos += n + (nl ? 1 : 0);
	src->line++;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (src->line == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
		start += 3; /* a UTF-8 byte order mark */
		n -= 3;
	}
	if (memchr(start, '\0', n)) {
		src_fail(src, "a NUL byte in the line");
		return NULL;
	}
	if (n > SBX_POLICY_MAX_LINE) {
		src_fail(src, "line too long (%zu bytes, at most %d)", n, SBX_POLICY_MAX_LINE);
		return NULL;
	}
	memcpy(rd->line, start, n);
	rd->line[n] = '\0';
	kind = check_line(rd, rd->line);
	if (kind < 0)
		return NULL;
	/* inih r55 reads into a buffer of num bytes and keeps 3 of them for
	 * "\r\n\0"; a longer line would be cut in two, its tail read as a new
	 * line. So a line that does not fit never reaches inih: a comment
	 * becomes blank, a header is rewritten bare, a key is set here. */
	room = num > 3 ? (size_t)num - 3 : 0;
	if (n <= room) {
		memcpy(str, rd->line, n + 1);
	} else if (kind == LINE_SECTION) {
		snprintf(str, (size_t)num, "[%s]", rd->section);
	} else {
		str[0] = '\0';
		if (kind == LINE_KEY && apply_long_line(rd, rd->line))
			return NULL;
	}
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct reader *rd = user;

	if (rd->src->failed)
		return 0;
	return apply_key(rd->src, section, name, value) == 0;
}

static int parse_text(struct source *src, const char *text, size_t len)
{
	struct reader rd = {.src = src, .text = text, .len = len};
	int rc;

	rd.line = malloc(SBX_POLICY_MAX_LINE + 1);
	if (!rd.line)
		return sbx_fail(src->err, SBX_STEP_POLICY, ENOMEM, "%s", src->file);
	rc = ini_parse_stream(read_line, &rd, on_key, &rd);
	free(rd.line);

	if (src->failed)
		return -1;
	if (rc != 0) {
		/* Our reader screens every line, so inih should never object;
		 * if it does, still name the line. */
		src->line = rc > 0 ? rc : 0;
		return src_fail(src, "syntax error");
	}
	return 0;
}

static const char *remember_file(struct sbx_policy *pol, const char *name, struct sbx_err *err)
{
	if (pol->n_files >= sizeof(pol->files) / sizeof(pol->files[0])) {
		sbx_fail(err, SBX_STEP_POLICY, 0, "%s: too many policy files (at most %zu)", name,
			 sizeof(pol->files) / sizeof(pol->files[0]));
		return NULL;
	}
	pol->files[pol->n_files] = strdup(name);
	if (!pol->files[pol->n_files]) {
		sbx_fail(err, SBX_STEP_POLICY, ENOMEM, "%s", name);
		return NULL;
	}
	return pol->files[pol->n_files++];
}

/* ---- the API ---- */

int sbx_policy_load_text(struct sbx_policy *pol, const char *text, size_t len, const char *name,
			 struct sbx_err *err)
{
	struct source src = {.pol = pol, .err = err};

	src.file = remember_file(pol, name ? name : "policy", err);
	if (!src.file)
		return -1;
	return parse_text(&src, text, len);
}

int sbx_policy_load_file(struct sbx_policy *pol, const char *path, struct sbx_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!f)
		return sbx_fail(err, SBX_STEP_POLICY, errno, "cannot read %s", path);
	buf = malloc(SBX_POLICY_MAX_FILE_BYTES + 1);
	if (!buf) {
		fclose(f);
		return sbx_fail(err, SBX_STEP_POLICY, ENOMEM, "cannot read %s", path);
	}
	len = fread(buf, 1, SBX_POLICY_MAX_FILE_BYTES + 1, f);
	if (ferror(f)) {
		int e = errno ? errno : EIO;
		fclose(f);
		free(buf);
		return sbx_fail(err, SBX_STEP_POLICY, e, "cannot read %s", path);
	}
	fclose(f);
	if (len > SBX_POLICY_MAX_FILE_BYTES) {
		free(buf);
		return sbx_fail(err, SBX_STEP_POLICY, 0, "%s: larger than %d bytes", path,
				SBX_POLICY_MAX_FILE_BYTES);
	}
	rc = sbx_policy_load_text(pol, buf, len, path, err);
	free(buf);
	return rc;
}

int sbx_policy_defaults(struct sbx_policy *pol, const char *caller_cwd, struct sbx_err *err)
{
	struct source src = {.pol = pol, .err = err, .file = sbx_origin_builtin, .builtin = true};
	char *cwd = NULL;

	memset(pol, 0, sizeof(*pol));
	if (!caller_cwd || caller_cwd[0] != '/')
		return sbx_fail(err, SBX_STEP_POLICY, 0, "the caller's working directory must be "
							 "an absolute path");
	if (sbx_parse_path(NULL, caller_cwd, false, &cwd))
		return sbx_fail(err, SBX_STEP_POLICY, errno ? errno : EINVAL,
				"the caller's working directory");
	pol->caller_cwd = cwd;
	pol->sandbox.cwd = strdup("");
	if (!pol->sandbox.cwd)
		return sbx_fail(err, SBX_STEP_POLICY, ENOMEM, "default policy");
	if (parse_text(&src, sbx_default_policy_text, strlen(sbx_default_policy_text)))
		return -1;
	/* Defaults come from the shipped file only; a key it lacks would
	 * silently be zero, so refuse (a build error, caught by the tests). */
	for (size_t i = 0; i < N_KEYS; i++)
		if (!src.seen[i] && !optional_in_builtin(&keys[i]))
			return sbx_fail(err, SBX_STEP_POLICY, 0, "built-in policy lacks [%s] %s",
					keys[i].section, keys[i].name);
	return 0;
}

int sbx_policy_override(struct sbx_policy *pol, const char *assignment, struct sbx_err *err)
{
	struct source src = {.pol = pol, .err = err, .file = sbx_origin_override,
			     .override = assignment};
	const char *eq = strchr(assignment, '='), *dot;
	char section[32], name[32], *value;
	size_t klen, slen, vlen;
	const char *k, *v;
	int rc;

	if (!eq)
		return src_fail(&src, "expected SECTION.KEY=VALUE");
	/* Trim blanks around the key and the value, as inih does in a file
	 * (with isspace(3), so \v and \f count). */
	k = assignment;
	while (isspace((unsigned char)*k))
		k++;
	klen = (size_t)(eq - k);
	while (klen > 0 && isspace((unsigned char)k[klen - 1]))
		klen--;
	dot = memchr(k, '.', klen);
	if (!dot)
		return src_fail(&src, "expected SECTION.KEY=VALUE");
	slen = (size_t)(dot - k);
	if (slen >= sizeof(section) || klen - slen - 1 >= sizeof(name) || slen == 0)
		return src_fail(&src, "expected SECTION.KEY=VALUE");
	memcpy(section, k, slen);
	section[slen] = '\0';
	memcpy(name, dot + 1, klen - slen - 1);
	name[klen - slen - 1] = '\0';
	if (!known_section(section, slen))
		return src_fail(&src, "unknown section [%s]", section);
	v = eq + 1;
	while (isspace((unsigned char)*v))
		v++;
	vlen = strlen(v);
	while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
		vlen--;
	/* What a file could not say, an override may not say either: the
	 * policy must stay writable as a file (sbx_policy_dump). */
	if (memchr(v, '\n', vlen) || memchr(v, '\r', vlen))
		return src_fail(&src, "a value cannot hold a line break");
	if (klen + vlen + 3 > SBX_POLICY_MAX_LINE)
		return src_fail(&src, "too long for a line of a policy file (at most %d bytes)",
				SBX_POLICY_MAX_LINE);
	value = strndup(v, vlen);
	if (!value)
		return sbx_fail(err, SBX_STEP_POLICY, ENOMEM, "-s %s", assignment);
	if (*comment_start(value))
		rc = src_fail(&src, "a value cannot hold \" ;\" (it starts a comment in a file)");
	else
		rc = apply_key(&src, section, name, value);
	free(value);
	return rc;
}

bool sbx_policy_is_explicit(const struct sbx_policy *pol, const char *section_dot_key)
{
	return sbx_policy_explicit_origin(pol, section_dot_key) != NULL;
}

const struct sbx_origin *sbx_policy_explicit_origin(const struct sbx_policy *pol,
						    const char *section_dot_key)
{
	for (size_t i = 0; i < pol->n_explicit_keys; i++)
		if (strcmp(pol->explicit_keys[i], section_dot_key) == 0)
			return &pol->explicit_origins[i];
	return NULL;
}

/* *path, at or under from, moved under to. 1: moved, 0: not under from's
 * first component, -1: under it but not under from, or out of memory. */
static int rebase_one(char **path, const char *from, size_t root_len, const char *to)
{
	size_t n = strlen(from);
	const char *rest;
	char *moved;

	if (!*path || strncmp(*path, from, root_len) != 0 ||
	    ((*path)[root_len] != '\0' && (*path)[root_len] != '/'))
		return 0;
	if (strncmp(*path, from, n) != 0 || ((*path)[n] != '\0' && (*path)[n] != '/'))
		return -1;
	rest = *path + n;
	/* "/" + "/x" would be "//x" */
	if (asprintf(&moved, "%s%s", strcmp(to, "/") == 0 && *rest ? "" : to, rest) < 0)
		return -1;
	free(*path);
	*path = moved;
	return 1;
}

int sbx_policy_rebase(struct sbx_policy *pol, const char *from, const char *to,
		      struct sbx_err *err)
{
	size_t root_len;
	int rc = 0;

	if (!from || from[0] != '/' || !to || to[0] != '/')
		return sbx_fail(err, SBX_STEP_POLICY, EINVAL, "rebase: absolute paths only");
	root_len = 1 + strcspn(from + 1, "/");
	if (rebase_one(&pol->caller_cwd, from, root_len, to) < 0 ||
	    rebase_one(&pol->sandbox.report, from, root_len, to) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < pol->fs.n_mounts; i++)
		if (rebase_one(&pol->fs.mounts[i].src, from, root_len, to) < 0)
			rc = -1;
	if (rc < 0)
		return sbx_fail(err, SBX_STEP_POLICY, EXDEV,
				"a path of the policy does not stay under %s", from);
	return 0;
}

void sbx_policy_free(struct sbx_policy *pol)
{
	for (size_t i = 0; i < pol->n_files; i++)
		free(pol->files[i]);
	free(pol->caller_cwd);
	free(pol->sandbox.hostname);
	free(pol->sandbox.cwd);
	free_strings(&pol->sandbox.env, &pol->sandbox.n_env);
	free_strings(&pol->sandbox.pass_env, &pol->sandbox.n_pass_env);
	free(pol->sandbox.report);
	for (size_t i = 0; i < pol->fs.n_mounts; i++) {
		free(pol->fs.mounts[i].src);
		free(pol->fs.mounts[i].dst);
	}
	free(pol->fs.mounts);
	free(pol->limits.wall_time_text);
	free(pol->limits.cpu_time_text);
	free(pol->limits.memory_text);
	free_rules(&pol->net.allow, &pol->net.n_allow);
	free_rules(&pol->net.deny, &pol->net.n_deny);
	free(pol->net.dns);
	free_syscalls(&pol->seccomp.deny, &pol->seccomp.n_deny);
	free_syscalls(&pol->seccomp.allow, &pol->seccomp.n_allow);
	free_strings(&pol->explicit_keys, &pol->n_explicit_keys);
	free(pol->explicit_origins);
	memset(pol, 0, sizeof(*pol));
}

const char *sbx_net_mode_name(enum sbx_net_mode mode)
{
	if ((size_t)mode < sizeof(net_mode_names) / sizeof(net_mode_names[0]))
		return net_mode_names[mode];
	return "?";
}

const char *sbx_log_level_name(enum sbx_log_level level)
{
	if ((size_t)level < sizeof(log_names) / sizeof(log_names[0]))
		return log_names[level];
	return "?";
}
