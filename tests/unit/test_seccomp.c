/*
 * test_seccomp: the filter of preload/seccomp.c, judged by what the kernel does.
 *
 * Each case forks a child that sets no_new_privs, installs the filter with a
 * hand-made policy, passes the listener to us over a socketpair (SCM_RIGHTS,
 * unix(7)) and then tries one thing. We answer its notifications with
 * sbx_seccomp_handle(), as the supervisor does, and check the child's fate
 * (exit, SIGKILL, SIGSYS), what its call returned, and the events.
 *
 * Cases named "bare: ..." run the same attempt without the filter and check
 * that it works there: they show that each refusal comes from the filter and
 * that the test would fail without it. Runs as root (unshare, TIOCSTI and
 * clone with namespace flags need it to succeed bare); as another user the
 * bare cases that need root are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"
#include "policy.h"
#include "sbx.h"
#include "seccomp.h"

#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif

#define T "test_seccomp/"
#define MAX_EVENTS 8

/* ---- hand-made policies ---- */

struct test_policy {
	struct sbx_policy pol;
	struct sbx_syscall deny[4];
	struct sbx_syscall allow[4];
};

static void policy_init(struct test_policy *tp, enum sbx_seccomp_preset preset,
			enum sbx_seccomp_action action)
{
	memset(tp, 0, sizeof(*tp));
	tp->pol.seccomp.preset = preset;
	tp->pol.seccomp.action = action;
	tp->pol.seccomp.deny = tp->deny;
	tp->pol.seccomp.allow = tp->allow;
}

static void policy_deny(struct test_policy *tp, const char *name, int nr, int line)
{
	struct sbx_syscall *sc = &tp->deny[tp->pol.seccomp.n_deny++];
	sc->name = (char *)name;
	sc->nr = nr;
	sc->origin.file = "test.ini";
	sc->origin.line = line;
}

static void policy_allow(struct test_policy *tp, const char *name, int nr, int line)
{
	struct sbx_syscall *sc = &tp->allow[tp->pol.seccomp.n_allow++];
	sc->name = (char *)name;
	sc->nr = nr;
	sc->origin.file = "test.ini";
	sc->origin.line = line;
}

/* ---- one child, one attempt ---- */

typedef long (*attempt_fn)(const void *arg);

struct fate {
	bool reported; /* the child's attempt returned and told us */
	long ret;
	int err;
	int status; /* from waitpid */
	pid_t pid;
	bool timed_out;
	int n_events;
	struct sbx_seccomp_event ev[MAX_EVENTS];
};

static void send_fd(int sock, int fd)
{
	char byte = fd >= 0 ? 'F' : 'N';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, 0) < 0)
		_exit(126);
}

/* Returns the fd, -1 when the child sent none, -2 when it sent nothing at all. */
static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -2;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

struct result_msg {
	long ret;
	int err;
};

static __attribute__((noreturn)) void child(const struct sbx_policy *pol, enum sbx_seccomp_mode mode,
					     bool filter, attempt_fn fn, const void *arg, int sock,
					     int res)
{
	struct rlimit no_core = {0, 0};
	struct sbx_err err;
	struct result_msg out;
	int listener = -1;

	/* No controlling terminal (vhangup, TIOCSTI on our terminal would do
	 * harm if a filter let them through), no core files from SIGSYS. */
	setsid();
	setrlimit(RLIMIT_CORE, &no_core);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(126);
	if (filter && sbx_seccomp_install(pol, mode, &listener, &err) < 0) {
		char buf[768];
		size_t n = sbx_err_format(&err, buf, sizeof(buf));
		if (write(STDERR_FILENO, buf, n) < 0)
			_exit(125);
		_exit(125);
	}
	send_fd(sock, listener);
	if (listener >= 0)
		close(listener);
	close(sock);
	errno = 0;
	out.ret = fn(arg);
	out.err = errno;
	if (write(res, &out, sizeof(out)) != (ssize_t)sizeof(out))
		_exit(126);
	_exit(0);
}

