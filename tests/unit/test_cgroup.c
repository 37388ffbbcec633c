/*
 * test_cgroup: the cgroup step against the real kernel. Needs root and a
 * usable cgroup (prints SKIP otherwise): it makes cgroups, runs an OOM and a
 * fork bomb inside them, and checks that nothing is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/limits.h> /* PATH_MAX; <limits.h> would find preload/limits.h */
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "check.h"

#define MiB (1024 * 1024)

static struct sbx_policy policy(uint64_t memory_bytes, uint64_t processes, bool require)
{
	struct sbx_policy pol;

	memset(&pol, 0, sizeof(pol));
	pol.limits.memory_bytes = memory_bytes;
	pol.limits.processes = processes;
	pol.limits.require_cgroup = require;
	return pol;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return path[0] && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static long long read_number(const char *dir, const char *file)
{
	char path[PATH_MAX], buf[64] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (strncmp(buf, "max", 3) == 0)
		return INT64_MAX;
	return atoll(buf);
}

/* Does /proc/PID/cgroup name dir's last component? */
static bool in_cgroup(pid_t pid, const char *dir)
{
	char path[64], buf[4096] = "";
	const char *base = strrchr(dir, '/');
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !base)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, base + 1) != NULL;
}

/* A child that waits for one byte on a pipe, then runs fn. */
struct waiter {
	pid_t pid;
	int go;	    /* write end: one byte starts fn */
	int result; /* read end: what fn reports */
};

static struct waiter spawn(int (*fn)(int report_fd))
{
	struct waiter w = { -1, -1, -1 };
	int go[2], res[2];

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
		return w;
	w.pid = fork();
	if (w.pid == 0) {
		char c;

		close(go[1]);
		close(res[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(90);
		_exit(fn(res[1]));
	}
	close(go[0]);
	close(res[1]);
	w.go = go[1];
	w.result = res[0];
	return w;
}

static int finish(struct waiter *w, int *status)
{
	if (write(w->go, "g", 1) != 1)
		return -1;
	close(w->go);
	if (waitpid(w->pid, status, 0) != w->pid)
		return -1;
	return 0;
}

/* Touch 200 MiB: killed by a 64 MiB memory cgroup. */
static int eat_memory(int report_fd)
{
	size_t size = 200 * MiB;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 91;
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	return 0; /* the limit did not hold */
}

/* Fork until refused; report how many forks worked and the errno. */
static int fork_bomb(int report_fd)
{
	int result[2] = { 0, 0 };

	setpgid(0, 0);
	for (int i = 0; i < 64; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			result[1] = errno;
			break;
		}
		result[0]++;
	}
	if (write(report_fd, result, sizeof(result)) != sizeof(result))
		return 92;
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM); /* the children; this process ignores it */
	while (wait(NULL) > 0) {
	}
	return 0;
}

/*
 * Wait up to two seconds for pid to end; its wait status, or -1 when it did
 * not (then it is killed, so that a failing test does not hang).
 */
