/*
 * test_mounts: sbx_mounts_build() in the place the jail's init runs it.
 *
 * Each scenario forks a child that unshares user, mount and PID namespaces
 * and maps its own ids, then a grandchild (PID 1 of the new PID namespace,
 * with every capability in its user namespace) builds the root from a
 * policy filled by hand and checks, from inside, what a program would see.
 * Checks about the host (did a write reach it, was nothing made there) run
 * in the parent afterwards.
 *
 * Run as root, every scenario runs twice: as root, then as nobody in a
 * forked child (the binary is already in memory, so the checkout need not
 * be readable by nobody).
 *
 * The "prepared" scenarios take the supervisor's path instead: the caller
 * clones the binds' sources first (sbx_mounts_prepare()), then the jail's
 * init is cloned and mapped as sbx does it (a root caller's jail is nobody
 * outside), and builds. As root they show a cwd under a private (0700)
 * directory, which nobody could not reach.
 *
 * To see the isolation checks fail without the jail, make build() return 0
 * without building, and run as nobody in a scratch directory: as root the
 * checks' writes (/usr/sbx-test, /newdir ...) would land on the host.
 */
#include "caps.h"
#include "check.h"
#include "mounts.h"
#include "ns.h"
#include "userns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define PY "/usr/bin/python3"

static const char *run_name = "root"; /* "root" or "nobody": prefixes the check names */
static char host[64];		      /* a host directory this run owns */
static bool host_root;		      /* root made it (the jail is then nobody outside) */

/* --- small helpers ------------------------------------------------------ */

static void hpath(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", host, rel);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : EIO;
}

/* 0 when a new file could be made at path, else the errno. */
static int create_errno(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static bool file_is(const char *path, const char *text)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

static bool absent(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 && errno == ENOENT;
}

static bool mounted_at(const char *dir)
{
	char line[1024], pat[PATH_MAX + 2];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	snprintf(pat, sizeof(pat), " %s ", dir);
	while (fgets(line, sizeof(line), f)) {
		/* field 5 is the mount point: after the 4th space */
		char *p = line;
		for (int i = 0; i < 4 && p; i++)
			p = strchr(p + 1, ' ');
		if (p && strncmp(p, pat, strlen(pat)) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

/* Run argv with stdout captured into out; the wait status, or -1. */
static int run_capture(char *const argv[], char *out, size_t size)
{
	static char *const envp[] = { "LANG=C.UTF-8", NULL };
	int p[2], status;
	size_t got = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], out + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

/* The open descriptors as " 0 1 2 ...", less the one that reads them. */
static void fd_list(char *buf, size_t size)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t used = 0;

	buf[0] = '\0';
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0, " %s", de->d_name);
	}
	if (d)
		closedir(d);
}

static size_t fd_count(void)
{
	char buf[1024];
	size_t n = 0;

	fd_list(buf, sizeof(buf));
	for (const char *p = buf; (p = strchr(p, ' ')); p++)
		n++;
	return n;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* --- policies ----------------------------------------------------------- */

struct test_policy {
	struct sbx_policy pol;
	struct sbx_mount m[8];
	char cwd[PATH_MAX];
};

/* proc and dev on, nothing mounted, the caller's cwd not shown. */
static void policy_base(struct test_policy *t)
{
	memset(t, 0, sizeof(*t));
	t->pol.ns.user = t->pol.ns.mount = t->pol.ns.pid = true;
	t->pol.fs.root_size_bytes = 1 << 20;
	t->pol.fs.mounts = t->m;
	t->pol.fs.proc = t->pol.fs.dev = true;
	t->pol.sandbox.cwd = (char *)"";
	t->pol.sandbox.bind_cwd = SBX_BIND_CWD_NO;
	t->pol.caller_cwd = (char *)"/";
}

static void add(struct test_policy *t, enum sbx_mount_kind kind, const char *src, const char *dst)
{
	struct sbx_mount *m = &t->m[t->pol.fs.n_mounts++];

	m->kind = kind;
	m->optional = src && src[0] == '?';
	m->src = (char *)(m->optional ? src + 1 : src);
	m->dst = (char *)dst;
}

static void add_tmpfs(struct test_policy *t, const char *dst, uint64_t size_bytes)
{
	add(t, SBX_MOUNT_TMPFS, NULL, dst);
	t->m[t->pol.fs.n_mounts - 1].size_bytes = size_bytes;
}

/* The shipped default's [fs]: ro /usr, tmpfs /tmp:64M, proc, dev, cwd ro. */
static void policy_default(struct test_policy *t)
{
	policy_base(t);
	t->pol.fs.root_size_bytes = 16 << 20;
	add(t, SBX_MOUNT_RO, "/usr", "/usr");
	add_tmpfs(t, "/tmp", 64 << 20);
	t->pol.sandbox.bind_cwd = SBX_BIND_CWD_RO;
	hpath(t->cwd, sizeof(t->cwd), "cwd");
	t->pol.caller_cwd = t->cwd;
}

/* --- the harness ---------------------------------------------------------- */

static void write_map(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) < 0) {
		printf("FAIL mounts/%s/harness: write %s: %s\n", run_name, file, strerror(errno));
		fflush(stdout);
		_exit(2);
	}
	close(fd);
}

