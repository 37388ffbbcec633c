/*
 * test_report: the run report, written and read back with jansson: every
 * field, the nulls, escaping, and the atomic write (no temporary file left,
 * the old report replaced whole, errors for a directory that cannot be used).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static char dir[64];

static struct sbx_run_result full(void)
{
	struct sbx_run_result r = {
		.status = 159,
		.reason = "seccomp",
		.signal = SIGSYS,
		.syscall = "ptrace",
		.syscall_nr = 101,
		.syscall_arch = AUDIT_ARCH_X86_64,
		.wall_s = 1.25,
		.cpu_user_s = 0.1234567,
		.cpu_sys_s = 0.5,
		.peak_memory_bytes = 12345678,
		.policy = "/etc/sbx/sandbox.ini",
		.setup_error = NULL,
		.net_bytes_sent = 10,
		.net_bytes_received = 20,
	};
	return r;
}

static struct sbx_run_result nothing(void)
{
	struct sbx_run_result r = {
		.status = 0,
		.reason = "exit",
		.signal = 0,
		.syscall = NULL,
		.syscall_nr = -1,
		.syscall_arch = 0,
		.peak_memory_bytes = -1,
		.policy = "built-in",
		.setup_error = NULL,
		.net_bytes_sent = -1,
		.net_bytes_received = -1,
	};
	return r;
}

/* Write r to dir/name and load it back; NULL when either fails. */
static json_t *round_trip(const char *name, const struct sbx_run_result *r)
{
	char path[128];
	struct sbx_err err = { 0 };
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sbx_report_write(path, r, &err) < 0) {
		printf("# write %s: %s\n", path, err.detail);
		return NULL;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		printf("# load %s: %s at %d\n", path, jerr.text, jerr.line);
	return j;
}

static bool is_str(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static bool is_int(json_t *o, const char *key, json_int_t want)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) == want;
}

static bool is_real(json_t *o, const char *key, double want)
{
	json_t *v = json_object_get(o, key);
	double d = json_number_value(v);

	return json_is_number(v) && d > want - 1e-9 && d < want + 1e-9;
}

static bool is_null(json_t *o, const char *key)
{
	return json_is_null(json_object_get(o, key));
}