static int wait_ended(pid_t pid)
{
	int status;

	for (int i = 0; i < 2000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static int sleep_forever(int report_fd)
{
	for (;;)
		pause();
	return 0;
}

/* Find a PID that is not in use, for a fake stale cgroup. */
static int dead_pid(void)
{
	for (int pid = 32000; pid > 1000; pid--)
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return pid;
	return -1;
}

static void test_limits(void)
{
	struct sbx_policy pol = policy(64 * MiB, 8, true);
	struct sbx_cgroup cg;
	struct sbx_cgroup_stats st;
	struct sbx_err err = { 0 };
	struct waiter w;
	int status = 0, result[2] = { -1, -1 };
	char mem_dir[256], pids_dir[256];

	CHECK(sbx_cgroup_create(&pol, &cg, &err) == 0, "test_cgroup/create: %s", err.detail);
	CHECK(cg.memory && cg.pids, "test_cgroup/create_both: %s", cg.why_not);
	CHECK(is_dir(cg.mem_dir), "test_cgroup/dir_made %s", cg.mem_dir);
	if (cg.v2) {
		CHECK(read_number(cg.mem_dir, "memory.max") == 64 * MiB, "test_cgroup/memory.max");
		CHECK(read_number(cg.mem_dir, "pids.max") == 8, "test_cgroup/pids.max");
	} else {
		CHECK(read_number(cg.mem_dir, "memory.limit_in_bytes") == 64 * MiB,
		      "test_cgroup/memory.limit_in_bytes");
		CHECK(read_number(cg.mem_dir, "memory.memsw.limit_in_bytes") == 64 * MiB ||
			      read_number(cg.mem_dir, "memory.memsw.limit_in_bytes") == -1,
		      "test_cgroup/memsw_limit");
		CHECK(read_number(cg.pids_dir, "pids.max") == 8, "test_cgroup/pids.max");
	}
	strcpy(mem_dir, cg.mem_dir);
	strcpy(pids_dir, cg.pids_dir);

	/* A fresh cgroup: nothing hit yet. */
	sbx_cgroup_stats(&cg, &st);
	CHECK(!st.oom_killed && !st.pids_limited, "test_cgroup/stats_fresh");

	/* Memory: 200 MiB touched under 64 MiB. */
	w = spawn(eat_memory);
	CHECK(sbx_cgroup_attach(&cg, w.pid, &err) == 0, "test_cgroup/attach: %s", err.detail);
	CHECK(in_cgroup(w.pid, cg.mem_dir), "test_cgroup/attach_moved");
	finish(&w, &status);
	close(w.result);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "test_cgroup/oom_killed_child status=0x%x", status);
	sbx_cgroup_stats(&cg, &st);
	CHECK(st.oom_killed, "test_cgroup/stats_oom_killed");
	CHECK(st.peak_memory_bytes >= 60 * MiB && st.peak_memory_bytes <= 65 * MiB,
	      "test_cgroup/stats_peak %lld", (long long)st.peak_memory_bytes);
	CHECK(!st.pids_limited, "test_cgroup/stats_no_pids_yet");

	/* Processes: 8 tasks, the bomb itself included, so 7 forks work. */
	w = spawn(fork_bomb);
	CHECK(sbx_cgroup_attach(&cg, w.pid, &err) == 0, "test_cgroup/attach_again: %s", err.detail);
	finish(&w, &status);
	if (read(w.result, result, sizeof(result)) != sizeof(result))
		result[0] = -1;
	close(w.result);
	CHECK(result[0] == 7 && result[1] == EAGAIN, "test_cgroup/fork_limited forks=%d errno=%d",
	      result[0], result[1]);
	sbx_cgroup_stats(&cg, &st);
	CHECK(st.pids_limited, "test_cgroup/stats_pids_limited");

	/* destroy kills what is still inside, then removes the directories. */
	w = spawn(sleep_forever);
	CHECK(sbx_cgroup_attach(&cg, w.pid, &err) == 0, "test_cgroup/attach_sleeper");
	if (write(w.go, "g", 1) != 1) {
	}
	sbx_cgroup_destroy(&cg);
	status = wait_ended(w.pid);
	CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "test_cgroup/destroy_kills");
	close(w.go);
	close(w.result);
	CHECK(!is_dir(mem_dir) && !is_dir(pids_dir), "test_cgroup/destroy_removes");
	sbx_cgroup_destroy(&cg);
	CHECK(!is_dir(mem_dir) && cg.mem_dir[0] == '\0', "test_cgroup/destroy_idempotent");
}

