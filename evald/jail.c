/*
 * jail: start, hand over to, watch and end one sandboxed python3.
 */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workdir.h"
#include "zygote.h"

/* After SIGTERM, how long the supervisor gets to end the jail and write its report. */
#define KILL_GRACE_MS 2000.0
/* After the supervisor exited, how long we wait for the output pipe's end. */
#define DRAIN_AFTER_EXIT_MS 1000.0
/* The id a root caller's jail runs as on the host (the contract's uid map). */
#define JAIL_HOST_ID 65534

static const char marker[] = EVALD_READY_MARKER;

/*
 * Start argv[0] with stdin = in_fd, stdout and stderr = out_fd (one pipe,
 * so their order is kept), cwd = cwd, in its own session. vfork(2): the
 * child only makes system calls before execve, and the server may be large.
 * PR_SET_PDEATHSIG (prctl(2)) is tied to the thread that forks: our threads
 * live as long as the service, so the supervisor gets SIGTERM when the
 * service dies, and SIGTERM ends the whole jail (the contract).
 */
static pid_t spawn(char *const argv[], char *const envp[], const char *cwd, int in_fd, int out_fd)
{
	pid_t parent = getpid();
	pid_t pid;
	sigset_t none;

	sigemptyset(&none);
	pid = vfork();
	if (pid != 0)
		return pid;
	if (setsid() < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0 ||
	    chdir(cwd) < 0)
		_exit(127);
	/* The server ignores SIGPIPE and blocks the signals it waits for; the jail must not inherit either. */
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	close_range(3, ~0U, 0);
	execve(argv[0], argv, envp);
	_exit(127);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void evald_runner_argv(const struct evald *ev, char *argv[7], char *boot, size_t boot_len,
		       char *owner, size_t owner_len)
{
	/*
	 * python3 -c BOOTSTRAP: the bootstrap reads the runner (evald/runner.py,
	 * compiled in) from stdin and runs it, so ps(1) shows a short line. The
	 * last argument (sys.argv[1], unused) says which service a jail is of.
	 */
	snprintf(boot, boot_len,
		 "import os\nn = %zu\nb = b''\nwhile len(b) < n:\n"
		 "    c = os.read(0, n - len(b))\n    if not c: os._exit(0)\n    b += c\n"
		 "exec(compile(b, '<sbx-evald-runner>', 'exec'))\n",
		 strlen(evald_runner_py));
	snprintf(owner, owner_len, "sbx-evald:%s", ev->state_dir);
	argv[0] = ev->cfg.eval.python;
	argv[1] = "-u";
	argv[2] = "-B";
	argv[3] = "-c";
	argv[4] = boot;
	argv[5] = owner;
	argv[6] = NULL;
}

int evald_jail_start(const struct evald *ev, struct evald_jail *j, char *err, size_t errlen)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	char home[PATH_MAX + 8], env_so[PATH_MAX + 16], env_pol[PATH_MAX + 16],
		env_home[PATH_MAX + 16], env_base[PATH_MAX + 32];
	char boot[256], owner[PATH_MAX + 16];
	char *argv[7];
	char *envp[8];
	int n = 0;
	const char *cwd;
	bool from_zygote = ev->zygote && !ev->cfg.eval.unsafe_no_jail;

	memset(j, 0, sizeof(*j));
	j->pid = -1;
	j->pidfd = j->out_fd = j->req_fd = j->dir_fd = -1;
	evald_runner_argv(ev, argv, boot, sizeof(boot), owner, sizeof(owner));
	snprintf(j->dir, sizeof(j->dir), "%s/run.XXXXXX", ev->state_dir);
	if (!mkdtemp(j->dir)) {
		snprintf(err, errlen, "mkdtemp %s: %s", j->dir, strerror(errno));
		j->dir[0] = '\0';
		return -1;
	}
	j->dir_fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(home, sizeof(home), "%s/home", j->dir);
	/*
	 * As root, the jail's user is host uid 65534 (the contract's map): its
	 * init must traverse the per-run directory to bind home/, and the program
	 * must own home/. 0711: others may pass, not list.
	 */
	if (j->dir_fd < 0 || fchmod(j->dir_fd, 0711) < 0 || mkdirat(j->dir_fd, "home", 0700) < 0 ||
	    (ev->as_root &&
	     fchownat(j->dir_fd, "home", JAIL_HOST_ID, JAIL_HOST_ID, AT_SYMLINK_NOFOLLOW) < 0)) {
		snprintf(err, errlen, "prepare %s: %s", j->dir, strerror(errno));
		goto fail;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	j->started_ms = evald_now_ms();
	if (from_zygote) {
		/* A copy of the zygote, jailed from the per-run directory (its cwd). */
		j->pid = evald_zygote_spawn(ev->zygote, j->dir_fd, in[0], out[1], err, errlen);
		if (j->pid < 0)
			goto fail;
	} else {
		if (ev->cfg.eval.unsafe_no_jail) {
			/* Development only: the same runner, no sandbox.so, home/ is the cwd. */
			snprintf(env_home, sizeof(env_home), "HOME=%s", home);
			envp[n++] = env_home;
			envp[n++] = "LANG=C.UTF-8";
			if (ev->cfg.eval.user_base) {
				snprintf(env_base, sizeof(env_base), "PYTHONUSERBASE=%s",
					 ev->cfg.eval.user_base);
				envp[n++] = env_base;
			}
			cwd = home;
		} else {
			snprintf(env_so, sizeof(env_so), "LD_PRELOAD=%s", ev->sandbox_path);
			snprintf(env_pol, sizeof(env_pol), "SBX_POLICY=%s", ev->policy_path);
			envp[n++] = env_so;
			envp[n++] = env_pol;
			cwd = j->dir; /* relative paths of the policy (./home, ./report.json) resolve here */
		}
		envp[n] = NULL;
		j->pid = spawn(argv, envp, cwd, in[0], out[1]);
		if (j->pid < 0) {
			snprintf(err, errlen, "start %s: %s", argv[0], strerror(errno));
			goto fail;
		}
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	j->req_fd = in[1];
	j->out_fd = out[0];
	/* The runner's text, for the bootstrap: it fits the pipe's buffer (pipe(7)), so this does not wait. */
	if (!from_zygote && write_all(j->req_fd, evald_runner_py, strlen(evald_runner_py)) < 0) {
		snprintf(err, errlen, "hand the runner over: %s", strerror(errno));
		evald_jail_destroy(j);
		return -1;
	}
	fcntl(j->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(j->req_fd, F_SETFL, O_NONBLOCK);
	/* pidfd_open(2): poll(2)-able exit; the child is not reaped yet, so the pid is ours. */
	j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
	if (j->pidfd < 0) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		evald_jail_destroy(j);
		return -1;
	}
	return 0;
fail:
	for (n = 0; n < 2; n++) {
		if (in[n] >= 0)
			close(in[n]);
		if (out[n] >= 0)
			close(out[n]);
	}
	evald_jail_destroy(j);
	return -1;
}

bool evald_jail_exited(const struct evald_jail *j)
{
	struct pollfd p = { .fd = j->pidfd, .events = POLLIN };

	return j->reaped || j->pidfd < 0 || poll(&p, 1, 0) != 0;
}

static void reap(struct evald_jail *j)
{
	if (j->reaped || j->pid <= 0)
		return;
	while (waitpid(j->pid, &j->wait_status, 0) < 0 && errno == EINTR)
		;
	j->reaped = true;
}

int evald_jail_poll_ready(struct evald_jail *j, char *err, size_t errlen)
{
	char buf[512];
	ssize_t r, i;

	if (j->ready)
		return 1;
	while ((r = read(j->out_fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < r; i++) {
			if (buf[i] == marker[j->marker_seen]) {
				if (++j->marker_seen == sizeof(marker) - 1) {
					j->ready = true;
					/* The runner writes nothing after the marker until it runs the code. */
					return 1;
				}
				continue;
			}
			/* Not the marker: what we held back of it was output. */
			if (j->early_len + j->marker_seen < sizeof(j->early)) {
				memcpy(j->early + j->early_len, marker, j->marker_seen);
				j->early_len += j->marker_seen;
			}
			j->marker_seen = buf[i] == marker[0] ? 1 : 0;
			if (!j->marker_seen && j->early_len < sizeof(j->early) - 1)
				j->early[j->early_len++] = buf[i];
		}
	}
	if (r == 0 || evald_jail_exited(j)) {
		reap(j);
		j->early[j->early_len < sizeof(j->early) ? j->early_len : sizeof(j->early) - 1] =
			'\0';
		/* The jail's own words (`sbx: policy: ...`) say most. */
		snprintf(err, errlen, "the jail ended before it was ready (status %d%s%.*s)",
			 WIFEXITED(j->wait_status) ? WEXITSTATUS(j->wait_status) :
						     128 + WTERMSIG(j->wait_status),
			 j->early_len ? "): " : "", (int)strcspn(j->early, "\n"), j->early);
		if (j->early_len == 0)
			snprintf(err + strlen(err) - 1, errlen - strlen(err) + 1, ")");
		return -1;
	}
	return 0;
}

bool evald_client_gone(int client_fd)
{
	struct pollfd p = { .fd = client_fd, .events = POLLRDHUP };

	if (client_fd < 0)
		return false;
	/* POLLRDHUP (poll(2)): the peer closed its end; HUP/ERR: the socket is dead. */
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

int evald_jail_wait_ready(struct evald_jail *j, double deadline_ms, int client_fd, char *err,
			  size_t errlen)
{
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = j->out_fd, .events = POLLIN },
			{ .fd = j->pidfd, .events = POLLIN },
			{ .fd = client_fd, .events = POLLRDHUP },
		};
		double left = deadline_ms - evald_now_ms();
		int rc = evald_jail_poll_ready(j, err, errlen);

		if (rc != 0)
			return rc;
		if (left <= 0) {
			snprintf(err, errlen, "the jail was not ready within the start timeout");
			return -1;
		}
		if (evald_client_gone(client_fd)) {
			snprintf(err, errlen, "client gone");
			return -2;
		}
		poll(p, client_fd >= 0 ? 3 : 2, (int)left + 1);
	}
}

static void signal_jail(struct evald_jail *j, int sig)
{
	if (j->pidfd >= 0 && !j->reaped)
		syscall(SYS_pidfd_send_signal, j->pidfd, sig, NULL, 0);
}

void evald_jail_destroy(struct evald_jail *j)
{
	if (j->req_fd >= 0)
		close(j->req_fd);
	j->req_fd = -1;
	if (j->pid > 0 && !j->reaped) {
		double until = evald_now_ms() + KILL_GRACE_MS;
		struct pollfd p = { .fd = j->pidfd, .events = POLLIN };

		/* SIGTERM to the supervisor ends the whole jail and lets it clean up (the contract). */
		signal_jail(j, SIGTERM);
		while (!evald_jail_exited(j)) {
			double left = until - evald_now_ms();

			if (left <= 0) {
				signal_jail(j, SIGKILL);
				break;
			}
			poll(&p, 1, (int)left + 1);
		}
		reap(j);
	}
	if (j->pidfd >= 0)
		close(j->pidfd);
	if (j->out_fd >= 0)
		close(j->out_fd);
	if (j->dir_fd >= 0)
		close(j->dir_fd);
	j->pidfd = j->out_fd = j->dir_fd = -1;
	if (j->dir[0]) {
		char *slash = strrchr(j->dir, '/');
		int parent;

		*slash = '\0';
		parent = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent >= 0) {
			evald_rmtree_at(parent, slash + 1);
			close(parent);
		}
		j->dir[0] = '\0';
	}
}

