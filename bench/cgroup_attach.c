/*
 * cgroup_attach: what moving a fresh process into a cgroup costs, by method.
 *
 * Not a test: it prints figures. Run as root on a machine with cgroup v1
 * memory+pids (and optionally a cgroup2 mount, with or without controllers):
 *
 *   cc -O2 -o /tmp/cgroup_attach bench/cgroup_attach.c && /tmp/cgroup_attach [-n ROUNDS] [-q QUIET_MS]
 *
 * Each round starts after QUIET_MS of sleep (no cgroup migration anywhere in
 * this program during it), then times, in this order:
 *   1st  the first migration after the quiet spell
 *   2nd  a second migration right after (other hierarchy, or a second child)
 * for these methods:
 *   procs     the parent writes the child's pid to cgroup.procs (v1)
 *   tasks     the parent writes the child's pid to tasks (v1)
 *   self0     the child writes "0" to tasks itself, through fds the parent
 *             opened (v1; kernel/cgroup/cgroup.c cgroup_procs_write_start()
 *             takes no cgroup_threadgroup_rwsem for pid 0 and a single thread)
 *   v2procs   the parent writes the child's pid to a cgroup2 cgroup.procs
 *   v2clone   clone3(CLONE_INTO_CGROUP) into a cgroup2 directory (whole clone
 *             timed; compare with the plain fork line)
 *   fork      a plain fork(), for scale
 * The quiet spell matters: cgroup_threadgroup_rwsem is a percpu rwsem whose
 * writer waits for an RCU grace period unless another writer passed within
 * the last grace period (kernel/rcu/sync.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXR 200

static int rounds = 10;
static int quiet_ms = 1000;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void quiet(void)
{
	struct timespec ts = { quiet_ms / 1000, (quiet_ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The cgroup of this process in the v1 hierarchy of controller ctl ("" if none). */
static void own_v1_path(const char *ctl, char *out, size_t size)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "re");

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;

		if (!b)
			continue;
		*b = '\0';
		b[strcspn(b + 1, "\n") + 1] = '\0';
		if (strcmp(a + 1, ctl) == 0)
			snprintf(out, size, "%s", strcmp(b + 1, "/") ? b + 1 : "");
	}
	fclose(f);
}

static int make_dir(char *dir, size_t size, const char *mnt, const char *sub)
{
	snprintf(dir, size, "%s%s/sbx-bench-%d", mnt, sub, (int)getpid());
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int open_in(const char *dir, const char *file)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return open(p, O_WRONLY | O_CLOEXEC);
}

/* A child that waits on a pipe, then exits. */
static pid_t waiter(int *wfd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) < 0) {
		}
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