static void run(const struct sbx_policy *pol, enum sbx_seccomp_mode mode, bool filter,
		attempt_fn fn, const void *arg, struct fate *f)
{
	int sv[2], res[2];
	pid_t pid;
	int listener, pidfd;
	struct result_msg out;

	memset(f, 0, sizeof(*f));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		perror("socketpair/pipe");
		exit(2);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		close(sv[0]);
		close(res[0]);
		child(pol, mode, filter, fn, arg, sv[1], res[1]);
	}
	f->pid = pid;
	close(sv[1]);
	close(res[1]);
	listener = recv_fd(sv[0]);
	close(sv[0]);
	if (listener < -1)
		listener = -1;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		perror("pidfd_open");
		exit(2);
	}
	/* Answer notifications until the child is gone. The timeout only
	 * guards against a hang (a bug would otherwise stall the suite). */
	for (;;) {
		struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
		int n = poll(p, 2, 20000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			f->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (p[1].revents) {
			struct sbx_seccomp_event ev;
			if (sbx_seccomp_handle(listener, pol, mode, &ev) < 0) {
				close(listener);
				listener = -1;
			} else if (ev.nr >= 0 && f->n_events < MAX_EVENTS) {
				f->ev[f->n_events++] = ev;
			}
			continue;
		}
		if (p[0].revents)
			break;
	}
	if (listener >= 0)
		close(listener);
	close(pidfd);
	waitpid(pid, &f->status, 0);
	if (read(res[0], &out, sizeof(out)) == (ssize_t)sizeof(out)) {
		f->reported = true;
		f->ret = out.ret;
		f->err = out.err;
	}
	close(res[0]);
}

static bool exited_ok(const struct fate *f)
{
	return WIFEXITED(f->status) && WEXITSTATUS(f->status) == 0 && f->reported;
}

static bool killed_by(const struct fate *f, int sig)
{
	return WIFSIGNALED(f->status) && WTERMSIG(f->status) == sig && !f->reported;
}

static const char *fate_str(const struct fate *f)
{
	static char buf[256];
	int n;

	if (WIFSIGNALED(f->status))
		n = snprintf(buf, sizeof(buf), "killed by signal %d", WTERMSIG(f->status));
	else
		n = snprintf(buf, sizeof(buf), "exit %d, ret %ld errno %d%s", WEXITSTATUS(f->status),
			     f->ret, f->err, f->reported ? "" : " (no report)");
	for (int i = 0; i < f->n_events && n < (int)sizeof(buf) - 1; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "; event %s%s%s", f->ev[i].name,
			      f->ev[i].killed ? " killed" : "", f->ev[i].allowed ? " allowed" : "");
	if (f->timed_out)
		snprintf(buf + n, sizeof(buf) - (size_t)n, "; timed out");
	return buf;
}

/* The child was killed for NAME by the supervisor, the one event says so. */
static bool killed_for(const struct fate *f, const char *name)
{
	return killed_by(f, SIGKILL) && f->n_events == 1 && f->ev[0].killed &&
	       strcmp(f->ev[0].name, name) == 0 && f->ev[0].pid == f->pid;
}

/* ---- attempts ---- */

struct raw_call {
	long nr;
	long a[6];
};