/* Build the root from t: the result of sbx_mounts_build(). */
static int build(const struct test_policy *t, struct sbx_err *err)
{
	memset(err, 0, sizeof(*err));
	return sbx_mounts_build(&t->pol, NULL, err);
}

/* Build and say so: a failed build fails the scenario's first check. */
static bool build_ok(const char *scenario, const struct test_policy *t)
{
	struct sbx_err err;
	int r = build(t, &err);

	if (r == 0)
		CHECK(1, "mounts/%s/%s: build", run_name, scenario);
	else
		CHECK(0, "mounts/%s/%s: build: %s: %s%s%s", run_name, scenario, err.detail,
		      strerror(err.errnum), err.hint[0] ? "; " : "", err.hint);
	return r == 0;
}

/*
 * Run fn as PID 1 of new user, mount and PID namespaces, with our own ids
 * mapped, as the jail's init does. Its checks print themselves; a failed
 * one makes its exit status 1, which we count here.
 */
static void in_jail_ns(void (*fn)(void))
{
	pid_t child;
	int status;

	fflush(stdout);
	child = fork();
	if (child < 0) {
		CHECK(0, "mounts/%s/harness: fork: %s", run_name, strerror(errno));
		return;
	}
	if (child == 0) {
		char map[64], gmap[64];
		pid_t init;

		/* Before unshare: after it, until the maps are written, our
		 * ids read as the overflow id 65534. */
		snprintf(map, sizeof(map), "%u %u 1", (unsigned)getuid(), (unsigned)getuid());
		snprintf(gmap, sizeof(gmap), "%u %u 1", (unsigned)getgid(), (unsigned)getgid());
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0) {
			printf("FAIL mounts/%s/harness: unshare: %s\n", run_name, strerror(errno));
			fflush(stdout);
			_exit(2);
		}
		/* user_namespaces(7): an unprivileged process must deny
		 * setgroups before it may write gid_map. */
		write_map("/proc/self/setgroups", "deny");
		write_map("/proc/self/uid_map", map);
		write_map("/proc/self/gid_map", gmap);
		init = fork();
		if (init < 0)
			_exit(2);
		if (init == 0) {
			fn();
			fflush(stdout);
			_exit(check_failures ? 1 : 0);
		}
		if (waitpid(init, &status, 0) < 0)
			_exit(2);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		CHECK(0, "mounts/%s/harness: scenario ended with status 0x%x", run_name, status);
		return;
	}
	if (WEXITSTATUS(status) == 1)
		check_failures++;
}

/* --- scenarios ------------------------------------------------------------ */

