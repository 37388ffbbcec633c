/*
 * supervisor: the caller's process, which stays outside the jail.
 *
 * sbx_supervisor_prepare() (before the clone): blocks the signals it will
 * forward, makes the cgroup, opens the channel.
 * sbx_supervisor_start() (after the clone): writes the jail's id maps, joins
 * it to its cgroup, lets it start the program.
 * sbx_supervise() (never returns): forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT,
 * enforces wall_time, answers seccomp notifications, and when the jail is
 * gone writes the report, removes the cgroup and exits with the contract's
 * status and one `sbx: ` line saying why the run ended (when it did not
 * simply exit).
 */
#ifndef SBX_SUPERVISOR_H
#define SBX_SUPERVISOR_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "cgroup.h"
#include "egress.h"
#include "policy.h"
#include "sbx.h"
#include "seccomp.h"

struct sbx_supervisor {
	const struct sbx_policy *pol;
	const char *policy_name; /* file path, or "built-in" */
	enum sbx_seccomp_mode seccomp_mode;
	int sock;      /* our end of the channel */
	int jail_sock; /* the jail's end (closed here after the clone) */
	sigset_t forwarded;
	sigset_t saved_mask;
	struct sbx_cgroup cg;
	bool cg_made;
	struct sbx_egress *egress; /* [net] mode = egress, else NULL */
	pid_t init_pid;
	struct timespec t_start;
};

int sbx_supervisor_prepare(struct sbx_supervisor *sup, struct sbx_err *err)
	__attribute__((warn_unused_result));
/* On failure the jail has been killed; the caller reports and dies. */
int sbx_supervisor_start(struct sbx_supervisor *sup, pid_t init_pid, struct sbx_err *err)
	__attribute__((warn_unused_result));
__attribute__((noreturn)) void sbx_supervise(struct sbx_supervisor *sup);

/* A setup failure before the jail ran: report (if asked), clean up, die. */
__attribute__((noreturn)) void sbx_supervisor_fail(struct sbx_supervisor *sup,
						   const struct sbx_err *err);

#endif
