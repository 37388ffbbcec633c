#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "report.h"
#include "userns.h"

/* How long a forwarded SIGTERM/SIGINT/SIGHUP/SIGQUIT may take to end the
 * program before the whole jail is killed. */
#define SBX_GRACE_MS 1000
/* A setup that has not finished by then is stuck: fail it. */
#define SBX_SETUP_TIMEOUT_MS 30000

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double since_s(const struct timespec *t0)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)(ts.tv_sec - t0->tv_sec) + (double)(ts.tv_nsec - t0->tv_nsec) / 1e9;
}

int sbx_supervisor_prepare(struct sbx_supervisor *sup, struct sbx_err *err)
{
	const struct sbx_policy *pol = sup->pol;
	int sv[2];
	sigset_t all;

	clock_gettime(CLOCK_MONOTONIC, &sup->t_start);
	sup->sock = sup->jail_sock = -1;
	sup->init_pid = -1;
	sigemptyset(&sup->forwarded);
	sigaddset(&sup->forwarded, SIGINT);
	sigaddset(&sup->forwarded, SIGTERM);
	sigaddset(&sup->forwarded, SIGHUP);
	sigaddset(&sup->forwarded, SIGQUIT);
	/* Blocked from before the clone, so that no signal is lost between
	 * the clone and the supervisor's signalfd; the program gets the
	 * caller's mask back before main. */
	all = sup->forwarded;
	sigaddset(&all, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &all, &sup->saved_mask) < 0)
		return sbx_fail(err, SBX_STEP_SUPERVISOR, errno, "sigprocmask");

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return sbx_fail(err, SBX_STEP_SUPERVISOR, errno, "socketpair");
	sup->sock = sv[0];
	sup->jail_sock = sv[1];
	/* The kernel then tells us who sent each record, as we see its pid. */
	int one = 1;
	if (setsockopt(sup->sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return sbx_fail(err, SBX_STEP_SUPERVISOR, errno, "setsockopt(SO_PASSCRED)");

	/* Resolve [net] allow names and check the network stack now, while
	 * we still can say so before anything started. */
	if (sbx_egress_prepare(pol, &sup->egress, err) < 0)
		return -1;

	sup->cg.procs_fd[0] = sup->cg.procs_fd[1] = -1;
	if (pol->limits.memory_bytes || pol->limits.processes) {
		if (sbx_cgroup_create(pol, &sup->cg, err) < 0)
			return -1;
		sup->cg_made = true;
		if (pol->limits.memory_bytes && !sup->cg.memory)
			sbx_log(pol->sandbox.log, SBX_LOG_WARN,
			       "cgroup: no memory cgroup (%s): memory = %s holds per process (RLIMIT_AS)",
			       sup->cg.why_not, pol->limits.memory_text);
		else if (pol->limits.processes && !sup->cg.pids)
			sbx_log(pol->sandbox.log, SBX_LOG_WARN,
			       "cgroup: no pids cgroup (%s): processes = %llu holds through RLIMIT_NPROC",
			       sup->cg.why_not, (unsigned long long)pol->limits.processes);
	}
	return 0;
}

int sbx_supervisor_start(struct sbx_supervisor *sup, pid_t init_pid, struct sbx_err *err)
{
	sup->init_pid = init_pid;
	close(sup->jail_sock);
	sup->jail_sock = -1;

	/* The network stack joins the jail's namespaces first: once init has
	 * taken the jail's ids it is no longer dumpable, and /proc/INIT/ns/
	 * is closed to the stack (egress.c). */
	if (sbx_egress_start(sup->egress, init_pid, err) < 0 ||
	    sbx_userns_write_maps(sup->pol, init_pid, err) < 0)
		goto fail;
	/* A jail that cannot hear us has failed and said why on the channel:
	 * sbx_supervise() reads it. */
	(void)sbx_rec_send(sup->sock, SBX_REC_MAPS, 0, NULL, -1);
	/* While the jail builds its root (it joined its cgroup itself, jail.c),
	 * generate the seccomp filter, which the program loads as its last
	 * step. It rides along with GO. */
	struct sbx_seccomp_prog prog;
	if (sbx_seccomp_compile(sup->pol, sup->seccomp_mode, &prog, err) < 0)
		goto fail;
	(void)sbx_rec_send(sup->sock, SBX_REC_GO, prog.notify, NULL, prog.fd);
	close(prog.fd);
	return 0;
fail:
	kill(init_pid, SIGKILL);
	waitpid(init_pid, NULL, 0);
	sup->init_pid = -1;
	return -1;
}

/* Everything the supervisor learns while the jail runs. */
struct run_state {
	bool ready;		/* the program's main may run */
	struct timespec t_ready;
	int listener;		/* seccomp notifications, or -1 */
	pid_t program;		/* as we see it (from the READY record's credentials) */
	bool have_exit;
	int program_status;	/* wait status, from init */
	bool init_gone;
	int init_status;
	struct rusage ru;	/* init and every process it reaped */
	char setup_error[768];
	int stop_signal;	/* a signal we got and forwarded */
	int64_t kill_at_ms;	/* when to kill the jail, 0 = not planned */
	bool wall_expired;
	bool setup_expired;
	struct sbx_seccomp_event blocked; /* the first syscall that killed a process */
	bool have_blocked;
	bool program_blocked;	/* ... and that process was the program */
	/* learn mode: denied calls let through, and calls refused even so */
	struct sbx_seccomp_event learned[64];
	int n_learned;
	struct sbx_seccomp_event refused[16];
	int n_refused;
};

static void on_record(struct sbx_supervisor *sup, struct run_state *st)
{
	struct sbx_rec rec;
	int fd;
	pid_t sender;
	int r = sbx_rec_recv(sup->sock, &rec, &fd, &sender);

	if (r <= 0) {
		close(sup->sock);
		sup->sock = -1;
		return;
	}
	switch (rec.type) {
	case SBX_REC_READY:
		st->ready = true;
		clock_gettime(CLOCK_MONOTONIC, &st->t_ready);
		st->program = sender;
		if (fd >= 0) {
			st->listener = fd;
			fd = -1;
		}
		break;
	case SBX_REC_ERROR:
		if (!st->setup_error[0])
			snprintf(st->setup_error, sizeof(st->setup_error), "%s", rec.text);
		break;
	case SBX_REC_EXIT:
		st->have_exit = true;
		st->program_status = rec.value;
		break;
	default:
		break;
	}
	if (fd >= 0)
		close(fd);
}

/* Learn mode: remember each syscall once, in the order first seen. */
static void learn_note(struct sbx_seccomp_event *list, int *n, int max,
		       const struct sbx_seccomp_event *ev)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(list[i].name, ev->name) == 0)
			return;
	if (*n < max)
		list[(*n)++] = *ev;
}