/* Temporary files left in dir (they are the only dot files it may hold). */
static int strays(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		printf("# stray file %s\n", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void test_fields(void)
{
	struct sbx_run_result r = full();
	json_t *j = round_trip("full.json", &r);

	CHECK(j && json_is_object(j), "test_report/valid_json");
	if (!j)
		return;
	CHECK(json_object_size(j) == 14, "test_report/field_count %zu", json_object_size(j));
	CHECK(is_int(j, "status", 159), "test_report/status");
	CHECK(is_str(j, "reason", "seccomp"), "test_report/reason");
	CHECK(is_str(j, "signal", "SIGSYS"), "test_report/signal_name");
	CHECK(is_str(j, "syscall", "ptrace"), "test_report/syscall");
	CHECK(is_int(j, "syscall_nr", 101), "test_report/syscall_nr");
	CHECK(is_str(j, "syscall_arch", "x86_64"), "test_report/syscall_arch");
	CHECK(is_real(j, "wall_s", 1.25), "test_report/wall_s");
	CHECK(is_real(j, "cpu_user_s", 0.123457), "test_report/cpu_user_s_to_the_microsecond");
	CHECK(is_real(j, "cpu_sys_s", 0.5), "test_report/cpu_sys_s");
	CHECK(is_int(j, "peak_memory_bytes", 12345678), "test_report/peak_memory_bytes");
	CHECK(is_str(j, "policy", "/etc/sbx/sandbox.ini"), "test_report/policy");
	CHECK(is_null(j, "setup_error"), "test_report/setup_error_null");
	CHECK(is_int(j, "net_bytes_sent", 10) && is_int(j, "net_bytes_received", 20),
	      "test_report/net_bytes");
	json_decref(j);
}

static void test_nulls(void)
{
	struct sbx_run_result r = nothing();
	json_t *j = round_trip("nothing.json", &r);

	if (!j) {
		CHECK(0, "test_report/nulls_written");
		return;
	}
	CHECK(is_int(j, "status", 0) && is_str(j, "reason", "exit"), "test_report/exit_0");
	CHECK(is_null(j, "signal"), "test_report/signal_null");
	CHECK(is_null(j, "syscall") && is_null(j, "syscall_nr") && is_null(j, "syscall_arch"),
	      "test_report/syscall_null");
	CHECK(is_null(j, "peak_memory_bytes"), "test_report/peak_null");
	CHECK(is_null(j, "net_bytes_sent") && is_null(j, "net_bytes_received"),
	      "test_report/net_null");
	CHECK(is_real(j, "wall_s", 0) && is_real(j, "cpu_user_s", 0), "test_report/zero_times");
	json_decref(j);

	/* A syscall known by number only, of the x32 ABI; and a real-time signal. */
	r = nothing();
	r.syscall_nr = 0x40000000 | 101;
	r.syscall_arch = AUDIT_ARCH_X86_64;
	r.signal = SIGRTMIN + 2;
	r.wall_s = -1; /* not a duration */
	r.policy = NULL;
	r.reason = NULL;
	j = round_trip("x32.json", &r);
	CHECK(j && is_null(j, "syscall") && is_int(j, "syscall_nr", 0x40000000 | 101) &&
		      is_str(j, "syscall_arch", "x32"),
	      "test_report/syscall_nr_without_name");
	CHECK(j && is_str(j, "signal", "SIGRTMIN+2"), "test_report/signal_rt");
	CHECK(j && is_null(j, "wall_s") && is_null(j, "policy") && is_null(j, "reason"),
	      "test_report/bad_values_null");
	json_decref(j);

	r = nothing();
	r.syscall = "bpf";
	r.syscall_nr = 321;
	r.syscall_arch = 0x12345678;
	r.signal = SIGKILL;
	j = round_trip("arch.json", &r);
	CHECK(j && is_str(j, "syscall_arch", "0x12345678") && is_str(j, "signal", "SIGKILL"),
	      "test_report/unknown_arch_hex");
	json_decref(j);
}

static void test_escaping(void)
{
	const char *nasty = "sbx: mount: bind \"/srv/a b\" on /x\\y:\n\ttab\x01\x1f end";
	struct sbx_run_result r = nothing();
	char path[128], raw[1024];
	json_t *j;
	int fd;
	ssize_t n;

	r.status = 125;
	r.reason = "setup";
	r.setup_error = nasty;
	r.policy = "/tmp/bad-\xff\xfe-utf8/\xc3\xa9t\xc3\xa9.ini"; /* bytes, then valid é */
	j = round_trip("escape.json", &r);
	CHECK(j && is_str(j, "setup_error", nasty), "test_report/escaped_round_trip");
	CHECK(j && is_str(j, "policy", "/tmp/bad-\xef\xbf\xbd\xef\xbf\xbd-utf8/\xc3\xa9t\xc3\xa9.ini"),
	      "test_report/bad_utf8_replaced");
	json_decref(j);

	snprintf(path, sizeof(path), "%s/escape.json", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, raw, sizeof(raw) - 1) : -1;
	if (fd >= 0)
		close(fd);
	raw[n > 0 ? n : 0] = '\0';
	CHECK(strstr(raw, "\\\"/srv/a b\\\"") && strcasestr(raw, "\\n\\ttab\\u0001\\u001f") &&
		      strstr(raw, "/x\\\\y"),
	      "test_report/escapes_in_text");
	bool raw_control = false;
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)raw[i] < 0x20 && raw[i] != '\n')
			raw_control = true;
	CHECK(n > 0 && !raw_control && raw[n - 1] == '\n', "test_report/no_raw_control_chars");
}

