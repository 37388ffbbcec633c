/*
 * sbx.h: what every step of the jail shares.
 *
 * A step fills a struct sbx_err and returns -1; it never prints and never
 * carries on. Only the top (the constructor, the launcher's main) turns the
 * error into one line `sbx: STEP: REASON` with sbx_die(), which exits 125.
 */
#ifndef SBX_H
#define SBX_H

#include <stddef.h>

/* Exit statuses of the contract (shared/contract/policy.md). */
#define SBX_EXIT_SETUP 125
#define SBX_EXIT_WALL_TIME 124
#define SBX_EXIT_SIGNAL_BASE 128

/* Names of the steps, as printed in `sbx: STEP: REASON`. */
#define SBX_STEP_POLICY "policy"
#define SBX_STEP_THREADS "threads"
#define SBX_STEP_USERNS "userns"
#define SBX_STEP_NS "namespaces"
#define SBX_STEP_SUPERVISOR "supervisor"
#define SBX_STEP_INIT "init"
#define SBX_STEP_MOUNT "mount"
#define SBX_STEP_NET "net"
#define SBX_STEP_HOSTNAME "hostname"
#define SBX_STEP_ENV "env"
#define SBX_STEP_FDS "fds"
#define SBX_STEP_CAPS "caps"
#define SBX_STEP_LIMITS "limits"
#define SBX_STEP_CGROUP "cgroup"
#define SBX_STEP_SECCOMP "seccomp"
#define SBX_STEP_REPORT "report"
#define SBX_STEP_SETUP "setup"
#define SBX_STEP_EXEC "exec"

struct sbx_err {
	const char *step; /* one of SBX_STEP_*, never NULL once filled */
	int errnum;	  /* errno, or 0 when the detail says it all */
	char detail[256]; /* what was being done: "bind /srv/x on /x" */
	char hint[256];	  /* optional: what the user can check or change */
};

/* Fill err and return -1, so a step can `return sbx_fail(...)`. */
int sbx_fail(struct sbx_err *err, const char *step, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Add a hint (printed after the reason) to an already filled error. */
void sbx_hint(struct sbx_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Format err as `sbx: STEP: DETAIL: strerror(errnum)` (and `(hint)`), into buf.
 * Async-signal-safe apart from vsnprintf, which glibc implements without locks
 * for our format strings.
 */
size_t sbx_err_format(const struct sbx_err *err, char *buf, size_t size);

/* Print err on stderr in a single write(2) and _exit(125). */
__attribute__((noreturn)) void sbx_die(const struct sbx_err *err);

/* Write one line `sbx: ...` on stderr in a single write(2). */
void sbx_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sbx_say() when level is within the policy's [sandbox] log (both are
 * enum sbx_log_level values: quiet 0 ... debug 4). */
void sbx_log(int policy_level, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
