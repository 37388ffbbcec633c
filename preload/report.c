/*
 * report: how the run ended, as one JSON object (see report.h).
 *
 * jansson builds and escapes the text. Strings that are not valid UTF-8 (a
 * policy path is bytes) get U+FFFD for each bad byte, since JSON text is
 * UTF-8 and jansson refuses anything else.
 *
 * Atomic: the object goes to a new file in the report's own directory
 * (O_CREAT|O_EXCL, so nothing existing is ever written through), which
 * rename(2) then puts in place: a reader sees the old file, or none, or the
 * whole new one, never a part. There is no fsync(2): what is promised is a
 * complete file or none to the caller reading it after the run, which rename
 * gives; surviving a power cut is not, and a sync would cost every run a
 * journal commit (ext4, xfs and btrfs flush a file renamed over another before
 * the rename commits anyway).
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/audit.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* The x32 ABI's syscalls are x86_64's with this bit set (asm/unistd.h). */
#define X32_SYSCALL_BIT 0x40000000

/* "SIGKILL", "SIGRTMIN+3", or "SIG<n>". */
static void signal_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, size, "SIG%d", sig);
}

/* The names libseccomp uses for the AUDIT_ARCH_* values seccomp reports. */
static void arch_name(uint32_t arch, int nr, char *buf, size_t size)
{
	static const struct {
		uint32_t arch;
		const char *name;
	} names[] = {
		{ AUDIT_ARCH_X86_64, "x86_64" },     { AUDIT_ARCH_I386, "x86" },
		{ AUDIT_ARCH_AARCH64, "aarch64" },   { AUDIT_ARCH_ARM, "arm" },
		{ AUDIT_ARCH_RISCV64, "riscv64" },   { AUDIT_ARCH_PPC64, "ppc64" },
		{ AUDIT_ARCH_PPC64LE, "ppc64le" },   { AUDIT_ARCH_S390X, "s390x" },
		{ AUDIT_ARCH_MIPS64, "mips64" },     { AUDIT_ARCH_MIPSEL64, "mipsel64" },
		{ AUDIT_ARCH_LOONGARCH64, "loongarch64" },
	};

	if (arch == AUDIT_ARCH_X86_64 && nr >= 0 && (nr & X32_SYSCALL_BIT)) {
		snprintf(buf, size, "x32");
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].arch == arch) {
			snprintf(buf, size, "%s", names[i].name);
			return;
		}
	}
	snprintf(buf, size, "0x%08x", arch);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0 if there is none. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		/* No overlong forms (e0 a0..), no surrogates (ed 80..9f). */
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		/* Up to U+10FFFF. */
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
			       ? 4
			       : 0;
	}
	return 0;
}

/* A JSON string for s (null for NULL), bad UTF-8 bytes replaced by U+FFFD. */
static json_t *text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, out = 0;
	char *copy;
	json_t *j;
	bool valid = true;

	if (!s)
		return json_null();
	for (const unsigned char *q = p; *q;) {
		size_t n = utf8_seq(q);

		if (!n) {
			valid = false;
			break;
		}
		q += n;
	}
	if (valid)
		return json_string(s);
	len = strlen(s);
	copy = malloc(len * 3 + 1);
	if (!copy)
		return NULL;
	while (*p) {
		size_t n = utf8_seq(p);

		if (n) {
			memcpy(copy + out, p, n);
			out += n;
			p += n;
		} else {
			memcpy(copy + out, "\xef\xbf\xbd", 3);
			out += 3;
			p++;
		}
	}
	copy[out] = '\0';
	j = json_string(copy);
	free(copy);
	return j;
}

/* Seconds, to the microsecond; null if the number is not one. */
static json_t *seconds(double s)
{
	/* Rounded by hand: libm is not linked. 1e12 s is about 31700 years. */
	if (!isfinite(s) || s < 0 || s > 1e12)
		return json_null();
	return json_real((double)(int64_t)(s * 1e6 + 0.5) / 1e6);
}

