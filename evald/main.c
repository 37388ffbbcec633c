/*
 * sbx-evald: an HTTP service that runs untrusted Python under sandbox.so.
 *
 * main() is the table of contents: settings, the jail policy, the state
 * directory, the zygote (pool on), a check that a jail starts, the socket,
 * the pool, the server;
 * then it waits for SIGTERM/SIGINT and drains. See docs/evald.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <linux/limits.h> /* PATH_MAX; <limits.h> would find preload/limits.h */
#include <netdb.h>
#include <pthread.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "evald.h"
#include "jail.h"
#include "jailpolicy.h"
#include "metrics.h"
#include "pool.h"
#include "server.h"
#include "workdir.h"
#include "zygote.h"

#define EXIT_USAGE 2

void evald_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	memcpy(buf, "sbx-evald: ", 11);
	va_start(ap, fmt);
	n = vsnprintf(buf + 11, sizeof(buf) - 12, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 11;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* Nowhere else to say it. */
	}
}

static __attribute__((noreturn, format(printf, 2, 3))) void die(int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	evald_log("%s", buf);
	exit(status);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sbx-evald [--config FILE] [--listen HOST:PORT | --listen unix:PATH]\n"
		"                 [--workers N] [--queue N] [--pool N] [--policy FILE]\n"
		"                 [--sandbox PATH] [--user-base DIR] [--set SECTION.KEY=VALUE]...\n"
		"Runs Python sent to POST /eval under sandbox.so; see docs/evald.md.\n"
		"  --config FILE      settings (INI: [server], [eval]); flags override it\n"
		"  --listen ADDR      127.0.0.1:8060 (default), [::1]:8060, unix:/run/x.sock\n"
		"  --workers N        evaluations at once (default 2)\n"
		"  --queue N          evaluations waiting beyond those; more get 503 (default 16)\n"
		"  --pool N           jails kept ready (default 4; 0 = start each on demand)\n"
		"  --policy FILE      the jail policy (default: the built-in evald-policy.ini)\n"
		"  --sandbox PATH     sandbox.so (default: next to sbx-evald, or ../lib/sbx/)\n"
		"  --user-base DIR    PYTHONUSERBASE for third-party packages, bound read-only\n"
		"  --set S.K=V        any setting of the config file\n"
		"  --print-policy     print the effective jail policy and exit\n"
		"  --unsafe-no-jail   DEVELOPMENT ONLY: run python3 without the sandbox\n");
}

/* The file next to our binary, or in ../lib/sbx/: a checkout and an install both work. */
static char *find_sandbox(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 32], *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	dir = dirname(exe);
	snprintf(path, sizeof(path), "%s/sandbox.so", dir);
	if (access(path, R_OK) == 0)
		return realpath(path, NULL);
	snprintf(path, sizeof(path), "%s/../lib/sbx/sandbox.so", dir);
	if (access(path, R_OK) == 0)
		return realpath(path, NULL);
	return NULL;
}

static int listen_on(const char *spec, unsigned mode, char *shown, size_t shown_len)
{
	int fd, one = 1;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *path = spec + 5;
		struct stat st;

		if (!*path || strlen(path) >= sizeof(sa.sun_path))
			die(EXIT_USAGE, "--listen %s: bad unix socket path", spec);
		memcpy(sa.sun_path, path, strlen(path));
		/* A socket left by an earlier run is ours to replace; any other file is not. */
		if (lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode))
				die(EXIT_USAGE, "--listen %s: exists and is not a socket", spec);
			unlink(path);
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die(1, "--listen %s: %s", spec, strerror(errno));
		if (chmod(path, mode) < 0)
			die(1, "chmod %s: %s", path, strerror(errno));
		snprintf(shown, shown_len, "unix:%s", path);
	} else {
		char host[256];
		const char *colon = strrchr(spec, ':');
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
		struct addrinfo *ai;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char addr[INET6_ADDRSTRLEN];
		int rc, port;

		if (!colon || colon == spec || !colon[1] || (size_t)(colon - spec) >= sizeof(host))
			die(EXIT_USAGE, "--listen %s: expected HOST:PORT or unix:PATH", spec);
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		rc = getaddrinfo(host, colon + 1, &hints, &ai);
		if (rc != 0)
			die(EXIT_USAGE, "--listen %s: %s", spec, gai_strerror(rc));
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die(1, "--listen %s: %s", spec, strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			die(1, "--listen %s: %s", spec, strerror(errno));
		freeaddrinfo(ai);
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
			port = ntohs(s6->sin6_port);
			snprintf(shown, shown_len, "http://[%s]:%d", addr, port);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
			port = ntohs(s4->sin_port);
			snprintf(shown, shown_len, "http://%s:%d", addr, port);
		}
	}
	if (listen(fd, 256) < 0)
		die(1, "listen %s: %s", spec, strerror(errno));
	return fd;
}

