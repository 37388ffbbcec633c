/*
 * doctor: what this machine gives the jail, one line per check:
 *
 *     ok   CHECK: what was found
 *     warn CHECK: what was found; fix: what to do
 *     fail CHECK: what was found; fix: what to do
 *
 * Every check that can be tried is tried, in a child process, rather than
 * guessed from version numbers: a user namespace is made, a seccomp filter
 * with a listener is loaded and answered, an int 0x80 is issued, and the
 * whole jail is built with the effective policy to run /bin/true. The sysctls
 * and the kernel config are read too, to name the cause and the fix.
 * The status is 0 when no line says fail.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "channel.h"
#include "jail.h"
#include "launcher.h"

extern char **environ;

enum level { OK, WARN, FAIL };

static int n_failed;

__attribute__((format(printf, 3, 4))) static void say(enum level lv, const char *check,
						      const char *fmt, ...)
{
	static const char *const tag[] = {"ok", "warn", "fail"};
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One line each, whatever the text holds. */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	printf("%-4s %s: %s\n", tag[lv], check, buf);
	if (lv == FAIL)
		n_failed++;
}

/* An integer sysctl, or -1 when the file does not exist or cannot be read. */
static long read_sysctl(const char *name)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

/*
 * Run fn in a child, so that whatever it tries (namespaces, filters, a
 * foreign syscall) stays there. fn writes a short message to fd; it comes
 * back in msg. Returns the child's wait status.
 */
static int probe(int (*fn)(int fd, void *arg), void *arg, char *msg, size_t size)
{
	int pfd[2], status = 0;
	size_t got = 0;
	pid_t pid;

	msg[0] = '\0';
	fflush(NULL);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(msg, size, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(msg, size, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		_exit(fn(pfd[1], arg));
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n = read(pfd[0], msg + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= size - 1)
			break;
	}
	msg[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Drop a trailing newline: the message goes into one line. */
	while (got > 0 && msg[got - 1] == '\n')
		msg[--got] = '\0';
	return status;
}

static const char *sig_text(int status, char *buf, size_t size)
{
	const char *abbrev = sigabbrev_np(WTERMSIG(status));
	snprintf(buf, size, "killed by SIG%s", abbrev ? abbrev : "?");
	return buf;
}

/* --- the kernel --------------------------------------------------------- */

static void check_kernel(void)
{
	struct utsname u;

	if (uname(&u) == 0)
		say(OK, "kernel", "%s %s %s", u.sysname, u.release, u.machine);
}

/* One CONFIG_ option from the kernel's own config, into val ("y", "not set"),
 * and where it was read; -1 when no config could be read. */
static int kconfig(const char *opt, char *val, size_t vsize, char *where, size_t wsize)
{
	struct utsname u;
	char path[300], line[256];
	size_t olen = strlen(opt);
	FILE *f = NULL;
	bool pipe_f = false;
	int found = -1;

	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = fopen(path, "re");
	}
	if (!f && access("/proc/config.gz", R_OK) == 0) {
		/* CONFIG_IKCONFIG_PROC: gzip'ed; gzip reads it for us. */
		snprintf(path, sizeof(path), "/proc/config.gz");
		f = popen("gzip -dc /proc/config.gz 2>/dev/null", "re");
		pipe_f = f != NULL;
	}
	if (!f) {
		snprintf(where, wsize, "no kernel config (/proc/config.gz, /boot/config-%s)", u.release);
		return -1;
	}
	snprintf(where, wsize, "%s", path);
	snprintf(val, vsize, "not set");
	found = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, opt, olen) == 0 && line[olen] == '=') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(val, vsize, "%s", line + olen + 1);
			found = 1;
		}
	}
	if (pipe_f)
		pclose(f);
	else
		fclose(f);
	return found;
}

/* --- user namespaces ---------------------------------------------------- */

