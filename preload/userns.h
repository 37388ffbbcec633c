/*
 * userns: who the jail is.
 *
 * sbx_userns_write_maps() runs in the supervisor, outside, right after the
 * clone: the jail's uid/gid inside map to one id outside: nobody (65534) when
 * the caller is root, so that even an escape is nobody; the caller's own ids
 * otherwise (the only ids an unprivileged user may map, user_namespaces(7)).
 *
 * sbx_userns_take_ids() runs in the jail's init once the maps exist: it drops
 * supplementary groups where it may and becomes uid/gid of the policy while
 * keeping its capabilities in the new namespace (PR_SET_KEEPCAPS), so the
 * setup steps after it act as the jail's user, with the power to mount.
 */
#ifndef SBX_USERNS_H
#define SBX_USERNS_H

#include <sys/types.h>

#include "policy.h"
#include "sbx.h"

int sbx_userns_write_maps(const struct sbx_policy *pol, pid_t pid, struct sbx_err *err)
	__attribute__((warn_unused_result));
int sbx_userns_take_ids(const struct sbx_policy *pol, struct sbx_err *err)
	__attribute__((warn_unused_result));

#endif
