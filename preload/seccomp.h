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

/*
 * The filter in two halves, so the costly one runs off the program's path:
 * sbx_seccomp_compile() (the supervisor, while the jail builds its root)
 * generates the BPF program into a memory file; sbx_seccomp_load() (the
 * program, last step before main) loads it. prog->notify: the filter has
 * notify rules, so the load asks for a listener.
 */
struct sbx_seccomp_prog {
	int fd;
	bool notify;
};

int sbx_seccomp_compile(const struct sbx_policy *pol, enum sbx_seccomp_mode mode,
			struct sbx_seccomp_prog *prog, struct sbx_err *err)
	__attribute__((warn_unused_result));
/*
 * Generate the filter of pol now, and keep it: sbx_seccomp_compile() of the
 * same policy (the same object, unchanged) then only copies it into a memory
 * file. For a zygote, whose copies would each generate the same filter.
 */
int sbx_seccomp_prepare(const struct sbx_policy *pol, struct sbx_err *err)
	__attribute__((warn_unused_result));
int sbx_seccomp_load(const struct sbx_seccomp_prog *prog, int *listener, struct sbx_err *err)
	__attribute__((warn_unused_result));

/* Both at once (compile, then load). *listener gets the notification fd (or
 * -1 when the preset is none and nothing is denied: the filter then only kills
 * foreign ABIs). The listener is close-on-exec but the program runs in this
 * same process: hand it to the supervisor and close it before main, or a
 * thread of the program could answer its own notifications. If the listener
 * is closed with nobody holding it, every denied call fails with ENOSYS
 * (seccomp_unotify(2)): still refused, but unreported. */
int sbx_seccomp_install(const struct sbx_policy *pol, enum sbx_seccomp_mode mode, int *listener,
			struct sbx_err *err) __attribute__((warn_unused_result));

/* What the supervisor learned from one notification. */
struct sbx_seccomp_event {
	pid_t pid;	  /* the calling process (thread group), in the supervisor's PID namespace */
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
 *
 * Never blocks: call it when poll(2) reports the listener readable or hung
 * up. Returns 0 with ev->nr == -1 (and ev->name empty) when there was nothing
 * to answer (the caller died first, or EINTR): not an event. Returns -1 with
 * errno EPIPE once no process uses the filter any more (POLLHUP), or another
 * errno when the listener cannot be read; either way stop reading it.
 * In learn mode, calls that would change the jail (unshare/clone with
 * CLONE_NEW*, setns, clone3, the mount family, pivot_root, chroot) and
 * ioctl TIOCSTI/TIOCLINUX still get EPERM (ev->allowed stays false).
 * A foreign-ABI call (i386, x32) raises no notification: the kernel kills
 * the process with SIGSYS itself.
 */
int sbx_seccomp_handle(int listener, const struct sbx_policy *pol, enum sbx_seccomp_mode mode,
		       struct sbx_seccomp_event *ev);

/* Why nr is denied, into buf: "FILE:LINE" of the [seccomp] deny line that
 * names it, else "preset default" (or "policy" when neither says so). */
const char *sbx_seccomp_origin(const struct sbx_policy *pol, int nr, char *buf, size_t size);

/* The i-th syscall name of preset = default, or NULL past the end (for
 * tests and docs). clone, unshare, ioctl and personality are denied only
 * with some arguments, clone3 gets ENOSYS; see seccomp.c. */
const char *sbx_seccomp_preset_name(size_t i);

#endif
