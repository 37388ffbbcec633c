/*
 * sandbox.so: jail an unmodified, dynamically linked program before its main.
 *
 *     LD_PRELOAD=./sandbox.so SBX_POLICY=sandbox.ini python3 x.py
 *
 * The constructor is the table of contents: read the policy, build the jail
 * (jail.c holds the order of the steps), and return into main, jailed. Any
 * failure ends the process with status 125 and one line `sbx: STEP: REASON`;
 * the program never runs unjailed.
 */
#include <errno.h>
#include <linux/limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail.h"
#include "policy.h"
#include "sbx.h"

#define SBX_EXPORT __attribute__((visibility("default")))

/* The policy the program is jailed with: SBX_POLICY, or the built-in default. */
static int load_policy(struct sbx_policy *pol, char **envp, const char **name, struct sbx_err *err)
{
	char cwd[PATH_MAX];
	const char *path = NULL;

	for (char **e = envp; *e; e++)
		if (strncmp(*e, "SBX_POLICY=", 11) == 0)
			path = *e + 11;
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

__attribute__((constructor)) static void sbx_preload(int argc, char **argv, char **envp)
{
	static struct sbx_policy pol;
	struct sbx_jail_opts opts = {.envp = envp, .seccomp_mode = SBX_SECCOMP_ENFORCE};
	struct sbx_err err;

	(void)argc;
	(void)argv;
	if (load_policy(&pol, envp, &opts.policy_name, &err) < 0)
		sbx_die(&err);
	if (sbx_jail_enter(&pol, &opts, &err) < 0)
		sbx_die(&err);
	/* main runs next, jailed. */
}

/* Lets a program (or a test) ask whether it runs under sandbox.so. */
SBX_EXPORT const char sbx_version[] = "sbx 0.1";
