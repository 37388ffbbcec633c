/*
 * seccomp: the syscall filter of the jail, and the supervisor's answers to it.
 *
 * The filter is a deny list built as data with libseccomp and loaded once
 * (seccomp_rule_add(3), seccomp_load(3)). Everything not on the list is
 * allowed. What is on the list does not fail in the kernel: it raises a user
 * notification (SECCOMP_RET_USER_NOTIF, seccomp_unotify(2)) that the
 * supervisor, outside the jail, answers: SIGKILL to the caller (action kill),
 * EPERM (action errno), or "run it" (learn mode). The program can therefore
 * neither hide nor forge the report of what it tried.
 *
 * Two answers are given by the filter itself, without the supervisor:
 *  - clone3 always fails with ENOSYS. Its flags sit in a struct in user
 *    memory, which a filter cannot read (seccomp(2), "Caveats"); glibc (2.34
 *    and later) then falls back to clone, whose flags are a register the
 *    filter can check for CLONE_NEW*.
 *  - a syscall of another ABI (i386 through int 0x80, x32 through syscall
 *    with bit 30 set in the number) kills the process with SIGSYS. Its
 *    numbers mean other syscalls, so a deny list written for x86_64 says
 *    nothing about it. libseccomp 2.5.4 compiles a native-only x86_64 filter
 *    as: arch != AUDIT_ARCH_X86_64 -> bad-arch action; nr >= 0x40000000 (the
 *    x32 bit) and nr != -1 -> bad-arch action (src/gen_bpf.c,
 *    _gen_bpf_arch(), "filter out x32"); we set the bad-arch action to
 *    SCMP_ACT_KILL_PROCESS. The unit tests run both calls under the filter.
 */
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

/* Newer than Debian 12's kernel headers (x86_64 numbers, which never change). */
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467 /* Linux 6.15 */
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd for a thread, not only a leader */
#endif

/* Every namespace flag clone(2) can carry. CLONE_NEWTIME cannot be given to
 * clone(): its bit is inside CSIGNAL (the exit signal), see clone(2). */
#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)
/* unshare(2) also takes CLONE_NEWTIME. */
#define UNSHARE_NS_FLAGS (CLONE_NS_FLAGS | CLONE_NEWTIME)

/* What part of a syscall the preset denies. */
enum sbx_match {
	MATCH_ANY,	   /* every call */
	MATCH_NS_FLAGS,	   /* arg0 (clone, unshare flags) has a CLONE_NEW* bit */
	MATCH_TTY_INJECT,  /* ioctl whose request (arg1) is TIOCSTI or TIOCLINUX */
	MATCH_PERSONALITY, /* personality(2) other than PER_LINUX or the 0xffffffff query */
	MATCH_ENOSYS,	   /* clone3: ENOSYS from the filter, never a notification */
};

struct sbx_preset_entry {
	const char *name;
	int nr;
	enum sbx_match match;
	/* Learn mode never lets it run: it would change the jail's namespaces
	 * or root, or type into a terminal outside. */
	bool never_learn;
};

/*
 * preset = default. Each group says why it is here. Whatever is here must not
 * break python3, /bin/sh, subprocesses, pipes, threads or multiprocessing
 * (tests/unit/test_seccomp.c and tests/integration/seccomp.sh run them).
 * By the time the filter is loaded the program holds no capability at all
 * (caps.c), so most of these would fail with EPERM anyway: the list is the
 * second wall, it names what was tried, and it closes the calls that need no
 * capability (ptrace of a sibling, user namespaces, keyrings, io_uring, bpf).
 */