static void on_notification(struct sbx_supervisor *sup, struct run_state *st)
{
	struct sbx_seccomp_event ev;

	memset(&ev, 0, sizeof(ev));
	if (sbx_seccomp_handle(st->listener, sup->pol, sup->seccomp_mode, &ev) < 0) {
		close(st->listener);
		st->listener = -1;
		return;
	}
	if (ev.nr < 0) /* nothing to answer: the caller died first */
		return;
	if (ev.killed) {
		if (!st->have_blocked) {
			st->blocked = ev;
			st->have_blocked = true;
		}
		if (ev.pid == st->program) {
			st->blocked = ev;
			st->program_blocked = true;
		}
	} else if (ev.allowed) {
		learn_note(st->learned, &st->n_learned, 64, &ev);
	} else {
		if (sup->seccomp_mode == SBX_SECCOMP_LEARN)
			learn_note(st->refused, &st->n_refused, 16, &ev);
		sbx_log(sup->pol->sandbox.log, SBX_LOG_INFO, "blocked syscall %s: EPERM (%s)", ev.name, ev.origin);
	}
}

static void on_signal(struct sbx_supervisor *sup, struct run_state *st, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			int status;
			if (!st->init_gone && wait4(sup->init_pid, &status, WNOHANG, &st->ru) == sup->init_pid) {
				st->init_gone = true;
				st->init_status = status;
			}
			continue;
		}
		/* SIGINT, SIGTERM, SIGHUP, SIGQUIT: the program gets it first;
		 * whatever is still running after the grace period dies. */
		if (!st->stop_signal)
			st->stop_signal = sig;
		if (sup->init_pid > 0)
			kill(sup->init_pid, sig);
		if (!st->kill_at_ms)
			st->kill_at_ms = now_ms() + SBX_GRACE_MS;
	}
}

