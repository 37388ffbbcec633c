/*
 * egress: [net] mode = egress. The jail's own network namespace gets a
 * user-mode network stack behind it (started by the supervisor, outside the
 * jail), and a kernel filter inside the jail's namespace that refuses the
 * host, its local networks and every non-global range, installed before the
 * program's first instruction and out of its reach (it has no capability).
 *
 * Order of calls:
 *   supervisor, before clone:  sbx_egress_prepare()  resolve allow hosts, check the stack exists
 *   supervisor, after clone:   sbx_egress_start()    start the stack on init's netns
 *   init (in the jail, CAP_NET_ADMIN in its userns, before caps drop):
 *                              sbx_egress_rules()    load the filter; wait until the link is up
 *   supervisor, at the end:    sbx_egress_stop()     stop the stack, read byte counts
 *
 * Two constraints on that order (egress.c says why):
 *   - sbx_egress_start() runs while init still has the caller's ids, i.e.
 *     before the supervisor writes the id maps and init takes the jail's ids:
 *     once init is not dumpable, /proc/INIT/ns/ is closed to pasta.
 *   - sbx_egress_rules() runs after sbx_egress_start() has returned (e.g.
 *     after the supervisor's "go"): pasta's "ready" is only known there.
 * With mode != egress, prepare sets *eg = NULL and the other calls do nothing
 * with it, so they may be called unconditionally; sbx_egress_stop() frees eg
 * and takes NULL counters.
 */
#ifndef SBX_EGRESS_H
#define SBX_EGRESS_H

#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "sbx.h"

struct sbx_egress; /* opaque, allocated by prepare */

int sbx_egress_prepare(const struct sbx_policy *pol, struct sbx_egress **eg, struct sbx_err *err)
	__attribute__((warn_unused_result));
int sbx_egress_start(struct sbx_egress *eg, pid_t init_pid, struct sbx_err *err)
	__attribute__((warn_unused_result));
int sbx_egress_rules(const struct sbx_egress *eg, struct sbx_err *err)
	__attribute__((warn_unused_result));
void sbx_egress_stop(struct sbx_egress *eg, int64_t *bytes_sent, int64_t *bytes_received);

/*
 * The text of the jail's /etc/resolv.conf, naming the resolver the filter lets
 * through (NULL when eg is NULL). The mounts step puts it at /etc/resolv.conf
 * of the new root. A plain read of eg: callable in init.
 */
const char *sbx_egress_resolv_conf(const struct sbx_egress *eg);

#endif
