/*
 * channel: the one socket between the jail (init I, program X) and the
 * supervisor P. A SOCK_SEQPACKET pair made before the clone: every record is
 * one message, never split or merged, and a file descriptor can ride along
 * (the seccomp listener). Records are small and fixed-size.
 *
 *   P -> I  SBX_REC_MAPS     uid/gid maps are written: take the ids
 *   P -> I  SBX_REC_GO       cgroup joined, network ready: start the program
 *                            (+ the seccomp filter's memory file)
 *   I -> P  SBX_REC_PID      the program's pid, as the jail's init sees it
 *   X -> P  SBX_REC_READY    every step done, main may start (+ listener fd)
 *   * -> P  SBX_REC_ERROR    a step failed: text is the `sbx: ...` line
 *   I -> P  SBX_REC_EXIT     the program ended: its wait status
 *
 * A closed peer reads as EOF: a jail whose supervisor is gone stops there.
 */
#ifndef SBX_CHANNEL_H
#define SBX_CHANNEL_H

#include <stdint.h>
#include <sys/types.h>

#include "sbx.h"

enum sbx_rec_type {
	SBX_REC_MAPS = 1,
	SBX_REC_GO,
	SBX_REC_PID,
	SBX_REC_READY,
	SBX_REC_ERROR,
	SBX_REC_EXIT,
};

struct sbx_rec {
	uint32_t type;
	int32_t value; /* pid, wait status */
	char text[768];
};

/* Send a record, with fd attached when fd >= 0. Async-signal-safe. */
int sbx_rec_send(int sock, uint32_t type, int32_t value, const char *text, int fd);
/* Receive one record; *fd gets an attached descriptor or -1; *sender (when
 * not NULL) the sender's pid as we see it, when the socket has SO_PASSCRED,
 * else 0. Returns 0 on EOF, 1 on a record, -1 on error. */
int sbx_rec_recv(int sock, struct sbx_rec *rec, int *fd, pid_t *sender);
/* Wait for one record of the given type; anything else (EOF included) is an
 * error. *value and *fd (when not NULL) get the record's value and attached
 * descriptor (-1 if none); without fd, an attached descriptor is closed. */
int sbx_rec_expect(int sock, uint32_t type, int32_t *value, int *fd, struct sbx_err *err);

/* In the jail, after a failed step: send the error line to the supervisor
 * (which prints it and reports it), then _exit(125). */
__attribute__((noreturn)) void sbx_jail_die(int sock, const struct sbx_err *err);

/*
 * sbx_zygote()'s word on its control socket: one byte carrying the jail's
 * directory, stdin and stdout (SCM_RIGHTS). Send: 0 or -1 with errno.
 * Receive: how many descriptors came (close-on-exec; more than
 * SBX_ZYGOTE_FDS are closed), -1 at the socket's end or on error.
 */
#define SBX_ZYGOTE_FDS 3
int sbx_zygote_word_send(int sock, const int *fds, int n);
int sbx_zygote_word_recv(int sock, int fds[SBX_ZYGOTE_FDS]);

#endif