static long do_raw(const void *arg)
{
	const struct raw_call *c = arg;
	return syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

static long do_getpid(const void *arg)
{
	(void)arg;
	return syscall(SYS_getpid);
}

static long do_getppid(const void *arg)
{
	(void)arg;
	return syscall(SYS_getppid);
}

static long do_traceme(const void *arg)
{
	(void)arg;
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static long do_fork(const void *arg)
{
	int status;
	pid_t pid = fork();

	(void)arg;
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(7);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void *thread_main(void *arg)
{
	(void)arg;
	return (void *)42L;
}

static long do_thread(const void *arg)
{
	pthread_t t;
	void *ret;
	int rc;

	(void)arg;
	rc = pthread_create(&t, NULL, thread_main, NULL);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	pthread_join(t, &ret);
	return (long)ret;
}

static void *thread_ptrace(void *arg)
{
	(void)arg;
	return (void *)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

/* A denied call from a second thread: the whole process must die. */
static long do_thread_ptrace(const void *arg)
{
	pthread_t t;
	void *ret;

	(void)arg;
	if (pthread_create(&t, NULL, thread_ptrace, NULL) != 0)
		return -1;
	pthread_join(t, &ret);
	return (long)ret;
}

/* clone with flags, fork-like (no new stack); the new process exits at once. */
static long do_clone_flags(const void *arg)
{
	unsigned long flags = *(const unsigned long *)arg;
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -1;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static long do_unshare(const void *arg)
{
	return unshare((int)*(const unsigned long *)arg);
}

static long do_clone3_null(const void *arg)
{
	(void)arg;
	/* 64 = CLONE_ARGS_SIZE_VER0: a size the kernel accepts, so only the
	 * NULL pointer makes it fail (EFAULT) when there is no filter. */
	return syscall(SYS_clone3, NULL, 64);
}

/* ioctl request on a fresh pty's replica side (posix_openpt(3)). */
static long do_pty_ioctl(const void *arg)
{
	unsigned long req = *(const unsigned long *)arg;
	char c = '\n';
	struct termios tio;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	int replica;

	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		return -2;
	replica = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (replica < 0)
		return -2;
	if ((req & 0xffffffff) == TCGETS)
		return syscall(SYS_ioctl, replica, req, &tio);
	return syscall(SYS_ioctl, replica, req, &c);
}

static long do_personality(const void *arg)
{
	return syscall(SYS_personality, *(const unsigned long *)arg);
}

/* getpid through the i386 entry (int 0x80, i386 number 20). The compat
 * entry clobbers r8-r11 (it zeroes them on return). */
static long do_int80_getpid(const void *arg)
{
	long r;

	(void)arg;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(20L) : "r8", "r9", "r10", "r11", "memory");
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* getpid (39) with the x32 bit (0x40000000) set, through syscall. */
static long do_x32_getpid(const void *arg)
{
	long r;

	(void)arg;
	__asm__ volatile("syscall" : "=a"(r) : "0"(39L | 0x40000000L) : "rcx", "r11", "memory");
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static long do_install_twice(const void *arg)
{
	const struct sbx_policy *pol = arg;
	struct sbx_err err;
	int listener;

	if (sbx_seccomp_install(pol, SBX_SECCOMP_ENFORCE, &listener, &err) == 0)
		return 0;
	errno = err.errnum;
	return -1;
}

/* python3, /bin/sh, threads, multiprocessing, subprocesses and pipes under
 * the filter: exec'd, so the filter is inherited as it is in the jail. */
static const char python_script[] =
	"import os, subprocess, threading, multiprocessing\n"
	"t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
	"with multiprocessing.Pool(2) as p:\n"
	"    assert p.map(abs, [-1, -2, -3]) == [1, 2, 3]\n"
	"ctx = multiprocessing.get_context('spawn')\n"
	"q = ctx.Queue(); pr = ctx.Process(target=q.put, args=(5,)); pr.start()\n"
	"assert q.get() == 5; pr.join(); assert pr.exitcode == 0\n"
	"out = subprocess.run(['/bin/sh', '-c', 'echo hi | cat; (true &); wait'],\n"
	"                     capture_output=True, check=True).stdout\n"
	"assert out == b'hi\\n', out\n"
	"r, w = os.pipe(); os.write(w, b'x'); assert os.read(r, 1) == b'x'\n"
	"import tempfile, shutil, socket, select, signal\n"
	"a, b = socket.socketpair(); a.send(b'y'); assert b.recv(1) == b'y'\n"
	"print('ok')\n";

static long do_exec(const void *arg)
{
	char *const *argv = arg;
	int status, null;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- the preset, syscall by syscall ---- */

/* Every syscall the brief requires in preset = default. */
static const char *const required[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
	"chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"mount_setattr", "unshare", "setns", "clone", "clone3", "kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module", "bpf", "perf_event_open", "keyctl",
	"add_key", "request_key", "userfaultfd", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "open_by_handle_at", "personality", "reboot", "swapon", "swapoff",
	"acct", "quotactl", "quotactl_fd", "ioctl", "lookup_dcookie", "nfsservctl", "uselib",
	"settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "syslog", "vhangup",
	"pidfd_getfd", "fanotify_init", "migrate_pages", NULL};

/* The native numbers, from <sys/syscall.h>: the test's own table, so a name
 * the module adds without the test knowing it fails loudly. */
static const struct {
	const char *name;
	long nr;
} numbers[] = {
	{"ptrace", __NR_ptrace},
	{"process_vm_readv", __NR_process_vm_readv},
	{"process_vm_writev", __NR_process_vm_writev},
	{"pidfd_getfd", __NR_pidfd_getfd},
	{"process_madvise", __NR_process_madvise},
	{"kcmp", __NR_kcmp},
	{"migrate_pages", __NR_migrate_pages},
	{"mount", __NR_mount},
	{"umount2", __NR_umount2},
	{"pivot_root", __NR_pivot_root},
	{"chroot", __NR_chroot},
	{"move_mount", __NR_move_mount},
	{"open_tree", __NR_open_tree},
	{"open_tree_attr", __NR_open_tree_attr},
	{"fsopen", __NR_fsopen},
	{"fsconfig", __NR_fsconfig},
	{"fsmount", __NR_fsmount},
	{"fspick", __NR_fspick},
	{"mount_setattr", __NR_mount_setattr},
	{"unshare", __NR_unshare},
	{"clone", __NR_clone},
	{"clone3", __NR_clone3},
	{"setns", __NR_setns},
	{"kexec_load", __NR_kexec_load},
	{"kexec_file_load", __NR_kexec_file_load},
	{"init_module", __NR_init_module},
	{"finit_module", __NR_finit_module},
	{"delete_module", __NR_delete_module},
	{"reboot", __NR_reboot},
	{"swapon", __NR_swapon},
	{"swapoff", __NR_swapoff},
	{"acct", __NR_acct},
	{"quotactl", __NR_quotactl},
	{"quotactl_fd", __NR_quotactl_fd},
	{"settimeofday", __NR_settimeofday},
	{"clock_settime", __NR_clock_settime},
	{"adjtimex", __NR_adjtimex},
	{"clock_adjtime", __NR_clock_adjtime},
	{"syslog", __NR_syslog},
	{"vhangup", __NR_vhangup},
	{"iopl", __NR_iopl},
	{"ioperm", __NR_ioperm},
	{"bpf", __NR_bpf},
	{"perf_event_open", __NR_perf_event_open},
	{"keyctl", __NR_keyctl},
	{"add_key", __NR_add_key},
	{"request_key", __NR_request_key},
	{"userfaultfd", __NR_userfaultfd},
	{"io_uring_setup", __NR_io_uring_setup},
	{"io_uring_enter", __NR_io_uring_enter},
	{"io_uring_register", __NR_io_uring_register},
	{"fanotify_init", __NR_fanotify_init},
	{"open_by_handle_at", __NR_open_by_handle_at},
	{"modify_ldt", __NR_modify_ldt},
	{"uselib", __NR_uselib},
	{"lookup_dcookie", __NR_lookup_dcookie},
	{"nfsservctl", __NR_nfsservctl},
	{"_sysctl", __NR__sysctl},
	{"create_module", __NR_create_module},
	{"get_kernel_syms", __NR_get_kernel_syms},
	{"query_module", __NR_query_module},
	{"personality", __NR_personality},
	{"ioctl", __NR_ioctl},
};

static long number_of(const char *name)
{
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (strcmp(numbers[i].name, name) == 0)
			return numbers[i].nr;
	return -1;
}

static bool in_preset(const char *name)
{
	for (size_t i = 0; sbx_seccomp_preset_name(i); i++)
		if (strcmp(sbx_seccomp_preset_name(i), name) == 0)
			return true;
	return false;
}

/*
 * Arguments that make the call harmless if a broken filter let it run (as
 * root, in this test): -1 everywhere is a bad fd, a bad pointer, bad flags or
 * a bad magic number for every call of the preset (reboot checks its magic
 * first, kexec_load rejects the segment count, unshare and clone the flags).
 * vhangup takes none: the child has no controlling terminal (setsid).
 */
static void preset_call(const char *name, struct raw_call *c)
{
	c->nr = number_of(name);
	for (int i = 0; i < 6; i++)
		c->a[i] = -1;
	if (strcmp(name, "personality") == 0) {
		c->a[0] = READ_IMPLIES_EXEC;
	} else if (strcmp(name, "ioctl") == 0) {
		c->a[0] = -1;
		c->a[1] = TIOCSTI;
		c->a[2] = 0;
	}
}

static void test_preset(void)
{
	struct test_policy tp;
	struct fate f;

	for (int i = 0; required[i]; i++)
		CHECK(in_preset(required[i]), T "preset default lists %s", required[i]);

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	for (size_t i = 0; sbx_seccomp_preset_name(i); i++) {
		const char *name = sbx_seccomp_preset_name(i);
		struct raw_call c;

		if (strcmp(name, "clone3") == 0)
			continue; /* ENOSYS, below */
		preset_call(name, &c);
		if (c.nr < 0) {
			CHECK(0, T "the test knows the number of %s", name);
			continue;
		}
		run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_raw, &c, &f);
		CHECK(killed_for(&f, name) && strcmp(f.ev[0].origin, "preset default") == 0,
		      T "%s is killed and named (%s)", name, fate_str(&f));
	}
}

/* ---- the cases ---- */

static bool root(void)
{
	return geteuid() == 0;
}

static void skip_unless_root(bool is_root, const char *what)
{
	if (!is_root)
		printf("SKIP " T "bare: %s (needs root)\n", what);
}

static void test_basics(void)
{
	struct test_policy tp;
	struct fate f;

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_getpid, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == f.pid && f.n_events == 0,
	      T "getpid works under the filter (%s)", fate_str(&f));

	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_traceme, NULL, &f);
	CHECK(killed_for(&f, "ptrace"), T "ptrace(PTRACE_TRACEME) is killed (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_traceme, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == 0, T "bare: ptrace(PTRACE_TRACEME) works (%s)", fate_str(&f));

	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_thread_ptrace, NULL, &f);
	CHECK(killed_for(&f, "ptrace"),
	      T "ptrace from a second thread kills the whole process, named by its pid (%s)",
	      fate_str(&f));

	{
		struct raw_call c = {.nr = __NR_mount, .a = {-1, -1, -1, -1, -1, -1}};
		run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_raw, &c, &f);
		CHECK(exited_ok(&f) && f.ret == -1 && f.err == EFAULT,
		      T "bare: mount(-1, ...) reaches the kernel (EFAULT) (%s)", fate_str(&f));
	}

	/* errno action */
	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_ERRNO);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_traceme, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == -1 && f.err == EPERM && f.n_events == 1 &&
		      !f.ev[0].killed && !f.ev[0].allowed && strcmp(f.ev[0].name, "ptrace") == 0,
	      T "action errno: ptrace gets EPERM and is reported (%s)", fate_str(&f));

	/* allow takes a name out of the preset */
	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	policy_allow(&tp, "ptrace", __NR_ptrace, 3);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_traceme, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == 0 && f.n_events == 0,
	      T "allow = ptrace: ptrace works (%s)", fate_str(&f));
	{
		struct raw_call c = {.nr = __NR_process_vm_readv, .a = {-1, -1, -1, -1, -1, -1}};
		run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_raw, &c, &f);
		CHECK(killed_for(&f, "process_vm_readv"),
		      T "allow = ptrace: the rest of the preset stays (%s)", fate_str(&f));
	}

	/* deny adds a name, with its origin */
	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	policy_deny(&tp, "getppid", __NR_getppid, 7);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_getppid, NULL, &f);
	CHECK(killed_for(&f, "getppid") && strcmp(f.ev[0].origin, "test.ini:7") == 0,
	      T "deny = getppid: killed, origin test.ini:7 (%s, origin %s)", fate_str(&f),
	      f.n_events ? f.ev[0].origin : "-");
	run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_getppid, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == getpid(), T "bare: getppid works (%s)", fate_str(&f));

	/* a name given without its number (nr = -1) is resolved by name */
	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	policy_deny(&tp, "getppid", -1, 8);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_getppid, NULL, &f);
	CHECK(killed_for(&f, "getppid"), T "deny by name only: killed (%s)", fate_str(&f));
}