static const struct sbx_preset_entry sbx_preset[] = {
	/* Reading or steering another process: the jail's processes all run
	 * as the same uid, so ptrace-style access between them needs no
	 * capability; a sandboxed program has no business debugging others. */
	{"ptrace", __NR_ptrace, MATCH_ANY, false},
	{"process_vm_readv", __NR_process_vm_readv, MATCH_ANY, false},
	{"process_vm_writev", __NR_process_vm_writev, MATCH_ANY, false},
	{"pidfd_getfd", __NR_pidfd_getfd, MATCH_ANY, false}, /* steals a descriptor */
	{"process_madvise", __NR_process_madvise, MATCH_ANY, false},
	{"kcmp", __NR_kcmp, MATCH_ANY, false}, /* compares kernel objects of two processes */
	{"migrate_pages", __NR_migrate_pages, MATCH_ANY, false}, /* moves another process's
								   memory; mbind, move_pages
								   and set_mempolicy stay
								   (numeric libraries use
								   them on themselves) */

	/* The filesystem view: the jail's root is built before the program
	 * runs and must stay as built (mounts.c). No capability is left to
	 * use these, and a new user namespace (below) is the only way to get
	 * one back. */
	{"mount", __NR_mount, MATCH_ANY, true},
	{"umount2", __NR_umount2, MATCH_ANY, true},
	{"pivot_root", __NR_pivot_root, MATCH_ANY, true},
	{"chroot", __NR_chroot, MATCH_ANY, true},
	{"move_mount", __NR_move_mount, MATCH_ANY, true},
	{"open_tree", __NR_open_tree, MATCH_ANY, true},
	{"open_tree_attr", __NR_open_tree_attr, MATCH_ANY, true},
	{"fsopen", __NR_fsopen, MATCH_ANY, true},
	{"fsconfig", __NR_fsconfig, MATCH_ANY, true},
	{"fsmount", __NR_fsmount, MATCH_ANY, true},
	{"fspick", __NR_fspick, MATCH_ANY, true},
	{"mount_setattr", __NR_mount_setattr, MATCH_ANY, true},

	/* New namespaces: an unprivileged process may create a user namespace
	 * and hold every capability inside it, which reopens the kernel's
	 * namespaced attack surface (mounts, netfilter, ...) the cap drop
	 * closed. unshare and clone are denied only with a CLONE_NEW* flag
	 * (unshare(CLONE_FILES), fork() and threads stay); setns always. */
	{"unshare", __NR_unshare, MATCH_NS_FLAGS, true},
	{"clone", __NR_clone, MATCH_NS_FLAGS, true},
	{"clone3", __NR_clone3, MATCH_ENOSYS, true},
	{"setns", __NR_setns, MATCH_ANY, true},

	/* The running kernel itself: loading code into it, replacing it,
	 * and its global state (clock, swap, accounting, quotas, console,
	 * log). None of these is namespaced. */
	{"kexec_load", __NR_kexec_load, MATCH_ANY, false},
	{"kexec_file_load", __NR_kexec_file_load, MATCH_ANY, false},
	{"init_module", __NR_init_module, MATCH_ANY, false},
	{"finit_module", __NR_finit_module, MATCH_ANY, false},
	{"delete_module", __NR_delete_module, MATCH_ANY, false},
	{"reboot", __NR_reboot, MATCH_ANY, false},
	{"swapon", __NR_swapon, MATCH_ANY, false},
	{"swapoff", __NR_swapoff, MATCH_ANY, false},
	{"acct", __NR_acct, MATCH_ANY, false},
	{"quotactl", __NR_quotactl, MATCH_ANY, false},
	{"quotactl_fd", __NR_quotactl_fd, MATCH_ANY, false},
	{"settimeofday", __NR_settimeofday, MATCH_ANY, false},
	{"clock_settime", __NR_clock_settime, MATCH_ANY, false},
	{"adjtimex", __NR_adjtimex, MATCH_ANY, false},
	{"clock_adjtime", __NR_clock_adjtime, MATCH_ANY, false},
	{"syslog", __NR_syslog, MATCH_ANY, false}, /* the kernel log leaks kernel addresses */
	{"vhangup", __NR_vhangup, MATCH_ANY, false},
	{"iopl", __NR_iopl, MATCH_ANY, false}, /* raw port I/O */
	{"ioperm", __NR_ioperm, MATCH_ANY, false},

	/* Large kernel attack surface that ordinary programs do not need:
	 * bpf programs and perf counters (exploit staples), keyrings (not
	 * namespaced: another container's keys are one uid away),
	 * userfaultfd (stretches kernel race windows), io_uring (its
	 * operations are not seen by seccomp at all), fanotify (watches
	 * other processes' file accesses), open_by_handle_at (opens a file
	 * by handle, bypassing the mount view: the "shocker" escape).
	 * name_to_handle_at stays: without open_by_handle_at a handle opens
	 * nothing, and mount tools use it to tell mounts apart. */
	{"bpf", __NR_bpf, MATCH_ANY, false},
	{"perf_event_open", __NR_perf_event_open, MATCH_ANY, false},
	{"keyctl", __NR_keyctl, MATCH_ANY, false},
	{"add_key", __NR_add_key, MATCH_ANY, false},
	{"request_key", __NR_request_key, MATCH_ANY, false},
	{"userfaultfd", __NR_userfaultfd, MATCH_ANY, false},
	{"io_uring_setup", __NR_io_uring_setup, MATCH_ANY, false},
	{"io_uring_enter", __NR_io_uring_enter, MATCH_ANY, false},
	{"io_uring_register", __NR_io_uring_register, MATCH_ANY, false},
	{"fanotify_init", __NR_fanotify_init, MATCH_ANY, false},
	{"open_by_handle_at", __NR_open_by_handle_at, MATCH_ANY, false},

	/* Legacy calls still in the x86_64 table: removed or unused, kept
	 * off because an old interface is where old bugs live. modify_ldt
	 * serves only 16-bit code (and Wine); glibc on x86_64 never calls it. */
	{"modify_ldt", __NR_modify_ldt, MATCH_ANY, false},
	{"uselib", __NR_uselib, MATCH_ANY, false},
	{"lookup_dcookie", __NR_lookup_dcookie, MATCH_ANY, false},
	{"nfsservctl", __NR_nfsservctl, MATCH_ANY, false},
	{"_sysctl", __NR__sysctl, MATCH_ANY, false},
	{"create_module", __NR_create_module, MATCH_ANY, false},
	{"get_kernel_syms", __NR_get_kernel_syms, MATCH_ANY, false},
	{"query_module", __NR_query_module, MATCH_ANY, false},

	/* personality(2): PER_LINUX and the 0xffffffff query stay; any other
	 * persona or flag (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE,
	 * MMAP_PAGE_ZERO, ...) weakens the process's memory protections. */
	{"personality", __NR_personality, MATCH_PERSONALITY, false},

	/* ioctl TIOCSTI pushes characters into a terminal's input: a program
	 * given the caller's terminal would type commands into the shell
	 * that runs after it. TIOCLINUX can do the same on a virtual
	 * console (its paste selection). Other ioctls stay. */
	{"ioctl", __NR_ioctl, MATCH_TTY_INJECT, true},
};

