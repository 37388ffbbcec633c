/*
 * mounts: the new root, built from [fs] (mounts.h says what it guarantees).
 *
 * The order, top to bottom in sbx_mounts_build():
 *   plan: the policy's ro / rw / tmpfs mounts, a new /proc, a minimal /dev
 *     and the caller's working directory, sorted parents first;
 *   make every mount private, so nothing we do propagates to the host;
 *   make the new root, a tmpfs stacked on top of the old "/";
 *   run the plan;
 *   the host's top-level symlinks into bound trees (/lib64 -> usr/lib64);
 *   pivot_root into the new root, detach the old one, make / read-only;
 *   the starting directory.
 *
 * How:
 *  - The new root is stacked on the old "/" itself. A lookup that starts at
 *    the process's root does not cross mounts stacked on that root
 *    (path_resolution(7): "/" is the process's root directory), so absolute
 *    host paths keep resolving on the host, symlinks included, while the
 *    descriptor fsmount(2) returned reaches the new root. No host directory
 *    is borrowed or hidden to hold it.
 *  - A bind is cloned as a detached tree (open_tree(2)) and made read-only
 *    with one mount_setattr(2) AT_RECURSIVE *before* it is attached
 *    (move_mount(2)): every submount is read-only too, the flags the source
 *    had (nosuid, noexec, atime) are kept because we only add flags, and
 *    the tree is never visible writable. mount(2) would need a remount per
 *    submount, found in /proc/self/mountinfo.
 *  - For a root caller the trees are cloned before the clone, by the
 *    supervisor (sbx_mounts_prepare()): the jail's user is nobody outside
 *    and may not reach a source under a private directory (/root/x), which
 *    the caller may. init inherits the descriptors and attaches them: a
 *    tree cloned in the host's namespace attaches in the jail's from inside
 *    its user namespace (checked on Linux 6.18). Such a tree carries no
 *    lock (the kernel sets MNT_LOCK_READONLY and the like when it copies a
 *    namespace for a new user namespace, not on a clone), so init could
 *    still clear its flags, even those of the host's mount; the program,
 *    with no capability, cannot, and a namespace it made would lock them.
 *  - tmpfs, proc and devpts use plain mount(2) on a name relative to the
 *    working directory (fchdir(2) to the mount point's parent): one system
 *    call where the new API takes six, and system calls are this step's cost.
 *  - Mount points are made without following symlinks (openat2(2)
 *    RESOLVE_NO_SYMLINKS on each component), and only inside a tmpfs of
 *    ours: making one inside a bind would write to the host. Which mount a
 *    path lies in is known lexically from the mounts made so far, since no
 *    symlink is ever followed on the way.
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What a mount made so far is, for the mount points made after it. */
enum place_kind {
	PLACE_TMPFS, /* ours and empty: mount points may be made inside */
	PLACE_RO,    /* a host tree: nothing is ever made inside */
	PLACE_RW,
	PLACE_OTHER, /* /proc, /dev/pts: nothing is made inside */
};

struct place {
	const char *dst;
	const char *src; /* host path for binds, else NULL */
	enum place_kind kind;
};

/* The policy's mounts at most; the arrays below live on the stack, sized
 * for the policy's mounts plus ours (/, /proc, /dev, /dev/shm, /dev/pts,
 * cwd): no allocation, and no more pages touched than needed (each one is
 * a copy-on-write fault in the freshly cloned init). */
#define SBX_POLICY_MOUNTS_MAX 1024
#define SBX_OUR_MOUNTS 8

/* One step of the plan: a policy mount, /proc, /dev or the caller's cwd. */
enum op_kind { OP_POLICY, OP_PROC, OP_DEV, OP_CWD };

struct op {
	enum op_kind kind;
	const char *dst;
	const struct sbx_mount *m; /* OP_POLICY */
};

struct build {
	const struct sbx_policy *pol;
	struct sbx_err *err;
	int root; /* the new root tmpfs, from fsmount(2) */
	int dev;  /* the /dev directory, or -1 */
	size_t n_places, max_places;
	struct place *places;
	size_t n_ops;
	struct op *ops;
};

/* The /dev/shm size without [limits] memory: the kernel's default (half
 * of RAM); the memory cgroup is what bounds it then. */
#define SHM_DEFAULT_BYTES 0

