/*
 * launcher: sbx, the second entry point of the jail library.
 *
 * sandbox.so's constructor jails a program before its main; sbx jails itself
 * the same way (sbx_jail_enter, the same steps in the same order) and then
 * execve()s the program inside. So it reaches what LD_PRELOAD cannot: static
 * binaries, setuid/setcap programs, programs whose libraries start threads.
 *
 *   sbx.c      main: the command line, the policy, run / learn / --print-policy
 *   program.c  find the program, read what kind of file it is, explain a failed exec
 *   doctor.c   sbx doctor: what this machine gives the jail, and the fix
 */
#ifndef SBX_LAUNCHER_H
#define SBX_LAUNCHER_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy.h"
#include "sbx.h"

/* What sbx prints for --version. */
#define SBX_LAUNCHER_VERSION "sbx 0.1"

/* What kind of file a program is, as far as exec and LD_PRELOAD care. */
enum sbx_prog_kind {
	SBX_PROG_UNKNOWN,      /* unreadable, or neither ELF nor #! */
	SBX_PROG_DYNAMIC,      /* ELF with PT_INTERP: the loader runs LD_PRELOAD */
	SBX_PROG_STATIC,       /* ELF without PT_INTERP (gcc -static, Go, static-pie) */
	SBX_PROG_SCRIPT,       /* #! line: what counts is its interpreter */
};

struct sbx_prog_info {
	enum sbx_prog_kind kind;
	bool elf64;		  /* ELFCLASS64 */
	bool native;		  /* x86-64 (or the machine sbx was built for) */
	unsigned machine;	  /* e_machine */
	bool pie;		  /* ET_DYN */
	bool go;		  /* has a Go build id note or .go.buildinfo */
	char interp[256];	  /* PT_INTERP, or the #! interpreter */
	char interp_arg[128];	  /* the #! line's optional argument */
	bool setuid, setgid;	  /* mode bits */
	uid_t owner;
	gid_t group;
	bool file_caps;		  /* a security.capability attribute */
	bool readable;		  /* we could read it */
};

/* PROGRAM as exec would find it: a name with a '/' as is (made absolute
 * against cwd), else the first executable regular file on PATH. 0, or -1
 * with err filled (SBX_STEP_EXEC). *path is malloc'ed. */
int sbx_prog_resolve(const char *name, const char *path_env, const char *cwd, char **path,
		     struct sbx_err *err) __attribute__((warn_unused_result));

/* Read the first bytes and the mode of path. Never fails: what it could not
 * read stays unknown. */
void sbx_prog_inspect(const char *path, struct sbx_prog_info *info);

/* After execve(path) failed with errnum inside the jail: fill err with
 * `exec: PATH: REASON` and a hint that names the policy key to change
 * (the program, its ELF interpreter or its #! interpreter is not inside the
 * jail, or not executable there). Runs inside the jail: looks there. */
void sbx_prog_exec_failed(const struct sbx_policy *pol, const char *path, int errnum,
			  struct sbx_err *err);

/* sbx doctor. pol is the effective policy (the jail test uses it); program
 * may be NULL. Returns the exit status: 0 when no check failed. */
int sbx_doctor(const struct sbx_policy *pol, const char *program);

#endif
