/*
 * net: the jail's network, in its own network namespace (ns.c).
 * none: no interface is up, not even lo: every connect fails at once.
 * loopback: lo is up, nothing else. host: the host's network (no namespace).
 * egress: see egress.h. Needs CAP_NET_ADMIN in the namespace's user namespace.
 */
#ifndef SBX_NET_H
#define SBX_NET_H

#include "policy.h"
#include "sbx.h"

int sbx_net_setup(const struct sbx_policy *pol, struct sbx_err *err)
	__attribute__((warn_unused_result));

#endif