void evald_result_free(struct evald_result *res)
{
	size_t i;

	free(res->out);
	for (i = 0; i < res->n_files; i++) {
		free(res->files[i].path);
		free(res->files[i].data);
	}
	free(res->files);
	memset(res, 0, sizeof(*res));
}

/* The request as the runner reads it: each argument ended by a NUL, then EOF. */
static char *handover_text(const struct evald_request *req, size_t *len)
{
	size_t n = 0, i;
	char *text, *p;

	for (i = 0; i < req->n_args; i++)
		n += strlen(req->args[i]) + 1;
	text = malloc(n + 1);
	if (!text)
		return NULL;
	p = text;
	for (i = 0; i < req->n_args; i++) {
		size_t l = strlen(req->args[i]) + 1;

		memcpy(p, req->args[i], l);
		p += l;
	}
	*len = n;
	return text;
}

/* Read the report's reason (the supervisor writes it after the run). */
static bool read_report(int dir_fd, char *reason, size_t size)
{
	int fd = openat(dir_fd, "report.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	json_t *root;
	const char *r;
	FILE *f;

	if (fd < 0)
		return false;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return false;
	}
	root = json_loadf(f, 0, NULL);
	fclose(f);
	if (!root)
		return false;
	r = json_string_value(json_object_get(root, "reason"));
	snprintf(reason, size, "%s", r ? r : "exit");
	json_decref(root);
	return true;
}