static void test_clone(void)
{
	static const unsigned long ns_flags[] = {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS,
						 CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
						 CLONE_NEWNET};
	static const unsigned long newuser = CLONE_NEWUSER, files = CLONE_FILES,
				   newtime = CLONE_NEWTIME;
	struct test_policy tp;
	struct fate f;

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_clone_flags, &ns_flags[i], &f);
		CHECK(killed_for(&f, "clone"), T "clone with flag %#lx is killed (%s)", ns_flags[i],
		      fate_str(&f));
	}
	if (root()) {
		run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_clone_flags, &newuser, &f);
		CHECK(exited_ok(&f) && f.ret == 0, T "bare: clone(CLONE_NEWUSER) works (%s)",
		      fate_str(&f));
	}
	skip_unless_root(root(), "clone(CLONE_NEWUSER) works");
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_fork, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == 7 && f.n_events == 0, T "fork works (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_thread, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == 42 && f.n_events == 0, T "pthread_create works (%s)",
	      fate_str(&f));

	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_clone3_null, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == -1 && f.err == ENOSYS && f.n_events == 0,
	      T "clone3 gets ENOSYS, no event (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_clone3_null, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == -1 && f.err == EFAULT,
	      T "bare: clone3(NULL) reaches the kernel (EFAULT) (%s)", fate_str(&f));

	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_unshare, &newuser, &f);
	CHECK(killed_for(&f, "unshare"), T "unshare(CLONE_NEWUSER) is killed (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_unshare, &newtime, &f);
	CHECK(killed_for(&f, "unshare"), T "unshare(CLONE_NEWTIME) is killed (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_unshare, &files, &f);
	CHECK(exited_ok(&f) && f.ret == 0 && f.n_events == 0,
	      T "unshare(CLONE_FILES) works (%s)", fate_str(&f));
	if (root()) {
		run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_unshare, &newuser, &f);
		CHECK(exited_ok(&f) && f.ret == 0, T "bare: unshare(CLONE_NEWUSER) works (%s)",
		      fate_str(&f));
	}
	skip_unless_root(root(), "unshare(CLONE_NEWUSER) works");
}