/* Binds, tmpfs, /proc, /dev, the caller's cwd: what a program sees. */
static void scenario_full(void)
{
	struct test_policy t;
	char ro[PATH_MAX], rw[PATH_MAX], sub[PATH_MAX], path[PATH_MAX + 32], buf[PATH_MAX];
	struct statvfs vfs;
	ssize_t n;
	DIR *d;
	struct dirent *de;
	int fd, numeric = 0, odd = 0;

	hpath(ro, sizeof(ro), "ro");
	hpath(rw, sizeof(rw), "rw");
	hpath(sub, sizeof(sub), "ro/sub");
	/* A submount inside the ro source: a recursive ro bind must make it
	 * read-only too. It is writable here, in our own mount namespace. */
	if (mount("tmpfs", sub, "tmpfs", 0, "size=64k") < 0)
		CHECK(0, "mounts/%s/full: tmpfs on %s: %s", run_name, sub, strerror(errno));

	policy_base(&t);
	add(&t, SBX_MOUNT_RO, "/usr", "/usr");
	add(&t, SBX_MOUNT_RO, ro, "/data/ro");
	add(&t, SBX_MOUNT_RW, rw, "/data/rw");
	add_tmpfs(&t, "/tmp", 1 << 20);
	add(&t, SBX_MOUNT_RO, "?/nonexistent-sbx-test", "/opt/missing");
	t.pol.sandbox.bind_cwd = SBX_BIND_CWD_RO;
	hpath(t.cwd, sizeof(t.cwd), "cwd");
	t.pol.caller_cwd = t.cwd;
	if (!build_ok("full", &t))
		return;

	CHECK(absent("/etc/passwd"), "mounts/%s/host /etc/passwd hidden", run_name);
	CHECK(absent("/root"), "mounts/%s/host /root hidden", run_name);
	CHECK(absent("/home"), "mounts/%s/host /home hidden", run_name);
	CHECK(absent("/sys"), "mounts/%s/host /sys hidden", run_name);
	CHECK(absent(rw), "mounts/%s/host's own path of the rw source hidden", run_name);
	CHECK(!mounted_at("/sys") && !mounted_at("/run/netns"),
	      "mounts/%s/no host mount left in mountinfo", run_name);
	CHECK(access(PY, X_OK) == 0, "mounts/%s/python3 present", run_name);
	n = readlink("/lib64", buf, sizeof(buf) - 1);
	CHECK(n > 0 && access("/lib64/ld-linux-x86-64.so.2", R_OK) == 0,
	      "mounts/%s/lib64 symlink recreated", run_name);
	CHECK(absent("/opt/missing"), "mounts/%s/optional missing source skipped", run_name);

	CHECK(create_errno("/usr/sbx-test") == EROFS, "mounts/%s/ro bind /usr: EROFS", run_name);
	CHECK(file_is("/data/ro/hello", "hi"), "mounts/%s/ro bind readable", run_name);
	CHECK(create_errno("/data/ro/new") == EROFS, "mounts/%s/ro bind: EROFS", run_name);
	CHECK(create_errno("/data/ro/sub/new") == EROFS, "mounts/%s/ro bind: submount read-only too",
	      run_name);
	CHECK(write_file("/data/rw/written", "from the jail") == 0, "mounts/%s/rw bind writable",
	      run_name);
	CHECK(statvfs("/data/rw", &vfs) == 0 && (vfs.f_flag & ST_NOSUID) && (vfs.f_flag & ST_NODEV),
	      "mounts/%s/rw bind nosuid,nodev", run_name);

	CHECK(mkdir("/newdir", 0755) < 0 && errno == EROFS, "mounts/%s/ read-only", run_name);
	CHECK(statvfs("/tmp", &vfs) == 0 && (vfs.f_flag & ST_NOSUID) && (vfs.f_flag & ST_NODEV) &&
		      !(vfs.f_flag & ST_RDONLY),
	      "mounts/%s/tmp writable, nosuid,nodev", run_name);
	fd = open("/tmp/big", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	{
		static char chunk[64 << 10];
		int e = 0;
		for (int i = 0; i < 64 && fd >= 0; i++) {
			if (write(fd, chunk, sizeof(chunk)) < 0) {
				e = errno;
				break;
			}
		}
		CHECK(e == ENOSPC, "mounts/%s/tmp size 1M enforced (ENOSPC writing 4M)", run_name);
	}
	if (fd >= 0)
		close(fd);

	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strcmp(buf, "1") == 0, "mounts/%s/proc/self is 1 (got \"%s\")", run_name, buf);
	d = opendir("/proc");
	while (d && (de = readdir(d)))
		if (strspn(de->d_name, "0123456789") == strlen(de->d_name))
			numeric++;
	if (d)
		closedir(d);
	CHECK(numeric == 1, "mounts/%s/proc shows our one process (%d)", run_name, numeric);
	CHECK(statvfs("/proc", &vfs) == 0 && (vfs.f_flag & ST_NOSUID) && (vfs.f_flag & ST_NOEXEC),
	      "mounts/%s/proc nosuid,noexec", run_name);

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, "abc", 3) == 3 && read(fd, buf, 1) == 0,
	      "mounts/%s/dev/null works", run_name);
	if (fd >= 0)
		close(fd);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, 16) == 16, "mounts/%s/dev/urandom works", run_name);
	if (fd >= 0)
		close(fd);
	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(fd >= 0 && unlockpt(fd) == 0 && ptsname(fd) && strncmp(ptsname(fd), "/dev/pts/", 9) == 0,
	      "mounts/%s/dev/ptmx gives a pty", run_name);
	if (fd >= 0)
		close(fd);
	d = opendir("/dev");
	while (d && (de = readdir(d))) {
		static const char *const ok = " . .. null zero full random urandom tty shm pts ptmx fd "
					      "stdin stdout stderr ";
		struct stat st;
		char pat[300];
		snprintf(pat, sizeof(pat), " %s ", de->d_name);
		if (!strstr(ok, pat) || (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
					 S_ISBLK(st.st_mode))) {
			printf("# unexpected /dev/%s\n", de->d_name);
			odd++;
		}
	}
	if (d)
		closedir(d);
	CHECK(d && odd == 0 && absent("/dev/vda") && absent("/dev/sda"),
	      "mounts/%s/dev has only the minimal nodes", run_name);
	CHECK(create_errno("/dev/sbx-test") == EROFS, "mounts/%s/dev itself read-only", run_name);
	CHECK(create_errno("/dev/shm/sbx-test") == 0, "mounts/%s/dev/shm writable", run_name);
	CHECK(readlink("/dev/fd", buf, sizeof(buf)) == 13 && access("/dev/stdin", F_OK) == 0,
	      "mounts/%s/dev/fd and /dev/stdin links", run_name);

	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, t.cwd) == 0,
	      "mounts/%s/starting directory is the caller's cwd", run_name);
	CHECK(file_is("x", "caller"), "mounts/%s/caller's cwd shown", run_name);
	CHECK(create_errno("new") == EROFS, "mounts/%s/caller's cwd read-only (bind_cwd ro)",
	      run_name);
	snprintf(path, sizeof(path), "%s", host);
	d = opendir(path);
	odd = 0;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, "cwd") != 0)
			odd++;
	if (d)
		closedir(d);
	CHECK(d && odd == 0, "mounts/%s/only the cwd is shown from the host's /tmp", run_name);
}