#define N_PRESET (sizeof(sbx_preset) / sizeof(sbx_preset[0]))

const char *sbx_seccomp_preset_name(size_t i)
{
	return i < N_PRESET ? sbx_preset[i].name : NULL;
}

static const struct sbx_preset_entry *preset_find(int nr)
{
	for (size_t i = 0; i < N_PRESET; i++)
		if (sbx_preset[i].nr == nr)
			return &sbx_preset[i];
	return NULL;
}

/* The native number of a policy entry: the parser fills nr; a hand-made
 * policy may give only the name. */
static int syscall_nr(const struct sbx_syscall *sc)
{
	if (sc->nr >= 0)
		return sc->nr;
	for (size_t i = 0; i < N_PRESET; i++)
		if (strcmp(sbx_preset[i].name, sc->name) == 0)
			return sbx_preset[i].nr;
	return seccomp_syscall_resolve_name(sc->name);
}

static bool listed(const struct sbx_syscall *list, size_t n, int nr)
{
	for (size_t i = 0; i < n; i++)
		if (syscall_nr(&list[i]) == nr)
			return true;
	return false;
}

/* ---- building the filter ---- */

static int rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int n_cmp,
		const struct scmp_arg_cmp *cmp, const char *name, struct sbx_err *err)
{
	int rc = seccomp_rule_add_array(ctx, action, nr, n_cmp, cmp);

	if (rc < 0)
		return sbx_fail(err, SBX_STEP_SECCOMP, -rc, "add the rule for %s", name);
	return 0;
}

/* One arg comparison: (arg & mask) == datum, on the whole 64-bit register. */
static struct scmp_arg_cmp masked_eq(unsigned int arg, uint64_t mask, uint64_t datum)
{
	struct scmp_arg_cmp c = {.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = datum};
	return c;
}

/* libseccomp ANDs the comparisons of one rule and ORs the rules of one
 * syscall; it takes at most one comparison per argument in a rule (a second
 * gives EINVAL). So "any of these bits" is one rule per bit. */
static int add_preset_entry(scmp_filter_ctx ctx, uint32_t deny, const struct sbx_preset_entry *e,
			    struct sbx_err *err)
{
	struct scmp_arg_cmp cmp;
	uint64_t flags;

