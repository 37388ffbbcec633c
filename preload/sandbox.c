/*
 * sandbox.so: jail an unmodified, dynamically linked program before its main.
 *
 *     LD_PRELOAD=./sandbox.so SBX_POLICY=sandbox.ini python3 x.py
 *
 * The constructor is the table of contents: read the policy, build the jail
 * (jail.c holds the order of the steps), and return into main, jailed. Any
 * failure ends the process with status 125 and one line `sbx: STEP: REASON`;
 * the program never runs unjailed.
 *
 * sbx_enter() does the same for a process that is already running and
 * loaded sandbox.so with SBX_NO_CONSTRUCTOR=1. sbx_zygote() makes such a
 * process a zygote: it serves jailed copies of itself, one per word on a
 * socket (sbx-evald's warm pool: python3 with its startup done).
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"
#include "env.h"
#include "jail.h"
#include "policy.h"
#include "seccomp.h"
#include "sbx.h"

#define SBX_EXPORT __attribute__((visibility("default")))

extern char **environ;
SBX_EXPORT int sbx_enter(const char *policy_path);
SBX_EXPORT int sbx_zygote(int ctl_fd, const char *policy_path);
SBX_EXPORT char **sbx_zygote_prepare(const char *policy_path);

/* The value of NAME in envp, or NULL. */
static const char *env_value(char **envp, const char *name)
{
	size_t len = strlen(name);
	const char *value = NULL;

	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			value = *e + len + 1;
	return value;
}

/* The policy the program is jailed with: path (SBX_POLICY), or the built-in
 * default; relative paths in it resolve against cwd. */
static int load_policy_at(struct sbx_policy *pol, const char *path, const char *cwd,
			  const char **name, struct sbx_err *err)
{
	if (sbx_policy_defaults(pol, cwd, err) < 0)
		return -1;
	if (path && !*path)
		return sbx_fail(err, SBX_STEP_POLICY, 0, "SBX_POLICY is set but empty");
	if (path && sbx_policy_load_file(pol, path, err) < 0)
		return -1;
	*name = path ? path : "built-in";
	return sbx_policy_finish(pol, err);
}

static int load_policy(struct sbx_policy *pol, const char *path, const char **name,
		       struct sbx_err *err)
{
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof(cwd)))
		return sbx_fail(err, SBX_STEP_POLICY, errno, "getcwd");
	return load_policy_at(pol, path, cwd, name, err);
}

/*
 * The one way in, for both entry points: read the policy, build the jail
 * (jail.c holds the order of the steps). Returns only in the program,
 * jailed; any failure ends the process with 125 and `sbx: STEP: REASON`.
 */
static void jail(const char *policy_path, char **envp)
{
	static struct sbx_policy pol;
	struct sbx_jail_opts opts = {.envp = envp, .seccomp_mode = SBX_SECCOMP_ENFORCE};
	struct sbx_err err;

	if (load_policy(&pol, policy_path, &opts.policy_name, &err) < 0)
		sbx_die(&err);
	if (sbx_jail_enter(&pol, &opts, &err) < 0)
		sbx_die(&err);
}

/* Does LD_PRELOAD name this object (by its file name: the loader may find it
 * on its search path)? */
static bool preloaded(char **envp)
{
	const char *list = env_value(envp, "LD_PRELOAD");
	const char *self, *base;
	Dl_info info;

	if (!list || !dladdr((void *)&sbx_enter, &info) || !info.dli_fname)
		return list != NULL; /* cannot tell: assume it does */
	self = strrchr(info.dli_fname, '/');
	self = self ? self + 1 : info.dli_fname;
	/* ld.so(8): entries are separated by spaces or colons. */
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " :");

		base = memrchr(p, '/', n);
		base = base ? base + 1 : p;
		if ((size_t)(p + n - base) == strlen(self) && strncmp(base, self, strlen(self)) == 0)
			return true;
		p += n;
		p += strspn(p, " :");
	}
	return false;
}

/*
 * SBX_NO_CONSTRUCTOR=1: a process that loads sandbox.so to call sbx_enter()
 * later (dlopen, ctypes) is not jailed at load time. Refused when LD_PRELOAD
 * names sandbox.so too: a preloaded program never runs unjailed by a stray
 * variable. The jail wipes SBX_* from the environment, so nothing inside
 * inherits it.
 */