static int open_beneath(int dirfd, const char *path)
{
	/* openat2(2): no symlink (and so no magic link) anywhere, and never
	 * above dirfd; mounts on the way are crossed as usual. */
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* "/a/b" -> "a/b" and "/" -> ".", for *at() calls relative to the root. */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

/* Is path dir itself or below it? Both absolute and normalised. */
static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Does the policy mount something on dst itself? */
static bool policy_mounts_on(const struct sbx_policy *pol, const char *dst)
{
	for (size_t i = 0; i < pol->fs.n_mounts; i++)
		if (strcmp(pol->fs.mounts[i].dst, dst) == 0)
			return true;
	return false;
}

/* The mount a path of the new root lies in: the deepest one above it, the
 * latest of equals (it is on top). There is always one: / itself. */
static const struct place *deepest(const struct build *b, const char *path)
{
	const struct place *best = &b->places[0];

	for (size_t i = 1; i < b->n_places; i++) {
		const struct place *p = &b->places[i];
		if (path_under(path, p->dst) && strlen(p->dst) >= strlen(best->dst))
			best = p;
	}
	return best;
}

static int place(struct build *b, const char *dst, const char *src, enum place_kind kind)
{
	if (b->n_places == b->max_places)
		return sbx_fail(b->err, SBX_STEP_MOUNT, E2BIG, "mount on %s: more than %zu mounts",
				dst, b->max_places);
	b->places[b->n_places++] = (struct place){ .dst = dst, .src = src, .kind = kind };
	return 0;
}

/*
 * Where a mount goes: the entry name in the directory dir when we just
 * made it (nothing else runs in this namespace, so it is still that plain
 * entry), else the mount point itself, dir, with name "".
 */
struct target {
	int dir; /* b->root, or a descriptor to close */
	char name[256];
};

static void target_release(const struct build *b, struct target *t)
{
	if (t->dir != b->root)
		close(t->dir);
	t->dir = -1;
}

static int mount_point_fail(struct build *b, int e, const char *what, const char *dst,
			    const struct place *in)
{
	sbx_fail(b->err, SBX_STEP_MOUNT, e, "%s: mount point %s", what, dst);
	if (e == ELOOP)
		sbx_hint(b->err, "a symlink is on the way: mount points are never reached "
				 "through symlinks");
	else if (e == ENOENT && in->kind != PLACE_TMPFS)
		sbx_hint(b->err,
			 "it is missing inside %s, and sbx makes mount points only in its own "
			 "tmpfs (in a bind it would write to the host): create it in %s or "
			 "mount elsewhere",
			 in->dst, in->src ? in->src : in->dst);
	return -1;
}

/*
 * The mount point dst in the new root, made when it is missing: directories
 * on the way, and at the end a directory or an empty file, like src_fd (-1:
 * a directory). Made only inside a tmpfs of ours; no symlink is followed.
 */
static int mount_point(struct build *b, const char *dst, int src_fd, const char *what,
		       struct target *t)
{
	const struct place *in = deepest(b, dst);
	const char *p;
	int fd, e;

	t->dir = -1;
	t->name[0] = '\0';
	if (in->kind != PLACE_TMPFS) {
		t->dir = open_beneath(b->root, rel(dst));
		if (t->dir < 0)
			return mount_point_fail(b, errno, what, dst, in);
		return 0;
	}
	/* Walk from that tmpfs down, one component at a time: mkdirat(2)
	 * never follows a final symlink (EEXIST), and open_beneath() refuses
	 * one, so a symlink can only make this fail. */
	fd = b->root;
	if (in != &b->places[0]) {
		fd = open_beneath(b->root, rel(in->dst));
		if (fd < 0)
			return mount_point_fail(b, errno, what, in->dst, in);
	}
	p = dst + (in == &b->places[0] ? 0 : strlen(in->dst));
	for (;;) {
		size_t len;
		int r, next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len >= sizeof(t->name)) {
			e = ENAMETOOLONG;
			goto fail;
		}
		memcpy(t->name, p, len);
		t->name[len] = '\0';
		p += len;
		if (p[strspn(p, "/")] == '\0') {
			struct stat st;
			r = src_fd < 0 ? 0 : fstat(src_fd, &st);
			if (r == 0 && src_fd >= 0 && !S_ISDIR(st.st_mode))
				r = mknodat(fd, t->name, S_IFREG | 0644, 0);
			else if (r == 0)
				r = mkdirat(fd, t->name, 0755);
			if (r == 0) {
				t->dir = fd;
				return 0;
			}
		} else {
			r = mkdirat(fd, t->name, 0755);
		}
		if (r < 0 && errno != EEXIST) {
			e = errno;
			goto fail;
		}
		next = open_beneath(fd, t->name);
		if (next < 0) {
			e = errno;
			goto fail;
		}
		if (fd != b->root)
			close(fd);
		fd = next;
	}
	t->name[0] = '\0';
	if (fd == b->root) { /* dst is / itself: the policy refuses it */
		e = EBUSY;
		goto fail;
	}
	t->dir = fd;
	return 0;
fail:
	if (fd != b->root)
		close(fd);
	return mount_point_fail(b, e, what, dst, in);
}

