/*
 * test_evald: sbx-evald's pure parts: base64, the request parser (every
 * error names its field), path validation, UTF-8 cleaning and cutting, and
 * the config file (errors name file:line and the key).
 *
 * The service's sources are compiled in here directly: the unit build links
 * libsbx.a only.
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../evald/base64.c"
#include "../../evald/config.c"
#include "../../evald/request.c"

static const struct evald_request_limits lim = { .max_args = 8, .max_files = 4,
						 .max_path_bytes = 64 };

static int decodes(const char *in, const char *want, size_t want_len)
{
	unsigned char out[64];
	size_t bad;
	long n = evald_b64_decode(in, strlen(in), out, &bad);

	return n == (long)want_len && memcmp(out, want, want_len) == 0;
}

static int rejects(const char *in, size_t want_bad)
{
	unsigned char out[64];
	size_t bad;

	return evald_b64_decode(in, strlen(in), out, &bad) < 0 && bad == want_bad;
}

static void test_base64(void)
{
	char enc[64];
	unsigned char all[256], back[400];
	size_t bad, i;

	CHECK(decodes("", "", 0), "base64: empty");
	CHECK(decodes("aGk=", "hi", 2), "base64: padded");
	CHECK(decodes("aGk", "hi", 2), "base64: unpadded");
	CHECK(decodes("aGVsbG8gd29ybGQ=", "hello world", 11), "base64: longer");
	CHECK(decodes("AA==", "\0", 1), "base64: a zero byte");
	CHECK(decodes("+/+/", "\xfb\xff\xbf", 3), "base64: + and /");
	CHECK(rejects("aGk!", 3), "base64: a character outside the alphabet, at its offset");
	CHECK(rejects("aG k", 2), "base64: whitespace refused");
	CHECK(rejects("a", 0), "base64: one character alone");
	CHECK(rejects("aGk==", 3), "base64: too much padding");
	CHECK(rejects("a=Gk", 1), "base64: padding in the middle");
	CHECK(rejects("aGl=", 2), "base64: non-zero trailing bits");
	CHECK(rejects("aGVsbG8-", 7), "base64: the URL alphabet is not the standard one");
	CHECK(evald_b64_encode((const unsigned char *)"hi", 2, enc) == 4 && strcmp(enc, "aGk=") == 0,
	      "base64: encode pads");
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (i = 0; i <= 256; i += 37) {
		char big[400];
		long n;

		evald_b64_encode(all, i, big);
		n = evald_b64_decode(big, strlen(big), back, &bad);
		CHECK(n == (long)i && memcmp(back, all, i) == 0, "base64: round trip of %zu bytes", i);
	}
}

static int parse_fails(const char *body, const char *field)
{
	struct evald_request req;
	struct evald_request_error err;
	int rc = evald_request_parse(body, strlen(body), &lim, &req, &err);

	if (rc == 0) {
		evald_request_free(&req);
		return 0;
	}
	/* The message starts with the field it names. */
	return strcmp(err.field, field) == 0 &&
	       (!*field || strncmp(err.message, field, strlen(field)) == 0) && err.message[0];
}