static bool constructor_disabled(char **envp)
{
	const char *v = env_value(envp, "SBX_NO_CONSTRUCTOR");
	struct sbx_err err;

	if (!v || strcmp(v, "1") != 0)
		return false;
	if (preloaded(envp)) {
		sbx_fail(&err, SBX_STEP_SETUP, 0,
			 "SBX_NO_CONSTRUCTOR=1 is set, but LD_PRELOAD names sandbox.so");
		sbx_hint(&err, "unset one of them: preloaded, the program is always jailed");
		sbx_die(&err);
	}
	return true;
}

__attribute__((constructor)) static void sbx_preload(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	if (constructor_disabled(envp))
		return;
	jail(env_value(envp, "SBX_POLICY"), envp);
	/* main runs next, jailed. */
}

/*
 * The constructor's work, on demand, for a process that is already running
 * (loaded with SBX_NO_CONSTRUCTOR=1). policy_path NULL: SBX_POLICY from the
 * environment, else the built-in default. The environment replaced and wiped
 * is environ's. The caller must be single-threaded. Returns 0 in the jailed
 * program; the supervisor (this process) never returns, and a failure exits
 * 125 with `sbx: STEP: REASON`, as the constructor does.
 */
SBX_EXPORT int sbx_enter(const char *policy_path)
{
	jail(policy_path ? policy_path : env_value(environ, "SBX_POLICY"), environ);
	return 0;
}

/* The zygote's signal dispositions, put back in each copy's program. */
static struct sigaction zygote_actions[NSIG];

/*
 * The zygote's policy, read once for all its copies, with a made-up cwd
 * that each copy moves into its own (sbx_policy_rebase), and its seccomp
 * filter generated once: a copy then neither parses nor generates, which
 * spares it the pages that work would write.
 */
#define ZYGOTE_CWD "/.sbx-zygote-cwd"
static struct sbx_policy zygote_pol;
static const char *zygote_pol_name;
static bool zygote_pol_ready, zygote_prepared;
static char **zygote_environ; /* what the program's environ will be */

static void zygote_read_policy(const char *policy_path)
{
	struct sbx_err err;
	char **list;
	size_t n;

	zygote_prepared = true;
	if (!policy_path)
		policy_path = env_value(environ, "SBX_POLICY");
	if (load_policy_at(&zygote_pol, policy_path, ZYGOTE_CWD, &zygote_pol_name, &err) < 0 ||
	    sbx_seccomp_prepare(&zygote_pol, &err) < 0) {
		/* Each copy reads it then, and fails as the constructor would. */
		sbx_policy_free(&zygote_pol);
		return;
	}
	zygote_pol_ready = true;
	list = sbx_env_build(&zygote_pol, environ, &n, &err);
	/* Copies of the strings: the jail wipes the originals in place. */
	for (size_t i = 0; list && i < n; i++)
		if (!(list[i] = strdup(list[i]))) {
			for (size_t k = 0; k < i; k++)
				free(list[k]);
			free(list);
			return;
		}
	zygote_environ = list;
}

/*
 * sbx_zygote_prepare: read the policy, generate the filter, and say what
 * the environment of every copy's program will be (NULL-terminated, owned
 * by sandbox.so; NULL when it cannot tell), so that a runtime can set up
 * its own copy of the environment (python's os.environ) once, in the
 * zygote, and not in each copy. Optional: sbx_zygote() prepares what was
 * not, and the policy prepared first is the one used (give both the same
 * policy_path). The environment should not change between the two calls:
 * if it does, sbx_zygote() returns 2 in the copies.
 */
SBX_EXPORT char **sbx_zygote_prepare(const char *policy_path)
{
	if (!zygote_prepared)
		zygote_read_policy(policy_path);
	return zygote_environ;
}

/* Is the program's environ the one sbx_zygote_prepare() told? */
static bool environ_as_prepared(void)
{
	size_t i = 0;

	if (!zygote_environ)
		return false;
	for (; zygote_environ[i] && environ[i]; i++)
		if (strcmp(zygote_environ[i], environ[i]) != 0)
			return false;
	return !zygote_environ[i] && !environ[i];
}

