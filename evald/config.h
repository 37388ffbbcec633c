/*
 * config: sbx-evald's own settings, from built-in defaults, an INI file
 * (--config FILE, read with inih) and command-line flags, in that order.
 *
 * Parsing makes no system call beyond reading the file. Every error names
 * where the value came from and the key, as the policy's errors do:
 * "evald.ini:12: server.workers: expected a whole number, got 'two'".
 */
#ifndef EVALD_CONFIG_H
#define EVALD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evald_config {
	struct {
		char *listen;		/* "HOST:PORT" or "unix:PATH" */
		unsigned socket_mode;	/* mode of a unix socket */
		unsigned workers;	/* evaluations at once */
		unsigned queue;		/* evaluations waiting; more get 503 */
		unsigned max_connections;
		uint64_t max_body_bytes; /* larger bodies get 413 */
		uint64_t max_buffered_bytes; /* bodies being received, all together; more get 503 */
		unsigned connection_timeout_s; /* idle connection closed after */
		unsigned request_timeout_s;    /* whole request body must arrive within */
		unsigned drain_timeout_s;      /* SIGTERM: running evaluations get this long */
	} server;
	struct {
		unsigned pool;	     /* jails kept ready; 0 = every request starts one */
		char *policy;	     /* base jail policy; NULL = the built-in one */
		char *sandbox;	     /* sandbox.so; NULL = found next to the binary */
		char *python;	     /* the interpreter, as seen inside the jail */
		char *user_base;     /* PYTHONUSERBASE bound read-only; NULL = none */
		char *state_dir;     /* parent of the per-run directories; NULL = default */
		uint64_t output_limit_bytes; /* stdout+stderr cut here */
		unsigned max_args;
		unsigned max_files;	     /* files in a request */
		unsigned max_files_out;	     /* files returned */
		uint64_t max_files_out_bytes; /* their total size */
		unsigned start_timeout_s;     /* a jail must be ready within */
		bool unsafe_no_jail; /* development only: run python3 without sandbox.so */
	} eval;
};

struct evald_config_error {
	char message[512];
};

/* Fill cfg with the built-in defaults. */
int evald_config_defaults(struct evald_config *cfg);

/* Apply an INI file on top. */
int evald_config_load_file(struct evald_config *cfg, const char *path,
			   struct evald_config_error *err);

/* Apply one "section.key=value" (origin names it in messages, e.g. "--workers"). */
int evald_config_set(struct evald_config *cfg, const char *section, const char *key,
		     const char *value, const char *origin, struct evald_config_error *err);

void evald_config_free(struct evald_config *cfg);

/* Parse "8", "1.5"-free sizes: "512", "64K", "1M", "2G" into bytes. */
int evald_parse_size(const char *s, uint64_t *out);

#endif