static void test_tty(void)
{
	static const unsigned long tiocsti = TIOCSTI, tiocsti_high = TIOCSTI | (1UL << 32),
				   tcgets = TCGETS;
	struct test_policy tp;
	struct fate f;

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_pty_ioctl, &tiocsti, &f);
	CHECK(killed_for(&f, "ioctl"), T "ioctl TIOCSTI on a pty is killed (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_pty_ioctl, &tiocsti_high, &f);
	CHECK(killed_for(&f, "ioctl"),
	      T "ioctl TIOCSTI with the high 32 bits set is killed (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_pty_ioctl, &tcgets, &f);
	CHECK(exited_ok(&f) && f.ret == 0 && f.n_events == 0, T "ioctl TCGETS works (%s)",
	      fate_str(&f));
	if (root()) {
		/* TIOCSTI on a terminal that is not ours needs CAP_SYS_ADMIN. */
		run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_pty_ioctl, &tiocsti, &f);
		CHECK(exited_ok(&f) && f.ret == 0, T "bare: ioctl TIOCSTI works (%s)", fate_str(&f));
		run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_pty_ioctl, &tiocsti_high, &f);
		CHECK(exited_ok(&f) && f.ret == 0,
		      T "bare: ioctl TIOCSTI with the high bits set is still TIOCSTI (%s)",
		      fate_str(&f));
	}
	skip_unless_root(root(), "ioctl TIOCSTI works");
}

