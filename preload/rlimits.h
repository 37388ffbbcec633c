/*
 * rlimits: the per-process resource limits of [limits].
 *
 * Guarantees on 0: RLIMIT_CPU (soft = cpu_time rounded up to whole seconds,
 * hard one second later so a program that ignores SIGXCPU is killed),
 * RLIMIT_AS (address_space; or memory when no memory cgroup holds the jail:
 * the fall-back the contract allows), RLIMIT_FSIZE, RLIMIT_NOFILE and
 * RLIMIT_NPROC (processes; counted per user namespace since Linux 5.14, so it
 * bounds the jail even without a pids cgroup) are set, soft = hard, so the
 * program can only lower them. Needs: the final ids (RLIMIT_NPROC counts
 * the real uid's processes).
 */
#ifndef SBX_RLIMITS_H
#define SBX_RLIMITS_H

#include <stdbool.h>

#include "policy.h"
#include "sbx.h"

int sbx_limits_apply(const struct sbx_policy *pol, bool memory_in_cgroup, struct sbx_err *err)
	__attribute__((warn_unused_result));

#endif
