/*
 * config: the table of keys and their parsers, and the inih glue.
 *
 * Debian 12's inih (r55) gives the handler no line number, lets an indented
 * line continue the previous key and splits lines over 199 bytes, so the file
 * goes through our own line reader (as the policy's does): it counts lines,
 * rejects over-long and indented lines and checks section names itself.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <linux/limits.h> /* PATH_MAX; <limits.h> would find preload/limits.h */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_STRING, K_PATH, K_UINT, K_SIZE, K_MODE, K_BOOL };

struct key {
	const char *section, *name;
	enum kind kind;
	size_t offset;
	unsigned min, max; /* K_UINT */
};

#define OFF(f) offsetof(struct evald_config, f)
static const struct key keys[] = {
	{ "server", "listen", K_STRING, OFF(server.listen), 0, 0 },
	{ "server", "socket_mode", K_MODE, OFF(server.socket_mode), 0, 0 },
	{ "server", "workers", K_UINT, OFF(server.workers), 1, 256 },
	{ "server", "queue", K_UINT, OFF(server.queue), 0, 100000 },
	{ "server", "max_connections", K_UINT, OFF(server.max_connections), 4, 60000 },
	{ "server", "max_body", K_SIZE, OFF(server.max_body_bytes), 0, 0 },
	{ "server", "max_buffered", K_SIZE, OFF(server.max_buffered_bytes), 0, 0 },
	{ "server", "connection_timeout", K_UINT, OFF(server.connection_timeout_s), 1, 3600 },
	{ "server", "request_timeout", K_UINT, OFF(server.request_timeout_s), 1, 3600 },
	{ "server", "drain_timeout", K_UINT, OFF(server.drain_timeout_s), 0, 3600 },
	{ "eval", "pool", K_UINT, OFF(eval.pool), 0, 1024 },
	{ "eval", "policy", K_PATH, OFF(eval.policy), 0, 0 },
	{ "eval", "sandbox", K_PATH, OFF(eval.sandbox), 0, 0 },
	{ "eval", "python", K_PATH, OFF(eval.python), 0, 0 },
	{ "eval", "user_base", K_PATH, OFF(eval.user_base), 0, 0 },
	{ "eval", "state_dir", K_PATH, OFF(eval.state_dir), 0, 0 },
	{ "eval", "output_limit", K_SIZE, OFF(eval.output_limit_bytes), 0, 0 },
	{ "eval", "max_args", K_UINT, OFF(eval.max_args), 1, 100000 },
	{ "eval", "max_files", K_UINT, OFF(eval.max_files), 0, 100000 },
	{ "eval", "max_files_out", K_UINT, OFF(eval.max_files_out), 0, 100000 },
	{ "eval", "max_files_out_size", K_SIZE, OFF(eval.max_files_out_bytes), 0, 0 },
	{ "eval", "start_timeout", K_UINT, OFF(eval.start_timeout_s), 1, 3600 },
	{ "eval", "unsafe_no_jail", K_BOOL, OFF(eval.unsafe_no_jail), 0, 0 },
};

