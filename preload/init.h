/*
 * init: PID 1 of the jail's PID namespace.
 *
 * The program is its child, never PID 1 itself, so the program's signals
 * behave as they do outside (the kernel ignores signals to a namespace's init
 * that has no handler for them). init forwards the signals the supervisor
 * sends it to the program, reaps every orphan, and when the program ends
 * tells the supervisor its wait status and exits: the kernel then kills
 * whatever is left in the namespace. It holds no capability and cannot be
 * traced or read by the program (not dumpable).
 */
#ifndef SBX_INIT_H
#define SBX_INIT_H

#include <signal.h>
#include <sys/types.h>

__attribute__((noreturn)) void sbx_init_run(pid_t program, int sock, const sigset_t *forwarded);

#endif