	switch (e->match) {
	case MATCH_ANY:
		return rule(ctx, deny, e->nr, 0, NULL, e->name, err);
	case MATCH_ENOSYS:
		return rule(ctx, SCMP_ACT_ERRNO(ENOSYS), e->nr, 0, NULL, e->name, err);
	case MATCH_NS_FLAGS:
		/* The kernel reads only the low 32 bits of clone's flags
		 * (kernel/fork.c, lower_32_bits) and unshare rejects unknown
		 * bits, so testing each namespace bit is exact. */
		flags = e->nr == __NR_unshare ? UNSHARE_NS_FLAGS : CLONE_NS_FLAGS;
		for (int bit = 0; bit < 32; bit++) {
			if (!(flags & (1ULL << bit)))
				continue;
			cmp = masked_eq(0, 1ULL << bit, 1ULL << bit);
			if (rule(ctx, deny, e->nr, 1, &cmp, e->name, err) < 0)
				return -1;
		}
		return 0;
	case MATCH_TTY_INJECT:
		/* The request is an unsigned int to the kernel (ioctl(2)): the
		 * high half of the register is ignored, so a caller could set
		 * it to slip past a plain 64-bit ==. Compare the low half only. */
		cmp = masked_eq(1, 0xffffffffULL, TIOCSTI);
		if (rule(ctx, deny, e->nr, 1, &cmp, e->name, err) < 0)
			return -1;
		cmp = masked_eq(1, 0xffffffffULL, TIOCLINUX);
		return rule(ctx, deny, e->nr, 1, &cmp, e->name, err);
	case MATCH_PERSONALITY:
		/* The persona is an unsigned int too. Deny when its low 32
		 * bits are neither all 0 (PER_LINUX) nor all 1 (the query):
		 * exactly when some bit is 1 and the next one (cyclically) is
		 * 0. Each such pair is one masked compare. */
		for (int bit = 0; bit < 32; bit++) {
			uint64_t one = 1ULL << bit, next = 1ULL << ((bit + 1) % 32);
			cmp = masked_eq(0, one | next, one);
			if (rule(ctx, deny, e->nr, 1, &cmp, e->name, err) < 0)
				return -1;
		}
		return 0;
	}
	return sbx_fail(err, SBX_STEP_SECCOMP, EINVAL, "bad preset entry %s", e->name);
}

static int build(scmp_filter_ctx ctx, const struct sbx_policy *pol, bool *notify_used,
		 struct sbx_err *err)
{
	int rc;

	/* A foreign ABI kills the whole process (not only the thread: a
	 * half-killed multi-threaded program would run on in an odd state). */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (rc < 0)
		return sbx_fail(err, SBX_STEP_SECCOMP, -rc, "set the filter's attributes");

	/* preset = none with no deny line still loads this filter, with no
	 * rule and no listener: it only kills foreign ABIs. "none" empties the
	 * built-in list; an i386 or x32 call is not a call on some list but a
	 * way around any list, and no program we run needs one. */
	*notify_used = false;
	if (pol->seccomp.preset == SBX_PRESET_DEFAULT) {
		for (size_t i = 0; i < N_PRESET; i++) {
			const struct sbx_preset_entry *e = &sbx_preset[i];
			if (listed(pol->seccomp.allow, pol->seccomp.n_allow, e->nr))
				continue; /* [seccomp] allow takes it out */
			if (listed(pol->seccomp.deny, pol->seccomp.n_deny, e->nr))
				continue; /* denied whole below */
			if (add_preset_entry(ctx, SCMP_ACT_NOTIFY, e, err) < 0)
				return -1;
			*notify_used = *notify_used || e->match != MATCH_ENOSYS;
		}
	}
	/* [seccomp] deny: the whole syscall, whatever its arguments (deny =
	 * clone3 also replaces the preset's ENOSYS with a notification). */
	for (size_t i = 0; i < pol->seccomp.n_deny; i++) {
		const struct sbx_syscall *sc = &pol->seccomp.deny[i];
		int nr = syscall_nr(sc);

		if (nr < 0)
			return sbx_fail(err, SBX_STEP_SECCOMP, 0,
					"%s:%d: [seccomp] deny: %s is not a system call of this machine",
					sc->origin.file ? sc->origin.file : "policy", sc->origin.line,
					sc->name);
		if (listed(pol->seccomp.allow, pol->seccomp.n_allow, nr))
			continue; /* the policy check reports the contradiction */
		if (rule(ctx, SCMP_ACT_NOTIFY, nr, 0, NULL, sc->name, err) < 0)
			return -1;
		*notify_used = true;
	}
	return 0;
}