static int config_fail(struct evald_config_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int config_fail(struct evald_config_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

int evald_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'K':
	case 'k':
		mult = 1024;
		end++;
		break;
	case 'M':
	case 'm':
		mult = 1024 * 1024;
		end++;
		break;
	case 'G':
	case 'g':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (*end || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int evald_config_set(struct evald_config *cfg, const char *section, const char *name,
		     const char *value, const char *origin, struct evald_config_error *err)
{
	const struct key *k = NULL;
	size_t i;
	void *field;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			k = &keys[i];
	if (!k)
		return config_fail(err, "%s: %s.%s: unknown key", origin, section, name);
	field = (char *)cfg + k->offset;
	switch (k->kind) {
	case K_STRING:
	case K_PATH: {
		char **p = field, *copy;

		if (k->kind == K_STRING && !*value)
			return config_fail(err, "%s: %s.%s: must not be empty", origin, section, name);
		copy = *value ? strdup(value) : NULL;
		if (*value && !copy)
			return config_fail(err, "%s: out of memory", origin);
		free(*p);
		*p = copy;
		return 0;
	}
	case K_UINT: {
		unsigned v;

		if (parse_uint(value, &v) < 0)
			return config_fail(err, "%s: %s.%s: expected a whole number, got '%s'", origin,
				    section, name, value);
		if (v < k->min || v > k->max)
			return config_fail(err, "%s: %s.%s: %u is out of range (%u to %u)", origin,
				    section, name, v, k->min, k->max);
		*(unsigned *)field = v;
		return 0;
	}
	case K_SIZE:
		if (evald_parse_size(value, field) < 0)
			return config_fail(err, "%s: %s.%s: expected a size like 512K, 1M or 2G, got '%s'",
				    origin, section, name, value);
		return 0;
	case K_MODE: {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(value, &end, 8);
		if (!*value || errno || *end || v > 0777)
			return config_fail(err, "%s: %s.%s: expected an octal mode like 0660, got '%s'",
				    origin, section, name, value);
		*(unsigned *)field = (unsigned)v;
		return 0;
	}
	case K_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
			*(bool *)field = false;
		else
			return config_fail(err, "%s: %s.%s: expected yes or no, got '%s'", origin,
				    section, name, value);
		return 0;
	}
	return config_fail(err, "%s: %s.%s: internal error", origin, section, name);
}

int evald_config_defaults(struct evald_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->server.listen = strdup("127.0.0.1:8060");
	cfg->server.socket_mode = 0660;
	cfg->server.workers = 2;
	cfg->server.queue = 16;
	cfg->server.max_connections = 256;
	cfg->server.max_body_bytes = 16 * 1024 * 1024;
	cfg->server.max_buffered_bytes = 256 * 1024 * 1024;
	cfg->server.connection_timeout_s = 10;
	cfg->server.request_timeout_s = 30;
	cfg->server.drain_timeout_s = 30;
	cfg->eval.pool = 4;
	cfg->eval.python = strdup("/usr/bin/python3");
	cfg->eval.output_limit_bytes = 1024 * 1024;
	cfg->eval.max_args = 256;
	cfg->eval.max_files = 100;
	cfg->eval.max_files_out = 100;
	cfg->eval.max_files_out_bytes = 16 * 1024 * 1024;
	cfg->eval.start_timeout_s = 10;
	return cfg->server.listen && cfg->eval.python ? 0 : -1;
}

void evald_config_free(struct evald_config *cfg)
{
	free(cfg->server.listen);
	free(cfg->eval.policy);
	free(cfg->eval.sandbox);
	free(cfg->eval.python);
	free(cfg->eval.user_base);
	free(cfg->eval.state_dir);
	memset(cfg, 0, sizeof(*cfg));
}

/* The state shared by the line reader and the handler. */
struct load {
	struct evald_config *cfg;
	struct evald_config_error *err;
	const char *path;
	FILE *file;
	int line;
	bool failed;
	char seen[sizeof(keys) / sizeof(keys[0])];
};

static bool known_section(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].section) == n && strncmp(keys[i].section, name, n) == 0)
			return true;
	return false;
}

/* inih's reader: fgets(3) that counts lines and refuses what r55 mishandles. */
static char *read_line(char *buf, int size, void *stream)
{
	struct load *ld = stream;
	size_t n;
	const char *p;

	if (ld->failed || !fgets(buf, size, ld->file))
		return NULL;
	ld->line++;
	n = strlen(buf);
	if (n == (size_t)size - 1 && buf[n - 1] != '\n' && !feof(ld->file)) {
		config_fail(ld->err, "%s:%d: line longer than %d bytes", ld->path, ld->line, size - 2);
		ld->failed = true;
		return NULL;
	}
	p = buf;
	if (*p == ' ' || *p == '\t') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '\n' && *p != '\r' && *p != ';' && *p != '#') {
			config_fail(ld->err, "%s:%d: indented line (a key starts at the beginning of a line)",
			     ld->path, ld->line);
			ld->failed = true;
			return NULL;
		}
	}
	if (*p == '[') {
		const char *end = strchr(p, ']');

		if (!end || !known_section(p + 1, (size_t)(end - p - 1))) {
			config_fail(ld->err, "%s:%d: unknown section %.*s (sections: server, eval)",
			     ld->path, ld->line, end ? (int)(end - p + 1) : (int)strcspn(p, "\r\n"),
			     p);
			ld->failed = true;
			return NULL;
		}
	}
	return buf;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	char origin[PATH_MAX + 16];
	size_t i;

	snprintf(origin, sizeof(origin), "%s:%d", ld->path, ld->line);
	if (!*section) {
		config_fail(ld->err, "%s: %s: key outside a section", origin, name);
		ld->failed = true;
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) || strcmp(keys[i].name, name))
			continue;
		if (ld->seen[i]) {
			config_fail(ld->err, "%s: %s.%s: given twice", origin, section, name);
			ld->failed = true;
			return 0;
		}
		ld->seen[i] = 1;
	}
	if (evald_config_set(ld->cfg, section, name, value, origin, ld->err) < 0) {
		ld->failed = true;
		return 0;
	}
	return 1;
}

int evald_config_load_file(struct evald_config *cfg, const char *path,
			   struct evald_config_error *err)
{
	struct load ld = { .cfg = cfg, .err = err, .path = path };
	int rc;

	ld.file = fopen(path, "re");
	if (!ld.file)
		return config_fail(err, "%s: %s", path, strerror(errno));
	rc = ini_parse_stream(read_line, &ld, on_key, &ld);
	fclose(ld.file);
	if (ld.failed)
		return -1;
	if (rc != 0)
		return config_fail(err, "%s:%d: syntax error (expected [section] or key = value)", path,
			    rc > 0 ? rc : ld.line);
	return 0;
}
