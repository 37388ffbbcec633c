/*
 * jail: the order in which the jail is built. One function, read top to
 * bottom, shared by the two entry points: sandbox.so's constructor (which
 * then returns into the program's main) and the sbx launcher (which then
 * execs the program).
 */
#ifndef SBX_JAIL_H
#define SBX_JAIL_H

#include <stdbool.h>

#include "policy.h"
#include "sbx.h"
#include "seccomp.h"

struct sbx_jail_opts {
	const char *policy_name; /* the policy file, or "built-in": for the report */
	char **envp;		 /* the environment to replace (wiped in place) */
	enum sbx_seccomp_mode seccomp_mode;
	bool keep_channel;	 /* return the channel to the supervisor (close-on-exec)
				    instead of closing it: the launcher reports a failed
				    exec through it */
};

/*
 * Returns only in the program's process, jailed: 0 with the channel to the
 * supervisor closed, or the channel's descriptor with keep_channel. The supervisor and the jail's init never return. A
 * failure before the jail exists returns -1 with err filled; after that,
 * failures end the run with 125 from inside (the caller never sees them).
 */
int sbx_jail_enter(const struct sbx_policy *pol, const struct sbx_jail_opts *opts,
		   struct sbx_err *err) __attribute__((warn_unused_result));

/* Refuse a process that already runs more than one thread. */
int sbx_threads_check(struct sbx_err *err) __attribute__((warn_unused_result));

#endif
