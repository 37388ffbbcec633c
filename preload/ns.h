/*
 * ns: the namespaces of the jail.
 *
 * sbx_ns_clone(): the supervisor clones the jail's init into new namespaces
 * (those the policy names but cgroup, which init enters later, once it sits
 * in its own cgroup, so that its cgroup root is the jail's). Returns the
 * child's pid in the parent, 0 in the child, like fork(2). With cgroup_fd >= 0
 * (a cgroup v2 directory) the child is born in that cgroup when the kernel
 * can (*in_cgroup then says so).
 * sbx_ns_enter_cgroup(): init, after the supervisor attached it: a new cgroup
 * namespace rooted at the jail's own cgroup.
 * sbx_ns_hostname(): the UTS hostname. Needs CAP_SYS_ADMIN in the user
 * namespace that owns the new UTS namespace.
 */
#ifndef SBX_NS_H
#define SBX_NS_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy.h"
#include "sbx.h"

pid_t sbx_ns_clone(const struct sbx_policy *pol, int cgroup_fd, bool *in_cgroup,
		   struct sbx_err *err);
int sbx_ns_enter_cgroup(const struct sbx_policy *pol, struct sbx_err *err)
	__attribute__((warn_unused_result));
int sbx_ns_hostname(const struct sbx_policy *pol, struct sbx_err *err)
	__attribute__((warn_unused_result));

#endif