static void check_userns_sysctls(void)
{
	long clone_ok = read_sysctl("kernel.unprivileged_userns_clone");
	long max_ns = read_sysctl("user.max_user_namespaces");
	long aa = read_sysctl("kernel.apparmor_restrict_unprivileged_userns");
	char state[300];
	bool root = geteuid() == 0;

	snprintf(state, sizeof(state),
		 "kernel.unprivileged_userns_clone=%s, user.max_user_namespaces=%s, "
		 "kernel.apparmor_restrict_unprivileged_userns=%s",
		 clone_ok < 0 ? "absent" : clone_ok ? "1" : "0",
		 max_ns < 0 ? "absent" : max_ns == 0 ? "0" : "set",
		 aa < 0 ? "absent" : aa ? "1" : "0");
	if (max_ns == 0) {
		say(FAIL, "userns-sysctl", "%s: no user namespace at all; fix: sysctl -w user.max_user_namespaces=15000",
		    state);
	} else if (clone_ok == 0) {
		say(root ? WARN : FAIL, "userns-sysctl",
		    "%s: unprivileged users cannot make user namespaces; "
		    "fix: sysctl -w kernel.unprivileged_userns_clone=1", state);
	} else if (aa == 1) {
		say(root ? WARN : FAIL, "userns-sysctl",
		    "%s: AppArmor gives unprivileged user namespaces no capability, so no jail can be built; "
		    "fix: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile "
		    "for sbx with the `userns,` rule", state);
	} else {
		say(OK, "userns-sysctl", "%s", state);
	}
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* What the jail does first: every namespace at once, the id maps, a tmpfs. */
static int try_namespaces(int out, void *arg)
{
	const uid_t *as = arg;
	uid_t uid;
	gid_t gid;
	char map[64];

	if (as && (setgroups(0, NULL) < 0 || setresgid(*as, *as, *as) < 0 || setresuid(*as, *as, *as) < 0)) {
		dprintf(out, "setresuid(%u): %s", *as, strerror(errno));
		return 1;
	}
	/* The change of ids made us non-dumpable, which hands our /proc
	 * files (uid_map) to root (proc(5), PR_SET_DUMPABLE). */
	if (as && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		dprintf(out, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return 1;
	}
	uid = getuid();
	gid = getgid();
	if (unshare(CLONE_NEWUSER) < 0) {
		dprintf(out, "unshare(CLONE_NEWUSER): %s", strerror(errno));
		return 2;
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
		    CLONE_NEWCGROUP) < 0) {
		dprintf(out, "unshare(mount pid net ipc uts cgroup) in the user namespace: %s",
			strerror(errno));
		return 3;
	}
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_file("/proc/self/setgroups", "deny") < 0 || write_file("/proc/self/uid_map", map) < 0) {
		dprintf(out, "write uid_map: %s", strerror(errno));
		return 4;
	}
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (write_file("/proc/self/gid_map", map) < 0) {
		dprintf(out, "write gid_map: %s", strerror(errno));
		return 4;
	}
	/* The jail's root is a tmpfs: AppArmor's restriction shows here. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("sbx-doctor", "/", "tmpfs", 0, "size=64k") < 0) {
		dprintf(out, "mount a tmpfs in the new namespaces: %s", strerror(errno));
		return 5;
	}
	return 0;
}

static void check_userns(void)
{
	char msg[512];
	int st = probe(try_namespaces, NULL, msg, sizeof(msg));
	char sig[32];
	bool root = geteuid() == 0;

	if (st == 0)
		say(OK, "namespaces", "as uid %u: user, mount, pid, net, ipc, uts, cgroup namespaces, "
				     "id maps and a tmpfs all work", (unsigned)getuid());
	else
		say(FAIL, "namespaces", "as uid %u: %s; fix: see the userns-sysctl line, or a container's "
					"seccomp profile that refuses unshare",
		    (unsigned)getuid(), WIFSIGNALED(st) ? sig_text(st, sig, sizeof(sig)) : msg);
	if (!root)
		return;
	/* Root can always make namespaces; what matters to every other user
	 * is whether an unprivileged one can. */
	uid_t nobody = 65534;
	st = probe(try_namespaces, &nobody, msg, sizeof(msg));
	if (st == 0)
		say(OK, "namespaces-unprivileged", "as uid 65534: the same works without privilege");
	else
		say(WARN, "namespaces-unprivileged",
		    "as uid 65534: %s: only root can use sbx here; fix: see the userns-sysctl line",
		    WIFSIGNALED(st) ? sig_text(st, sig, sizeof(sig)) : msg);
}