/*
 * Bind trees cloned by sbx_mounts_prepare() before the clone, for
 * sbx_mounts_build() in the jail's init, which inherits them with the
 * descriptor table (clone(2) copies it): slot i is the policy's mount i,
 * the last one the caller's cwd.
 */
#define CWD_SLOT(pol) ((pol)->fs.n_mounts)
#define PREPARED_NONE (-1)   /* not cloned: build clones it itself */
#define PREPARED_ABSENT (-2) /* an optional source that is absent: skipped */

static struct {
	const struct sbx_policy *pol; /* what they were cloned for, or NULL */
	size_t n;		      /* slots in use */
	int fd[SBX_POLICY_MOUNTS_MAX + 1];
} prepared;

void sbx_mounts_release(void)
{
	for (size_t i = 0; i < prepared.n; i++)
		if (prepared.fd[i] >= 0)
			close(prepared.fd[i]);
	prepared.n = 0;
	prepared.pol = NULL;
}

/* The tree prepared for slot, now ours to close; PREPARED_NONE when there
 * is none (build clones it itself), PREPARED_ABSENT when it is to be
 * skipped. */
static int take_prepared(const struct sbx_policy *pol, size_t slot)
{
	int fd;

	if (prepared.pol != pol || slot >= prepared.n)
		return PREPARED_NONE;
	fd = prepared.fd[slot];
	prepared.fd[slot] = PREPARED_NONE;
	return fd;
}

/*
 * Clone the host tree src, detached (open_tree(2)), and give it the
 * bind's attributes with one mount_setattr(2) AT_RECURSIVE, before it is
 * ever attached: nosuid, nodev, and for ro read-only down to every
 * submount. Flags the source had (noexec, atime) are kept: we only add.
 * Private: a clone joins its source's peer group (mount_namespaces(7),
 * "Shared subtrees"), and a tree cloned in the host's namespace would
 * then pass mounts both ways between the host and the jail (a tmpfs the
 * policy mounts inside a bind would appear on the host).
 * Returns 0, or an errno with *failed naming the call.
 */
static int clone_tree(const char *src, bool ro, int *tree, const char **failed)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (ro ? MOUNT_ATTR_RDONLY : 0),
		.propagation = MS_PRIVATE,
	};
	int fd, e;

	*failed = "open_tree";
	fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return errno;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		e = errno;
		close(fd);
		*failed = "mount_setattr";
		return e;
	}
	*tree = fd;
	return 0;
}

/* A bind's source could not be cloned: say which, and what to check. The
 * jail's own user (nobody outside for a root caller) is the one that may
 * lack the right to reach it, not a caller that cloned it itself. */
static int clone_fail(struct sbx_err *err, int e, const char *failed, const char *what,
		      const char *src, bool in_jail)
{
	if (strcmp(failed, "open_tree") != 0) {
		sbx_fail(err, SBX_STEP_MOUNT, e, "%s: %s", what, failed);
		if (e == ENOSYS)
			sbx_hint(err, "mount_setattr(2) needs Linux 5.12");
		return -1;
	}
	sbx_fail(err, SBX_STEP_MOUNT, e, "%s", what);
	if (e == ENOENT)
		sbx_hint(err, "%s does not exist; write ?%s in the policy to skip it when absent",
			 src, src);
	else if (e == EACCES && in_jail)
		sbx_hint(err,
			 "the jail reaches host files as its outside user (the caller, or "
			 "nobody for a root caller that may not clone it first): %s and "
			 "every directory above it must be searchable by it",
			 src);
	else if (e == ENOSYS)
		sbx_hint(err, "open_tree(2) needs Linux 5.2");
	return -1;
}

static void bind_what(char *buf, size_t size, const char *src, const char *dst, bool ro)
{
	snprintf(buf, size, "%s bind %s on %s", ro ? "ro" : "rw", src, dst);
}

/*
 * Bind the host tree src on dst: the tree sbx_mounts_prepare() cloned for
 * slot, else one cloned here (clone_tree()). Clone, set, attach: the tree
 * is never visible writable.
 */
