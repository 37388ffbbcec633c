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
 * loaded sandbox.so with SBX_NO_CONSTRUCTOR=1 (sbx-evald's zygote: python3
 * with its startup done jails a copy of itself per request).
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail.h"
#include "policy.h"
#include "sbx.h"

#define SBX_EXPORT __attribute__((visibility("default")))

extern char **environ;
SBX_EXPORT int sbx_enter(const char *policy_path);

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

/* The policy the program is jailed with: path (SBX_POLICY), or the built-in default. */
static int load_policy(struct sbx_policy *pol, const char *path, const char **name,
		       struct sbx_err *err)
{
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof(cwd)))
		return sbx_fail(err, SBX_STEP_POLICY, errno, "getcwd");
	if (sbx_policy_defaults(pol, cwd, err) < 0)
		return -1;
	if (path && !*path)
		return sbx_fail(err, SBX_STEP_POLICY, 0, "SBX_POLICY is set but empty");
	if (path && sbx_policy_load_file(pol, path, err) < 0)
		return -1;
	*name = path ? path : "built-in";
	return sbx_policy_finish(pol, err);
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

/* Lets a program (or a test) ask whether it runs under sandbox.so. */
SBX_EXPORT const char sbx_version[] = "sbx 0.1";