/* --- cgroups ------------------------------------------------------------ */

/* Which cgroup hierarchies are mounted, from /proc/self/mountinfo. */
static void check_cgroup_mounts(void)
{
	char line[1024], v2[600] = "", v1[600] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f) {
		say(WARN, "cgroup-mounts", "cannot read /proc/self/mountinfo: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char mnt[256], fstype[32], opts[256];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 ||
		    sscanf(sep + 3, "%31s %*s %255s", fstype, opts) != 2)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && !v2[0]) {
			char path[300], ctl[200] = "";
			FILE *c;
			snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
			c = fopen(path, "re");
			if (c) {
				if (!fgets(ctl, sizeof(ctl), c))
					ctl[0] = '\0';
				fclose(c);
				ctl[strcspn(ctl, "\n")] = '\0';
			}
			snprintf(v2, sizeof(v2), "cgroup2 at %s (controllers: %s)", mnt, ctl[0] ? ctl : "none");
		} else if (strcmp(fstype, "cgroup") == 0) {
			for (const char *want = "memory"; want; want = strcmp(want, "memory") ? NULL : "pids") {
				char *o = strstr(opts, want);
				size_t wl = strlen(want);
				if (o && (o == opts || o[-1] == ',') && (o[wl] == ',' || o[wl] == '\0'))
					snprintf(v1 + strlen(v1), sizeof(v1) - strlen(v1), "%sv1 %s at %s",
						 v1[0] ? ", " : "", want, mnt);
			}
		}
	}
	fclose(f);
	say(OK, "cgroup-mounts", "%s%s%s", v2[0] ? v2 : "no cgroup2", v1[0] ? "; " : "",
	    v1[0] ? v1 : "; no v1 memory or pids hierarchy");
}

/*
 * Make the cgroup the jail would get, with the effective policy's limits
 * (the cgroup step itself, so the answer is the jail's), then remove it.
 */
static void check_cgroup(const struct sbx_policy *pol)
{
	static const char fix[] = "fix: run as root, or start sbx in a delegated cgroup v2 subtree "
				  "(systemd-run --user --scope -p Delegate=yes sbx ...)";
	struct sbx_cgroup cg;
	struct sbx_err err;

	if (!pol->limits.memory_bytes && !pol->limits.processes) {
		say(OK, "cgroup", "the policy sets no memory or processes limit: no cgroup needed");
		return;
	}
	memset(&cg, 0, sizeof(cg));
	cg.procs_fd[0] = cg.procs_fd[1] = -1;
	if (sbx_cgroup_create(pol, &cg, &err) < 0) {
		char line[768];
		size_t n = sbx_err_format(&err, line, sizeof(line));
		if (n > 0)
			line[n - 1] = '\0';
		say(FAIL, "cgroup", "%s (require_cgroup = yes); %s, or set require_cgroup = no", line, fix);
		return;
	}
	if (pol->limits.memory_bytes) {
		if (cg.memory)
			say(OK, "cgroup-memory", "memory = %s holds for the whole jail (cgroup %s: %s)",
			    pol->limits.memory_text, cg.v2 ? "v2" : "v1 memory", cg.mem_dir);
		else
			say(WARN, "cgroup-memory",
			    "no memory cgroup (%s): memory = %s falls back to RLIMIT_AS per process "
			    "(address space, not resident memory, and not the whole jail: Go and "
			    "JVM programs reserve 1G or more at start); %s",
			    cg.why_not, pol->limits.memory_text, fix);
	}
	if (pol->limits.processes) {
		if (cg.pids)
			say(OK, "cgroup-pids", "processes = %llu holds for the whole jail (cgroup %s: %s)",
			    (unsigned long long)pol->limits.processes, cg.v2 ? "v2" : "v1 pids",
			    cg.v2 ? cg.mem_dir : cg.pids_dir);
		else
			say(WARN, "cgroup-pids",
			    "no pids cgroup (%s): processes = %llu holds only through RLIMIT_NPROC "
			    "in the jail's user namespace; %s",
			    cg.why_not, (unsigned long long)pol->limits.processes, fix);
	}
	sbx_cgroup_destroy(&cg);
}

