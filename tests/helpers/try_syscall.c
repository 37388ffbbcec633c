/*
 * try_syscall NAME: make one system call and say what the kernel answered.
 *
 * Prints "try_syscall NAME: ok (RET)" and exits 0, or
 * "try_syscall NAME: ERRNO (message)" (e.g. EPERM) and exits 1; a usage
 * error exits 2. Under the jail a denied call never returns: the supervisor
 * kills the process (status 159) or the call fails with EPERM, as the policy
 * says. tests/integration/seccomp.sh runs it.
 *
 * Arguments are chosen so that a call which could change the machine fails
 * harmlessly if it ever runs outside a jail: bad pointers and descriptors
 * (-1), bad flags or magic numbers. Only calls that are harmless anyway get
 * plausible, working arguments (getpid, ptrace(PTRACE_TRACEME), fork,
 * unshare(CLONE_NEWUSER), personality). NAME may also be a number: that
 * syscall with -1 in every argument.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
	const char *name;
	long nr;
} table[] = {
	{"getpid", SYS_getpid},
	{"getppid", SYS_getppid},
	{"ptrace", SYS_ptrace},
	{"process_vm_readv", SYS_process_vm_readv},
	{"process_vm_writev", SYS_process_vm_writev},
	{"pidfd_getfd", SYS_pidfd_getfd},
	{"kcmp", SYS_kcmp},
	{"mount", SYS_mount},
	{"umount2", SYS_umount2},
	{"pivot_root", SYS_pivot_root},
	{"chroot", SYS_chroot},
	{"move_mount", SYS_move_mount},
	{"open_tree", SYS_open_tree},
	{"fsopen", SYS_fsopen},
	{"fsmount", SYS_fsmount},
	{"mount_setattr", SYS_mount_setattr},
	{"unshare", SYS_unshare},
	{"setns", SYS_setns},
	{"clone", SYS_clone},
	{"clone3", SYS_clone3},
	{"kexec_load", SYS_kexec_load},
	{"init_module", SYS_init_module},
	{"finit_module", SYS_finit_module},
	{"delete_module", SYS_delete_module},
	{"reboot", SYS_reboot},
	{"swapon", SYS_swapon},
	{"acct", SYS_acct},
	{"settimeofday", SYS_settimeofday},
	{"clock_settime", SYS_clock_settime},
	{"syslog", SYS_syslog},
	{"bpf", SYS_bpf},
	{"perf_event_open", SYS_perf_event_open},
	{"keyctl", SYS_keyctl},
	{"add_key", SYS_add_key},
	{"request_key", SYS_request_key},
	{"userfaultfd", SYS_userfaultfd},
	{"io_uring_setup", SYS_io_uring_setup},
	{"open_by_handle_at", SYS_open_by_handle_at},
	{"fanotify_init", SYS_fanotify_init},
	{"personality", SYS_personality},
	{"iopl", SYS_iopl},
	{"modify_ldt", SYS_modify_ldt},
};

static long call(const char *name, long nr)
{
	if (strcmp(name, "ptrace") == 0)
		return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	if (strcmp(name, "unshare") == 0)
		return unshare(CLONE_NEWUSER);
	if (strcmp(name, "unshare_files") == 0)
		return unshare(CLONE_FILES);
	if (strcmp(name, "personality") == 0)
		return syscall(SYS_personality, READ_IMPLIES_EXEC);
	if (strcmp(name, "personality_query") == 0)
		return syscall(SYS_personality, 0xffffffffUL);
	if (strcmp(name, "clone3") == 0)
		return syscall(SYS_clone3, NULL, 64); /* EFAULT when the kernel sees it */
	if (strcmp(name, "clone") == 0 || strcmp(name, "fork") == 0) {
		/* clone with CLONE_NEWUSER, fork-like (no new stack) */
		unsigned long flags = SIGCHLD | (name[0] == 'c' ? CLONE_NEWUSER : 0);
		long pid = syscall(SYS_clone, flags, 0, 0, 0, 0);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return pid < 0 ? -1 : 0;
	}
	return syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
}

int main(int argc, char **argv)
{
	const char *name;
	char *end;
	long nr = -1, r;

	if (argc != 2) {
		fprintf(stderr, "usage: try_syscall NAME|NUMBER\n");
		return 2;
	}
	name = argv[1];
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			nr = table[i].nr;
	if (nr < 0) {
		nr = strtol(name, &end, 10);
		if (*end || end == name)
			nr = -1;
	}
	if (nr < 0 && strcmp(name, "fork") != 0 && strcmp(name, "unshare_files") != 0 &&
	    strcmp(name, "personality_query") != 0) {
		fprintf(stderr, "try_syscall: unknown syscall %s\n", name);
		return 2;
	}
	errno = 0;
	r = call(name, nr);
	if (r == -1 && errno) {
		int e = errno;
		printf("try_syscall %s: %s (%s)\n", name, strerrorname_np(e) ? strerrorname_np(e) : "?",
		       strerror(e));
		return 1;
	}
	printf("try_syscall %s: ok (%ld)\n", name, r);
	return 0;
}