/* The default's [fs]: a dynamic python runs and has a pty. */
static void scenario_default(void)
{
	struct test_policy t;
	char out[256];
	char *print1[] = { PY, "-c", "print(1)", NULL };
	char *pty[] = { PY, "-c", "import os; m, s = os.openpty(); print(os.ttyname(s))", NULL };
	int status;

	policy_default(&t);
	if (!build_ok("default", &t))
		return;
	status = run_capture(print1, out, sizeof(out));
	CHECK(status == 0 && strcmp(out, "1\n") == 0, "mounts/%s/default: " PY " -c 'print(1)' runs",
	      run_name);
	status = run_capture(pty, out, sizeof(out));
	out[strcspn(out, "\n")] = '\0';
	CHECK(status == 0 && strncmp(out, "/dev/pts/", 9) == 0,
	      "mounts/%s/default: python os.openpty() works (%s)", run_name, out);
}

static void expect_fail(const char *name, const struct test_policy *t, int errnum,
			const char *detail_has)
{
	struct sbx_err err;
	int r = build(t, &err);

	CHECK(r < 0 && err.step && strcmp(err.step, SBX_STEP_MOUNT) == 0 && err.errnum == errnum &&
		      strstr(err.detail, detail_has),
	      "mounts/%s/%s fails (%d: %s: %s%s%s)", run_name, name, r, err.detail,
	      strerror(err.errnum), err.hint[0] ? "; " : "", err.hint);
}

static void scenario_missing(void)
{
	struct test_policy t;

	policy_base(&t);
	add(&t, SBX_MOUNT_RO, "/nonexistent-sbx-test", "/x");
	expect_fail("missing source", &t, ENOENT, "/nonexistent-sbx-test");
}

/* A symlink inside an rw bind never carries a later mount onto the host. */
static void scenario_symlink_through(void)
{
	struct test_policy t;
	char esc[PATH_MAX];

	hpath(esc, sizeof(esc), "esc");
	policy_base(&t);
	add(&t, SBX_MOUNT_RW, esc, "/w");
	add_tmpfs(&t, "/w/out/made", 0);
	expect_fail("tmpfs through a symlink in an rw bind", &t, ELOOP, "/w/out/made");
}

static void scenario_symlink_last(void)
{
	struct test_policy t;
	char esc[PATH_MAX];

	hpath(esc, sizeof(esc), "esc");
	policy_base(&t);
	add(&t, SBX_MOUNT_RW, esc, "/w");
	add(&t, SBX_MOUNT_RO, "/usr", "/w/out");
	expect_fail("bind onto a symlink in an rw bind", &t, ELOOP, "/w/out");
}

/* A mount point missing in a bind is never made there (it would be on the host). */
static void scenario_no_mkdir_in_bind(void)
{
	struct test_policy t;
	char esc[PATH_MAX];

	hpath(esc, sizeof(esc), "esc");
	policy_base(&t);
	add(&t, SBX_MOUNT_RW, esc, "/w");
	add_tmpfs(&t, "/w/newdir", 0);
	expect_fail("mount point missing in an rw bind", &t, ENOENT, "/w/newdir");
}

static void scenario_no_mkdir_in_ro(void)
{
	struct test_policy t;

	policy_base(&t);
	add(&t, SBX_MOUNT_RO, "/usr", "/usr");
	add_tmpfs(&t, "/usr/nonexistent-sbx-test", 0);
	expect_fail("mount point missing in an ro bind", &t, ENOENT, "/usr/nonexistent-sbx-test");
}

/* A mount on an existing directory inside an ro bind lands on top of it. */
static void scenario_under_ro(void)
{
	struct test_policy t;

	policy_base(&t);
	add(&t, SBX_MOUNT_RO, "/usr", "/usr");
	add_tmpfs(&t, "/usr/local", 0);
	add_tmpfs(&t, "/dev/shm", 1 << 20); /* inside /dev: applied after it */
	if (!build_ok("under-ro", &t))
		return;
	CHECK(create_errno("/usr/local/sbx-test") == 0 && create_errno("/usr/sbx-test") == EROFS,
	      "mounts/%s/tmpfs on /usr/local inside ro /usr", run_name);
	CHECK(mounted_at("/dev/shm") && create_errno("/dev/shm/x") == 0,
	      "mounts/%s/policy tmpfs on /dev/shm lands on /dev", run_name);
}

static void scenario_cwd_policy(void)
{
	struct test_policy t;
	char buf[PATH_MAX];

	policy_default(&t);
	t.pol.sandbox.cwd = (char *)"/tmp";
	if (!build_ok("cwd-policy", &t))
		return;
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, "/tmp") == 0,
	      "mounts/%s/[sandbox] cwd = /tmp is the starting directory", run_name);
}

static void scenario_cwd_missing(void)
{
	struct test_policy t;

	policy_default(&t);
	t.pol.sandbox.cwd = (char *)"/nonexistent-sbx-test";
	expect_fail("missing [sandbox] cwd", &t, ENOENT, "starting directory");
}

static void scenario_cwd_no(void)
{
	struct test_policy t;
	char buf[PATH_MAX];

	policy_default(&t);
	t.pol.sandbox.bind_cwd = SBX_BIND_CWD_NO;
	if (!build_ok("cwd-no", &t))
		return;
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, "/") == 0 && absent(t.cwd),
	      "mounts/%s/bind_cwd = no: cwd not shown, start in /", run_name);
}

