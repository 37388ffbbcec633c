/*
 * zygote: start the zygote, ask it for jails, restart it when it died.
 */
#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "jail.h"
#include "policy.h"
#include "sbx.h"

/* The zygote's control socket, as it finds it. */
#define ZYGOTE_SOCK_FD 3
/*
 * The zygote's last variable: a user base below /dev/null (a device, under
 * which nothing can exist), so that its startup on the host never reads a
 * host user's site-packages (HOME is the jail's /home/sandbox, which the
 * host may have). Each copy cuts it off before it is jailed.
 */
#define ZYGOTE_NO_USER_BASE "PYTHONUSERBASE=/dev/null/sbx-evald-zygote"

struct evald_zygote {
	const struct evald *ev;
	pthread_mutex_t lock;
	pid_t pid;   /* -1: not running */
	int sock;    /* our end of the control socket, -1: not running */
	char **envp; /* the zygote's environment */
};

static void free_env(char **envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
}

/*
 * The jails' environment as the effective policy sets it, so python's
 * startup in the zygote reads what it would read in a jail (LANG, HOME...),
 * and what the zygote needs: the policy for sbx_enter(), no jailing by
 * sandbox.so's constructor, where sandbox.so is. Never our own environment.
 * The jail wipes SBX_* like any caller's variable.
 */
static char **zygote_env(const struct evald *ev, char *err, size_t errlen)
{
	struct sbx_policy pol;
	struct sbx_err e = { 0 };
	char run_dir[PATH_MAX + 16];
	char **envp = NULL;
	size_t n = 0;

	memset(&pol, 0, sizeof(pol));
	snprintf(run_dir, sizeof(run_dir), "%s/run.check", ev->state_dir);
	if (sbx_policy_defaults(&pol, run_dir, &e) < 0 ||
	    sbx_policy_load_file(&pol, ev->policy_path, &e) < 0 || sbx_policy_finish(&pol, &e) < 0) {
		sbx_err_format(&e, err, errlen);
		err[strcspn(err, "\n")] = '\0';
		goto fail;
	}
	envp = calloc(pol.sandbox.n_env + 5, sizeof(*envp));
	if (!envp)
		goto nomem;
	for (size_t i = 0; i < pol.sandbox.n_env; i++)
		if (strncmp(pol.sandbox.env[i], "PYTHONUSERBASE=", 15) != 0 &&
		    !(envp[n++] = strdup(pol.sandbox.env[i])))
			goto nomem;
	if (asprintf(&envp[n++], "SBX_POLICY=%s", ev->policy_path) < 0 ||
	    !(envp[n++] = strdup("SBX_NO_CONSTRUCTOR=1")) ||
	    asprintf(&envp[n++], "SBX_EVALD_ZYGOTE=%s", ev->sandbox_path) < 0 ||
	    !(envp[n++] = strdup(ZYGOTE_NO_USER_BASE)))
		goto nomem;
	sbx_policy_free(&pol);
	return envp;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	if (envp)
		envp[n] = NULL;
	free_env(envp);
	sbx_policy_free(&pol);
	return NULL;
}

/*
 * The zygote: python3 -u -B -c BOOTSTRAP OWNER, as a jail's python3 is
 * started (so ps shows the same line, and its copies carry it), stdin the
 * runner's text, stdout and stderr our stderr, the control socket on fd 3,
 * cwd /, in its own session (a ^C to our terminal is not for it). vfork(2):
 * only system calls before execve. PR_SET_PDEATHSIG SIGKILL: it dies with
 * the thread that starts it (main's, or a worker's: both live as long as the
 * service).
 */