/* A filter generated ahead for one policy (sbx_seccomp_prepare). */
static struct {
	const struct sbx_policy *pol;
	struct sock_filter *insns;
	size_t len; /* bytes */
	bool notify;
} prepared;

/* The prepared filter, in a memory file of its own. */
static int prepared_prog(struct sbx_seccomp_prog *prog, struct sbx_err *err)
{
	int fd = memfd_create("sbx-seccomp", MFD_CLOEXEC);

	if (fd < 0)
		return sbx_fail(err, SBX_STEP_SECCOMP, errno, "memfd_create");
	if (write(fd, prepared.insns, prepared.len) != (ssize_t)prepared.len) {
		int e = errno;
		close(fd);
		return sbx_fail(err, SBX_STEP_SECCOMP, e, "write the filter");
	}
	prog->fd = fd;
	prog->notify = prepared.notify;
	return 0;
}

int sbx_seccomp_compile(const struct sbx_policy *pol, enum sbx_seccomp_mode mode,
			struct sbx_seccomp_prog *prog, struct sbx_err *err)
{
	scmp_filter_ctx ctx;
	bool notify_used = false;
	int fd, rc;

	(void)mode; /* the filter is the same; only the supervisor's answers differ */
	prog->fd = -1;
	prog->notify = false;
	if (prepared.pol && prepared.pol == pol)
		return prepared_prog(prog, err);
	/* API level 5: SCMP_ACT_NOTIFY and the notification calls exist in
	 * both libseccomp and the kernel (seccomp_api_get(3)). */
	if (seccomp_api_get() < 5) {
		sbx_fail(err, SBX_STEP_SECCOMP, 0, "seccomp user notification is not available");
		sbx_hint(err, "needs Linux 5.5 or later and libseccomp 2.5 or later");
		return -1;
	}
	/* Default allow: a deny list. */
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return sbx_fail(err, SBX_STEP_SECCOMP, ENOMEM, "create the filter");
	if (build(ctx, pol, &notify_used, err) < 0) {
		seccomp_release(ctx);
		return -1;
	}
	/* The program as the kernel will run it, in a memory file the jail
	 * inherits or receives: generating it takes libseccomp most of a
	 * millisecond, which the supervisor spends while the jail builds its
	 * root, instead of the program spending it before main. */
	fd = memfd_create("sbx-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		seccomp_release(ctx);
		return sbx_fail(err, SBX_STEP_SECCOMP, errno, "memfd_create");
	}
	rc = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (rc < 0) {
		close(fd);
		return sbx_fail(err, SBX_STEP_SECCOMP, -rc, "generate the filter");
	}
	prog->fd = fd;
	prog->notify = notify_used;
	return 0;
}

int sbx_seccomp_prepare(const struct sbx_policy *pol, struct sbx_err *err)
{
	struct sbx_seccomp_prog prog;
	struct stat st;
	void *insns = NULL;

	if (sbx_seccomp_compile(pol, SBX_SECCOMP_ENFORCE, &prog, err) < 0)
		return -1;
	errno = 0;
	if (fstat(prog.fd, &st) < 0 || st.st_size <= 0 || !(insns = malloc((size_t)st.st_size)) ||
	    pread(prog.fd, insns, (size_t)st.st_size, 0) != st.st_size) {
		int e = errno ? errno : EIO;
		free(insns);
		close(prog.fd);
		return sbx_fail(err, SBX_STEP_SECCOMP, e, "keep the filter");
	}
	close(prog.fd);
	free(prepared.insns);
	prepared.insns = insns;
	prepared.len = (size_t)st.st_size;
	prepared.notify = prog.notify;
	prepared.pol = pol;
	return 0;
}

