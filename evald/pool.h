/*
 * pool: K jails started ahead of requests, each waiting (Python's startup
 * done) for the one request it will serve.
 *
 * A filler thread keeps K jails ready or starting; a jail taken out is never
 * put back (one evaluation each), so the pool refills in the background.
 * With K = 0 there is no thread and every evaluation starts its jail itself.
 * A jail that dies while waiting is replaced; jails that fail to start make
 * the filler back off (1 s doubling to 30 s) and say why once per failure.
 */
#ifndef EVALD_POOL_H
#define EVALD_POOL_H

#include "evald.h"
#include "jail.h"

struct evald_pool;

struct evald_pool *evald_pool_start(const struct evald *ev, unsigned size);

/*
 * Take a ready jail into *j. Waits while jails the filler started may become
 * ready for this caller (until deadline_ms, or the client leaving).
 * Returns 0 with a jail, -1 when none will come (start one yourself), -2 when
 * the client left.
 */
int evald_pool_take(struct evald_pool *p, struct evald_jail *j, int client_fd, double deadline_ms);

/*
 * A jail was taken and its evaluation answered: start its replacement now.
 * (Not at the take: a python3 starting up would compete for the CPU with
 * the evaluation it is meant to follow.)
 */
void evald_pool_refill(struct evald_pool *p);

unsigned evald_pool_ready(struct evald_pool *p);
unsigned long evald_pool_start_failures(struct evald_pool *p);

/* End every jail of the pool and the filler. */
void evald_pool_stop(struct evald_pool *p);

#endif