static const char *signal_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "signal %d", sig);
	return buf;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* The preset denied it (the policy's [seccomp] deny did not). */
static bool denied_by_preset(const struct sbx_seccomp_event *ev)
{
	return strncmp(ev->origin, "preset", 6) == 0;
}

/* Turn what happened into the contract's status, reason and message. */
static void conclude(struct sbx_supervisor *sup, struct run_state *st, struct sbx_run_result *res,
		     char *msg, size_t msg_size)
{
	const struct sbx_policy *pol = sup->pol;
	struct sbx_cgroup_stats cgs = {.peak_memory_bytes = -1};
	char name[32];

	if (sup->cg_made)
		sbx_cgroup_stats(&sup->cg, &cgs);
	res->peak_memory_bytes = cgs.peak_memory_bytes;
	res->cpu_user_s = tv_s(&st->ru.ru_utime);
	res->cpu_sys_s = tv_s(&st->ru.ru_stime);
	res->wall_s = st->ready ? since_s(&st->t_ready) : 0;
	res->syscall_nr = -1;
	msg[0] = '\0';

	if (st->setup_error[0] || st->setup_expired || (!st->ready && !st->stop_signal)) {
		res->status = SBX_EXIT_SETUP;
		res->reason = "setup";
		if (!st->setup_error[0])
			snprintf(st->setup_error, sizeof(st->setup_error),
				 st->setup_expired ? "sbx: setup: timed out" :
						     "sbx: setup: the jail ended before the program started");
		res->setup_error = st->setup_error;
		snprintf(msg, msg_size, "%s", st->setup_error);
		return;
	}
	if (st->wall_expired) {
		res->status = SBX_EXIT_WALL_TIME;
		res->reason = "wall_time";
		res->signal = SIGKILL;
		snprintf(msg, msg_size, "sbx: wall time limit (%s s) exceeded", pol->limits.wall_time_text);
		return;
	}
	if (st->stop_signal) {
		res->status = SBX_EXIT_SIGNAL_BASE + st->stop_signal;
		res->reason = "signal";
		res->signal = st->stop_signal;
		snprintf(msg, msg_size, "sbx: stopped by %s", signal_name(st->stop_signal, name, sizeof(name)));
		return;
	}
	int status = st->have_exit ? st->program_status : st->init_status;
	if (WIFEXITED(status)) {
		res->status = WEXITSTATUS(status);
		res->reason = "exit";
		if (st->have_blocked) {
			res->syscall = st->blocked.name;
			res->syscall_nr = st->blocked.nr;
			res->syscall_arch = st->blocked.arch;
		}
		return;
	}
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
	double cpu_s = res->cpu_user_s + res->cpu_sys_s;
	res->signal = sig;
	res->status = SBX_EXIT_SIGNAL_BASE + sig;
	if (st->have_blocked && sig == SIGKILL && (st->program_blocked || !cgs.oom_killed)) {
		res->status = SBX_EXIT_SIGNAL_BASE + SIGSYS;
		res->signal = SIGSYS;
		res->reason = "seccomp";
		res->syscall = st->blocked.name;
		res->syscall_nr = st->blocked.nr;
		res->syscall_arch = st->blocked.arch;
		/* The contract's line as it is, then where the call was denied
		 * and the fix. allow takes a call out of the preset; a call the
		 * policy's own deny names must leave that list (both is a
		 * policy error). */
		if (denied_by_preset(&st->blocked))
			snprintf(msg, msg_size,
				 "sbx: blocked syscall %s\n"
				 "sbx: %s is denied by %s; to permit it: [seccomp] allow = %s",
				 st->blocked.name, st->blocked.name, st->blocked.origin, st->blocked.name);
		else
			snprintf(msg, msg_size,
				 "sbx: blocked syscall %s\n"
				 "sbx: %s is denied by %s; to permit it: take %s out of [seccomp] deny",
				 st->blocked.name, st->blocked.name, st->blocked.origin, st->blocked.name);
	} else if (sig == SIGKILL && cgs.oom_killed) {
		res->reason = "memory";
		snprintf(msg, msg_size, "sbx: memory limit (%s) exceeded", pol->limits.memory_text);
	} else if (pol->limits.cpu_time_ms &&
		   (sig == SIGXCPU || (sig == SIGKILL && cpu_s * 1000 >= (double)pol->limits.cpu_time_ms))) {
		res->reason = "cpu_time";
		snprintf(msg, msg_size, "sbx: cpu time limit (%s s) exceeded", pol->limits.cpu_time_text);
	} else if (sig == SIGSYS) {
		/* Killed by the kernel for a syscall of a foreign ABI: the
		 * filter's bad-arch action gives no notification. */
		res->reason = "seccomp";
		snprintf(msg, msg_size, "sbx: blocked syscall of a foreign ABI (i386 or x32)");
	} else {
		res->reason = cgs.pids_limited ? "processes" : "signal";
		if (cgs.pids_limited)
			snprintf(msg, msg_size,
				 "sbx: killed by signal %s\nsbx: the jail reached its processes limit (%llu)",
				 signal_name(sig, name, sizeof(name)), (unsigned long long)pol->limits.processes);
		else
			snprintf(msg, msg_size, "sbx: killed by signal %s", signal_name(sig, name, sizeof(name)));
	}
}

/*
 * Learn mode: why a call of the default preset deserves a second look before
 * it goes into an allow line (the groups of seccomp.c's preset). NULL for a
 * call the policy's own [seccomp] deny named: the user chose it.
 */
static const char *learn_risk(const char *name)
{
	static const struct {
		const char *names;
		const char *why;
	} risks[] = {
		{" ptrace process_vm_readv process_vm_writev pidfd_getfd process_madvise kcmp "
		 "migrate_pages ",
		 "reads or steers the other processes of the jail (memory, descriptors)"},
		{" bpf perf_event_open userfaultfd ",
		 "opens a large kernel attack surface, a staple of kernel exploits"},
		{" io_uring_setup io_uring_enter io_uring_register ",
		 "io_uring's operations are not seen by the seccomp filter at all"},
		{" keyctl add_key request_key ",
		 "kernel keyrings are not namespaced: keys of the same uid outside are in reach"},
		{" open_by_handle_at ", "opens files by handle, around the jail's mount view"},
		{" fanotify_init ", "watches other processes' file accesses"},
		{" personality ",
		 "weakens the process's memory protections (READ_IMPLIES_EXEC, no ASLR)"},
		{" modify_ldt uselib lookup_dcookie nfsservctl _sysctl create_module get_kernel_syms "
		 "query_module ",
		 "a legacy interface, where old kernel bugs live"},
		{" kexec_load kexec_file_load init_module finit_module delete_module reboot swapon "
		 "swapoff acct quotactl quotactl_fd settimeofday clock_settime adjtimex clock_adjtime "
		 "syslog vhangup iopl ioperm ",
		 "acts on the whole machine's kernel (it needs a capability the jail never has)"},
	};
	char key[80];

	snprintf(key, sizeof(key), " %s ", name);
	for (size_t i = 0; i < sizeof(risks) / sizeof(risks[0]); i++)
		if (strstr(risks[i].names, key))
			return risks[i].why;
	return NULL;
}

/*
 * Learn mode's answer, after the run: the allow line that lets the program
 * run, a warning for each call that weakens the jail, and the calls that
 * learn mode refused too (they would change the jail itself). Files the
 * program could not find are not seen here: the filter raises no
 * notification for open(2); a program that is itself outside the jail's
 * binds fails its exec with a hint that names the [fs] line.
 */
static void learn_report(const struct run_state *st)
{
	char line[700] = "";
	size_t off = 0;

	if (!st->n_learned && !st->n_refused) {
		sbx_say("learn: the program needed no syscall beyond the policy");
		return;
	}
	for (int i = 0; i < st->n_learned && off < sizeof(line) - 70; i++)
		if (denied_by_preset(&st->learned[i]))
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s", st->learned[i].name);
	if (off)
		sbx_say("learn: the program needed: [seccomp] allow =%s", line);
	for (int i = 0; i < st->n_learned; i++) {
		const char *why = learn_risk(st->learned[i].name);
		if (!denied_by_preset(&st->learned[i]))
			sbx_say("learn: the program needed %s: take it out of [seccomp] deny (%s)",
				st->learned[i].name, st->learned[i].origin);
		else if (why)
			sbx_say("learn: warning: %s (denied by %s) %s", st->learned[i].name,
				st->learned[i].origin, why);
	}
	for (int i = 0; i < st->n_refused; i++)
		sbx_say("learn: refused even in learn mode: %s (denied by %s): it would change the "
			"jail's namespaces or root, or type into a terminal outside",
			st->refused[i].name, st->refused[i].origin);
}

__attribute__((noreturn)) static void finish(struct sbx_supervisor *sup, struct run_state *st)
{
	struct sbx_run_result res;
	struct sbx_err err;
	char msg[800];

	memset(&res, 0, sizeof(res));
	res.net_bytes_sent = res.net_bytes_received = -1;
	conclude(sup, st, &res, msg, sizeof(msg));
	res.policy = sup->policy_name;
	sbx_egress_stop(sup->egress, &res.net_bytes_sent, &res.net_bytes_received);
	if (sup->cg_made)
		sbx_cgroup_destroy(&sup->cg);
	if (msg[0] && sup->pol->sandbox.log >= SBX_LOG_ERROR) {
		size_t n = strlen(msg);
		msg[n] = '\n';
		if (write(STDERR_FILENO, msg, n + 1) < 0) {
			/* stderr is gone; the status still tells */
		}
	}
	if (sup->seccomp_mode == SBX_SECCOMP_LEARN)
		learn_report(st);
	if (sup->pol->sandbox.report && sbx_report_write(sup->pol->sandbox.report, &res, &err) < 0) {
		/* The run is over; a report that cannot be written is worth a
		 * line, and its absence tells the caller the rest. */
		char line[768];
		size_t n = sbx_err_format(&err, line, sizeof(line));
		if (write(STDERR_FILENO, line, n) < 0) {
		}
	}
	_exit(res.status);
}

void sbx_supervise(struct sbx_supervisor *sup)
{
	const struct sbx_policy *pol = sup->pol;
	struct run_state st;
	sigset_t all = sup->forwarded;
	int sfd;

	memset(&st, 0, sizeof(st));
	st.listener = -1;
	sigaddset(&all, SIGCHLD);
	sfd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		struct sbx_err err;
		kill(sup->init_pid, SIGKILL);
		sbx_fail(&err, SBX_STEP_SUPERVISOR, errno, "signalfd");
		sbx_supervisor_fail(sup, &err);
	}
	/* A SIGCHLD may have come before the signalfd existed: look once. */
	{
		int status;
		if (wait4(sup->init_pid, &status, WNOHANG, &st.ru) == sup->init_pid) {
			st.init_gone = true;
			st.init_status = status;
		}
	}

	while (!st.init_gone || sup->sock >= 0) {
		struct pollfd pfd[3];
		int n = 0, timeout = -1;
		int64_t now = now_ms(), deadline = 0;

		if (st.init_gone) {
			/* Read what the jail said before it ended, then stop. */
			pfd[0] = (struct pollfd){.fd = sup->sock, .events = POLLIN};
			if (poll(pfd, 1, 0) <= 0 || !(pfd[0].revents & (POLLIN | POLLHUP)))
				break;
			on_record(sup, &st);
			continue;
		}
		if (st.kill_at_ms)
			deadline = st.kill_at_ms;
		if (st.ready && pol->limits.wall_time_ms) {
			int64_t wall_end = (int64_t)st.t_ready.tv_sec * 1000 + st.t_ready.tv_nsec / 1000000 +
					   (int64_t)pol->limits.wall_time_ms;
			if (!deadline || wall_end < deadline)
				deadline = wall_end;
		}
		if (!st.ready) {
			int64_t setup_end = (int64_t)sup->t_start.tv_sec * 1000 +
					    sup->t_start.tv_nsec / 1000000 + SBX_SETUP_TIMEOUT_MS;
			if (!deadline || setup_end < deadline)
				deadline = setup_end;
		}
		if (deadline) {
			if (deadline <= now) {
				if (!st.ready && !st.kill_at_ms)
					st.setup_expired = true;
				else if (!st.kill_at_ms || st.ready)
					st.wall_expired = !st.stop_signal;
				kill(sup->init_pid, SIGKILL);
				st.kill_at_ms = 0;
				/* Wait for init to go; nothing else matters now. */
				int status;
				if (wait4(sup->init_pid, &status, 0, &st.ru) == sup->init_pid) {
					st.init_gone = true;
					st.init_status = status;
				}
				continue;
			}
			timeout = (int)(deadline - now);
		}
		pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		if (sup->sock >= 0)
			pfd[n++] = (struct pollfd){.fd = sup->sock, .events = POLLIN};
		if (st.listener >= 0)
			pfd[n++] = (struct pollfd){.fd = st.listener, .events = POLLIN};
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == sfd)
				on_signal(sup, &st, sfd);
			else if (pfd[i].fd == sup->sock)
				on_record(sup, &st);
			else if (pfd[i].fd == st.listener)
				on_notification(sup, &st);
		}
	}
	if (!st.init_gone) {
		int status;
		kill(sup->init_pid, SIGKILL);
		if (wait4(sup->init_pid, &status, 0, &st.ru) == sup->init_pid)
			st.init_status = status;
	}
	finish(sup, &st);
}

void sbx_supervisor_fail(struct sbx_supervisor *sup, const struct sbx_err *err)
{
	struct sbx_run_result res;
	struct sbx_err rerr;
	char line[768];
	size_t n = sbx_err_format(err, line, sizeof(line));

	sbx_egress_stop(sup->egress, NULL, NULL);
	if (sup->cg_made)
		sbx_cgroup_destroy(&sup->cg);
	if (n > 0 && write(STDERR_FILENO, line, n) < 0) {
	}
	if (sup->pol && sup->pol->sandbox.report) {
		memset(&res, 0, sizeof(res));
		if (n > 0)
			line[n - 1] = '\0';
		res.status = SBX_EXIT_SETUP;
		res.reason = "setup";
		res.syscall_nr = -1;
		res.peak_memory_bytes = -1;
		res.net_bytes_sent = res.net_bytes_received = -1;
		res.policy = sup->policy_name;
		res.setup_error = line;
		if (sbx_report_write(sup->pol->sandbox.report, &res, &rerr) < 0) {
			n = sbx_err_format(&rerr, line, sizeof(line));
			if (write(STDERR_FILENO, line, n) < 0) {
			}
		}
	}
	_exit(SBX_EXIT_SETUP);
}