static void test_request(void)
{
	struct evald_request req;
	struct evald_request_error err;
	const char *ok = "{\"args\": [\"main.py\", \"x\"], \"files\": [{\"path\": \"main.py\", "
			 "\"content\": \"cHJpbnQoMSk=\"}, {\"path\": \"d/e.txt\"}]}";
	const char *legacy = "{\"input\": \"print(1)\"}";
	const char *both = "{\"args\": [\"-c\"], \"input\": \"1\", \"other\": 2}";

	CHECK(evald_request_parse(ok, strlen(ok), &lim, &req, &err) == 0 && req.n_args == 2 &&
		      strcmp(req.args[1], "x") == 0 && req.args[2] == NULL && req.n_files == 2 &&
		      req.files[0].size == 8 && memcmp(req.files[0].data, "print(1)", 8) == 0 &&
		      req.files[1].size == 0 && strcmp(req.files[1].path, "d/e.txt") == 0,
	      "request: args and files");
	evald_request_free(&req);
	CHECK(evald_request_parse(legacy, strlen(legacy), &lim, &req, &err) == 0 &&
		      req.n_args == 2 && strcmp(req.args[0], "-c") == 0 &&
		      strcmp(req.args[1], "print(1)") == 0,
	      "request: legacy input is args [\"-c\", input]");
	evald_request_free(&req);
	CHECK(evald_request_parse(both, strlen(both), &lim, &req, &err) == 0 &&
		      req.n_args == 2 && strcmp(req.args[1], "1") == 0,
	      "request: input appended to args (snekbox); unknown keys ignored");
	evald_request_free(&req);

	CHECK(parse_fails("{\"input\": ", ""), "request: not JSON");
	CHECK(parse_fails("[1]", ""), "request: not an object");
	CHECK(parse_fails("{\"args\": [\"a\"], \"args\": [\"b\"]}", ""), "request: duplicate key");
	CHECK(parse_fails("{}", "args"), "request: neither args nor input");
	CHECK(parse_fails("{\"args\": []}", "args"), "request: empty args");
	CHECK(parse_fails("{\"args\": \"x\"}", "args"), "request: args not an array");
	CHECK(parse_fails("{\"args\": [\"a\", 1]}", "args[1]"), "request: args item not a string");
	CHECK(parse_fails("{\"args\": [\"a\\u0000b\"]}", "args[0]"), "request: NUL in an argument");
	CHECK(parse_fails("{\"args\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}", "args"),
	      "request: too many args");
	CHECK(parse_fails("{\"input\": 3}", "input"), "request: input not a string");
	CHECK(parse_fails("{\"args\": [\"a\"], \"files\": 3}", "files"), "request: files not an array");
	CHECK(parse_fails("{\"args\": [\"a\"], \"files\": [3]}", "files[0]"),
	      "request: a file not an object");
	CHECK(parse_fails("{\"args\": [\"a\"], \"files\": [{}]}", "files[0].path"),
	      "request: file without path");
	CHECK(parse_fails("{\"args\": [\"a\"], \"files\": [{\"path\": 1}]}", "files[0].path"),
	      "request: path not a string");
	CHECK(parse_fails("{\"args\": [\"a\"], \"files\": [{\"path\": \"a\", \"content\": 1}]}",
			  "files[0].content"),
	      "request: content not a string");
	CHECK(parse_fails("{\"args\": [\"a\"], \"files\": [{\"path\": \"a\"}, {\"path\": \"b\", "
			  "\"content\": \"@@\"}]}",
			  "files[1].content"),
	      "request: bad base64 names the file");
	CHECK(parse_fails("{\"args\": [\"a\"], \"files\": [{\"path\": \"a\"}, {\"path\": \"a\"}]}",
			  "files[1].path"),
	      "request: the same path twice");
	CHECK(parse_fails("{\"args\": [\"a\"], \"files\": [{},{},{},{},{}]}", "files"),
	      "request: too many files");
}

