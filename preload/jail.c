#include "jail.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "caps.h"
#include "channel.h"
#include "env.h"
#include "fds.h"
#include "init.h"
#include "limits.h"
#include "mounts.h"
#include "net.h"
#include "ns.h"
#include "supervisor.h"
#include "userns.h"

int sbx_threads_check(struct sbx_err *err)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return sbx_fail(err, SBX_STEP_THREADS, errno, "open /proc/self/task");
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	if (n > 1)
		return sbx_fail(err, SBX_STEP_THREADS, 0,
				"the process already runs %d threads (a library started them before "
				"sandbox.so's constructor); a user namespace can only be made by a "
				"single-threaded process: run it with the sbx launcher instead",
				n);
	return 0;
}

/*
 * A supervisor that dies takes the jail with it. Set after the change of ids,
 * which clears the parent-death signal (prctl(2), PR_SET_PDEATHSIG), then
 * check that the supervisor is still there: had it died before, no signal
 * would come. The channel tells: its only other end is the supervisor's.
 */
static int supervisor_tie(int sock, struct sbx_err *err)
{
	struct pollfd pfd = {.fd = sock, .events = POLLRDHUP};

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return sbx_fail(err, SBX_STEP_INIT, errno, "prctl(PR_SET_PDEATHSIG)");
	if (poll(&pfd, 1, 0) < 0)
		return sbx_fail(err, SBX_STEP_INIT, errno, "poll the supervisor's channel");
	if (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR))
		return sbx_fail(err, SBX_STEP_INIT, 0, "the supervisor is gone");
	return 0;
}

/* The jail's init: become the jail's user, build its world, start the program. */
static pid_t init_build(const struct sbx_policy *pol, struct sbx_supervisor *sup,
			const struct sbx_jail_opts *opts)
{
	struct sbx_err err;
	int sock = sup->jail_sock;
	pid_t program;

	close(sup->sock);
	if (!pol->ns.pid)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (sbx_rec_expect(sock, SBX_REC_MAPS, &err) < 0 ||
	    sbx_userns_take_ids(pol, &err) < 0 ||
	    supervisor_tie(sock, &err) < 0 ||
	    sbx_mounts_build(pol, &err) < 0 ||
	    sbx_ns_hostname(pol, &err) < 0 ||
	    sbx_net_setup(pol, &err) < 0 ||
	    sbx_env_apply(pol, opts->envp, &err) < 0 ||
	    sbx_rec_expect(sock, SBX_REC_GO, &err) < 0 ||
	    sbx_ns_enter_cgroup(pol, &err) < 0)
		sbx_jail_die(sock, &err);

	program = fork();
	if (program < 0) {
		sbx_fail(&err, SBX_STEP_INIT, errno, "fork the program");
		sbx_jail_die(sock, &err);
	}
	if (program > 0) {
		if (sbx_fds_close(pol, sock, &err) < 0)
			sbx_jail_die(sock, &err);
		sbx_init_run(program, sock, &sup->forwarded);
	}
	return 0;
}

/* The program's own steps, last to first privilege. */
static int program_finish(const struct sbx_policy *pol, struct sbx_supervisor *sup,
			   const struct sbx_jail_opts *opts)
{
	struct sbx_err err;
	int sock = sup->jail_sock;
	int listener = -1;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		sbx_fail(&err, SBX_STEP_INIT, errno, "prctl(PR_SET_PDEATHSIG)");
		sbx_jail_die(sock, &err);
	}
	if (sbx_fds_close(pol, sock, &err) < 0)
		sbx_jail_die(sock, &err);
	if (sbx_fds_new_session(&err) < 0 ||
	    sbx_limits_apply(pol, sup->cg_made && sup->cg.memory, &err) < 0 ||
	    sbx_caps_drop_all(&err) < 0 ||
	    sbx_seccomp_install(pol, opts->seccomp_mode, &listener, &err) < 0)
		sbx_jail_die(sock, &err);
	/* The uid change in init made us non-dumpable (the kernel does so on
	 * any change of credentials), which would hide the program's own
	 * /proc/self/environ, mem and the like from it. Nothing outside the
	 * jail shares our uid, and ptrace is refused by seccomp. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		sbx_fail(&err, SBX_STEP_INIT, errno, "prctl(PR_SET_DUMPABLE)");
		sbx_jail_die(sock, &err);
	}
	if (sigprocmask(SIG_SETMASK, &sup->saved_mask, NULL) < 0) {
		sbx_fail(&err, SBX_STEP_INIT, errno, "sigprocmask");
		sbx_jail_die(sock, &err);
	}
	/* The last word before main: the supervisor starts the wall clock and
	 * takes the seccomp listener. */
	if (sbx_rec_send(sock, SBX_REC_READY, 0, NULL, listener) < 0) {
		sbx_fail(&err, SBX_STEP_INIT, errno, "tell the supervisor the jail is ready");
		sbx_jail_die(sock, &err);
	}
	if (listener >= 0)
		close(listener);
	if (opts->keep_channel)
		return sock;
	close(sock);
	return 0;
}

int sbx_jail_enter(const struct sbx_policy *pol, const struct sbx_jail_opts *opts,
		   struct sbx_err *err)
{
	static struct sbx_supervisor sup;
	pid_t init;

	memset(&sup, 0, sizeof(sup));
	sup.pol = pol;
	sup.policy_name = opts->policy_name;
	sup.seccomp_mode = opts->seccomp_mode;

	if (sbx_threads_check(err) < 0)
		return -1;
	if (sbx_supervisor_prepare(&sup, err) < 0)
		sbx_supervisor_fail(&sup, err);
	if (sbx_mounts_prepare(pol, err) < 0)
		sbx_supervisor_fail(&sup, err);
	init = sbx_ns_clone(pol, err);
	if (init < 0)
		sbx_supervisor_fail(&sup, err);
	if (init > 0) {
		sbx_mounts_release(); /* init holds its own copies */
		if (sbx_supervisor_start(&sup, init, err) < 0)
			sbx_supervisor_fail(&sup, err);
		sbx_supervise(&sup);
	}
	init_build(pol, &sup, opts);
	return program_finish(pol, &sup, opts);
}