static int bind_tree(struct build *b, size_t slot, const char *src, const char *dst, bool ro,
		     bool optional)
{
	struct target t;
	char what[512];
	const char *failed;
	int tree = take_prepared(b->pol, slot), e;

	if (tree == PREPARED_ABSENT)
		return 0;
	bind_what(what, sizeof(what), src, dst, ro);
	if (tree < 0 && (e = clone_tree(src, ro, &tree, &failed)) != 0) {
		if (e == ENOENT && optional && strcmp(failed, "open_tree") == 0)
			return 0;
		return clone_fail(b->err, e, failed, what, src, true);
	}
	if (mount_point(b, dst, tree, what, &t) < 0) {
		close(tree);
		return -1;
	}
	e = move_mount(tree, "", t.dir, t.name,
		       MOVE_MOUNT_F_EMPTY_PATH | (t.name[0] ? 0 : MOVE_MOUNT_T_EMPTY_PATH)) < 0
		    ? errno
		    : 0;
	target_release(b, &t);
	close(tree);
	if (e)
		return sbx_fail(b->err, SBX_STEP_MOUNT, e, "%s", what);
	return place(b, dst, src, ro ? PLACE_RO : PLACE_RW);
}

/*
 * A new filesystem (tmpfs, proc, devpts) on dst. mount(2) on the target's
 * name, relative to the working directory, is one call where fsopen(2) ..
 * move_mount(2) takes six, and system calls are what this step costs.
 */
static int fs_on(struct build *b, const char *type, const char *dst, unsigned long flags,
		 const char *data, enum place_kind kind)
{
	struct target t;
	char what[320];
	int e = 0;

	snprintf(what, sizeof(what), "%s on %s", type, dst);
	if (mount_point(b, dst, -1, what, &t) < 0)
		return -1;
	if (fchdir(t.dir) < 0 || mount(type, t.name[0] ? t.name : ".", type, flags, data) < 0)
		e = errno;
	target_release(b, &t);
	if (!e)
		return place(b, dst, NULL, kind);
	sbx_fail(b->err, SBX_STEP_MOUNT, e, "%s%s%s%s", what, data ? " (" : "", data ? data : "",
		 data ? ")" : "");
	if (e == EPERM && strcmp(type, "proc") == 0)
		sbx_hint(b->err, "the kernel lets a user namespace mount a procfs only where the "
				 "host's /proc is fully visible, with nothing mounted over its "
				 "files (containers often mask some): set [fs] proc = no");
	return -1;
}

static int tmpfs_on(struct build *b, const char *dst, uint64_t size_bytes)
{
	char data[64];

	/* 1777 like /tmp: the jail's user owns what it makes there. */
	if (size_bytes)
		snprintf(data, sizeof(data), "mode=1777,size=%llu", (unsigned long long)size_bytes);
	else
		snprintf(data, sizeof(data), "mode=1777");
	return fs_on(b, "tmpfs", dst, MS_NOSUID | MS_NODEV, data, PLACE_TMPFS);
}

/*
 * Make the new root: a tmpfs stacked on the old "/" (see the top). Made
 * with fsmount(2), since its descriptor is the only way to reach it.
 */
static int make_root(struct build *b)
{
	uint64_t bytes = b->pol->fs.root_size_bytes;
	char size[32];
	int fs, e;

	/* Nothing we mount may propagate to the host's namespace, and nothing
	 * of the host's may appear in ours (mount_namespaces(7)). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "make / private");
	snprintf(size, sizeof(size), "%llu", (unsigned long long)bytes);
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "tmpfs on / (the new root): fsopen");
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    (bytes && fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (b->root = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0) {
		e = errno;
		close(fs);
		return sbx_fail(b->err, SBX_STEP_MOUNT, e, "tmpfs on / (the new root, size %s)",
				size);
	}
	close(fs);
	if (move_mount(b->root, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "tmpfs on / (the new root)");
	return 0;
}

static int make_proc(struct build *b)
{
	/* A procfs shows the PID namespace of its mounter: ours. The kernel
	 * lets a user namespace mount one only with these flags at least, as
	 * the host's (mount_too_revealing()). */
	return fs_on(b, "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, PLACE_OTHER);
}

static int dev_link(struct build *b, const char *target, const char *name)
{
	if (symlinkat(target, b->dev, name) < 0 && errno != EEXIST)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "symlink /dev/%s -> %s", name,
				target);
	return 0;
}