static void scenario_cwd_rw(void)
{
	struct test_policy t;

	policy_default(&t);
	t.pol.sandbox.bind_cwd = SBX_BIND_CWD_RW;
	if (!build_ok("cwd-rw", &t))
		return;
	CHECK(write_file("rwfile", "rw") == 0, "mounts/%s/bind_cwd = rw: cwd writable", run_name);
}

/* A cwd a bind already shows at its own path gets no second mount. */
static void scenario_cwd_in_bind(void)
{
	struct test_policy t;
	char buf[PATH_MAX];

	policy_default(&t);
	t.pol.caller_cwd = (char *)"/usr/share";
	if (!build_ok("cwd-in-bind", &t))
		return;
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, "/usr/share") == 0 &&
		      !mounted_at("/usr/share"),
	      "mounts/%s/cwd under ro /usr: shown by /usr, not bound again", run_name);
}

/* Mounts inside others land on top whatever the policy's order: the
 * caller's /tmp/.../cwd on the tmpfs /tmp, its ./out on the cwd. */
static void scenario_nested(void)
{
	struct test_policy t;
	char out[PATH_MAX + 8];

	policy_base(&t);
	hpath(t.cwd, sizeof(t.cwd), "cwd");
	snprintf(out, sizeof(out), "%s/out", t.cwd);
	add(&t, SBX_MOUNT_RW, out, out); /* listed before its parents */
	add(&t, SBX_MOUNT_RO, "/usr", "/usr");
	add_tmpfs(&t, "/tmp", 0);
	t.pol.sandbox.bind_cwd = SBX_BIND_CWD_RO;
	t.pol.caller_cwd = t.cwd;
	if (!build_ok("nested", &t))
		return;
	CHECK(file_is("x", "caller") && create_errno("new") == EROFS,
	      "mounts/%s/nested: cwd shown read-only on the tmpfs /tmp", run_name);
	CHECK(write_file("out/nested", "nested") == 0, "mounts/%s/nested: ./out writable on the cwd",
	      run_name);
	CHECK(create_errno("/tmp/new") == 0, "mounts/%s/nested: /tmp writable", run_name);
}

/* A cwd the policy mounts itself: the explicit mount wins. */
static void scenario_cwd_is_tmpfs(void)
{
	struct test_policy t;
	char buf[PATH_MAX];

	policy_default(&t);
	t.pol.caller_cwd = (char *)"/tmp";
	if (!build_ok("cwd-is-tmpfs", &t))
		return;
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, "/tmp") == 0 && create_errno("new") == 0 &&
		      absent(host),
	      "mounts/%s/cwd /tmp with tmpfs /tmp: the fresh tmpfs, writable", run_name);
}

/* The shipped default policy, parsed: python runs from the caller's cwd. */
static void scenario_shipped(void)
{
	struct sbx_policy pol;
	struct sbx_err err;
	char cwd[PATH_MAX], out[64], buf[PATH_MAX];
	char *print1[] = { PY, "-c", "print(1)", NULL };
	int r;

	hpath(cwd, sizeof(cwd), "cwd");
	memset(&pol, 0, sizeof(pol));
	memset(&err, 0, sizeof(err));
	r = sbx_policy_defaults(&pol, cwd, &err);
	if (r == 0)
		r = sbx_policy_finish(&pol, &err);
	if (r == 0)
		r = sbx_mounts_build(&pol, NULL, &err);
	if (r < 0) {
		CHECK(0, "mounts/%s/shipped: build: %s: %s", run_name, err.detail,
		      strerror(err.errnum));
		return;
	}
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, cwd) == 0 && file_is("x", "caller") &&
		      run_capture(print1, out, sizeof(out)) == 0 && strcmp(out, "1\n") == 0,
	      "mounts/%s/shipped: python runs in the caller's cwd", run_name);
	sbx_policy_free(&pol);
}

/* --- one run (as root, or as nobody) ----------------------------------- */

static void host_setup(void)
{
	char p[PATH_MAX + 32], outside[PATH_MAX];

	host_root = geteuid() == 0;
	snprintf(host, sizeof(host), "/tmp/sbx-mounts.XXXXXX");
	if (!mkdtemp(host)) {
		CHECK(0, "mounts/%s/harness: mkdtemp: %s", run_name, strerror(errno));
		exit(1);
	}
	chmod(host, 0755);
	hpath(p, sizeof(p), "ro");
	mkdir(p, 0755);
	hpath(p, sizeof(p), "ro/sub");
	mkdir(p, 0755);
	hpath(p, sizeof(p), "ro/hello");
	write_file(p, "hi");
	hpath(p, sizeof(p), "rw");
	mkdir(p, 0755);
	hpath(p, sizeof(p), "cwd");
	mkdir(p, 0755);
	hpath(p, sizeof(p), "cwd/x");
	write_file(p, "caller");
	hpath(p, sizeof(p), "cwd/out");
	mkdir(p, 0755);
	hpath(p, sizeof(p), "outside");
	mkdir(p, 0755);
	hpath(p, sizeof(p), "esc");
	mkdir(p, 0755);
	/* priv: private (0700), as /root is; a cwd and an ro source in it. */
	hpath(p, sizeof(p), "priv");
	mkdir(p, 0700);
	hpath(p, sizeof(p), "priv/cwd");
	mkdir(p, 0755);
	hpath(p, sizeof(p), "priv/cwd/x");
	write_file(p, "caller");
	hpath(p, sizeof(p), "priv/cwd/out");
	mkdir(p, 01777);
	chmod(p, 01777);
	hpath(p, sizeof(p), "priv/cwd/secret");
	write_file(p, "secret");
	chmod(p, 0600);
	hpath(p, sizeof(p), "priv/ro");
	mkdir(p, 0755);
	hpath(p, sizeof(p), "priv/ro/hello");
	write_file(p, "hi");
	hpath(p, sizeof(p), "shared");
	mkdir(p, 0755);
	/* esc/out -> the host's outside/: absolute, as a hostile tree would. */
	hpath(outside, sizeof(outside), "outside");
	hpath(p, sizeof(p), "esc/out");
	if (symlink(outside, p) < 0)
		CHECK(0, "mounts/%s/harness: symlink: %s", run_name, strerror(errno));
}