static void set_flag(struct evald_config *cfg, const char *section, const char *key,
		     const char *value, const char *flag)
{
	struct evald_config_error err = { { 0 } };

	if (evald_config_set(cfg, section, key, value, flag, &err) < 0)
		die(EXIT_USAGE, "%s", err.message);
}

static void parse_args(int argc, char **argv, struct evald_config *cfg, bool *print_policy)
{
	enum { O_LISTEN = 256, O_WORKERS, O_QUEUE, O_POOL, O_POLICY, O_SANDBOX, O_USER_BASE,
	       O_SET, O_PRINT, O_NOJAIL };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "pool", required_argument, NULL, O_POOL },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "sandbox", required_argument, NULL, O_SANDBOX },
		{ "user-base", required_argument, NULL, O_USER_BASE },
		{ "set", required_argument, NULL, O_SET },
		{ "print-policy", no_argument, NULL, O_PRINT },
		{ "unsafe-no-jail", no_argument, NULL, O_NOJAIL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct evald_config_error err = { { 0 } };
	int c;

	/* The config file first, whatever its place: flags override it. */
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0)
			if (evald_config_load_file(cfg, argv[i + 1], &err) < 0)
				die(EXIT_USAGE, "%s", err.message);
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--config=", 9) == 0)
			if (evald_config_load_file(cfg, argv[i] + 9, &err) < 0)
				die(EXIT_USAGE, "%s", err.message);

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case O_LISTEN:
			set_flag(cfg, "server", "listen", optarg, "--listen");
			break;
		case O_WORKERS:
			set_flag(cfg, "server", "workers", optarg, "--workers");
			break;
		case O_QUEUE:
			set_flag(cfg, "server", "queue", optarg, "--queue");
			break;
		case O_POOL:
			set_flag(cfg, "eval", "pool", optarg, "--pool");
			break;
		case O_POLICY:
			set_flag(cfg, "eval", "policy", optarg, "--policy");
			break;
		case O_SANDBOX:
			set_flag(cfg, "eval", "sandbox", optarg, "--sandbox");
			break;
		case O_USER_BASE:
			set_flag(cfg, "eval", "user_base", optarg, "--user-base");
			break;
		case O_SET: {
			char section[32], *dot = strchr(optarg, '.'), *eq = strchr(optarg, '=');

			if (!dot || !eq || dot > eq || (size_t)(dot - optarg) >= sizeof(section))
				die(EXIT_USAGE, "--set %s: expected SECTION.KEY=VALUE", optarg);
			memcpy(section, optarg, (size_t)(dot - optarg));
			section[dot - optarg] = '\0';
			*eq = '\0';
			set_flag(cfg, section, dot + 1, eq + 1, "--set");
			*eq = '=';
			break;
		}
		case O_PRINT:
			*print_policy = true;
			break;
		case O_NOJAIL:
			cfg->eval.unsafe_no_jail = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
}

/* Absolute, existing paths for what the jails will use. */
static void resolve_paths(struct evald *ev)
{
	struct evald_config *cfg = &ev->cfg;

	if (access(cfg->eval.python, X_OK) < 0)
		die(EXIT_USAGE, "eval.python: %s: %s", cfg->eval.python, strerror(errno));
	if (cfg->eval.python[0] != '/')
		die(EXIT_USAGE, "eval.python: %s: must be an absolute path", cfg->eval.python);
	if (!cfg->eval.unsafe_no_jail) {
		ev->sandbox_path = cfg->eval.sandbox ? realpath(cfg->eval.sandbox, NULL) : find_sandbox();
		if (!ev->sandbox_path)
			die(EXIT_USAGE, "eval.sandbox: %s: %s",
			    cfg->eval.sandbox ? cfg->eval.sandbox : "sandbox.so",
			    cfg->eval.sandbox ? strerror(errno) :
						"not found next to sbx-evald nor in ../lib/sbx/ (set --sandbox)");
	}
	if (cfg->eval.user_base) {
		char *abs = realpath(cfg->eval.user_base, NULL);
		struct stat st;

		if (!abs || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode))
			die(EXIT_USAGE, "eval.user_base: %s: %s", cfg->eval.user_base,
			    abs ? "not a directory" : strerror(errno));
		free(cfg->eval.user_base);
		cfg->eval.user_base = abs;
	}
	if (cfg->eval.policy) {
		char *abs = realpath(cfg->eval.policy, NULL);

		if (!abs)
			die(EXIT_USAGE, "eval.policy: %s: %s", cfg->eval.policy, strerror(errno));
		free(cfg->eval.policy);
		cfg->eval.policy = abs;
	}
	ev->policy_name = strdup(cfg->eval.policy ? cfg->eval.policy : "built-in evald-policy.ini");
}