/* The copy's jail: sbx_enter() with the zygote's policy, moved to our cwd. */
static void zygote_jail(const char *policy_path)
{
	static char cwd[PATH_MAX];
	struct sbx_jail_opts opts = {.envp = environ, .seccomp_mode = SBX_SECCOMP_ENFORCE};
	struct sbx_err err;

	if (!zygote_pol_ready || !getcwd(cwd, sizeof(cwd)) ||
	    sbx_policy_rebase(&zygote_pol, ZYGOTE_CWD, cwd, &err) < 0) {
		sbx_enter(policy_path);
		return;
	}
	opts.policy_name = zygote_pol_name;
	if (sbx_jail_enter(&zygote_pol, &opts, &err) < 0)
		sbx_die(&err);
}

/*
 * The copy, before it is jailed: what a process the service started itself
 * would be. The descriptors as cwd, stdin, stdout and stderr and nothing
 * else open, its own session, default signal dispositions (the zygote's
 * come back in the program), SIGTERM when its parent (the zygote's: the
 * copy is its sibling) dies. Only system calls: nothing here writes to
 * the pages the copy shares with the zygote but the stack.
 */
static void zygote_copy(const int fds[SBX_ZYGOTE_FDS], pid_t parent)
{
	if (dup2(fds[1], 0) < 0 || dup2(fds[2], 1) < 0 || dup2(fds[2], 2) < 0 ||
	    fchdir(fds[0]) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	if (setsid() < 0)
		_exit(127);
	for (int sig = 1; sig < NSIG; sig++)
		if (zygote_actions[sig].sa_handler != SIG_DFL)
			signal(sig, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
}

/*
 * sbx_zygote: serve jailed copies of this process (loaded with
 * SBX_NO_CONSTRUCTOR=1, its startup done). Each word on ctl_fd (a unix
 * socket) is one byte carrying three descriptors (SCM_RIGHTS): a directory,
 * stdin, stdout. For each, the process clones a copy of itself that is a
 * child of its own parent (CLONE_PARENT), so whoever asks waits for the copy
 * as for any child; the answer is the copy's pid as an int32, or -errno. The
 * copy takes the descriptors (zygote_copy) and is jailed as sbx_enter(policy_path)
 * would jail it, with the policy as it was when sbx_zygote() started.
 *
 * Returns in each copy's program, jailed, with the zygote's signal
 * dispositions: 0 when its environ is what sbx_zygote_prepare() told, else 2.
 * Returns 1 in the zygote when ctl_fd is closed. The loop runs
 * no code of the caller's, so a copy's first writes are its own: a python
 * caller calls PyOS_BeforeFork() before and PyOS_AfterFork_Child() in the
 * copy (PyOS_AfterFork_Parent() when it returns 1). The copy is made with
 * clone(2), not fork(3): glibc's thread descriptor keeps the zygote's tid,
 * which the supervisor and init never use and the program's fork() sets.
 */
SBX_EXPORT int sbx_zygote(int ctl_fd, const char *policy_path)
{
	pid_t parent = getppid();
	int fds[SBX_ZYGOTE_FDS];

	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &zygote_actions[sig]) < 0)
			zygote_actions[sig].sa_handler = SIG_DFL;
	if (!zygote_prepared)
		zygote_read_policy(policy_path);
	for (;;) {
		int n = sbx_zygote_word_recv(ctl_fd, fds);
		int32_t answer = -EINVAL;
		long pid;

		if (n < 0)
			return 1;
		if (n == SBX_ZYGOTE_FDS) {
			pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
			if (pid == 0) {
				zygote_copy(fds, parent);
				zygote_jail(policy_path);
				for (int sig = 1; sig < NSIG; sig++)
					if (zygote_actions[sig].sa_handler != SIG_DFL)
						sigaction(sig, &zygote_actions[sig], NULL);
				return environ_as_prepared() ? 0 : 2;
			}
			answer = pid > 0 ? (int32_t)pid : -errno;
		}
		for (int i = 0; i < n; i++)
			close(fds[i]);
		while (send(ctl_fd, &answer, sizeof(answer), MSG_NOSIGNAL) < 0 && errno == EINTR)
			;
	}
}

/* Lets a program (or a test) ask whether it runs under sandbox.so. */
SBX_EXPORT const char sbx_version[] = "sbx 0.1";