/* --- the supervisor's path: prepare, clone, map, build -------------------- */

static char fds_before[1024]; /* the caller's descriptors, before prepare */

/*
 * Run in_jail as the jail's init on the supervisor's path (see the top):
 * this process is the supervisor; as root it first takes a mount namespace
 * of its own (setup mounts there), so nothing reaches the host's table.
 * after runs in the supervisor once the jail is gone.
 */
static void as_supervisor(struct test_policy *t, size_t want_trees, void (*setup)(void),
			  void (*in_jail)(const struct test_policy *), void (*after)(void))
{
	pid_t sup;
	int status;

	fflush(stdout);
	sup = fork();
	if (sup < 0) {
		CHECK(0, "mounts/%s/harness: fork: %s", run_name, strerror(errno));
		return;
	}
	if (sup == 0) {
		struct sbx_err err;
		int sync[2];
		pid_t init;
		size_t trees;

		check_failures = 0;
		if (geteuid() == 0 && (unshare(CLONE_NEWNS) < 0 ||
				       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)) {
			CHECK(0, "mounts/%s/harness: a mount namespace: %s", run_name,
			      strerror(errno));
			_exit(1);
		}
		if (setup)
			setup();
		fd_list(fds_before, sizeof(fds_before));
		trees = fd_count();
		memset(&err, 0, sizeof(err));
		if (sbx_mounts_prepare(&t->pol, &err) < 0) {
			CHECK(0, "mounts/%s/prepare: %s: %s", run_name, err.detail,
			      strerror(err.errnum));
			_exit(1);
		}
		trees = fd_count() - trees;
		CHECK(trees == want_trees, "mounts/%s/prepare cloned %zu trees (want %zu)", run_name,
		      trees, want_trees);
		if (pipe2(sync, O_CLOEXEC) < 0)
			_exit(2);
		fflush(stdout);
		bool in_cgroup;
		init = sbx_ns_clone(&t->pol, -1, &in_cgroup, &err);
		if (init < 0) {
			CHECK(0, "mounts/%s/harness: clone: %s", run_name, err.detail);
			_exit(1);
		}
		if (init == 0) {
			char c;

			close(sync[1]);
			if (read(sync[0], &c, 1) < 0)
				_exit(2);
			close(sync[0]);
			if (sbx_userns_take_ids(&t->pol, &err) < 0) {
				printf("FAIL mounts/%s/harness: take ids: %s: %s\n", run_name,
				       err.detail, strerror(err.errnum));
				fflush(stdout);
				_exit(2);
			}
			in_jail(t);
			fflush(stdout);
			_exit(check_failures ? 1 : 0);
		}
		close(sync[0]);
		if (sbx_userns_write_maps(&t->pol, init, &err) < 0)
			CHECK(0, "mounts/%s/harness: maps: %s: %s", run_name, err.detail,
			      strerror(err.errnum));
		close(sync[1]);
		sbx_mounts_release();
		{
			char now[1024];

			fd_list(now, sizeof(now));
			CHECK(strcmp(now, fds_before) == 0,
			      "mounts/%s/release: the supervisor holds no tree once released",
			      run_name);
		}
		if (waitpid(init, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) > 1) {
			CHECK(0, "mounts/%s/harness: the jail ended with status 0x%x", run_name,
			      status);
			_exit(1);
		}
		if (WEXITSTATUS(status) == 1)
			check_failures++;
		if (after)
			after();
		fflush(stdout);
		_exit(check_failures ? 1 : 0);
	}
	if (waitpid(sup, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) > 1)
		CHECK(0, "mounts/%s/harness: supervisor ended with status 0x%x", run_name, status);
	else if (WEXITSTATUS(status) == 1)
		check_failures++;
}

/* The default's [fs] with the cwd under host/priv (0700), an ro bind from
 * there too, and an optional source that is absent. */
static void policy_private(struct test_policy *t)
{
	static char src[PATH_MAX];

	policy_default(t);
	hpath(src, sizeof(src), "priv/ro");
	add(t, SBX_MOUNT_RO, src, "/data/ro");
	add(t, SBX_MOUNT_RO, "?/nonexistent-sbx-test", "/opt/missing");
	hpath(t->cwd, sizeof(t->cwd), "priv/cwd");
	t->pol.sandbox.uid = t->pol.sandbox.gid = 65534;
}