static void test_paths(void)
{
	static const char *const good[] = { "a", "a/b", "a.b/c..d", ".hidden", "..x", "x/.y" };
	static const char *const bad[] = { "", "/a", "a/../b", "..", ".", "a/./b", "a//b", "a/",
					   "./a", "a/.." };
	char long_part[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(evald_path_problem(good[i], strlen(good[i]), 64) == NULL, "path: '%s' accepted",
		      good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(evald_path_problem(bad[i], strlen(bad[i]), 64) != NULL, "path: '%s' refused",
		      bad[i]);
	CHECK(evald_path_problem("a\0b", 3, 64) != NULL, "path: NUL refused");
	memset(long_part, 'x', sizeof(long_part) - 1);
	long_part[sizeof(long_part) - 1] = '\0';
	CHECK(evald_path_problem(long_part, strlen(long_part), 4096) != NULL,
	      "path: a component over 255 bytes refused");
	CHECK(evald_path_problem("abcdef", 6, 5) != NULL, "path: over the length limit refused");
}

static void test_utf8(void)
{
	const unsigned char mixed[] = "a\xc3\xa9z\xff\xe2\x82";
	const unsigned char euro[] = "ab\xe2\x82\xac";
	size_t n;
	char *clean = evald_utf8_clean(mixed, sizeof(mixed) - 1, &n);

	CHECK(clean && n == 1 + 2 + 1 + 3 + 3 + 3 &&
		      memcmp(clean, "a\xc3\xa9z\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", n) == 0,
	      "utf8: invalid bytes become U+FFFD, valid ones stay");
	free(clean);
	clean = evald_utf8_clean((const unsigned char *)"\xed\xa0\x80\xc0\xaf", 5, &n);
	CHECK(clean && n == 5 * 3, "utf8: surrogates and overlong forms are invalid");
	free(clean);
	CHECK(evald_utf8_cut(euro, 5, 3) == 2, "utf8: a cut never splits a character");
	CHECK(evald_utf8_cut(euro, 5, 5) == 5 && evald_utf8_cut(euro, 5, 2) == 2,
	      "utf8: a cut at a boundary stays");
}

static int config_error(const char *text, const char *want)
{
	char path[] = "/tmp/test_evald.XXXXXX";
	int fd = mkstemp(path);
	struct evald_config cfg;
	struct evald_config_error err = { { 0 } };
	int rc, ok;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return 0;
	close(fd);
	evald_config_defaults(&cfg);
	rc = evald_config_load_file(&cfg, path, &err);
	ok = want ? rc < 0 && strstr(err.message, want) != NULL : rc == 0;
	if (!ok)
		printf("# got: %s\n", err.message);
	evald_config_free(&cfg);
	unlink(path);
	return ok;
}

static void test_config(void)
{
	char long_line[300];
	struct evald_config cfg;
	struct evald_config_error err = { { 0 } };

	CHECK(config_error("[server]\nworkers = 4\nlisten = unix:/run/e.sock\n[eval]\npool = 0\n"
			   "output_limit = 64K ; inline comment\n",
			   NULL),
	      "config: a good file");
	CHECK(config_error("[server]\nworkers = two\n", ":2: server.workers: expected a whole number"),
	      "config: bad number names file:line and key");
	CHECK(config_error("[server]\nworkers = 0\n", ":2: server.workers: 0 is out of range"),
	      "config: out of range");
	CHECK(config_error("[server]\n\nnope = 1\n", ":3: server.nope: unknown key"),
	      "config: unknown key");
	CHECK(config_error("[servr]\n", ":1: unknown section [servr]"), "config: unknown section");
	CHECK(config_error("[eval]\npool = 1\npool = 2\n", ":3: eval.pool: given twice"),
	      "config: repeated key");
	CHECK(config_error("[eval]\npool = 1\n  2\n", ":3: indented line"),
	      "config: indented continuation refused");
	CHECK(config_error("pool = 1\n", ":1: pool: key outside a section"),
	      "config: key before any section");
	CHECK(config_error("[eval]\noutput_limit = 1T\n", ":2: eval.output_limit: expected a size"),
	      "config: bad size");
	CHECK(config_error("[server]\nsocket_mode = 999\n", ":2: server.socket_mode"),
	      "config: bad mode");
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	memcpy(long_line, "[eval]\npython=", 14);
	CHECK(config_error(long_line, ":2: line longer than"), "config: over-long line refused");
	evald_config_defaults(&cfg);
	CHECK(evald_config_set(&cfg, "eval", "pool", "7", "--pool", &err) == 0 && cfg.eval.pool == 7,
	      "config: a flag sets a key");
	CHECK(evald_config_set(&cfg, "eval", "pool", "x", "--pool", &err) < 0 &&
		      strncmp(err.message, "--pool: eval.pool:", 18) == 0,
	      "config: a flag's error names the flag");
	evald_config_free(&cfg);
}

int main(void)
{
	test_base64();
	test_request();
	test_paths();
	test_utf8();
	test_config();
	return CHECK_DONE();
}