static pid_t spawn_zygote(struct evald_zygote *z, int in_fd, int sock_fd)
{
	char boot[256], owner[PATH_MAX + 16];
	char *argv[8];
	pid_t parent = getpid();
	pid_t pid;
	sigset_t none;

	evald_runner_argv(z->ev, argv, boot, sizeof(boot), owner, sizeof(owner));
	sigemptyset(&none);
	pid = vfork();
	if (pid != 0)
		return pid;
	if (setsid() < 0 || dup2(in_fd, 0) < 0 || dup2(2, 1) < 0)
		_exit(127);
	/* dup2 onto itself would keep FD_CLOEXEC. */
	if (sock_fd == ZYGOTE_SOCK_FD ? fcntl(sock_fd, F_SETFD, 0) < 0 :
					dup2(sock_fd, ZYGOTE_SOCK_FD) < 0)
		_exit(127);
	if (chdir("/") < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	close_range(ZYGOTE_SOCK_FD + 1, ~0U, 0);
	execve(argv[0], argv, z->envp);
	_exit(127);
}

static void stop_locked(struct evald_zygote *z)
{
	if (z->sock >= 0)
		close(z->sock); /* EOF: it ends by itself */
	z->sock = -1;
	if (z->pid > 0) {
		kill(z->pid, SIGKILL);
		while (waitpid(z->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	z->pid = -1;
}

static int start_locked(struct evald_zygote *z, char *err, size_t errlen)
{
	int sv[2] = { -1, -1 }, in[2] = { -1, -1 };
	size_t len = strlen(evald_runner_py);
	int rc = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "zygote: socketpair/pipe: %s", strerror(errno));
		goto out;
	}
	/* The runner's text fits the pipe's buffer (pipe(7)): written before the start, no wait. */
	if (write(in[1], evald_runner_py, len) != (ssize_t)len) {
		snprintf(err, errlen, "zygote: hand the runner over: %s", strerror(errno));
		goto out;
	}
	z->pid = spawn_zygote(z, in[0], sv[1]);
	if (z->pid < 0) {
		snprintf(err, errlen, "zygote: start %s: %s", z->ev->cfg.eval.python,
			 strerror(errno));
		goto out;
	}
	z->sock = sv[0];
	sv[0] = -1;
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (in[i] >= 0)
			close(in[i]);
	}
	return rc;
}

struct evald_zygote *evald_zygote_start(const struct evald *ev, char *err, size_t errlen)
{
	struct evald_zygote *z = calloc(1, sizeof(*z));

	if (!z) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	z->ev = ev;
	z->pid = -1;
	z->sock = -1;
	pthread_mutex_init(&z->lock, NULL);
	z->envp = zygote_env(ev, err, errlen);
	if (!z->envp || start_locked(z, err, errlen) < 0) {
		free_env(z->envp);
		pthread_mutex_destroy(&z->lock);
		free(z);
		return NULL;
	}
	return z;
}

/* One word to the zygote: 1 the zygote is broken (restart it), 0 an answer in *pid. */
static int ask(struct evald_zygote *z, const int fds[3], int32_t *pid, char *err, size_t errlen)
{
	struct pollfd p = { .fd = z->sock, .events = POLLIN };
	ssize_t r;
	int left_ms = (int)z->ev->cfg.eval.start_timeout_s * 1000;

	if (sbx_zygote_word_send(z->sock, fds, 3) < 0) {
		snprintf(err, errlen, "zygote: send: %s", strerror(errno));
		return 1;
	}
	/* Its startup (the first time) and one clone: well within a jail's start timeout. */
	while ((r = poll(&p, 1, left_ms)) < 0 && errno == EINTR)
		;
	if (r == 0) {
		snprintf(err, errlen, "zygote: no answer within %u s", z->ev->cfg.eval.start_timeout_s);
		return 1;
	}
	while ((r = recv(z->sock, pid, sizeof(*pid), 0)) < 0 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof(*pid)) {
		snprintf(err, errlen, "zygote: %s", r < 0 ? strerror(errno) : "it ended (see the log)");
		return 1;
	}
	return 0;
}

pid_t evald_zygote_spawn(struct evald_zygote *z, int dir_fd, int in_fd, int out_fd, char *err,
			 size_t errlen)
{
	const int fds[3] = { dir_fd, in_fd, out_fd };
	int32_t pid = -1;
	int broken = 1;

	pthread_mutex_lock(&z->lock);
	/* A zygote that died (killed, out of memory) is started again, once per call. */
	for (int attempt = 0; attempt < 2 && broken; attempt++) {
		if (z->sock < 0 && start_locked(z, err, errlen) < 0)
			break;
		broken = ask(z, fds, &pid, err, errlen);
		if (broken) {
			evald_log("%s; starting it again", err);
			stop_locked(z);
		}
	}
	pthread_mutex_unlock(&z->lock);
	if (broken)
		return -1;
	if (pid <= 0) {
		snprintf(err, errlen, "zygote: clone: %s", strerror(pid < 0 ? -pid : EINVAL));
		return -1;
	}
	return pid;
}

void evald_zygote_stop(struct evald_zygote *z)
{
	if (!z)
		return;
	pthread_mutex_lock(&z->lock);
	stop_locked(z);
	pthread_mutex_unlock(&z->lock);
	pthread_mutex_destroy(&z->lock);
	free_env(z->envp);
	free(z);
}