/* mknod(2) is refused in a user namespace: bind the host's nodes. The
 * binds keep the host mount's flags, so the nodes work. */
static int dev_nodes(struct build *b)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	char host[32];

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		if (mknodat(b->dev, nodes[i], S_IFREG | 0644, 0) < 0 && errno != EEXIST)
			return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "mknod %s", host);
		if (mount(host, nodes[i], NULL, MS_BIND, NULL) < 0) {
			/* A minimal host (a container) may have no /dev/tty. */
			if (errno == ENOENT && strcmp(nodes[i], "tty") == 0) {
				unlinkat(b->dev, nodes[i], 0);
				continue;
			}
			return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "bind %s on %s", host, host);
		}
	}
	return 0;
}

/* /dev/shm, POSIX shared memory: bounded by [limits] memory even where no
 * memory cgroup can be made. */
static int dev_shm(struct build *b)
{
	uint64_t bytes = b->pol->limits.memory_bytes ? b->pol->limits.memory_bytes
						     : SHM_DEFAULT_BYTES;
	char data[64];

	if (bytes)
		snprintf(data, sizeof(data), "mode=1777,size=%llu", (unsigned long long)bytes);
	else
		snprintf(data, sizeof(data), "mode=1777");
	if (mkdirat(b->dev, "shm", 0755) < 0 ||
	    mount("tmpfs", "shm", "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "tmpfs on /dev/shm (%s)", data);
	return place(b, "/dev/shm", NULL, PLACE_TMPFS);
}

/*
 * /dev/pts: devpts may be mounted in a user namespace and always makes a
 * new instance (Linux 4.7); its nodes need no nodev. ptmxmode: its ptmx,
 * which /dev/ptmx points at, is 0000 by default. No gid=: the tty group
 * is not mapped. The contract promises no pseudo-terminals: where the
 * kernel refuses a devpts, /dev simply has none.
 */
static int dev_pts(struct build *b)
{
	if (mkdirat(b->dev, "pts", 0755) < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "mkdir /dev/pts");
	if (mount("devpts", "pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620") < 0) {
		unlinkat(b->dev, "pts", AT_REMOVEDIR);
		return 0;
	}
	if (place(b, "/dev/pts", NULL, PLACE_OTHER) < 0)
		return -1;
	return dev_link(b, "pts/ptmx", "ptmx");
}

/*
 * A minimal /dev: a directory of the root tmpfs (so read-only with it, and
 * nosuid, nodev), holding the usual character devices, /dev/shm (unless
 * the policy mounts its own), pseudo-terminals, and the fd links.
 */
static int make_dev(struct build *b)
{
	if (mkdirat(b->root, "dev", 0755) < 0 && errno != EEXIST)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "mkdir /dev");
	b->dev = open_beneath(b->root, "dev");
	/* The mounts below are on names relative to /dev. */
	if (b->dev < 0 || fchdir(b->dev) < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "open /dev");
	if (dev_nodes(b) < 0 || (!policy_mounts_on(b->pol, "/dev/shm") && dev_shm(b) < 0) ||
	    dev_pts(b) < 0)
		return -1;
	if (dev_link(b, "/proc/self/fd", "fd") < 0 ||
	    dev_link(b, "/proc/self/fd/0", "stdin") < 0 ||
	    dev_link(b, "/proc/self/fd/1", "stdout") < 0 ||
	    dev_link(b, "/proc/self/fd/2", "stderr") < 0)
		return -1;
	return 0;
}

/* Does the bind p show the host's path at the same path in the jail? */
static bool shows_itself(const struct place *p, const char *path)
{
	const char *rest = path + strlen(p->dst);
	size_t n = strlen(p->src);

	if (n == 1 && p->src[0] == '/')
		return strcmp(rest, path) == 0;
	return strncmp(path, p->src, n) == 0 && strcmp(path + n, rest) == 0;
}

/*
 * The caller's working directory at the same path, read-only or not per
 * bind_cwd. Left alone when a bind already shows it there, as writable as
 * asked or more.
 */
static bool cwd_shown_by(const struct place *in, const struct sbx_policy *pol)
{
	return (in->kind == PLACE_RW ||
		(in->kind == PLACE_RO && pol->sandbox.bind_cwd == SBX_BIND_CWD_RO)) &&
	       shows_itself(in, pol->caller_cwd);
}

static int bind_caller_cwd(struct build *b)
{
	const struct sbx_policy *pol = b->pol;
	const char *cwd = pol->caller_cwd;

	if (cwd_shown_by(deepest(b, cwd), pol))
		return 0;
	return bind_tree(b, CWD_SLOT(pol), cwd, cwd, pol->sandbox.bind_cwd == SBX_BIND_CWD_RO,
			 false);
}

/* Components in a normalised absolute path: "/" 0, "/a/b" 2. */
static size_t depth(const char *path)
{
	size_t n = 0;

	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			n++;
	return n;
}

/*
 * Should the caller's cwd get a bind of its own? Not "/" (the whole host,
 * its /proc included, is never what "the caller's directory" means), nor
 * inside the jail's own /proc or /dev, nor where the policy mounts
 * something itself: an explicit mount wins over the implicit one.
 */
static bool cwd_wanted(const struct sbx_policy *pol)
{
	const char *cwd = pol->caller_cwd;

	if (pol->sandbox.bind_cwd == SBX_BIND_CWD_NO || !cwd || cwd[0] != '/' || !depth(cwd))
		return false;
	if ((pol->fs.proc && path_under(cwd, "/proc")) || (pol->fs.dev && path_under(cwd, "/dev")))
		return false;
	return !policy_mounts_on(pol, cwd);
}

/*
 * Everything mounted on the new root, parents first: sorted by depth
 * (stable, so the policy's order holds among equals), a mount inside
 * another always lands on top of it, whatever order the policy lists them
 * in: tmpfs /tmp, then the caller's /tmp/work, then its ./out on
 * /tmp/work/out; /dev, then a policy's tmpfs on /dev/shm.
 */
static int plan(struct build *b)
{
	const struct sbx_policy *pol = b->pol;
	size_t n = 0;

	for (size_t i = 0; i < pol->fs.n_mounts; i++)
		b->ops[n++] = (struct op){ OP_POLICY, pol->fs.mounts[i].dst, &pol->fs.mounts[i] };
	if (pol->fs.proc)
		b->ops[n++] = (struct op){ OP_PROC, "/proc", NULL };
	if (pol->fs.dev)
		b->ops[n++] = (struct op){ OP_DEV, "/dev", NULL };
	if (cwd_wanted(pol))
		b->ops[n++] = (struct op){ OP_CWD, pol->caller_cwd, NULL };
	for (size_t i = 1; i < n; i++) {
		struct op o = b->ops[i];
		size_t d = depth(o.dst), j = i;
		for (; j > 0 && depth(b->ops[j - 1].dst) > d; j--)
			b->ops[j] = b->ops[j - 1];
		b->ops[j] = o;
	}
	b->n_ops = n;
	return 0;
}

static int run_plan(struct build *b)
{
	for (size_t i = 0; i < b->n_ops; i++) {
		const struct op *o = &b->ops[i];
		const struct sbx_mount *m = o->m;
		int r;

		switch (o->kind) {
		case OP_POLICY:
			if (m->kind == SBX_MOUNT_TMPFS)
				r = tmpfs_on(b, m->dst, m->size_bytes);
			else
				r = bind_tree(b, (size_t)(m - b->pol->fs.mounts), m->src, m->dst,
					      m->kind == SBX_MOUNT_RO, m->optional);
			break;
		case OP_PROC:
			r = make_proc(b);
			break;
		case OP_DEV:
			r = make_dev(b);
			break;
		default:
			r = bind_caller_cwd(b);
			break;
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

/*
 * The host's top-level symlinks into what the jail shows: on a merged-/usr
 * system /lib64 -> usr/lib64 is how every dynamic executable finds its ELF
 * interpreter. Made only when the target lies in a bind and the name is
 * still free.
 */
static int top_links(struct build *b)
{
	static const char *const links[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
	char target[256], abs[258];

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		ssize_t n = readlink(links[i], target, sizeof(target) - 1);
		const struct place *in;

		if (n <= 0)
			continue; /* absent, or not a symlink */
		target[n] = '\0';
		if (strstr(target, ".."))
			continue; /* not a plain path into a tree */
		snprintf(abs, sizeof(abs), "%s%s", target[0] == '/' ? "" : "/", target);
		in = deepest(b, abs);
		if (in->kind != PLACE_RO && in->kind != PLACE_RW)
			continue;
		if (symlinkat(target, b->root, links[i] + 1) < 0 && errno != EEXIST)
			return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "symlink %s -> %s", links[i],
					target);
	}
	return 0;
}

/*
 * The jail's /etc/resolv.conf, when the network step has one (egress names
 * the resolver its filter lets through). Written into a tmpfs of ours only:
 * a bind of the host's /etc there would be the host's file, and writing it
 * would write the host's.
 */
static int write_resolv_conf(struct build *b, const char *text)
{
	const struct place *in = deepest(b, "/etc/resolv.conf");
	size_t len = strlen(text);
	int fd;

	if (in->kind != PLACE_TMPFS) {
		sbx_fail(b->err, SBX_STEP_MOUNT, 0, "/etc/resolv.conf lies in %s, a bind of the host",
			 in->dst);
		sbx_hint(b->err, "[net] mode = egress writes the jail's own /etc/resolv.conf: do not "
				 "bind the host's /etc (bind the files it needs one by one)");
		return -1;
	}
	if (mkdirat(b->root, "etc", 0755) < 0 && errno != EEXIST)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "mkdir /etc");
	fd = openat(b->root, "etc/resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "create /etc/resolv.conf");
	if (write(fd, text, len) != (ssize_t)len) {
		int e = errno;
		close(fd);
		return sbx_fail(b->err, SBX_STEP_MOUNT, e, "write /etc/resolv.conf");
	}
	close(fd);
	return 0;
}

/*
 * Make the new root the root, and leave no way back: pivot_root(2) with
 * new_root and put_old both "." stacks the old root on top of the new one
 * (pivot_root(2), NOTES), and umount2(MNT_DETACH) takes it off, with every
 * host mount under it. Then / is made read-only (the mounts on it are not).
 */
static int enter_root(struct build *b)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (fchdir(b->root) < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "enter the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		int e = errno;
		sbx_fail(b->err, SBX_STEP_MOUNT, e, "pivot_root to the new root");
		if (e == EINVAL)
			sbx_hint(b->err, "the host's / may be the initial ramfs, which "
					 "pivot_root(2) cannot leave");
		return -1;
	}
	if (umount2(".", MNT_DETACH) < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "detach the old root");
	if (mount_setattr(b->root, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return sbx_fail(b->err, SBX_STEP_MOUNT, errno, "make / read-only");
	return 0;
}

/* The policy's cwd, else the caller's when it is shown, else /. */
static int start_dir(const struct sbx_policy *pol, struct sbx_err *err)
{
	const char *dir = "/";

	if (pol->sandbox.cwd && pol->sandbox.cwd[0])
		dir = pol->sandbox.cwd;
	else if (pol->sandbox.bind_cwd != SBX_BIND_CWD_NO && pol->caller_cwd)
		dir = pol->caller_cwd;
	if (chdir(dir) < 0) {
		int e = errno;
		sbx_fail(err, SBX_STEP_MOUNT, e, "starting directory %s", dir);
		if (e == ENOENT)
			sbx_hint(err, "it does not exist inside the jail: show it with [fs] ro or "
				      "rw, or set [sandbox] cwd");
		else if (e == EACCES)
			sbx_hint(err, "the jail's user (nobody outside for a root caller) may not "
				      "search it: the mode of %s itself is what counts",
				 dir);
		return -1;
	}
	return 0;
}

static int build_root(const struct sbx_policy *pol, const char *resolv_conf, struct sbx_err *err)
{
	struct build b;
	int r;

	/* Without a mount namespace there is no new root to build (the policy
	 * refuses [fs] keys then); only the starting directory applies. */
	if (!pol->ns.mount)
		return start_dir(pol, err);
	if (pol->fs.n_mounts > SBX_POLICY_MOUNTS_MAX)
		return sbx_fail(err, SBX_STEP_MOUNT, E2BIG, "[fs] has %zu mounts: at most %d",
				pol->fs.n_mounts, SBX_POLICY_MOUNTS_MAX);

	struct place places[pol->fs.n_mounts + SBX_OUR_MOUNTS];
	struct op ops[pol->fs.n_mounts + SBX_OUR_MOUNTS];

	b.pol = pol;
	b.err = err;
	b.root = -1;
	b.dev = -1;
	b.places = places;
	b.max_places = sizeof(places) / sizeof(places[0]);
	b.ops = ops;
	/* places[0] is always the root tmpfs. */
	b.places[0] = (struct place){ .dst = "/", .src = NULL, .kind = PLACE_TMPFS };
	b.n_places = 1;
	b.n_ops = 0;
	r = plan(&b);
	if (r == 0)
		r = make_root(&b);
	if (r == 0)
		r = run_plan(&b);
	if (r == 0)
		r = top_links(&b);
	if (r == 0 && resolv_conf)
		r = write_resolv_conf(&b, resolv_conf);
	if (r == 0)
		r = enter_root(&b);
	if (r == 0)
		r = start_dir(pol, err);
	if (b.dev >= 0)
		close(b.dev);
	if (b.root >= 0)
		close(b.root);
	return r;
}

int sbx_mounts_build(const struct sbx_policy *pol, const char *resolv_conf, struct sbx_err *err)
{
	int r = build_root(pol, resolv_conf, err);

	/* What was prepared and not attached (a cwd a bind already shows,
	 * anything after a failure) never reaches the program. */
	sbx_mounts_release();
	return r;
}

/*
 * Does this process hold CAP_SYS_ADMIN, which open_tree(OPEN_TREE_CLONE)
 * needs in the user namespace that owns our mount namespace (root, but
 * for a container's root in a user namespace of its own)? glibc declares
 * no capget(2).
 */
static bool may_clone_trees(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	return syscall(SYS_capget, &hdr, data) == 0 &&
	       (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN));
}

/* Clone the source of the policy's mount m (NULL: the caller's cwd) into
 * its slot: 0, -1 with err filled, or 1 when we may not clone trees after
 * all (build will, as the jail). */
static int prepare_one(size_t slot, const struct sbx_mount *m, struct sbx_err *err)
{
	const struct sbx_policy *pol = prepared.pol;
	const char *src = m ? m->src : pol->caller_cwd;
	const char *dst = m ? m->dst : pol->caller_cwd;
	bool ro = m ? m->kind == SBX_MOUNT_RO : pol->sandbox.bind_cwd == SBX_BIND_CWD_RO;
	const char *failed;
	char what[512];
	int e = clone_tree(src, ro, &prepared.fd[slot], &failed);

	if (e == 0)
		return 0;
	if (strcmp(failed, "open_tree") == 0) {
		if (e == ENOENT && m && m->optional) {
			prepared.fd[slot] = PREPARED_ABSENT;
			return 0;
		}
		if (e == EPERM)
			return 1;
	}
	bind_what(what, sizeof(what), src, dst, ro);
	return clone_fail(err, e, failed, what, src, false);
}

/*
 * Will a bind of the policy show the caller's cwd, so that build binds no
 * tree of its own there? bind_caller_cwd()'s question, asked before any
 * mount is made: the mount the cwd lies in is the policy's deepest one
 * above it (the last of equals: it lands on top), absent '?' sources left
 * out. A tree cloned for nothing would cost its closing: a detached tree
 * is unmounted when its last descriptor goes, and that waits for an RCU
 * grace period (60-80 us here).
 */
static bool cwd_shown_by_policy(const struct sbx_policy *pol)
{
	const struct sbx_mount *in = NULL;
	struct place p;

	for (size_t i = 0; i < pol->fs.n_mounts; i++) {
		const struct sbx_mount *m = &pol->fs.mounts[i];

		if (prepared.fd[i] == PREPARED_ABSENT || !path_under(pol->caller_cwd, m->dst))
			continue;
		if (!in || strlen(m->dst) >= strlen(in->dst))
			in = m;
	}
	if (!in || in->kind == SBX_MOUNT_TMPFS)
		return false;
	p = (struct place){ .dst = in->dst, .src = in->src,
			    .kind = in->kind == SBX_MOUNT_RO ? PLACE_RO : PLACE_RW };
	return cwd_shown_by(&p, pol);
}

int sbx_mounts_prepare(const struct sbx_policy *pol, struct sbx_err *err)
{
	size_t n = pol->fs.n_mounts;
	int r = 0;

	sbx_mounts_release();
	/* Only where it helps: a jail whose user is the caller's own reaches
	 * what the caller does, and one without a user namespace of its own
	 * keeps the caller's capabilities. */
	if (!pol->ns.mount || !pol->ns.user || n > SBX_POLICY_MOUNTS_MAX || !may_clone_trees())
		return 0;
	prepared.pol = pol;
	for (size_t i = 0; i <= n && r == 0; i++) {
		prepared.fd[i] = PREPARED_NONE;
		prepared.n = i + 1;
		if (i < n && pol->fs.mounts[i].kind != SBX_MOUNT_TMPFS)
			r = prepare_one(i, &pol->fs.mounts[i], err);
	}
	if (r == 0 && cwd_wanted(pol) && !cwd_shown_by_policy(pol))
		r = prepare_one(CWD_SLOT(pol), NULL, err);
	if (r != 0)
		sbx_mounts_release();
	return r < 0 ? -1 : 0;
}
