/*
 * report: how the run ended, as one JSON object written atomically
 * (a temporary file in the same directory, then rename(2)).
 * Runs in the supervisor after the jail is gone.
 */
#ifndef SBX_REPORT_H
#define SBX_REPORT_H

#include <stdint.h>

#include "sbx.h"

struct sbx_run_result {
	int status;	     /* what the supervisor exits with */
	const char *reason;  /* exit signal wall_time cpu_time memory processes seccomp setup */
	int signal;	     /* 0 = none */
	const char *syscall; /* NULL = none */
	int syscall_nr;	     /* -1 = none */
	uint32_t syscall_arch;
	double wall_s, cpu_user_s, cpu_sys_s;
	int64_t peak_memory_bytes; /* -1 = null */
	const char *policy;	   /* path of the policy file, or "built-in" */
	const char *setup_error;   /* the `sbx: ...` line of a failed setup, or NULL */
	int64_t net_bytes_sent, net_bytes_received; /* -1 = unknown */
};

int sbx_report_write(const char *path, const struct sbx_run_result *r, struct sbx_err *err)
	__attribute__((warn_unused_result));

#endif
