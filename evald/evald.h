/*
 * evald.h: what the parts of sbx-evald share: the settings as resolved at
 * startup (absolute paths, the effective jail policy) and small helpers.
 */
#ifndef EVALD_H
#define EVALD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

struct evald_zygote;

/* The runner (evald/runner.py) and the shipped base policy, compiled in. */
extern const char evald_runner_py[];
extern const char evald_policy_ini[];

/* Where a jail's home is, inside. */
#define EVALD_HOME "/home/sandbox"
/* Where the user base is bound, inside. */
#define EVALD_USER_BASE "/opt/sbx-evald/userbase"
/* What the runner writes when its startup is done and it waits for the request. */
#define EVALD_READY_MARKER "\x1esbx-evald-ready\n"

struct evald {
	struct evald_config cfg;
	char *sandbox_path;   /* absolute path of sandbox.so */
	char *state_dir;      /* our own directory: the policy and the per-run directories */
	char *policy_path;    /* the effective jail policy, inside state_dir */
	char *policy_name;    /* the base policy, for messages: a path or "built-in" */
	uint64_t wall_ms;     /* each evaluation's wall time, from the handover */
	char wall_text[32];   /* as the policy wrote it, for the message */
	bool as_root;	      /* jails map to host uid 65534: chown their home to it */
	struct evald_zygote *zygote; /* makes the jails when the pool is on; NULL: cold starts */
};

/* Monotonic milliseconds. */
static inline double evald_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One line on stderr, prefixed "sbx-evald: ", written in one write(2). */
void evald_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