/* --- seccomp ------------------------------------------------------------ */

/*
 * Load a filter that sends getppid() to a listener, make a child call it,
 * and answer with "continue": what the supervisor does for every denied
 * call (user notification, Linux 5.0) and in learn mode (continue, 5.5).
 */
static int try_seccomp_notify(int out, void *arg)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(insns) / sizeof(insns[0]), .filter = insns};
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct pollfd pfd;
	pid_t me = getpid(), child;
	int listener, status, rc = 0;

	(void)arg;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		dprintf(out, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return 2;
	}
	listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
				&prog);
	if (listener < 0) {
		dprintf(out, "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER): %s", strerror(errno));
		return 3;
	}
	child = fork();
	if (child == 0)
		_exit(syscall(SYS_getppid) == me ? 0 : 1);
	if (child < 0) {
		dprintf(out, "fork: %s", strerror(errno));
		return 2;
	}
	pfd = (struct pollfd){.fd = listener, .events = POLLIN};
	if (poll(&pfd, 1, 5000) != 1) {
		kill(child, SIGKILL);
		dprintf(out, "no notification came");
		return 3;
	}
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
		kill(child, SIGKILL);
		dprintf(out, "SECCOMP_IOCTL_NOTIF_RECV: %s", strerror(errno));
		return 3;
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) {
		/* No continue (before 5.5): answer by hand so the child ends. */
		dprintf(out, "SECCOMP_USER_NOTIF_FLAG_CONTINUE: %s", strerror(errno));
		resp.flags = 0;
		resp.val = me;
		(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		rc = 4;
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!rc)
			dprintf(out, "the continued call gave a wrong answer");
		return rc ? rc : 5;
	}
	return rc;
}

static void check_seccomp(void)
{
	char msg[512], sig[32];
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	int st;

	if (mode < 0 && errno == EINVAL) {
		say(FAIL, "seccomp", "the kernel has no seccomp (CONFIG_SECCOMP_FILTER); fix: a kernel with it");
		return;
	}
	if (mode == 2)
		say(OK, "seccomp", "this process already runs under a seccomp filter (a container's?): "
				   "the jail's filter stacks on it, and the stricter answer wins");
	else
		say(OK, "seccomp", "filters can be loaded");
	st = probe(try_seccomp_notify, NULL, msg, sizeof(msg));
	if (WIFSIGNALED(st))
		say(FAIL, "seccomp-notify", "the probe was %s; fix: check what filters this process",
		    sig_text(st, sig, sizeof(sig)));
	else if (st == 0)
		say(OK, "seccomp-notify", "user notification and continue work: a blocked syscall is "
					  "named, and sbx learn can run");
	else if (WEXITSTATUS(st) == 4)
		say(WARN, "seccomp-notify", "%s: blocked syscalls are named but sbx learn cannot let "
					    "them run; fix: Linux 5.5 or later", msg);
	else
		say(FAIL, "seccomp-notify", "%s: the jail's filter needs seccomp user notification; "
					    "fix: Linux 5.0 or later, without a profile that refuses it", msg);
}

