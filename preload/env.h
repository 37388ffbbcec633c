/*
 * env: the program's environment.
 *
 * Guarantees on 0: environ (and, where it fits, the envp array main will get)
 * holds exactly the policy's environment: the caller's variables only with
 * keep_env (never LD_PRELOAD or SBX_*), pass_env names that were set, then
 * env's NAME=VALUE. Every original string is wiped in place first: the process
 * keeps its initial environment block in memory, and /proc/self/environ shows
 * that block, so unsetting alone would leave the caller's secrets readable.
 * The new strings are written back into that block when they fit.
 */
#ifndef SBX_ENV_H
#define SBX_ENV_H

#include "policy.h"
#include "sbx.h"

/*
 * The list sbx_env_apply() would install, and nothing else done: pointers
 * into envp and the policy, NULL-terminated, *n of them; free() the array.
 */
char **sbx_env_build(const struct sbx_policy *pol, char **envp, size_t *n, struct sbx_err *err)
	__attribute__((warn_unused_result));
int sbx_env_apply(const struct sbx_policy *pol, char **envp, struct sbx_err *err)
	__attribute__((warn_unused_result));

/* The variables the sandbox reads and never passes on. */
int sbx_env_is_ours(const char *entry);

#endif
