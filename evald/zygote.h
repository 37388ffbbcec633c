/*
 * zygote: one python3 per service, outside any jail, that makes each jail
 * from a copy of itself, so a jail costs the jail's own setup and not
 * python's startup as well.
 *
 * The zygote is started (evald_zygote_start) with the jails' environment
 * (the policy's env, plus SBX_POLICY and SBX_NO_CONSTRUCTOR=1, never the
 * service's own), does python's startup and imports what the runner needs,
 * loads sandbox.so without being jailed by it, and waits on a control
 * socket. evald_zygote_spawn() hands it a jail's directory, stdin and stdout;
 * the zygote clone()s a copy of itself with CLONE_PARENT, so the copy is
 * *our* child, as a jail spawned here is: we wait for it, signal it through
 * its pidfd, and it gets SIGTERM when the service dies (PR_SET_PDEATHSIG).
 * The copy takes those descriptors as 0, 1, 2, enters the directory, closes
 * everything else and calls sandbox.so's sbx_enter(): it stays outside as the
 * supervisor, and the program (evald/runner.py, waiting for the request)
 * goes on in the jail, in its copy of the interpreter. The zygote never runs
 * request code and never sees a request: each jail is as fresh as one
 * started cold, and nothing of one evaluation reaches another.
 *
 * The zygote gets SIGKILL when the service dies; a zygote that died is
 * started again at the next spawn.
 */
#ifndef EVALD_ZYGOTE_H
#define EVALD_ZYGOTE_H

#include <stddef.h>
#include <sys/types.h>

#include "evald.h"

struct evald_zygote;

/* Start the zygote (it does its startup while we go on). NULL: err says why. */
struct evald_zygote *evald_zygote_start(const struct evald *ev, char *err, size_t errlen);

/*
 * Make a jail: its supervisor's pid (our child), or -1 with err filled.
 * dir_fd becomes its cwd, in_fd its stdin, out_fd its stdout and stderr; the
 * caller keeps (and closes) its own copies.
 */
pid_t evald_zygote_spawn(struct evald_zygote *z, int dir_fd, int in_fd, int out_fd, char *err,
			 size_t errlen);

/* End the zygote (jails it made go on: they are ours). */
void evald_zygote_stop(struct evald_zygote *z);

#endif