static void check_landlock(void)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	/* sbx's file view is its mount namespace; Landlock would only be a
	 * second wall, so its absence is not a problem. */
	if (abi >= 0)
		say(OK, "landlock", "ABI %d (not used by sbx: the jail's file view is its own mount "
				    "namespace)", abi);
	else if (errno == EOPNOTSUPP)
		say(OK, "landlock", "built in but disabled at boot (add landlock to the lsm= kernel "
				    "parameter to enable it); sbx does not need it");
	else
		say(OK, "landlock", "not in this kernel (%s); sbx does not need it", strerror(errno));
}

/* --- foreign ABIs ------------------------------------------------------- */

#ifdef __x86_64__
/* getpid through the i386 entry (number 20 there): answers only with
 * CONFIG_IA32_EMULATION on; without it int 0x80 is a fault (SIGSEGV). */
static int try_ia32(int out, void *arg)
{
	long ret;

	(void)arg;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	dprintf(out, "%ld", ret);
	return ret == getpid() ? 0 : 1;
}

/* getpid with the x32 bit: answers only with CONFIG_X86_X32_ABI on. */
static int try_x32(int out, void *arg)
{
	long ret = syscall(0x40000000L | SYS_getpid);

	(void)arg;
	dprintf(out, "%s", ret < 0 ? strerror(errno) : "answered");
	return ret == getpid() ? 0 : 1;
}

static void check_abi(const char *check, const char *config, int (*fn)(int, void *),
		      const char *abi)
{
	char msg[256], val[64], where[300], sig[32], cfg[400];
	int kc = kconfig(config, val, sizeof(val), where, sizeof(where));
	int st = probe(fn, NULL, msg, sizeof(msg));

	if (kc < 0)
		snprintf(cfg, sizeof(cfg), "%s", where);
	else
		snprintf(cfg, sizeof(cfg), "%s %s in %s", config, val, where);
	if (st == 0)
		say(OK, check, "%s syscalls work here (probed; %s): the jail's filter kills the "
			       "first one, so %s programs cannot run in it", abi, cfg, abi);
	else
		say(OK, check, "%s syscalls are off (probe: %s; %s): nothing to filter", abi,
		    WIFSIGNALED(st) ? sig_text(st, sig, sizeof(sig)) : msg, cfg);
}
#endif

/* --- egress ------------------------------------------------------------- */

static bool on_path(const char *name, char *found, size_t size)
{
	const char *path = getenv("PATH");
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s:/usr/bin:/usr/sbin:/bin:/sbin", path ? path : "");
	for (char *save = NULL, *dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(found, size, "%s/%s", dir, name);
		if (access(found, X_OK) == 0)
			return true;
	}
	return false;
}

static void check_egress(void)
{
	struct stat st;
	char pasta[512];
	int fd;

	if (stat("/dev/net/tun", &st) < 0) {
		say(WARN, "egress-tun", "no /dev/net/tun (%s): [net] mode = egress cannot work; "
					"fix: modprobe tun", strerror(errno));
	} else if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0) {
		say(WARN, "egress-tun", "/dev/net/tun (mode %04o) cannot be opened by uid %u: %s: "
					"[net] mode = egress will fail for this user; fix: chmod 0666 "
					"/dev/net/tun (the kernel checks permissions per network namespace)",
		    (unsigned)(st.st_mode & 07777), (unsigned)geteuid(), strerror(errno));
	} else {
		close(fd);
		if ((st.st_mode & 0666) == 0666)
			say(OK, "egress-tun", "/dev/net/tun opens (mode %04o: every user can)",
			    (unsigned)(st.st_mode & 07777));
		else
			say(geteuid() == 0 ? WARN : OK, "egress-tun",
			    "/dev/net/tun opens for uid %u, but its mode is %04o: other users cannot use "
			    "[net] mode = egress; fix: chmod 0666 /dev/net/tun",
			    (unsigned)geteuid(), (unsigned)(st.st_mode & 07777));
	}
	if (on_path("pasta", pasta, sizeof(pasta)))
		say(OK, "egress-pasta", "%s ([net] mode = egress runs it outside the jail)", pasta);
	else
		say(WARN, "egress-pasta", "pasta is not installed: [net] mode = egress cannot work; "
					  "fix: apt-get install passt");
}