/*
 * State directories of earlier runs that died without cleaning up (SIGKILL,
 * a crash): each live one holds an flock(2) on its "lock" file, so one whose
 * lock can be taken is abandoned. Its jails are gone (PR_SET_PDEATHSIG).
 */
static void remove_stale_state_dirs(int base_fd)
{
	int fd = openat(base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		char lock[NAME_MAX + 8];
		int lfd;

		if (strncmp(e->d_name, "sbx-evald.", 10) != 0 || strlen(e->d_name) != 16)
			continue;
		snprintf(lock, sizeof(lock), "%s/lock", e->d_name);
		lfd = openat(base_fd, lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (lfd < 0)
			continue; /* not ours, or not finished starting: leave it */
		if (flock(lfd, LOCK_EX | LOCK_NB) == 0) {
			evald_log("removing %s, left by an earlier run", e->d_name);
			evald_rmtree_at(base_fd, e->d_name);
		}
		close(lfd);
	}
	closedir(d);
}

/* Our own directory for the effective policy and the per-run directories. */
static void make_state_dir(struct evald *ev)
{
	const char *base = ev->cfg.eval.state_dir;
	char path[PATH_MAX];
	int base_fd, lock_fd;

	if (!base)
		base = getenv("RUNTIME_DIRECTORY"); /* systemd's RuntimeDirectory= */
	if (!base || !*base)
		base = "/tmp";
	base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0)
		die(1, "state directory %s: %s", base, strerror(errno));
	remove_stale_state_dirs(base_fd);
	close(base_fd);
	snprintf(path, sizeof(path), "%s/sbx-evald.XXXXXX", base);
	if (!mkdtemp(path))
		die(1, "state directory %s: %s", path, strerror(errno));
	/* 0711: a root caller's jails (host uid 65534) must pass through to their home. */
	if (chmod(path, ev->as_root ? 0711 : 0700) < 0)
		die(1, "chmod %s: %s", path, strerror(errno));
	ev->state_dir = strdup(path);
	/* Held (never closed) while we live: see remove_stale_state_dirs(). */
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/lock");
	lock_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0)
		die(1, "%s: %s", path, strerror(errno));
}

static void remove_state_dir(struct evald *ev)
{
	char *copy = strdup(ev->state_dir), *slash;
	int parent;

	if (!copy)
		return;
	slash = strrchr(copy, '/');
	*slash = '\0';
	parent = open(*copy ? copy : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent >= 0) {
		evald_rmtree_at(parent, slash + 1);
		close(parent);
	}
	free(copy);
}

/* Every exit after the state directory exists removes it (die() included). */
static struct evald *the_state;

static void remove_state_at_exit(void)
{
	if (the_state && the_state->state_dir)
		remove_state_dir(the_state);
}

/* One jail, started and checked before we listen: a broken setup fails now, loudly. */
static int check_jail(const struct evald *ev)
{
	struct evald_jail j;
	char err[512];
	int rc;

	if (evald_jail_start(ev, &j, err, sizeof(err)) < 0) {
		evald_log("cannot start a jail: %s", err);
		return -1;
	}
	rc = evald_jail_wait_ready(&j, evald_now_ms() + ev->cfg.eval.start_timeout_s * 1e3, -1,
				   err, sizeof(err));
	evald_jail_destroy(&j);
	if (rc < 0) {
		evald_log("cannot start a jail: %s", err);
		return -1;
	}
	return 0;
}

/*
 * glibc's own two signals (32, 33: thread cancellation and set*id across
 * threads) cannot be set with sigaction(3), and glibc takes them over only
 * when it needs them. One that whoever started us ignored would be ignored
 * in the zygote, started first, but not in a jail started after glibc took
 * it over: both start from the default instead. rt_sigaction(2) directly;
 * SIG_DFL is 0, and so is the rest of the kernel's struct.
 */