static void append_text(struct evald_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void append_text(struct evald_result *res, const char *fmt, ...)
{
	char note[256];
	unsigned char *grown;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	grown = realloc(res->out, res->out_len + (size_t)n);
	if (!grown)
		return;
	res->out = grown;
	memcpy(res->out + res->out_len, note, (size_t)n);
	res->out_len += (size_t)n;
}

/*
 * Read what the jail has written so far (the pipe is non-blocking) into res,
 * growing the buffer up to limit + 1 bytes; past the limit, the text is cut
 * (never inside a UTF-8 character) and the rest read and dropped. Returns
 * true when this call found the output over the limit.
 */
static bool read_output(struct evald_jail *j, struct evald_result *res, size_t limit, size_t *cap,
			bool *eof)
{
	bool over = false;

	for (;;) {
		ssize_t r;

		if (!res->truncated && res->out_len == *cap) {
			size_t ncap = *cap * 2 > limit + 1 ? limit + 1 : *cap * 2;
			unsigned char *g = realloc(res->out, ncap);

			if (!g)
				return over;
			res->out = g;
			*cap = ncap;
		}
		if (!res->truncated && res->out_len < *cap) {
			r = read(j->out_fd, res->out + res->out_len, *cap - res->out_len);
		} else {
			char sink[65536];

			r = read(j->out_fd, sink, sizeof(sink));
		}
		if (r == 0)
			*eof = true;
		if (r <= 0)
			return over;
		if (res->truncated)
			continue;
		res->out_len += (size_t)r;
		if (res->out_len > limit) {
			res->truncated = true;
			res->out_len = evald_utf8_cut(res->out, res->out_len, limit);
			over = true;
		}
	}
}

void evald_jail_run(const struct evald *ev, struct evald_jail *j, const struct evald_request *req,
		    int client_fd, struct evald_result *res)
{
	const size_t limit = ev->cfg.eval.output_limit_bytes;
	size_t cap = 0, sent = 0, hand_len = 0, i;
	char *hand = NULL, errbuf[256];
	const char *why_killed = NULL; /* our reason for ending it early */
	double start, deadline, kill_at = 0, exited_at = 0;
	bool out_eof = false, killed = false;
	size_t kept_at_kill = 0;
	int home;

	memset(res, 0, sizeof(*res));
	home = openat(j->dir_fd, "home", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (home < 0) {
		snprintf(res->error, sizeof(res->error), "open home: %s", strerror(errno));
		return;
	}
	for (i = 0; i < req->n_files; i++) {
		if (evald_workdir_write(home, &req->files[i], ev->as_root ? JAIL_HOST_ID : -1, errbuf,
					sizeof(errbuf)) < 0) {
			/* The paths were validated; what is left is a clash between two of them. */
			snprintf(res->error, sizeof(res->error), "files[%zu]: %s", i, errbuf);
			res->returncode = -400;
			close(home);
			return;
		}
	}
	hand = handover_text(req, &hand_len);
	if (!hand) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		close(home);
		return;
	}
	res->out = malloc(limit < 65536 ? limit + 1 : 65536);
	cap = limit < 65536 ? limit + 1 : 65536;
	start = evald_now_ms();
	deadline = ev->wall_ms ? start + (double)ev->wall_ms : 0;

	while (!(j->reaped && out_eof)) {
		struct pollfd p[4];
		int np = 0, io = -1, ip = -1, ir = -1, ic = -1;
		double now = evald_now_ms(), wake = 1e18;

		if (!out_eof) {
			io = np;
			p[np++] = (struct pollfd){ .fd = j->out_fd, .events = POLLIN };
		}
		if (!j->reaped) {
			ip = np;
			p[np++] = (struct pollfd){ .fd = j->pidfd, .events = POLLIN };
		}
		if (j->req_fd >= 0) {
			ir = np;
			p[np++] = (struct pollfd){ .fd = j->req_fd, .events = POLLOUT };
		}
		if (client_fd >= 0 && !res->cancelled) {
			ic = np;
			p[np++] = (struct pollfd){ .fd = client_fd, .events = POLLRDHUP };
		}
		if (deadline && !killed)
			wake = deadline;
		if (killed && !j->reaped)
			wake = kill_at;
		if (j->reaped)
			wake = exited_at + DRAIN_AFTER_EXIT_MS;
		if (wake - now <= 0) {
			if (j->reaped)
				break; /* the pipe stays open: nothing of the jail should hold it */
			if (!killed) {
				why_killed = "wall_time";
				killed = true;
				kill_at = now + KILL_GRACE_MS;
				/*
				 * What the program wrote is in the pipe now; what comes after
				 * SIGTERM is the supervisor's "stopped by" line, which is not
				 * the program's and not the reason: keep the output up to here.
				 */
				if (!out_eof)
					read_output(j, res, limit, &cap, &out_eof);
				kept_at_kill = res->out_len;
				signal_jail(j, SIGTERM);
			} else {
				signal_jail(j, SIGKILL);
				kill_at = now + 60000;
			}
			continue;
		}
		if (poll(p, (nfds_t)np, wake > now + 3600e3 ? -1 : (int)(wake - now) + 1) < 0 &&
		    errno != EINTR)
			break;

		if (io >= 0 && p[io].revents && read_output(j, res, limit, &cap, &out_eof) &&
		    !killed) {
			/* Over the cap: the first `limit` bytes are kept; the program is ended. */
			why_killed = "output_limit";
			killed = true;
			kill_at = evald_now_ms() + KILL_GRACE_MS;
			signal_jail(j, SIGTERM);
		}
		if (ir >= 0 && p[ir].revents) {
			ssize_t w = write(j->req_fd, hand + sent, hand_len - sent);

			if (w > 0)
				sent += (size_t)w;
			if ((w < 0 && errno != EAGAIN) || sent == hand_len) {
				/* EOF tells the runner the request is whole. */
				close(j->req_fd);
				j->req_fd = -1;
			}
		}
		if (ic >= 0 && p[ic].revents && evald_client_gone(client_fd)) {
			res->cancelled = true;
			if (!killed) {
				why_killed = "cancelled";
				killed = true;
				kill_at = evald_now_ms() + KILL_GRACE_MS;
				signal_jail(j, SIGTERM);
			}
		}
		if (ip >= 0 && p[ip].revents) {
			reap(j);
			exited_at = evald_now_ms();
		}
	}
	res->wall_s = ((j->reaped ? exited_at : evald_now_ms()) - start) / 1e3;
	free(hand);
	if (j->req_fd >= 0) {
		close(j->req_fd);
		j->req_fd = -1;
	}
	if (!j->reaped) {
		signal_jail(j, SIGKILL);
		reap(j);
	}
	if (WIFEXITED(j->wait_status))
		res->returncode = WEXITSTATUS(j->wait_status);
	else
		res->returncode = 128 + WTERMSIG(j->wait_status);

	if (why_killed) {
		snprintf(res->reason, sizeof(res->reason), "%s", why_killed);
		if (strcmp(why_killed, "wall_time") == 0) {
			/* The same status and line as a cold jail's supervisor gives. */
			res->returncode = 124;
			if (!res->truncated) {
				res->out_len = kept_at_kill;
				append_text(res, "sbx: wall time limit (%s s) exceeded\n",
					    ev->wall_text);
			}
		}
	} else if (!read_report(j->dir_fd, res->reason, sizeof(res->reason))) {
		if (ev->cfg.eval.unsafe_no_jail) {
			snprintf(res->reason, sizeof(res->reason), "%s",
				 WIFEXITED(j->wait_status) ? "exit" : "signal");
		} else {
			/*
			 * The contract: a run that asked for a report and left none was
			 * not jailed (LD_PRELOAD named a library that did not load).
			 * Never hand such a result out as if it were sandboxed.
			 */
			snprintf(res->error, sizeof(res->error),
				 "the jail left no report (status %d): the run may not have been "
				 "jailed; check that %s loads",
				 res->returncode, ev->sandbox_path);
		}
	}
	if (res->truncated)
		append_text(res, "\n[sbx-evald: output truncated: more than %zu bytes]\n", limit);
	evald_workdir_collect(home, req, ev->cfg.eval.max_files_out,
			      ev->cfg.eval.max_files_out_bytes, &res->files, &res->n_files,
			      &res->files_truncated);
	close(home);
}