int sbx_seccomp_load(const struct sbx_seccomp_prog *prog, int *listener, struct sbx_err *err)
{
	/* BPF_MAXINSNS (4096) instructions of 8 bytes: the largest filter the
	 * kernel takes. */
	struct sock_filter insns[4096];
	struct sock_fprog fprog;
	ssize_t n;
	long rc;

	*listener = -1;
	n = pread(prog->fd, insns, sizeof(insns), 0);
	if (n < 0)
		return sbx_fail(err, SBX_STEP_SECCOMP, errno, "read the filter");
	if (n == 0 || n % (ssize_t)sizeof(insns[0]) != 0 || n == (ssize_t)sizeof(insns))
		return sbx_fail(err, SBX_STEP_SECCOMP, 0, "the filter has %zd bytes", n);
	fprog.len = (unsigned short)(n / (ssize_t)sizeof(insns[0]));
	fprog.filter = insns;
	/* With a notify rule, ask for a listener (seccomp(2),
	 * SECCOMP_FILTER_FLAG_NEW_LISTENER); it is close-on-exec. No TSYNC:
	 * the process is single-threaded here (jail.c checks it). */
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     prog->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &fprog);
	if (rc < 0) {
		int e = errno;
		sbx_fail(err, SBX_STEP_SECCOMP, e, "load the filter");
		if (e == EBUSY)
			sbx_hint(err, "a filter with a listener is already installed: "
				      "a sandbox inside a sandbox?");
		else if (e == EACCES)
			sbx_hint(err, "no_new_privs is not set");
		return -1;
	}
	if (prog->notify)
		*listener = (int)rc;
	return 0;
}

int sbx_seccomp_install(const struct sbx_policy *pol, enum sbx_seccomp_mode mode, int *listener,
			struct sbx_err *err)
{
	struct sbx_seccomp_prog prog;
	int rc;

	*listener = -1;
	if (sbx_seccomp_compile(pol, mode, &prog, err) < 0)
		return -1;
	rc = sbx_seccomp_load(&prog, listener, err);
	close(prog.fd);
	return rc;
}

/* ---- the supervisor's side ---- */

const char *sbx_seccomp_origin(const struct sbx_policy *pol, int nr, char *buf, size_t size)
{
	for (size_t i = 0; i < pol->seccomp.n_deny; i++) {
		const struct sbx_origin *o = &pol->seccomp.deny[i].origin;
		if (syscall_nr(&pol->seccomp.deny[i]) != nr)
			continue;
		if (o->line > 0)
			snprintf(buf, size, "%s:%d", o->file ? o->file : "policy", o->line);
		else
			snprintf(buf, size, "%s", o->file ? o->file : "policy");
		return buf;
	}
	if (pol->seccomp.preset == SBX_PRESET_DEFAULT && preset_find(nr))
		snprintf(buf, size, "preset default");
	else
		snprintf(buf, size, "policy");
	return buf;
}

static void syscall_name(uint32_t arch, int nr, char *buf, size_t size)
{
	const struct sbx_preset_entry *e = arch == seccomp_arch_native() ? preset_find(nr) : NULL;
	char *name;

	if (e) {
		snprintf(buf, size, "%s", e->name);
		return;
	}
	/* libseccomp returns a copy to free, or NULL for a number it does
	 * not know (seccomp_syscall_resolve_num_arch(3)). */
	name = seccomp_syscall_resolve_num_arch(arch, nr);
	if (name && strcmp(name, "UNKNOWN") != 0)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "syscall %d", nr);
	free(name);
}

/* Learn mode lets everything run except what would change the jail itself,
 * and terminal injection. Returns 0 to let the call run, or the errno to
 * answer: ENOSYS for clone3 (as the preset does, so that libc falls back to
 * clone and threads still work), EPERM for the rest. */
static int learn_refusal(const struct seccomp_data *d)
{
	const struct sbx_preset_entry *e;
	uint32_t req;

	if (d->arch != seccomp_arch_native())
		return EPERM;
	e = preset_find(d->nr);
	if (!e || !e->never_learn)
		return 0;
	switch (d->nr) {
	case __NR_clone:
		return (d->args[0] & CLONE_NS_FLAGS) ? EPERM : 0;
	case __NR_unshare:
		return (d->args[0] & UNSHARE_NS_FLAGS) ? EPERM : 0;
	case __NR_ioctl:
		req = (uint32_t)d->args[1];
		return (req == TIOCSTI || req == TIOCLINUX) ? EPERM : 0;
	case __NR_clone3:
		return ENOSYS;
	default:
		return EPERM;
	}
}

/* The thread group (process) of a thread, from /proc/TID/status; the
 * notification names the thread that made the call. */
static pid_t thread_group(pid_t tid)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tid;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return tid;
	buf[n] = '\0';
	p = strstr(buf, "\nTgid:");
	if (!p)
		return tid;
	long tgid = strtol(p + 6, NULL, 10);
	return tgid > 0 ? (pid_t)tgid : tid;
}