/* --- the whole jail ----------------------------------------------------- */

struct jail_probe {
	const struct sbx_policy *pol;
	const char *program;
};

static int try_jail(int out, void *arg)
{
	const struct jail_probe *jp = arg;
	struct sbx_jail_opts opts = {.policy_name = "doctor", .envp = environ,
				     .seccomp_mode = SBX_SECCOMP_ENFORCE, .keep_channel = true};
	char *argv[] = {(char *)jp->program, NULL};
	struct sbx_err err;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC), channel;

	/* The jail's messages (and the program's) come back through out. */
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(out, 2) < 0)
		return 126;
	channel = sbx_jail_enter(jp->pol, &opts, &err);
	if (channel < 0)
		sbx_die(&err);
	execve(jp->program, argv, environ);
	sbx_prog_exec_failed(jp->pol, jp->program, errno, &err);
	sbx_jail_die(channel, &err);
}

static void check_jail(const struct sbx_policy *pol)
{
	/* The policy as it is, less its report: a check is not a run. */
	struct sbx_policy quiet = *pol;
	struct jail_probe jp = {.pol = &quiet, .program = "/bin/true"};
	struct timespec t0, t1;
	char msg[1024], sig[32];
	const char *last;
	int st;

	quiet.sandbox.report = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = probe(try_jail, &jp, msg, sizeof(msg));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* The jail's last line says why it failed (a cgroup warning may come first). */
	last = strrchr(msg, '\n');
	last = last ? last + 1 : msg;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		say(OK, "jail", "the policy's jail builds and ran %s in it (%.1f ms)", jp.program,
		    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	else if (WIFSIGNALED(st))
		say(FAIL, "jail", "the supervisor was %s", sig_text(st, sig, sizeof(sig)));
	else
		say(FAIL, "jail", "running %s jailed ended with status %d: %s", jp.program,
		    WEXITSTATUS(st), last[0] ? last : "(no message)");
}

/* --- the program -------------------------------------------------------- */

/* Where sandbox.so sits beside this sbx: the build tree, or PREFIX/lib/sbx. */
static void find_sandbox_so(char *buf, size_t size)
{
	char exe[512], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	snprintf(buf, size, "sandbox.so");
	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(buf, size, "%s/sandbox.so", exe);
	if (access(buf, R_OK) == 0)
		return;
	snprintf(buf, size, "%s/../lib/sbx/sandbox.so", exe);
	if (access(buf, R_OK) != 0)
		snprintf(buf, size, "sandbox.so");
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386:
		return "i386";
	case EM_X86_64:
		return "x86-64";
	case EM_AARCH64:
		return "aarch64";
	case EM_ARM:
		return "arm";
	default:
		return "another machine";
	}
}