/* The init's own way in: "0" to tasks (v1), no pid write by the parent. */
static void test_attach_self(void)
{
	struct sbx_policy pol = policy(64 * MiB, 8, true);
	struct sbx_cgroup cg;
	struct sbx_err err = { 0 };
	int status = -1, res[2], hold[2];
	pid_t pid;

	if (sbx_cgroup_create(&pol, &cg, &err) < 0) {
		CHECK(0, "test_cgroup/attach_self_create: %s", err.detail);
		return;
	}
	if (pipe2(res, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char c;
		int r = sbx_cgroup_attach_self(&cg);

		/* The child's copies of the descriptors are closed after entering. */
		if (r == 0 && cg.procs_fd[0] >= 0 && fcntl(cg.procs_fd[0], F_GETFD) != -1)
			r = -EBADF;
		close(hold[1]);
		if (write(res[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		if (read(hold[0], &c, 1) < 0) { /* EOF: the parent has looked */
		}
		_exit(0);
	}
	close(res[1]);
	close(hold[0]);
	if (read(res[0], &status, sizeof(status)) != sizeof(status))
		status = -1;
	CHECK(status == 0, "test_cgroup/attach_self r=%d", status);
	CHECK(in_cgroup(pid, cg.mem_dir), "test_cgroup/attach_self_memory");
	if (!cg.v2)
		CHECK(in_cgroup(pid, cg.pids_dir), "test_cgroup/attach_self_pids");
	CHECK(fcntl(cg.procs_fd[0], F_GETFD) != -1, "test_cgroup/attach_self_parent_keeps_fds");
	close(res[0]);
	close(hold[1]);
	waitpid(pid, NULL, 0);
	sbx_cgroup_destroy(&cg);
}

static void test_only_what_is_asked(void)
{
	struct sbx_cgroup cg;
	struct sbx_err err = { 0 };
	struct sbx_policy pol = policy(0, 8, true);

	CHECK(sbx_cgroup_create(&pol, &cg, &err) == 0 && !cg.memory && cg.pids,
	      "test_cgroup/pids_only");
	if (!cg.v2)
		CHECK(cg.mem_dir[0] == '\0' && is_dir(cg.pids_dir), "test_cgroup/pids_only_dirs");
	sbx_cgroup_destroy(&cg);

	pol = policy(32 * MiB, 0, true);
	CHECK(sbx_cgroup_create(&pol, &cg, &err) == 0 && cg.memory && !cg.pids,
	      "test_cgroup/memory_only");
	CHECK(cg.pids_dir[0] == '\0' && is_dir(cg.mem_dir), "test_cgroup/memory_only_dirs");
	sbx_cgroup_destroy(&cg);

	pol = policy(0, 0, true);
	CHECK(sbx_cgroup_create(&pol, &cg, &err) == 0 && !cg.memory && !cg.pids &&
		      !cg.mem_dir[0] && !cg.pids_dir[0] && cg.procs_fd[0] == -1,
	      "test_cgroup/nothing_asked");
	sbx_cgroup_destroy(&cg);
}

/* As nobody: no cgroup may be made. require -> error; otherwise a fallback. */
static void test_no_cgroup(void)
{
	int p[2], got[4] = { -9, -9, -9, -9 };
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct sbx_policy pol = policy(64 * MiB, 8, true);
		struct sbx_cgroup cg;
		struct sbx_err err = { 0 };
		int r[4];

		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(1);
		r[0] = sbx_cgroup_create(&pol, &cg, &err);
		r[1] = err.step && strcmp(err.step, SBX_STEP_CGROUP) == 0 &&
		       strstr(err.detail, "require_cgroup") && err.hint[0];
		pol.limits.require_cgroup = false;
		r[2] = sbx_cgroup_create(&pol, &cg, &err);
		r[3] = !cg.memory && !cg.pids && cg.why_not[0] && !cg.mem_dir[0] &&
		       cg.procs_fd[0] == -1;
		sbx_cgroup_destroy(&cg);
		if (write(p[1], r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], got, sizeof(got)) != sizeof(got))
		got[0] = -9;
	close(p[0]);
	waitpid(pid, NULL, 0);
	CHECK(got[0] == -1 && got[1] == 1, "test_cgroup/nobody_require_fails");
	CHECK(got[2] == 0 && got[3] == 1, "test_cgroup/nobody_falls_back");
}

/*
 * Stale cgroups of a dead supervisor are swept by the next create; a recent
 * one, or one whose supervisor lives, is left alone.
 */
static void test_sweep(void)
{
	struct sbx_policy pol = policy(0, 8, true);
	struct sbx_cgroup cg;
	struct sbx_err err = { 0 };
	char parent[256], old[PATH_MAX], recent[PATH_MAX], alive[PATH_MAX];
	struct timeval tv[2];
	int pid = dead_pid();

	if (sbx_cgroup_create(&pol, &cg, &err) < 0 || pid < 0) {
		CHECK(0, "test_cgroup/sweep_setup: %s", err.detail);
		return;
	}
	snprintf(parent, sizeof(parent), "%s", cg.v2 ? cg.mem_dir : cg.pids_dir);
	*strrchr(parent, '/') = '\0';
	sbx_cgroup_destroy(&cg);

	snprintf(old, sizeof(old), "%s/sbx-%d-0badc0de", parent, pid);
	snprintf(recent, sizeof(recent), "%s/sbx-%d-0000cafe", parent, pid);
	snprintf(alive, sizeof(alive), "%s/sbx-%d-00c0ffee", parent, (int)getppid());
	mkdir(old, 0755);
	mkdir(recent, 0755);
	mkdir(alive, 0755);
	/* Age two of them by ten minutes (kernfs keeps the times set). */
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= 600;
	tv[1] = tv[0];
	utimes(old, tv);
	utimes(alive, tv);

	CHECK(sbx_cgroup_create(&pol, &cg, &err) == 0, "test_cgroup/sweep_create");
	CHECK(!is_dir(old), "test_cgroup/sweep_removes_stale");
	CHECK(is_dir(recent), "test_cgroup/sweep_keeps_recent");
	CHECK(is_dir(alive), "test_cgroup/sweep_keeps_live_owner");
	sbx_cgroup_destroy(&cg);
	rmdir(old);
	rmdir(recent);
	rmdir(alive);
}

/*
 * cgroup v2 without controllers (this machine's cgroup2 has none): the core
 * files still move processes, clone3(CLONE_INTO_CGROUP) works, and destroy
 * uses cgroup.kill. The struct is filled by hand as create would on v2.
 */
static void test_v2_core(void)
{
	const char *mnts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	struct sbx_cgroup cg;
	struct sbx_cgroup_stats st;
	struct sbx_err err = { 0 };
	struct clone_args args;
	struct statfs sfs;
	char dir[256], procs[300];
	const char *mnt = NULL;
	int status = 0;
	struct waiter w;
	pid_t pid;

	for (size_t i = 0; i < sizeof(mnts) / sizeof(mnts[0]); i++)
		if (statfs(mnts[i], &sfs) == 0 && sfs.f_type == 0x63677270 /* CGROUP2_SUPER_MAGIC */) {
			mnt = mnts[i];
			break;
		}
	if (!mnt) {
		printf("SKIP test_cgroup/v2_core: no cgroup2 mount\n");
		return;
	}
	memset(&cg, 0, sizeof(cg));
	cg.procs_fd[0] = cg.procs_fd[1] = cg.self_fd[0] = cg.self_fd[1] = cg.dir_fd = -1;
	cg.v2 = true;
	snprintf(dir, sizeof(dir), "%s/sbx-%d-00000002", mnt, (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		printf("SKIP test_cgroup/v2_core: mkdir %s: %s\n", dir, strerror(errno));
		return;
	}
	snprintf(cg.mem_dir, sizeof(cg.mem_dir), "%s", dir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	cg.procs_fd[0] = open(procs, O_WRONLY | O_CLOEXEC);
	cg.dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	w = spawn(sleep_forever);
	CHECK(sbx_cgroup_attach(&cg, w.pid, &err) == 0 && in_cgroup(w.pid, dir),
	      "test_cgroup/v2_attach: %s", err.detail);

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cg.dir_fd;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK(pid > 0 && in_cgroup(pid, dir), "test_cgroup/v2_clone_into_cgroup");

	sbx_cgroup_stats(&cg, &st);
	CHECK(st.peak_memory_bytes == -1 && !st.oom_killed, "test_cgroup/v2_stats_no_controllers");
	sbx_cgroup_destroy(&cg);
	status = wait_ended(w.pid);
	CHECK(status != -1 && WIFSIGNALED(status), "test_cgroup/v2_destroy_kills_attached");
	status = pid > 0 ? wait_ended(pid) : -1;
	CHECK(status != -1 && WIFSIGNALED(status), "test_cgroup/v2_destroy_kills_cloned");
	CHECK(!is_dir(dir), "test_cgroup/v2_destroy_removes");
	close(w.go);
	close(w.result);
	rmdir(dir);
}

int main(void)
{
	struct sbx_policy pol = policy(64 * MiB, 8, false);
	struct sbx_cgroup cg;
	struct sbx_err err = { 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("SKIP test_cgroup: needs root\n");
		return 0;
	}
	if (sbx_cgroup_create(&pol, &cg, &err) < 0 || !cg.memory || !cg.pids) {
		printf("SKIP test_cgroup: no memory+pids cgroup here (%s%s)\n", err.detail,
		       cg.why_not);
		sbx_cgroup_destroy(&cg);
		return 0;
	}
	sbx_cgroup_destroy(&cg);

	test_limits();
	test_attach_self();
	test_only_what_is_asked();
	test_no_cgroup();
	test_sweep();
	test_v2_core();
	return CHECK_DONE();
}
