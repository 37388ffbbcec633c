/*
 * jailpolicy: the jail policy every evaluation runs under.
 *
 * The base policy (evald/evald-policy.ini, compiled in, or [eval] policy) is
 * a normal sandbox.so policy. sbx-evald validates it with the policy module
 * (errors name FILE:LINE) and writes the effective policy into its state
 * directory: the base, line for line (so its line numbers still hold), with
 * these added at the end:
 *   [sandbox] cwd = /home/sandbox, bind_cwd = no, report = ./report.json,
 *             env = HOME=/home/sandbox (and PYTHONUSERBASE with a user base)
 *   [fs]      rw = ./home:/home/sandbox (and ro = USER_BASE:/opt/sbx-evald/userbase)
 *   [limits]  wall_time = 0
 * Relative paths resolve against the jail's cwd at start: a fresh per-run
 * directory holding home/, so each jail gets its own home and report.
 * The base's wall_time becomes the evaluation's wall time, which the service
 * enforces from the handover (a pooled jail started long before); the base
 * must not set the keys the service owns (cwd, bind_cwd, report).
 */
#ifndef EVALD_JAILPOLICY_H
#define EVALD_JAILPOLICY_H

#include <stddef.h>

#include "evald.h"

/* Fill ev->policy_path, ev->wall_ms, ev->wall_text. err gets one line on failure. */
int evald_policy_prepare(struct evald *ev, char *err, size_t errlen);

#endif