static void test_atomic(void)
{
	struct sbx_run_result r = full();
	char path[128], link_path[128];
	struct stat before, after, st;
	struct sbx_err err = { 0 };
	json_t *j;
	mode_t old_mask = umask(022);

	snprintf(path, sizeof(path), "%s/report.json", dir);
	snprintf(link_path, sizeof(link_path), "%s/old-report", dir);
	CHECK(sbx_report_write(path, &r, &err) == 0, "test_report/write: %s", err.detail);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644, "test_report/mode_0644");
	CHECK(strays() == 0, "test_report/no_temp_left");

	/* A second write replaces the file whole: the old inode keeps the old text. */
	if (link(path, link_path) < 0 || stat(path, &before) < 0)
		CHECK(0, "test_report/link_old");
	r.status = 3;
	r.reason = "exit";
	CHECK(sbx_report_write(path, &r, &err) == 0, "test_report/rewrite");
	CHECK(stat(path, &after) == 0 && after.st_ino != before.st_ino,
	      "test_report/rewrite_is_a_new_file");
	j = json_load_file(link_path, 0, NULL);
	CHECK(j && is_int(j, "status", 159), "test_report/old_file_untouched");
	json_decref(j);
	j = json_load_file(path, 0, NULL);
	CHECK(j && is_int(j, "status", 3), "test_report/new_file_whole");
	json_decref(j);
	unlink(link_path);
	CHECK(strays() == 0, "test_report/no_temp_after_rewrite");
	umask(old_mask);
}

static void test_errors(void)
{
	struct sbx_run_result r = full();
	struct sbx_err err = { 0 };
	char path[128];

	/* No such directory. */
	snprintf(path, sizeof(path), "%s/no/such/dir/report.json", dir);
	CHECK(sbx_report_write(path, &r, &err) < 0 && err.step &&
		      strcmp(err.step, "report") == 0 && err.errnum == ENOENT && err.hint[0],
	      "test_report/missing_dir_fails");

	/* The path is a directory: the rename fails and the temporary goes. */
	snprintf(path, sizeof(path), "%s/adir", dir);
	mkdir(path, 0755);
	memset(&err, 0, sizeof(err));
	CHECK(sbx_report_write(path, &r, &err) < 0 && err.errnum == EISDIR,
	      "test_report/path_is_dir_fails errno=%d", err.errnum);
	CHECK(strays() == 0, "test_report/no_temp_after_failure");
	rmdir(path);

	/* A directory the writer may not write (root ignores modes: drop to nobody). */
	if (geteuid() == 0) {
		int p[2], got[2] = { 0, 0 };
		pid_t pid;

		snprintf(path, sizeof(path), "%s/ro", dir);
		mkdir(path, 0755);
		if (pipe(p) < 0)
			return;
		pid = fork();
		if (pid == 0) {
			char file[160];
			int res[2];

			snprintf(file, sizeof(file), "%s/report.json", path);
			if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			    setresuid(65534, 65534, 65534) < 0)
				_exit(1);
			res[0] = sbx_report_write(file, &r, &err);
			res[1] = err.errnum;
			if (write(p[1], res, sizeof(res)) != sizeof(res))
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		if (read(p[0], got, sizeof(got)) != sizeof(got))
			got[0] = 0;
		close(p[0]);
		waitpid(pid, NULL, 0);
		CHECK(got[0] == -1 && got[1] == EACCES, "test_report/unwritable_dir_fails");
		rmdir(path);
	} else {
		printf("SKIP test_report/unwritable_dir_fails: needs root to drop to nobody\n");
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "/tmp/sbx-test-report.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("FAIL test_report/mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	chmod(dir, 0755);

	test_fields();
	test_nulls();
	test_escaping();
	test_atomic();
	test_errors();

	/* Leave nothing: the reports this test wrote, then the directory. */
	const char *names[] = { "full.json", "nothing.json", "x32.json", "arch.json",
				"escape.json", "report.json" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	CHECK(strays() == 0 && rmdir(dir) == 0, "test_report/cleanup");
	return CHECK_DONE();
}