static void in_jail_private(const struct test_policy *t)
{
	char buf[PATH_MAX], fds[1024];
	struct mount_attr clr = { .attr_clr = MOUNT_ATTR_RDONLY };
	pid_t pid;
	int status, fd;

	if (!build_ok("prepared", t))
		return;
	fd_list(fds, sizeof(fds));
	CHECK(strcmp(fds, fds_before) == 0,
	      "mounts/%s/prepared: no tree descriptor left after build (before:%s, after:%s)",
	      run_name, fds_before, fds);
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, t->cwd) == 0 && file_is("x", "caller"),
	      "mounts/%s/prepared: cwd under a 0700 directory shown, its 0644 file readable",
	      run_name);
	CHECK(create_errno("new") == EROFS, "mounts/%s/prepared: cwd read-only", run_name);
	CHECK(file_is("/data/ro/hello", "hi") && create_errno("/data/ro/new") == EROFS,
	      "mounts/%s/prepared: ro bind from under a 0700 directory readable, read-only",
	      run_name);
	CHECK(absent("/opt/missing"), "mounts/%s/prepared: optional missing source skipped",
	      run_name);
	if (host_root) {
		/* The bind's root came from the caller; its files are still
		 * opened as the jail's user, nobody outside. */
		fd = open("secret", O_RDONLY | O_CLOEXEC);
		CHECK(fd < 0 && errno == EACCES,
		      "mounts/%s/prepared: a 0600 file of root's stays unreadable (EACCES)",
		      run_name);
		if (fd >= 0)
			close(fd);
	}
	/* The program, without capabilities, cannot undo the attributes. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sbx_err err;
		int ok = sbx_caps_drop_all(&err) == 0 &&
			 mount_setattr(AT_FDCWD, "/data/ro", 0, &clr, sizeof(clr)) < 0 &&
			 errno == EPERM && umount2("/data/ro", MNT_DETACH) < 0 && errno == EPERM &&
			 create_errno("/data/ro/new") == EROFS;
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "mounts/%s/prepared: without capabilities the ro bind cannot be made writable "
	      "or unmounted (EPERM)",
	      run_name);
}

/* A shared mount as a bind's source, and a policy tmpfs inside the bind:
 * the tmpfs must not propagate back to the caller's namespace. */
static void setup_shared(void)
{
	char p[PATH_MAX];

	hpath(p, sizeof(p), "shared");
	if (mount("tmpfs", p, "tmpfs", 0, "size=64k") < 0 ||
	    mount(NULL, p, NULL, MS_SHARED, NULL) < 0) {
		CHECK(0, "mounts/%s/harness: shared tmpfs on %s: %s", run_name, p, strerror(errno));
		return;
	}
	hpath(p, sizeof(p), "shared/sub");
	mkdir(p, 0755);
}

static void in_jail_shared(const struct test_policy *t)
{
	if (!build_ok("shared-source", t))
		return;
	CHECK(mounted_at("/data/sh/sub") && create_errno("/data/sh/sub/x") == 0,
	      "mounts/%s/shared source: tmpfs inside its bind", run_name);
}

static void after_shared(void)
{
	char p[PATH_MAX];

	hpath(p, sizeof(p), "shared/sub");
	CHECK(!mounted_at(p), "mounts/%s/shared source: the jail's mount did not reach the caller",
	      run_name);
}

/* A cwd a bind shows already is not cloned: build would only close it. */
static void in_jail_cwd_in_bind(const struct test_policy *t)
{
	char buf[PATH_MAX];

	if (!build_ok("prepared cwd in bind", t))
		return;
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, t->pol.caller_cwd) == 0 &&
		      !mounted_at(t->pol.caller_cwd),
	      "mounts/%s/prepared: cwd %s shown by its bind, not bound again", run_name,
	      t->pol.caller_cwd);
}

static void in_jail_cwd_in_rw(const struct test_policy *t)
{
	char buf[PATH_MAX];

	if (!build_ok("prepared cwd in rw bind", t))
		return;
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, t->pol.caller_cwd) == 0 &&
		      !mounted_at(t->pol.caller_cwd) && write_file("rwfile", "rw") == 0,
	      "mounts/%s/prepared: cwd inside an rw bind of a 0700 directory's child: "
	      "shown by it, writable",
	      run_name);
}

static void in_jail_cwd_under_absent(const struct test_policy *t)
{
	char buf[PATH_MAX];

	if (!build_ok("prepared cwd under an absent bind", t))
		return;
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, t->pol.caller_cwd) == 0 &&
		      file_is("x", "caller"),
	      "mounts/%s/prepared: cwd below an absent optional bind's target bound itself",
	      run_name);
}

