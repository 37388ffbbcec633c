#include "init.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "channel.h"

void sbx_init_run(pid_t program, int sock, const sigset_t *forwarded)
{
	struct signalfd_siginfo si;
	struct sbx_err err;
	sigset_t mask = *forwarded;
	int sfd;

	/* The program runs as our uid: keep it out of our memory. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (sbx_caps_drop_all(&err) < 0) {
		kill(program, SIGKILL);
		sbx_jail_die(sock, &err);
	}
	sigaddset(&mask, SIGCHLD);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		kill(program, SIGKILL);
		sbx_fail(&err, SBX_STEP_INIT, errno, "signalfd");
		sbx_jail_die(sock, &err);
	}
	/* The mask is already blocked (since before the clone). */
	for (;;) {
		ssize_t n = read(sfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			break;
		if (si.ssi_signo != SIGCHLD) {
			kill(program, (int)si.ssi_signo);
			continue;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);
			if (pid <= 0)
				break;
			if (pid == program) {
				sbx_rec_send(sock, SBX_REC_EXIT, status, NULL, -1);
				_exit(0);
			}
		}
	}
	kill(program, SIGKILL);
	_exit(SBX_EXIT_SETUP);
}