static void test_personality(void)
{
	static const unsigned long rie = READ_IMPLIES_EXEC, query = 0xffffffffUL,
				   query64 = ~0UL, linux_ = PER_LINUX,
				   rie_high = READ_IMPLIES_EXEC | (0xffffffffUL << 32),
				   linux32 = PER_LINUX32;
	struct test_policy tp;
	struct fate f;

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_personality, &rie, &f);
	CHECK(killed_for(&f, "personality"), T "personality(READ_IMPLIES_EXEC) is killed (%s)",
	      fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_personality, &rie_high, &f);
	CHECK(killed_for(&f, "personality"),
	      T "personality(READ_IMPLIES_EXEC with the high bits set) is killed (%s)",
	      fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_personality, &linux32, &f);
	CHECK(killed_for(&f, "personality"), T "personality(PER_LINUX32) is killed (%s)",
	      fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_personality, &query, &f);
	CHECK(exited_ok(&f) && f.ret >= 0 && f.n_events == 0,
	      T "personality(0xffffffff) query works (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_personality, &query64, &f);
	CHECK(exited_ok(&f) && f.ret >= 0 && f.n_events == 0,
	      T "personality(-1) query works (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_personality, &linux_, &f);
	CHECK(exited_ok(&f) && f.ret >= 0 && f.n_events == 0, T "personality(PER_LINUX) works (%s)",
	      fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_personality, &rie, &f);
	CHECK(exited_ok(&f) && f.ret >= 0, T "bare: personality(READ_IMPLIES_EXEC) works (%s)",
	      fate_str(&f));
}

static void test_foreign_abi(void)
{
	struct test_policy tp;
	struct fate f;

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_int80_getpid, NULL, &f);
	if (exited_ok(&f) && f.ret == f.pid) {
		CHECK(1, T "bare: i386 getpid through int 0x80 works");
		run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_int80_getpid, NULL, &f);
		CHECK(killed_by(&f, SIGSYS) && f.n_events == 0,
		      T "i386 getpid through int 0x80 is killed by SIGSYS (%s)", fate_str(&f));
	} else {
		printf("SKIP " T "int 0x80: the kernel has no i386 entry (%s)\n", fate_str(&f));
	}
	run(&tp.pol, SBX_SECCOMP_ENFORCE, false, do_x32_getpid, NULL, &f);
	CHECK(exited_ok(&f), T "bare: an x32 syscall returns (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_x32_getpid, NULL, &f);
	CHECK(killed_by(&f, SIGSYS) && f.n_events == 0,
	      T "x32 getpid (39 | 0x40000000) is killed by SIGSYS (%s)", fate_str(&f));

	/* preset = none still kills foreign ABIs, and has no listener */
	policy_init(&tp, SBX_PRESET_NONE, SBX_ACTION_KILL);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_x32_getpid, NULL, &f);
	CHECK(killed_by(&f, SIGSYS), T "preset none: x32 is still killed (%s)", fate_str(&f));
}

