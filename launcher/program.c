/*
 * program: find PROGRAM, tell what kind of file it is, and explain a failed
 * exec in terms of the policy.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "launcher.h"

/* The machine sbx was built for: a program of another one cannot run in
 * the jail, whose filter kills every syscall of a foreign ABI. */
#if defined(__x86_64__)
#define SBX_NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define SBX_NATIVE_MACHINE EM_AARCH64
#else
#define SBX_NATIVE_MACHINE EM_NONE
#endif

static bool is_exec_file(const char *path)
{
	struct stat st;

	/* What execvp(3) looks for: a regular file we may execute. */
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* "/a/w/../h/prog" -> "/a/h/prog": the directory resolved (realpath(3)),
 * the last component kept, so a program that is a symlink is executed as
 * one, like execvp(3) does. Left alone when the directory does not resolve. */
static void canonical_dir(char **path)
{
	char *slash = strrchr(*path, '/'), *dir, *joined = NULL;

	if (!slash || slash == *path)
		return;
	*slash = '\0';
	dir = realpath(*path, NULL);
	*slash = '/';
	if (!dir)
		return;
	if (asprintf(&joined, "%s%s", strcmp(dir, "/") ? dir : "", slash) >= 0) {
		free(*path);
		*path = joined;
	}
	free(dir);
}

int sbx_prog_resolve(const char *name, const char *path_env, const char *cwd, char **path,
		     struct sbx_err *err)
{
	char cs_path[256];

	*path = NULL;
	if (!*name)
		return sbx_fail(err, SBX_STEP_EXEC, ENOENT, "empty PROGRAM");
	if (strchr(name, '/')) {
		/* Absolute, so that a policy cwd other than the caller's does
		 * not change which file runs. */
		if (name[0] == '/')
			*path = strdup(name);
		else if (asprintf(path, "%s/%s", strcmp(cwd, "/") ? cwd : "", name) < 0)
			*path = NULL;
		if (!*path)
			return sbx_fail(err, SBX_STEP_EXEC, ENOMEM, "%s", name);
		canonical_dir(path);
		return 0;
	}
	/* No PATH: the system's default search path, as execvp(3) uses. */
	if (!path_env) {
		if (confstr(_CS_PATH, cs_path, sizeof(cs_path)) == 0)
			snprintf(cs_path, sizeof(cs_path), "/bin:/usr/bin");
		path_env = cs_path;
	}
	for (const char *p = path_env;; p++) {
		const char *end = strchrnul(p, ':');
		char *cand = NULL;
		/* An empty PATH element means the current directory. */
		int n = end == p ? asprintf(&cand, "%s/%s", cwd, name) :
				   asprintf(&cand, "%.*s/%s", (int)(end - p), p, name);
		if (n < 0)
			return sbx_fail(err, SBX_STEP_EXEC, ENOMEM, "%s", name);
		if (cand[0] != '/') {
			/* A relative PATH element: resolve it like the cwd. */
			char *abs = NULL;
			if (asprintf(&abs, "%s/%s", cwd, cand) < 0) {
				free(cand);
				return sbx_fail(err, SBX_STEP_EXEC, ENOMEM, "%s", name);
			}
			free(cand);
			cand = abs;
		}
		if (is_exec_file(cand)) {
			*path = cand;
			return 0;
		}
		free(cand);
		if (!*end)
			break;
		p = end;
	}
	sbx_fail(err, SBX_STEP_EXEC, 0, "%s: not found on PATH", name);
	sbx_hint(err, "give the program's path, or check PATH");
	return -1;
}

/* Read an ELF header, its program headers, and whether it is a Go program. */
static void inspect_elf(int fd, const unsigned char *head, size_t n, struct sbx_prog_info *info)
{
	Elf64_Ehdr eh;

	info->elf64 = head[EI_CLASS] == ELFCLASS64;
	if (!info->elf64) {
		/* 32-bit: enough to say it is foreign; its interpreter
		 * does not matter, it cannot run in the jail. */
		Elf32_Ehdr e32;
		if (n >= sizeof(e32)) {
			memcpy(&e32, head, sizeof(e32));
			info->machine = e32.e_machine;
		}
		info->kind = SBX_PROG_STATIC;
		return;
	}
	if (n < sizeof(eh))
		return;
	memcpy(&eh, head, sizeof(eh));
	info->machine = eh.e_machine;
	info->native = eh.e_machine == SBX_NATIVE_MACHINE;
	info->pie = eh.e_type == ET_DYN;
	info->kind = SBX_PROG_STATIC;
	for (unsigned i = 0; i < eh.e_phnum && i < 256; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP) {
			size_t len = ph.p_filesz < sizeof(info->interp) ? ph.p_filesz :
									  sizeof(info->interp) - 1;
			ssize_t got = pread(fd, info->interp, len, (off_t)ph.p_offset);
			info->interp[got > 0 ? (size_t)got : 0] = '\0';
			info->kind = SBX_PROG_DYNAMIC;
		} else if (ph.p_type == PT_NOTE && ph.p_filesz >= 16 && ph.p_filesz < 4096) {
			/* Go's linker writes a "Go" note with its build id
			 * (type 4) in a PT_NOTE segment. */
			char note[4096];
			ssize_t got = pread(fd, note, ph.p_filesz, (off_t)ph.p_offset);
			for (ssize_t off = 0; got > 0 && off + 12 <= got;) {
				Elf64_Nhdr nh;
				memcpy(&nh, note + off, sizeof(nh));
				/* The owner is "Go", NUL-padded: namesz 3 or 4. */
				if ((nh.n_namesz == 3 || nh.n_namesz == 4) && off + 16 <= got &&
				    memcmp(note + off + 12, "Go", 3) == 0)
					info->go = true;
				off += 12 + ((nh.n_namesz + 3) & ~3u) + ((nh.n_descsz + 3) & ~3u);
			}
		}
	}
}