static void internal_signals_default(void)
{
	struct {
		unsigned long handler, flags, restorer, mask;
	} dfl = { 0 };

	for (int sig = 32; sig <= 33; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

int main(int argc, char **argv)
{
	struct evald ev = { 0 };
	struct evald_pool *pool;
	struct evald_server *server;
	struct rlimit rl;
	sigset_t sigs;
	char shown[PATH_MAX + 16], err[1024];
	bool print_policy = false;
	int listen_fd = -1, sig;

	internal_signals_default();
	/* fds 0-2 open, so that no pipe of ours becomes a stdio of a jail by accident. */
	while ((listen_fd = open("/dev/null", O_RDWR)) >= 0 && listen_fd <= 2)
		;
	if (listen_fd > 2)
		close(listen_fd);
	/* Each connection and each jail holds descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	if (evald_config_defaults(&ev.cfg) < 0)
		die(1, "out of memory");
	parse_args(argc, argv, &ev.cfg, &print_policy);
	ev.as_root = geteuid() == 0;
	resolve_paths(&ev);
	/* The address first: "in use" is the most common mistake, and it is quick to find. */
	if (!print_policy)
		listen_fd = listen_on(ev.cfg.server.listen, ev.cfg.server.socket_mode, shown,
				      sizeof(shown));
	make_state_dir(&ev);
	the_state = &ev;
	atexit(remove_state_at_exit);
	if (evald_policy_prepare(&ev, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "jail policy: %s", err);
	if (print_policy) {
		FILE *f = fopen(ev.policy_path, "re");
		int ch;

		while (f && (ch = fgetc(f)) != EOF)
			putchar(ch);
		if (f)
			fclose(f);
		return 0;
	}
	if (ev.cfg.eval.unsafe_no_jail)
		evald_log("WARNING: --unsafe-no-jail: evaluations run WITHOUT the sandbox "
			  "(development only)");

	/*
	 * The signals we wait for are blocked in every thread (they inherit the
	 * mask) and taken by sigwait(3) below; a closed client or jail pipe must
	 * give EPIPE, not kill us.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * With the pool on, jails are made by the zygote (zygote.h): python's
	 * startup is paid once, not per jail. If a jail cannot be made that way
	 * (a sandbox.so without sbx_zygote, a python3 that cannot load it),
	 * say so and start jails cold, which the check then decides on.
	 */
	if (ev.cfg.eval.pool > 0 && !ev.cfg.eval.unsafe_no_jail) {
		ev.zygote = evald_zygote_start(&ev, err, sizeof(err));
		if (!ev.zygote)
			evald_log("%s: starting jails cold", err);
		else if (check_jail(&ev) < 0) {
			evald_log("zygote: no jail from it: starting jails cold");
			evald_zygote_stop(ev.zygote);
			ev.zygote = NULL;
		}
	}
	if (!ev.zygote && check_jail(&ev) < 0)
		return 1;
	evald_metrics_pool_size(ev.cfg.eval.pool);
	pool = evald_pool_start(&ev, ev.cfg.eval.pool);
	if (!pool)
		die(1, "cannot start the pool");
	server = evald_server_start(&ev, pool, listen_fd);
	if (!server)
		die(1, "cannot start the HTTP server on %s", shown);
	evald_log("listening on %s (workers %u, queue %u, pool %u, wall time %s s, policy %s)",
		  shown, ev.cfg.server.workers, ev.cfg.server.queue, ev.cfg.eval.pool, ev.wall_text,
		  ev.policy_name);

	do {
		if (sigwait(&sigs, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGHUP); /* nothing to reload: the settings are read once */
	evald_log("%s: draining (up to %u s)", sig == SIGINT ? "SIGINT" : "SIGTERM",
		  ev.cfg.server.drain_timeout_s);
	evald_server_drain(server, ev.cfg.server.drain_timeout_s);
	evald_pool_stop(pool);
	evald_zygote_stop(ev.zygote);
	if (strncmp(ev.cfg.server.listen, "unix:", 5) == 0)
		unlink(ev.cfg.server.listen + 5);
	evald_log("stopped");
	remove_state_dir(&ev);
	the_state = NULL;
	free(ev.sandbox_path);
	free(ev.state_dir);
	free(ev.policy_path);
	free(ev.policy_name);
	evald_config_free(&ev.cfg);
	return 0;
}