static void test_preset_none(void)
{
	struct test_policy tp;
	struct fate f;

	policy_init(&tp, SBX_PRESET_NONE, SBX_ACTION_KILL);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_traceme, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == 0 && f.n_events == 0, T "preset none: ptrace works (%s)",
	      fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_clone3_null, NULL, &f);
	CHECK(exited_ok(&f) && f.err == EFAULT, T "preset none: clone3 is not refused (%s)",
	      fate_str(&f));
	policy_deny(&tp, "getppid", __NR_getppid, 9);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_getppid, NULL, &f);
	CHECK(killed_for(&f, "getppid") && strcmp(f.ev[0].origin, "test.ini:9") == 0,
	      T "preset none, deny = getppid: killed (%s)", fate_str(&f));
}

static void test_learn(void)
{
	static const unsigned long newuser = CLONE_NEWUSER, tiocsti = TIOCSTI;
	struct test_policy tp;
	struct fate f;

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	policy_deny(&tp, "getppid", __NR_getppid, 4);
	run(&tp.pol, SBX_SECCOMP_LEARN, true, do_getppid, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == getpid() && f.n_events == 1 && f.ev[0].allowed &&
		      !f.ev[0].killed && strcmp(f.ev[0].name, "getppid") == 0,
	      T "learn: a denied getppid runs and is recorded (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_LEARN, true, do_traceme, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == 0 && f.n_events == 1 && f.ev[0].allowed &&
		      strcmp(f.ev[0].name, "ptrace") == 0,
	      T "learn: ptrace of the preset runs and is recorded (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_LEARN, true, do_unshare, &newuser, &f);
	CHECK(exited_ok(&f) && f.ret == -1 && f.err == EPERM && f.n_events == 1 &&
		      !f.ev[0].allowed && !f.ev[0].killed && strcmp(f.ev[0].name, "unshare") == 0,
	      T "learn: unshare(CLONE_NEWUSER) still gets EPERM (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_LEARN, true, do_clone_flags, &newuser, &f);
	CHECK(exited_ok(&f) && f.ret == -1 && f.err == EPERM && f.n_events == 1 &&
		      !f.ev[0].allowed,
	      T "learn: clone(CLONE_NEWUSER) still gets EPERM (%s)", fate_str(&f));
	{
		struct raw_call c = {.nr = __NR_mount, .a = {-1, -1, -1, -1, -1, -1}};
		run(&tp.pol, SBX_SECCOMP_LEARN, true, do_raw, &c, &f);
		CHECK(exited_ok(&f) && f.ret == -1 && f.err == EPERM && f.n_events == 1 &&
			      !f.ev[0].allowed,
		      T "learn: mount still gets EPERM (%s)", fate_str(&f));
	}
	run(&tp.pol, SBX_SECCOMP_LEARN, true, do_pty_ioctl, &tiocsti, &f);
	CHECK(exited_ok(&f) && f.ret == -1 && f.err == EPERM && f.n_events == 1 &&
		      !f.ev[0].allowed,
	      T "learn: ioctl TIOCSTI still gets EPERM (%s)", fate_str(&f));
	policy_deny(&tp, "clone3", __NR_clone3, 5);
	run(&tp.pol, SBX_SECCOMP_LEARN, true, do_thread, NULL, &f);
	CHECK(exited_ok(&f) && f.ret == 42 && f.n_events == 1 && !f.ev[0].allowed &&
		      strcmp(f.ev[0].name, "clone3") == 0,
	      T "learn, deny = clone3: clone3 gets ENOSYS, threads still work (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_LEARN, true, do_x32_getpid, NULL, &f);
	CHECK(killed_by(&f, SIGSYS), T "learn: x32 is still killed (%s)", fate_str(&f));
}

static void test_programs(void)
{
	static char *const python[] = {"/usr/bin/python3", "-c", (char *)python_script, NULL};
	static char *const sh[] = {"/bin/sh", "-c",
				   "ls / | wc -l >/dev/null && (sleep 0 &) && wait && "
				   "x=$(echo sub) && [ \"$x\" = sub ]",
				   NULL};
	struct test_policy tp;
	struct fate f;

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_exec, sh, &f);
	CHECK(exited_ok(&f) && f.ret == 0 && f.n_events == 0,
	      T "/bin/sh with pipes, subshells and background jobs works (%s)", fate_str(&f));
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_exec, python, &f);
	CHECK(exited_ok(&f) && f.ret == 0 && f.n_events == 0,
	      T "python3 with threads, multiprocessing, subprocess, pipes works (%s)",
	      fate_str(&f));
}

static void test_install_twice(void)
{
	struct test_policy tp;
	struct fate f;

	/* The kernel allows one listener per filter chain (EBUSY): a jail
	 * inside a jail fails at setup, with a hint, instead of running
	 * unwatched. */
	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	run(&tp.pol, SBX_SECCOMP_ENFORCE, true, do_install_twice, &tp.pol, &f);
	CHECK(exited_ok(&f) && f.ret == -1 && f.err == EBUSY,
	      T "a second filter with a listener fails with EBUSY (%s)", fate_str(&f));
}

static void test_origin(void)
{
	struct test_policy tp;
	char buf[128];

	policy_init(&tp, SBX_PRESET_DEFAULT, SBX_ACTION_KILL);
	policy_deny(&tp, "getppid", __NR_getppid, 12);
	CHECK(strcmp(sbx_seccomp_origin(&tp.pol, __NR_ptrace, buf, sizeof(buf)), "preset default") == 0,
	      T "origin of ptrace: preset default (%s)", buf);
	CHECK(strcmp(sbx_seccomp_origin(&tp.pol, __NR_getppid, buf, sizeof(buf)), "test.ini:12") == 0,
	      T "origin of a deny line: FILE:LINE (%s)", buf);
	tp.deny[0].origin.line = 0;
	tp.deny[0].origin.file = "-s";
	CHECK(strcmp(sbx_seccomp_origin(&tp.pol, __NR_getppid, buf, sizeof(buf)), "-s") == 0,
	      T "origin of an override: its name alone (%s)", buf);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_origin();
	test_basics();
	test_clone();
	test_tty();
	test_personality();
	test_foreign_abi();
	test_preset_none();
	test_learn();
	test_install_twice();
	test_programs();
	test_preset();
	return CHECK_DONE();
}
