/*
 * fds: descriptors and the terminal.
 * sbx_fds_close(): with close_fds, nothing above 2 stays open but keep_a and
 * keep_b (either may be -1).
 * sbx_fds_new_session(): the program leads a new session with no controlling
 * terminal, so it cannot push keystrokes into the caller's terminal
 * (TIOCSTI acts on the controlling tty; seccomp refuses it as well).
 */
#ifndef SBX_FDS_H
#define SBX_FDS_H

#include "policy.h"
#include "sbx.h"

int sbx_fds_close(const struct sbx_policy *pol, int keep_a, int keep_b, struct sbx_err *err)
	__attribute__((warn_unused_result));
int sbx_fds_new_session(struct sbx_err *err) __attribute__((warn_unused_result));

#endif