/* Later children inherit earlier pipes' write ends, so end each child by signal. */
static void release(pid_t pid, int wfd)
{
	close(wfd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static double write_pid(int fd, pid_t pid)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	double t0 = now_ms();

	if (write(fd, buf, (size_t)n) != n)
		die("write cgroup file");
	return now_ms() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void show(const char *name, const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-8s %-34s min %7.3f  median %7.3f  max %7.3f ms\n", name, what, v[0], v[n / 2],
	       v[n - 1]);
}

static void bench_parent_write(const char *name, int fd_a, int fd_b)
{
	double first[MAXR], second[MAXR], other[MAXR];

	for (int r = 0; r < rounds; r++) {
		int w1, w2;
		pid_t c1 = waiter(&w1), c2 = waiter(&w2);

		quiet();
		first[r] = write_pid(fd_a, c1);
		second[r] = fd_b >= 0 ? write_pid(fd_b, c1) : 0;
		other[r] = write_pid(fd_a, c2);
		release(c1, w1);
		release(c2, w2);
	}
	show(name, "1st write after quiet", first, rounds);
	if (fd_b >= 0)
		show(name, "2nd write (other hierarchy)", second, rounds);
	show(name, "next child, same hierarchy", other, rounds);
}

static void bench_self0(int tasks_a, int tasks_b)
{
	double first[MAXR], second[MAXR], whole[MAXR];

	for (int r = 0; r < rounds; r++) {
		int p[2];
		double t[2], t0;
		pid_t pid;

		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe");
		quiet();
		t0 = now_ms();
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			double a = now_ms();

			if (write(tasks_a, "0", 1) != 1)
				_exit(1);
			t[0] = now_ms() - a;
			a = now_ms();
			if (tasks_b >= 0 && write(tasks_b, "0", 1) != 1)
				_exit(1);
			t[1] = now_ms() - a;
			if (write(p[1], t, sizeof(t)) != sizeof(t))
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		if (read(p[0], t, sizeof(t)) != sizeof(t))
			die("self0 child failed");
		whole[r] = now_ms() - t0;
		close(p[0]);
		waitpid(pid, NULL, 0);
		first[r] = t[0];
		second[r] = t[1];
	}
	show("self0", "child's 1st write \"0\" to tasks", first, rounds);
	if (tasks_b >= 0)
		show("self0", "child's 2nd (other hierarchy)", second, rounds);
	show("self0", "fork -> child moved (parent view)", whole, rounds);
}

static void bench_v2clone(int dirfd)
{
	double v[MAXR];

	for (int r = 0; r < rounds; r++) {
		struct clone_args args;
		double t0;
		pid_t pid;

		memset(&args, 0, sizeof(args));
		args.flags = CLONE_INTO_CGROUP;
		args.exit_signal = SIGCHLD;
		args.cgroup = (uint64_t)dirfd;
		quiet();
		t0 = now_ms();
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		if (pid < 0)
			die("clone3");
		if (pid == 0)
			_exit(0);
		v[r] = now_ms() - t0;
		waitpid(pid, NULL, 0);
	}
	show("v2clone", "clone3(CLONE_INTO_CGROUP)", v, rounds);
}

static void bench_fork(void)
{
	double v[MAXR];

	for (int r = 0; r < rounds; r++) {
		double t0;
		pid_t pid;

		quiet();
		t0 = now_ms();
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(0);
		v[r] = now_ms() - t0;
		waitpid(pid, NULL, 0);
	}
	show("fork", "plain fork()", v, rounds);
}

int main(int argc, char **argv)
{
	char sub[PATH_MAX], mem[PATH_MAX], pids[PATH_MAX], v2[PATH_MAX];
	int opt, have_v1, have_v2;
	struct stat st;

	while ((opt = getopt(argc, argv, "n:q:")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 'q')
			quiet_ms = atoi(optarg);
		else {
			fprintf(stderr, "usage: %s [-n ROUNDS] [-q QUIET_MS]\n", argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAXR)
		rounds = 10;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("rounds %d, quiet %d ms before each 1st write; kernel rcu_expedited=", rounds,
	       quiet_ms);
	fflush(stdout);
	if (system("cat /sys/kernel/rcu_expedited 2>/dev/null || echo ?") < 0) {
	}

	own_v1_path("memory", sub, sizeof(sub));
	have_v1 = make_dir(mem, sizeof(mem), "/sys/fs/cgroup/memory", sub) == 0;
	own_v1_path("pids", sub, sizeof(sub));
	have_v1 = have_v1 && make_dir(pids, sizeof(pids), "/sys/fs/cgroup/pids", sub) == 0;
	have_v2 = (stat("/sys/fs/cgroup/unified/cgroup.procs", &st) == 0 &&
		   make_dir(v2, sizeof(v2), "/sys/fs/cgroup/unified", "") == 0) ||
		  (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0 &&
		   make_dir(v2, sizeof(v2), "/sys/fs/cgroup", "") == 0);

	bench_fork();
	if (have_v1) {
		int mp = open_in(mem, "cgroup.procs"), pp = open_in(pids, "cgroup.procs");
		int mt = open_in(mem, "tasks"), pt = open_in(pids, "tasks");

		if (mp < 0 || pp < 0 || mt < 0 || pt < 0)
			die("open v1 cgroup files");
		bench_parent_write("procs", mp, pp);
		bench_parent_write("tasks", mt, pt);
		bench_self0(mt, pt);
		close(mp), close(pp), close(mt), close(pt);
		rmdir(mem);
		rmdir(pids);
	} else {
		printf("no writable v1 memory+pids: v1 methods skipped\n");
	}
	if (have_v2) {
		int vp = open_in(v2, "cgroup.procs");
		int dfd = open(v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (vp < 0 || dfd < 0)
			die("open v2 cgroup");
		bench_parent_write("v2procs", vp, -1);
		bench_v2clone(dfd);
		close(vp);
		close(dfd);
		rmdir(v2);
	} else {
		printf("no writable cgroup2: v2 methods skipped\n");
	}
	return 0;
}