void sbx_prog_inspect(const char *path, struct sbx_prog_info *info)
{
	unsigned char head[512];
	struct stat st;
	ssize_t n;
	int fd;

	memset(info, 0, sizeof(*info));
	if (stat(path, &st) == 0) {
		info->setuid = st.st_mode & S_ISUID;
		/* setgid without group-execute is mandatory locking, not privilege. */
		info->setgid = (st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP);
		info->owner = st.st_uid;
		info->group = st.st_gid;
	}
	/* File capabilities live in this attribute (capabilities(7)). */
	info->file_caps = getxattr(path, "security.capability", NULL, 0) > 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, head, sizeof(head));
	info->readable = n >= 0;
	if (n >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0) {
		inspect_elf(fd, head, (size_t)n, info);
	} else if (n >= 2 && head[0] == '#' && head[1] == '!') {
		/* "#!INTERP [ARG]" (execve(2), Interpreter scripts). */
		char line[sizeof(head) + 1], *p, *end;
		memcpy(line, head, (size_t)n);
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
		p = line + 2 + strspn(line + 2, " \t");
		end = p + strcspn(p, " \t");
		snprintf(info->interp, sizeof(info->interp), "%.*s", (int)(end - p), p);
		p = end + strspn(end, " \t");
		snprintf(info->interp_arg, sizeof(info->interp_arg), "%s", p);
		info->kind = SBX_PROG_SCRIPT;
	}
	close(fd);
}

/* The first missing component on the way to path, as a bind suggestion:
 * /opt/tool/bin/x under a root with only /usr -> "/opt"; /tmp/x under a
 * root with a /tmp -> "/tmp/x" (a file can be bound too). */
static void missing_top(const char *path, char *buf, size_t size)
{
	struct stat st;
	char *slash;

	snprintf(buf, size, "%s", path);
	for (;;) {
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			break;
		*slash = '\0';
		if (stat(buf, &st) == 0) {
			*slash = '/';
			break;
		}
	}
}

static void hint_bind(struct sbx_err *err, const char *what, const char *path)
{
	char dir[256];

	missing_top(path, dir, sizeof(dir));
	sbx_hint(err, "%s is not inside the jail: add `ro = %s` to [fs] in the policy", what, dir);
}

void sbx_prog_exec_failed(const struct sbx_policy *pol, const char *path, int errnum,
			  struct sbx_err *err)
{
	struct sbx_prog_info info;
	struct stat st;

	(void)pol;
	sbx_fail(err, SBX_STEP_EXEC, errnum, "%s", path);
	if (stat(path, &st) < 0) {
		hint_bind(err, path, path);
		return;
	}
	sbx_prog_inspect(path, &info);
	if (errnum == ENOENT && info.interp[0] && stat(info.interp, &st) < 0) {
		/* execve(2) says ENOENT for a missing interpreter too. */
		hint_bind(err, info.kind == SBX_PROG_SCRIPT ? "its #! interpreter" : "its ELF interpreter",
			  info.interp);
		return;
	}
	if (errnum == EACCES)
		sbx_hint(err, "inside, it runs as uid %lu, which may not execute it, or its mount is noexec",
			 (unsigned long)pol->sandbox.uid);
	else if (errnum == ENOEXEC || (info.elf64 && !info.native) || (!info.elf64 && info.machine))
		sbx_hint(err, "not a program for this machine");
}
