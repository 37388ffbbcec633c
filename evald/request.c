/*
 * request: POST /eval's body -> struct evald_request, with errors that name
 * the field. jansson does the JSON (json_loadb(3) rejects invalid UTF-8 and
 * trailing garbage); the rules of the API are here.
 */
#include "request.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static int field_fail(struct evald_request_error *err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int field_fail(struct evald_request_error *err, const char *field, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err->field, sizeof(err->field), "%s", field);
	if (field[0])
		snprintf(err->message, sizeof(err->message), "%s: %s", field, why);
	else
		snprintf(err->message, sizeof(err->message), "%s", why);
	return -1;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

const char *evald_path_problem(const char *path, size_t len, size_t max_bytes)
{
	const char *p = path, *end = path + len;

	if (len == 0)
		return "empty path";
	if (len > max_bytes)
		return "path too long";
	if (memchr(path, '\0', len))
		return "path contains a NUL character";
	if (path[0] == '/')
		return "absolute path (paths are relative to the home directory)";
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);

		if (n == 0)
			return slash == end - 1 ? "path ends with '/'" : "empty path component ('//')";
		if (n == 1 && p[0] == '.')
			return "'.' path component";
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "'..' path component";
		if (n > 255)
			return "path component longer than 255 bytes";
		if (!slash)
			break;
		p = slash + 1;
		if (p == end)
			return "path ends with '/'";
	}
	return NULL;
}

static int parse_args(json_t *jargs, json_t *jinput, const struct evald_request_limits *lim,
		      struct evald_request *req, struct evald_request_error *err)
{
	size_t n = 0, i;

	if (jargs) {
		if (!json_is_array(jargs))
			return field_fail(err, "args", "must be an array of strings, not %s",
				    type_name(jargs));
		n = json_array_size(jargs);
	}
	if (jinput && !json_is_string(jinput))
		return field_fail(err, "input", "must be a string, not %s", type_name(jinput));
	if (!jargs && !jinput)
		return field_fail(err, "args", "missing: give \"args\" (or the legacy \"input\")");
	if (jinput && !jargs)
		n = 1; /* the legacy default: ["-c"] */
	if (n + (jinput ? 1 : 0) == 0)
		return field_fail(err, "args", "must not be empty");
	if (n + (jinput ? 1 : 0) > lim->max_args)
		return field_fail(err, "args", "more than %zu arguments", lim->max_args);

	req->args = calloc(n + 2, sizeof(char *));
	if (!req->args)
		return field_fail(err, "", "out of memory");
	for (i = 0; i < n; i++) {
		char field[32];
		json_t *a = jargs ? json_array_get(jargs, i) : NULL;
		const char *s = a ? json_string_value(a) : "-c";

		snprintf(field, sizeof(field), "args[%zu]", i);
		if (a && !json_is_string(a))
			return field_fail(err, field, "must be a string, not %s", type_name(a));
		/* Arguments become C strings (argv): an embedded NUL cannot pass. */
		if (a && strlen(s) != json_string_length(a))
			return field_fail(err, field, "contains a NUL character");
		req->args[req->n_args] = strdup(s);
		if (!req->args[req->n_args])
			return field_fail(err, "", "out of memory");
		req->n_args++;
	}
	if (jinput) {
		if (strlen(json_string_value(jinput)) != json_string_length(jinput))
			return field_fail(err, "input", "contains a NUL character");
		req->args[req->n_args] = strdup(json_string_value(jinput));
		if (!req->args[req->n_args])
			return field_fail(err, "", "out of memory");
		req->n_args++;
	}
	return 0;
}

static int parse_files(json_t *jfiles, const struct evald_request_limits *lim,
		       struct evald_request *req, struct evald_request_error *err)
{
	size_t n, i, j;

