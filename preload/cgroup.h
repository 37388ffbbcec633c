/*
 * cgroup: one memory+pids cgroup around the whole jail.
 *
 * Runs in the supervisor, outside every namespace, with the caller's
 * credentials. Tries cgroup v2 (a writable delegated subtree, or the root
 * hierarchy as root), then v1 (memory and pids controllers). Where no cgroup
 * can be made: with require_cgroup = yes an error; otherwise the caller falls
 * back (memory -> RLIMIT_AS per process, processes -> RLIMIT_NPROC only) and
 * says so once at warn.
 */
#ifndef SBX_CGROUP_H
#define SBX_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "sbx.h"

struct sbx_cgroup {
	bool memory; /* the memory limit is enforced by a cgroup */
	bool pids;   /* the processes limit is enforced by a cgroup */
	bool v2;
	char mem_dir[256]; /* v1 memory dir, or the v2 dir */
	char pids_dir[256]; /* v1 pids dir ("" on v2) */
	int procs_fd[2];     /* open cgroup.procs of each hierarchy, -1 if none */
	char why_not[256];   /* when no cgroup: what was tried, for the warning */
	int self_fd[2];	     /* v1: open `tasks` of each hierarchy, for attach_self; -1 if none */
	int dir_fd;	     /* v2: the cgroup directory, for clone3(CLONE_INTO_CGROUP); -1 if none */
};

/* Make the cgroup(s) and write the limits. Needs nothing but the policy. */
int sbx_cgroup_create(const struct sbx_policy *pol, struct sbx_cgroup *cg, struct sbx_err *err)
	__attribute__((warn_unused_result));

/* Move pid (the jail's init, before it starts the program) into the cgroup(s). */
int sbx_cgroup_attach(struct sbx_cgroup *cg, pid_t pid, struct sbx_err *err)
	__attribute__((warn_unused_result));

/*
 * The fast ways in (see cgroup.c, "The cost of a migration"):
 * - v1: the jail's init calls sbx_cgroup_attach_self() first thing after the
 *   clone, before it forks anything. It writes "0" to each hierarchy's `tasks`
 *   through the descriptors create opened: a single-thread move of the caller,
 *   which the kernel makes without write-locking cgroup_threadgroup_rwsem, so
 *   it skips the RCU grace period (10-20 ms) that a pid write waits for.
 * - v2: the supervisor clones the init with clone3(CLONE_INTO_CGROUP) and
 *   cgroup = cg->dir_fd (Linux >= 5.7): no migration at all. The init then
 *   calls only sbx_cgroup_close_fds(). On v2, attach_self writes "0" to
 *   cgroup.procs, which does wait (a fallback, no faster than attach).
 * Both are async-signal-safe (write, close). attach_self returns 0 or -errno
 * and closes the child's copies of the descriptors, like close_fds.
 */
int sbx_cgroup_attach_self(const struct sbx_cgroup *cg) __attribute__((warn_unused_result));
void sbx_cgroup_close_fds(const struct sbx_cgroup *cg);

struct sbx_cgroup_stats {
	int64_t peak_memory_bytes; /* -1 when unknown */
	bool oom_killed;	   /* the memory limit killed something */
	bool pids_limited;	   /* a fork was refused by the pids limit */
};

void sbx_cgroup_stats(const struct sbx_cgroup *cg, struct sbx_cgroup_stats *st);

/*
 * Kill whatever is left inside and remove the directories. Idempotent. A
 * supervisor killed by SIGKILL leaves its (empty) directories behind: the next
 * create removes stale sbx-PID-* siblings whose PID is gone.
 */
void sbx_cgroup_destroy(struct sbx_cgroup *cg);

#endif