/* Say whether LD_PRELOAD reaches path. depth bounds the #! chain. */
static void check_program_file(const char *shown, const char *path, int depth)
{
	struct sbx_prog_info info;
	char so[600], what[700];

	sbx_prog_inspect(path, &info);
	find_sandbox_so(so, sizeof(so));
	if (!info.readable) {
		say(WARN, "program", "%s: cannot be read by uid %u (%s): no way to tell its kind; "
				     "run it with sbx, which jails any kind", shown,
		    (unsigned)geteuid(), strerror(errno));
		return;
	}
	if (info.setuid || info.setgid || info.file_caps) {
		snprintf(what, sizeof(what), "%s%s%s", info.setuid ? (info.owner == 0 ? "setuid-root " : "setuid ") : "",
			 info.setgid ? "setgid " : "", info.file_caps ? "file capabilities " : "");
		what[strlen(what) - 1] = '\0';
		say(WARN, "program",
		    "%s: %s: the loader runs it in secure mode and ignores LD_PRELOAD=%s, so it would "
		    "run unjailed and privileged; fix: run it with sbx, where it runs jailed and without "
		    "the privilege (no_new_privs)",
		    shown, what, so);
		return;
	}
	switch (info.kind) {
	case SBX_PROG_DYNAMIC:
		if (!info.native) {
			say(FAIL, "program", "%s: a %s ELF: its loader ignores the x86-64 %s and runs it "
					     "unjailed, and in sbx's jail its syscalls are of a foreign ABI, "
					     "which the filter kills; no way to jail it",
			    shown, machine_name(info.machine), so);
		} else if (!strstr(info.interp, "ld-linux")) {
			say(WARN, "program", "%s: dynamic, but its loader %s is not glibc's: %s (built for "
					     "glibc) cannot load into it (musl's loader then refuses to run "
					     "the program, status 127; another may run it unjailed); fix: run "
					     "it with sbx",
			    shown, info.interp, so);
		} else {
			say(OK, "program", "%s: dynamic ELF (loader %s): LD_PRELOAD=%s reaches it; so does sbx",
			    shown, info.interp, so);
		}
		return;
	case SBX_PROG_STATIC:
		if (!info.elf64 || !info.native)
			say(FAIL, "program", "%s: a %s%s ELF: in sbx's jail its syscalls are of a foreign ABI, "
					     "which the filter kills; no way to jail it",
			    shown, info.elf64 ? "" : "32-bit ", machine_name(info.machine));
		else
			say(WARN, "program", "%s: static ELF%s (no PT_INTERP, so no loader): LD_PRELOAD "
					     "cannot reach it and it would run unjailed; fix: run it with sbx",
			    shown, info.go ? ", a Go program" : "");
		return;
	case SBX_PROG_SCRIPT: {
		char *interp = NULL;
		struct sbx_err err;
		char cwd[512];
		const char *name = info.interp;
		/* "#!/usr/bin/env python3": what runs is python3 on PATH. */
		if (strcmp(info.interp, "/usr/bin/env") == 0 && info.interp_arg[0] &&
		    info.interp_arg[0] != '-')
			name = info.interp_arg;
		if (depth > 3 || !getcwd(cwd, sizeof(cwd)) ||
		    sbx_prog_resolve(name, getenv("PATH"), cwd, &interp, &err) < 0) {
			say(WARN, "program", "%s: a script for %s, which was not found: sbx or LD_PRELOAD "
					     "reach it only through its interpreter", shown, name);
			return;
		}
		say(OK, "program", "%s: a script: what LD_PRELOAD must reach is its interpreter %s", shown,
		    interp);
		check_program_file(interp, interp, depth + 1);
		free(interp);
		return;
	}
	case SBX_PROG_UNKNOWN:
		break;
	}
	say(WARN, "program", "%s: neither ELF nor #! script: exec will refuse it", shown);
}

static void check_program(const char *name)
{
	struct sbx_err err;
	struct stat st;
	char cwd[4096], *path = NULL;

	if (!getcwd(cwd, sizeof(cwd))) {
		say(FAIL, "program", "%s: getcwd: %s", name, strerror(errno));
		return;
	}
	if (sbx_prog_resolve(name, getenv("PATH"), cwd, &path, &err) < 0) {
		say(FAIL, "program", "%s: not found on PATH", name);
		return;
	}
	if (stat(path, &st) < 0) {
		say(FAIL, "program", "%s: %s", path, strerror(errno));
		free(path);
		return;
	}
	check_program_file(name, path, 0);
	free(path);
}

int sbx_doctor(const struct sbx_policy *pol, const char *program)
{
	check_kernel();
	check_userns_sysctls();
	check_userns();
	check_cgroup_mounts();
	check_cgroup(pol);
	check_seccomp();
	check_landlock();
#ifdef __x86_64__
	check_abi("abi-ia32", "CONFIG_IA32_EMULATION", try_ia32, "i386");
	check_abi("abi-x32", "CONFIG_X86_X32_ABI", try_x32, "x32");
#endif
	check_egress();
	check_jail(pol);
	if (program)
		check_program(program);
	fflush(stdout);
	return n_failed ? 1 : 0;
}
