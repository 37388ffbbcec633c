/*
 * request: the body of POST /eval, parsed and validated, and the answer.
 *
 * Pure: no system call. The parser turns the JSON body into plain data or an
 * error that names the field ("files[2].content: not valid base64"), so the
 * HTTP layer answers 400 with it. Compatible with snekbox: {"args": [...],
 * "files": [{"path", "content"}]} or the legacy {"input": "code"}, which
 * appends the code to args (default ["-c"]).
 */
#ifndef EVALD_REQUEST_H
#define EVALD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


struct evald_file {
	char *path;	     /* relative, validated: no "..", ".", empty or absolute */
	unsigned char *data; /* decoded content */
	size_t size;
};

struct evald_request {
	char **args; /* python's arguments, NULL-terminated */
	size_t n_args;
	struct evald_file *files;
	size_t n_files;
};

struct evald_request_error {
	char field[128];   /* "files[2].content", or "" for the body as a whole */
	char message[256]; /* "files[2].content: not valid base64 (at offset 7)" */
};

struct evald_request_limits {
	size_t max_args;	/* number of args */
	size_t max_files;	/* number of files in */
	size_t max_path_bytes;	/* a file's path */
};

/* Parse body (len bytes). Returns 0, or -1 with *err filled. */
int evald_request_parse(const char *body, size_t len, const struct evald_request_limits *lim,
			struct evald_request *req, struct evald_request_error *err);

void evald_request_free(struct evald_request *req);

/* Is path an acceptable file path (relative, normalised)? NULL = yes, else why not. */
const char *evald_path_problem(const char *path, size_t len, size_t max_bytes);

/*
 * Make text valid UTF-8 for JSON: each byte that starts no valid sequence
 * becomes U+FFFD, as Python's errors="replace" does. Returns a malloc'd,
 * NUL-terminated string (which may hold NULs) and its length in *out_len.
 */
char *evald_utf8_clean(const unsigned char *text, size_t len, size_t *out_len);

/* The longest prefix of text (at most max bytes) that does not split a UTF-8 sequence. */
size_t evald_utf8_cut(const unsigned char *text, size_t len, size_t max);

#endif