static void run_prepared(void)
{
	struct test_policy t;
	static char p[PATH_MAX];
	struct sbx_err err;
	bool root = geteuid() == 0;

	/* ro /usr, ro priv/ro and the cwd: three trees for root, none else. */
	policy_private(&t);
	as_supervisor(&t, root ? 3 : 0, NULL, in_jail_private, NULL);

	if (root) {
		hpath(p, sizeof(p), "shared");
		policy_base(&t);
		add(&t, SBX_MOUNT_RO, "/usr", "/usr");
		add(&t, SBX_MOUNT_RW, p, "/data/sh");
		add_tmpfs(&t, "/data/sh/sub", 0);
		t.pol.sandbox.uid = t.pol.sandbox.gid = 65534;
		as_supervisor(&t, 2, setup_shared, in_jail_shared, after_shared);
	}

	/* Where the cwd lies in a bind that shows it, only the bind is
	 * cloned; below an absent optional bind's target, the cwd is. */
	policy_default(&t);
	t.pol.caller_cwd = (char *)"/usr/share";
	as_supervisor(&t, root ? 1 : 0, NULL, in_jail_cwd_in_bind, NULL);

	{
		static char proj[PATH_MAX], sub[PATH_MAX + 8];

		hpath(proj, sizeof(proj), "priv/cwd");
		snprintf(sub, sizeof(sub), "%s/out", proj);
		policy_base(&t);
		add(&t, SBX_MOUNT_RO, "/usr", "/usr");
		add_tmpfs(&t, "/tmp", 0);
		add(&t, SBX_MOUNT_RW, proj, proj);
		t.pol.sandbox.bind_cwd = SBX_BIND_CWD_RO;
		t.pol.sandbox.uid = t.pol.sandbox.gid = 65534;
		t.pol.caller_cwd = sub;
		as_supervisor(&t, root ? 2 : 0, NULL, in_jail_cwd_in_rw, NULL);
	}

	policy_private(&t);
	add(&t, SBX_MOUNT_RO, "?/nonexistent-sbx-test", host);
	as_supervisor(&t, root ? 3 : 0, NULL, in_jail_cwd_under_absent, NULL);

	/* A missing source fails in prepare, naming it, and leaves nothing
	 * open (as nobody, prepare is a no-op: build says it, as above). */
	policy_base(&t);
	add(&t, SBX_MOUNT_RO, "/usr", "/usr");
	add(&t, SBX_MOUNT_RO, "/nonexistent-sbx-test", "/x");
	memset(&err, 0, sizeof(err));
	{
		size_t before = fd_count();
		int r = sbx_mounts_prepare(&t.pol, &err);

		if (root)
			CHECK(r < 0 && strcmp(err.step, SBX_STEP_MOUNT) == 0 && err.errnum == ENOENT &&
				      strstr(err.detail, "ro bind /nonexistent-sbx-test on /x") &&
				      fd_count() == before,
			      "mounts/%s/prepare: missing source fails (%s: %s), nothing left open",
			      run_name, err.detail, strerror(err.errnum));
		else
			CHECK(r == 0 && fd_count() == before,
			      "mounts/%s/prepare: a no-op without CAP_SYS_ADMIN", run_name);
		sbx_mounts_release();
	}
}

static void run_all(void)
{
	char p[PATH_MAX + 32];

	host_setup();

	in_jail_ns(scenario_full);
	hpath(p, sizeof(p), "rw/written");
	CHECK(file_is(p, "from the jail"), "mounts/%s/rw bind: the host sees the write", run_name);

	in_jail_ns(scenario_default);
	in_jail_ns(scenario_shipped);
	in_jail_ns(scenario_missing);
	in_jail_ns(scenario_symlink_through);
	in_jail_ns(scenario_symlink_last);
	hpath(p, sizeof(p), "outside/made");
	CHECK(absent(p), "mounts/%s/nothing made through the symlink on the host", run_name);
	in_jail_ns(scenario_no_mkdir_in_bind);
	hpath(p, sizeof(p), "esc/newdir");
	CHECK(absent(p), "mounts/%s/no mount point made in the host's tree", run_name);
	in_jail_ns(scenario_no_mkdir_in_ro);
	in_jail_ns(scenario_under_ro);
	in_jail_ns(scenario_cwd_policy);
	in_jail_ns(scenario_cwd_missing);
	in_jail_ns(scenario_cwd_no);
	in_jail_ns(scenario_cwd_rw);
	hpath(p, sizeof(p), "cwd/rwfile");
	CHECK(file_is(p, "rw"), "mounts/%s/bind_cwd = rw: the host sees the write", run_name);
	in_jail_ns(scenario_cwd_in_bind);
	in_jail_ns(scenario_nested);
	hpath(p, sizeof(p), "cwd/out/nested");
	CHECK(file_is(p, "nested"), "mounts/%s/nested: the host sees the write", run_name);
	in_jail_ns(scenario_cwd_is_tmpfs);
	run_prepared();

	nftw(host, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);

	run_all();
	if (geteuid() == 0) {
		pid_t pid;
		int status;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			run_name = "nobody";
			check_failures = 0;
			/* Changing ids makes the process not dumpable, which
			 * gives its /proc files to root: undo that, or nobody
			 * cannot write its own uid_map (proc(5)). */
			if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			    setresuid(65534, 65534, 65534) < 0 ||
			    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
				CHECK(0, "mounts/nobody/harness: become nobody: %s", strerror(errno));
				_exit(1);
			}
			run_all();
			fflush(stdout);
			_exit(CHECK_DONE());
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			check_failures++;
	}
	return CHECK_DONE();
}
