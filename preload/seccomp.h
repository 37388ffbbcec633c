/*
 * seccomp: the syscall filter, built with libseccomp as data, loaded once.
 *
 * Guarantees on 0 from sbx_seccomp_install(): the calling thread (and every
 * process it starts) runs under the policy's filter: the preset's deny list
 * less [seccomp] allow, plus [seccomp] deny; clone/clone3/unshare with
 * namespace flags refused (clone3 gets ENOSYS so libc falls back to clone);
 * TIOCSTI/TIOCLINUX refused; every syscall of a foreign ABI (i386 int 0x80,
 * x32) kills the process. A denied syscall raises a user notification on
 * *listener (the supervisor decides: kill, EPERM, or learn), so the program can
 * neither forge nor silence the report of what it tried.
 * Needs: no_new_privs set (caps.c), and to be the very last step before main.
 */
#ifndef SBX_SECCOMP_H
#define SBX_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "sbx.h"

enum sbx_seccomp_mode {
	SBX_SECCOMP_ENFORCE, /* the policy's action for denied syscalls */
	SBX_SECCOMP_LEARN,   /* let denied syscalls run and record them, except the
				namespace-changing ones and foreign ABIs */
};

/* Build and load the filter. *listener gets the notification fd (or -1 when
 * the preset is none and nothing is denied). */
int sbx_seccomp_install(const struct sbx_policy *pol, enum sbx_seccomp_mode mode, int *listener,
			struct sbx_err *err) __attribute__((warn_unused_result));

/* What the supervisor learned from one notification. */
struct sbx_seccomp_event {
	pid_t pid;	  /* in the supervisor's PID namespace */
	int nr;		  /* syscall number */
	uint32_t arch;	  /* AUDIT_ARCH_* */
	char name[64];	  /* "ptrace", or "syscall 512" when unknown */
	char origin[128]; /* "preset default" or "sandbox.ini:42" */
	bool killed;	  /* the process was killed (action kill) */
	bool allowed;	  /* learn mode: it was let through */
};

/*
 * Supervisor side: read one notification from listener and answer it as the
 * policy says: kill -> SIGKILL to the caller's process (the supervisor reports
 * it as SIGSYS), errno -> EPERM, learn -> continue. Fills ev. Returns 0, or -1
 * when the listener is closed (the jail is gone).
 */
int sbx_seccomp_handle(int listener, const struct sbx_policy *pol, enum sbx_seccomp_mode mode,
		       struct sbx_seccomp_event *ev);

/* The line that would allow it: "allow = ptrace" (for messages and learn). */
const char *sbx_seccomp_origin(const struct sbx_policy *pol, int nr, char *buf, size_t size);

#endif