	if (!jfiles || json_is_null(jfiles))
		return 0;
	if (!json_is_array(jfiles))
		return field_fail(err, "files", "must be an array of objects, not %s", type_name(jfiles));
	n = json_array_size(jfiles);
	if (n > lim->max_files)
		return field_fail(err, "files", "more than %zu files", lim->max_files);
	req->files = calloc(n ? n : 1, sizeof(*req->files));
	if (!req->files)
		return field_fail(err, "", "out of memory");
	for (i = 0; i < n; i++) {
		json_t *f = json_array_get(jfiles, i), *jpath, *jcontent;
		struct evald_file *file = &req->files[i];
		char field[48];
		const char *why, *b64;
		size_t b64_len, bad_at;
		long got;

		snprintf(field, sizeof(field), "files[%zu]", i);
		if (!json_is_object(f))
			return field_fail(err, field, "must be an object, not %s", type_name(f));
		jpath = json_object_get(f, "path");
		snprintf(field, sizeof(field), "files[%zu].path", i);
		if (!jpath)
			return field_fail(err, field, "missing");
		if (!json_is_string(jpath))
			return field_fail(err, field, "must be a string, not %s", type_name(jpath));
		why = evald_path_problem(json_string_value(jpath), json_string_length(jpath),
					 lim->max_path_bytes);
		if (why)
			return field_fail(err, field, "%s", why);
		for (j = 0; j < i; j++)
			if (strcmp(req->files[j].path, json_string_value(jpath)) == 0)
				return field_fail(err, field, "the same path as files[%zu]", j);
		file->path = strdup(json_string_value(jpath));
		if (!file->path)
			return field_fail(err, "", "out of memory");
		req->n_files++;

		snprintf(field, sizeof(field), "files[%zu].content", i);
		jcontent = json_object_get(f, "content");
		if (jcontent && !json_is_string(jcontent) && !json_is_null(jcontent))
			return field_fail(err, field, "must be a base64 string, not %s",
				    type_name(jcontent));
		b64 = jcontent && json_is_string(jcontent) ? json_string_value(jcontent) : "";
		b64_len = jcontent && json_is_string(jcontent) ? json_string_length(jcontent) : 0;
		file->data = malloc(evald_b64_decoded_max(b64_len));
		if (!file->data)
			return field_fail(err, "", "out of memory");
		got = evald_b64_decode(b64, b64_len, file->data, &bad_at);
		if (got < 0)
			return field_fail(err, field, "not valid base64 (at offset %zu)", bad_at);
		file->size = (size_t)got;
	}
	return 0;
}

int evald_request_parse(const char *body, size_t len, const struct evald_request_limits *lim,
			struct evald_request *req, struct evald_request_error *err)
{
	json_error_t jerr;
	json_t *root;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	/*
	 * JSON_REJECT_DUPLICATES: {"args": .., "args": ..} is ambiguous; say so.
	 * JSON_ALLOW_NUL: a "\u0000" gets our error, which names the field.
	 */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		field_fail(err, "", "body is not valid JSON: %s (line %d, column %d)", jerr.text,
		     jerr.line, jerr.column);
		return -1;
	}
	if (!json_is_object(root)) {
		field_fail(err, "", "body must be a JSON object, not %s", type_name(root));
		goto out;
	}
	if (parse_args(json_object_get(root, "args"), json_object_get(root, "input"), lim, req,
		       err) < 0)
		goto out;
	if (parse_files(json_object_get(root, "files"), lim, req, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		evald_request_free(req);
	return rc;
}

void evald_request_free(struct evald_request *req)
{
	size_t i;

	for (i = 0; req->args && i < req->n_args; i++)
		free(req->args[i]);
	free(req->args);
	for (i = 0; req->files && i < req->n_files; i++) {
		free(req->files[i].path);
		free(req->files[i].data);
	}
	free(req->files);
	memset(req, 0, sizeof(*req));
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t evald_utf8_cut(const unsigned char *text, size_t len, size_t max)
{
	size_t i;

	if (len <= max)
		return len;
	/* Step back over at most 3 continuation bytes to a character's start. */
	i = max;
	while (i > 0 && max - i < 3 && (text[i] & 0xc0) == 0x80)
		i--;
	if ((text[i] & 0xc0) == 0x80)
		return max; /* not UTF-8 there anyway: cut where asked */
	if (i + utf8_seq(text + i, len - i) <= max)
		return max;
	return i;
}

char *evald_utf8_clean(const unsigned char *text, size_t len, size_t *out_len)
{
	/* Worst case: every byte becomes U+FFFD (3 bytes). */
	char *out = malloc(len * 3 + 1);
	size_t i = 0, o = 0;

	if (!out)
		return NULL;
	while (i < len) {
		size_t n = utf8_seq(text + i, len - i);

		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, text + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}