static json_t *count_or_null(int64_t n)
{
	return n >= 0 ? json_integer(n) : json_null();
}

/* The report as a JSON object; NULL when out of memory. */
static json_t *build(const struct sbx_run_result *r)
{
	char sig[32], arch[32];
	bool has_syscall = r->syscall || r->syscall_nr >= 0;
	json_t *o = json_object();
	struct {
		const char *key;
		json_t *value;
	} fields[] = {
		{ "status", json_integer(r->status) },
		{ "reason", text(r->reason) },
		{ "signal", NULL },
		{ "syscall", text(r->syscall) },
		{ "syscall_nr", r->syscall_nr >= 0 ? json_integer(r->syscall_nr) : json_null() },
		{ "syscall_arch", NULL },
		{ "wall_s", seconds(r->wall_s) },
		{ "cpu_user_s", seconds(r->cpu_user_s) },
		{ "cpu_sys_s", seconds(r->cpu_sys_s) },
		{ "peak_memory_bytes", count_or_null(r->peak_memory_bytes) },
		{ "policy", text(r->policy) },
		{ "setup_error", text(r->setup_error) },
		{ "net_bytes_sent", count_or_null(r->net_bytes_sent) },
		{ "net_bytes_received", count_or_null(r->net_bytes_received) },
	};
	bool ok = o != NULL;

	if (r->signal > 0) {
		signal_name(r->signal, sig, sizeof(sig));
		fields[2].value = json_string(sig);
	} else {
		fields[2].value = json_null();
	}
	if (has_syscall && r->syscall_arch) {
		arch_name(r->syscall_arch, r->syscall_nr, arch, sizeof(arch));
		fields[5].value = json_string(arch);
	} else {
		fields[5].value = json_null();
	}
	/* json_object_set_new() takes each value, NULL included (it fails then). */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!ok || !fields[i].value || json_object_set_new(o, fields[i].key, fields[i].value))
			ok = false;
		if (!ok && fields[i].value)
			json_decref(fields[i].value);
		fields[i].value = NULL;
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fail(struct sbx_err *err, int errnum, const char *what, const char *path)
{
	sbx_fail(err, SBX_STEP_REPORT, errnum, "%s %s", what, path);
	if (errnum == EACCES || errnum == EPERM || errnum == EROFS || errnum == ENOENT)
		sbx_hint(err, "[sandbox] report: its directory must exist and be writable by the caller");
	return -1;
}

int sbx_report_write(const char *path, const struct sbx_run_result *r, struct sbx_err *err)
{
	char tmp[4096];
	const char *slash = strrchr(path, '/');
	json_t *o;
	char *out;
	uint32_t rnd = 0;
	int fd, n, e;

	o = build(r);
	if (!o)
		return fail(err, ENOMEM, "build the report for", path);
	out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(o);
	if (!out)
		return fail(err, ENOMEM, "format the report for", path);

	/* A new name next to the report: rename(2) works only within a filesystem. */
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)(uintptr_t)out ^ (uint32_t)getpid();
	if (slash)
		n = snprintf(tmp, sizeof(tmp), "%.*s/.sbx-report-%d-%08x.tmp", (int)(slash - path),
			     path, (int)getpid(), rnd);
	else
		n = snprintf(tmp, sizeof(tmp), ".sbx-report-%d-%08x.tmp", (int)getpid(), rnd);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		free(out);
		return fail(err, ENAMETOOLONG, "write the report", path);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		e = errno;
		free(out);
		return fail(err, e, "create a file next to the report", path);
	}
	if (write_all(fd, out, strlen(out)) < 0 || write_all(fd, "\n", 1) < 0) {
		e = errno;
		goto undo;
	}
	/* close(2) can report a write error of its own (NFS, quota). */
	if (close(fd) < 0) {
		fd = -1;
		e = errno;
		goto undo;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		e = errno;
		goto undo;
	}
	free(out);
	return 0;
undo:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(out);
	return fail(err, e, "write the report", path);
}