/*
 * SIGKILL to the process that made the call. The pid could be reused if the
 * caller died meanwhile: open a pidfd first, then check that the notification
 * is still pending (the caller is still blocked in it, so the pid is still
 * its), then signal through the pidfd (seccomp_unotify(2), NOTES, and
 * seccomp_notify_id_valid(3)). Returns 0 when the signal was sent.
 */
static int kill_caller(int listener, const struct seccomp_notif *req, pid_t tgid)
{
	int pfd, rc;

	pfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	if (pfd < 0 && errno == EINVAL)
		pfd = (int)syscall(SYS_pidfd_open, req->pid, PIDFD_THREAD);
	if (pfd < 0) {
		/* No pidfd (ENOSYS before Linux 5.3): kill by pid, right after
		 * checking the call still waits, which narrows the window. */
		if (seccomp_notify_id_valid(listener, req->id) != 0)
			return -1;
		return kill(tgid, SIGKILL);
	}
	if (seccomp_notify_id_valid(listener, req->id) != 0) {
		close(pfd);
		return -1; /* the caller is gone already */
	}
	rc = (int)syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	close(pfd);
	return rc;
}

static void respond(int listener, struct seccomp_notif_resp *resp, uint64_t id, int error,
		    uint32_t flags)
{
	memset(resp, 0, sizeof(*resp));
	resp->id = id;
	resp->error = error;
	resp->flags = flags;
	/* ENOENT: the caller was killed meanwhile; nothing left to answer. */
	if (seccomp_notify_respond(listener, resp) < 0) {
		/* nothing to do: the caller is gone */
	}
}

int sbx_seccomp_handle(int listener, const struct sbx_policy *pol, enum sbx_seccomp_mode mode,
		       struct sbx_seccomp_event *ev)
{
	/* Allocated once, with the sizes the kernel asks for
	 * (seccomp_notify_alloc(3)); the supervisor is one thread. */
	static struct seccomp_notif *req;
	static struct seccomp_notif_resp *resp;
	struct pollfd pfd = {.fd = listener, .events = POLLIN};
	int rc;

	memset(ev, 0, sizeof(*ev));
	ev->nr = -1;
	if (!req) {
		rc = seccomp_notify_alloc(&req, &resp);
		if (rc < 0) {
			req = NULL;
			errno = -rc;
			return -1;
		}
	}
	/* Never block: the supervisor calls this when its poll says the
	 * listener is readable, but the caller may have been killed since,
	 * and a receive with nothing pending would wait for the next call. */
	rc = poll(&pfd, 1, 0);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	if (rc == 0)
		return 0;
	if (!(pfd.revents & POLLIN)) {
		/* POLLHUP: no process uses the filter any more (Linux 5.8). */
		errno = EPIPE;
		return -1;
	}
	/* The kernel wants the buffer zeroed (seccomp_unotify(2)); libseccomp
	 * 2.5.4 passes it as is. */
	memset(req, 0, sizeof(*req));
	rc = seccomp_notify_receive(listener, req);
	if (rc < 0) {
		/* ENOENT: the caller died between the wakeup and the read. */
		if (errno == ENOENT || errno == EINTR)
			return 0;
		return -1;
	}

	ev->nr = req->data.nr;
	ev->arch = req->data.arch;
	ev->pid = thread_group((pid_t)req->pid);
	syscall_name(ev->arch, ev->nr, ev->name, sizeof(ev->name));
	sbx_seccomp_origin(pol, ev->nr, ev->origin, sizeof(ev->origin));

	if (mode == SBX_SECCOMP_LEARN) {
		int refusal = learn_refusal(&req->data);
		if (refusal) {
			respond(listener, resp, req->id, -refusal, 0);
		} else {
			/* Run the call as if there were no filter. The usual
			 * race of CONTINUE (seccomp_unotify(2)) does not matter:
			 * learn mode is not a security boundary. */
			respond(listener, resp, req->id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
			ev->allowed = true;
		}
	} else if (pol->seccomp.action == SBX_ACTION_ERRNO || req->pid == 0) {
		/* pid 0: the caller is not visible from here, so it cannot be
		 * killed; EPERM still refuses the call. */
		respond(listener, resp, req->id, -EPERM, 0);
	} else if (kill_caller(listener, req, ev->pid) == 0) {
		/* SIGKILL is handled before the caller returns to user space,
		 * so its call never completes and no answer is needed. */
		ev->killed = true;
	} else {
		respond(listener, resp, req->id, -EPERM, 0);
	}
	return 0;
}
