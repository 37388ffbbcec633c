/*
 * jail: one python3 under sandbox.so, running evald/runner.py, that serves
 * exactly one evaluation.
 *
 * Life of a jail:
 *   evald_jail_start()        make a per-run directory (home/ inside), start
 *                             python3 with LD_PRELOAD=sandbox.so and the
 *                             effective policy, cwd = that directory
 *   evald_jail_poll_ready()   the runner has done Python's startup and waits
 *                             for the request on its stdin (pool jails wait here)
 *   evald_jail_run()          write the request's files into home/, hand the
 *                             args over, collect stdout+stderr (one pipe, so in
 *                             order), enforce the wall time from the handover,
 *                             read the report and the files left in home/
 *   evald_jail_destroy()      end it if it still runs, reap it, remove the
 *                             per-run directory
 *
 * With the pool on, the jail is made by the zygote (zygote.h) from a copy of
 * its python3, whose startup is done: the same jail, the same runner, and
 * still our child. --pool 0 starts python3 under sandbox.so each time.
 *
 * The supervisor (the process started) is our child; SIGTERM to it ends the
 * whole jail (the contract), and it gets SIGTERM if our thread that started it
 * dies (PR_SET_PDEATHSIG), so no jail outlives the service.
 */
#ifndef EVALD_JAIL_H
#define EVALD_JAIL_H

#include <linux/limits.h> /* PATH_MAX; <limits.h> would find preload/limits.h */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "evald.h"
#include "request.h"

struct evald_jail {
	pid_t pid;
	int pidfd;	/* readable when the supervisor has exited */
	int out_fd;	/* read end of the jail's stdout+stderr, non-blocking */
	int req_fd;	/* write end of the runner's stdin */
	int dir_fd;	/* the per-run directory */
	char dir[PATH_MAX];
	double started_ms;
	bool ready;
	bool reaped;
	int wait_status;
	size_t marker_seen; /* bytes of EVALD_READY_MARKER matched so far */
	char early[1024];   /* what the jail said before it was ready (its warnings) */
	size_t early_len;
};

struct evald_out_file {
	char *path;
	unsigned char *data;
	size_t size;
};

struct evald_result {
	unsigned char *out; /* stdout+stderr, at most the output limit */
	size_t out_len;
	bool truncated;
	int returncode;
	char reason[32];
	double wall_s;
	struct evald_out_file *files;
	size_t n_files;
	bool files_truncated;
	bool cancelled;	   /* the client went away */
	char error[512];   /* non-empty: the evaluation could not be done (500) */
};

/*
 * Make the per-run directory and start the jail: a copy of the zygote when
 * ev->zygote is set (pool on), else python3 under sandbox.so, cold.
 */
int evald_jail_start(const struct evald *ev, struct evald_jail *j, char *err, size_t errlen);

/* python3's arguments for the runner (-u -B -c BOOTSTRAP sbx-evald:STATE_DIR), in the caller's buffers. */
void evald_runner_argv(const struct evald *ev, char *argv[7], char *boot, size_t boot_len,
		       char *owner, size_t owner_len);

/* Read what the jail wrote so far: 1 ready, 0 not yet, -1 it failed (err says why). */
int evald_jail_poll_ready(struct evald_jail *j, char *err, size_t errlen);

/* Wait until ready, the deadline (monotonic ms), or the client leaving (client_fd, -1 = none). */
int evald_jail_wait_ready(struct evald_jail *j, double deadline_ms, int client_fd, char *err,
			  size_t errlen);

/* Has the supervisor exited (without reaping it)? */
bool evald_jail_exited(const struct evald_jail *j);

/*
 * Run req in the ready jail j. client_fd (or -1) is watched for the client
 * leaving: the jail is then ended and res->cancelled set. Always fills res.
 */
void evald_jail_run(const struct evald *ev, struct evald_jail *j, const struct evald_request *req,
		    int client_fd, struct evald_result *res);

/* Stop (SIGTERM, then SIGKILL after a grace), reap, remove the directory. */
void evald_jail_destroy(struct evald_jail *j);

void evald_result_free(struct evald_result *res);

/* Does the client's socket say it is gone (EOF or error)? */
bool evald_client_gone(int client_fd);

#endif
