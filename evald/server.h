/*
 * server: the HTTP side, on libmicrohttpd, and the workers.
 *
 * One MHD thread (epoll) parses HTTP and answers everything but the
 * evaluations themselves: a POST /eval whose body is valid becomes a job in a
 * bounded queue and its connection is suspended (MHD_suspend_connection(3)),
 * so waiting costs no thread. `workers` threads take jobs, run each in a jail
 * (from the pool, or started then), write the answer and resume the
 * connection. A full queue answers 503 with Retry-After at once.
 *
 * While a connection is suspended MHD does not watch it, so the workers poll
 * the client's socket for POLLRDHUP themselves: a client that leaves has its
 * job dropped (queued) or its jail ended (running).
 */
#ifndef EVALD_SERVER_H
#define EVALD_SERVER_H

#include "evald.h"
#include "pool.h"

struct evald_server;

/* listen_fd: a bound, listening socket (TCP or unix). */
struct evald_server *evald_server_start(const struct evald *ev, struct evald_pool *pool,
					int listen_fd);

/*
 * SIGTERM: stop accepting, answer 503 to new requests on open connections,
 * let queued and running evaluations finish within timeout_s, then end the
 * rest (queued: 503, running: their jail ended) and stop. Returns when every
 * answer is out; s is freed.
 */
void evald_server_drain(struct evald_server *s, unsigned timeout_s);

#endif
