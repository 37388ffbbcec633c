/*
 * err: the one way errors leave a step, and the one place they are printed.
 */
#include "sbx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sbx_fail(struct sbx_err *err, const char *step, int errnum, const char *fmt, ...)
{
	va_list ap;

	err->step = step;
	err->errnum = errnum;
	err->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return -1;
}

void sbx_hint(struct sbx_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

size_t sbx_err_format(const struct sbx_err *err, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "sbx: %s: %s%s%s%s%s\n", err->step ? err->step : SBX_STEP_SETUP,
		     err->detail, err->errnum ? ": " : "", err->errnum ? strerror(err->errnum) : "",
		     err->hint[0] ? " (" : "", err->hint[0] ? err->hint : "");
	if (n < 0)
		return 0;
	if ((size_t)n >= size)
		n = (int)size - 1;
	/* The hint's closing parenthesis goes before the newline. */
	if (err->hint[0] && (size_t)n + 1 < size) {
		buf[n - 1] = ')';
		buf[n++] = '\n';
		buf[n] = '\0';
	}
	return (size_t)n;
}

void sbx_die(const struct sbx_err *err)
{
	char buf[768];
	size_t n = sbx_err_format(err, buf, sizeof(buf));

	if (n > 0 && write(STDERR_FILENO, buf, n) < 0) {
		/* Nothing more can be said; the status still tells. */
	}
	_exit(SBX_EXIT_SETUP);
}

static void say(const char *fmt, va_list ap)
{
	char buf[768];
	int n;
	int saved = errno;

	memcpy(buf, "sbx: ", 5);
	n = vsnprintf(buf + 5, sizeof(buf) - 6, fmt, ap);
	if (n < 0)
		return;
	n += 5;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* stderr closed: nothing to do */
	}
	errno = saved;
}

void sbx_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void sbx_log(int policy_level, int level, const char *fmt, ...)
{
	va_list ap;

	if (policy_level < level)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}
