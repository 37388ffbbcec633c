/*
 * cgroup: one memory+pids cgroup around the whole jail (see cgroup.h).
 *
 * Where the cgroup goes. Under the caller's own cgroup, as the caller sees it
 * in /proc/self/cgroup, so the jail stays inside every limit the caller is
 * itself under (a service's MemoryMax, a container's memory):
 * - v2: the nearest ancestor of the caller's cgroup (itself included) whose
 *   cgroup.subtree_control already enables the controllers the policy needs
 *   and where the caller may mkdir and write cgroup.procs. For a normal user
 *   that is a subtree systemd delegated (user@UID.service or below); as root
 *   it may be the root. Nothing is enabled on anyone's behalf: a v2 cgroup
 *   with processes cannot enable controllers for its children anyway
 *   ("no internal processes", cgroup-v2.rst), and the host's layout is not
 *   ours to change.
 * - v1: the caller's cgroup in the memory and pids hierarchies (v1 allows
 *   children next to processes).
 * v2 is used when it gives every controller the policy needs, else v1.
 *
 * Names are sbx-PID-RANDOM, PID being the supervisor's. A supervisor killed
 * by SIGKILL cannot remove its cgroup (the jail dies with it: the init has a
 * parent-death signal and the PID namespace goes with the init), so create
 * sweeps its parent directories: an sbx-PID-* sibling whose PID no longer
 * exists and that is older than a minute is removed with rmdir(2), which only
 * succeeds on an empty cgroup. The age keeps a sweeper in another PID
 * namespace (where that PID means nothing) away from a cgroup that another
 * supervisor has just made and not yet entered. release_agent and
 * notify_on_release were not used: they are per hierarchy, the host's.
 *
 * The cost of a migration. Writing a pid to cgroup.procs or `tasks` (v1 and
 * v2) write-locks cgroup_threadgroup_rwsem (kernel/cgroup/cgroup.c,
 * cgroup_procs_write_start -> cgroup_attach_lock -> percpu_down_write). A
 * percpu rwsem writer first calls rcu_sync_enter(), which waits for a full RCU
 * grace period unless another writer came within about the last grace period
 * (kernel/rcu/sync.c). Measured here (bench/cgroup_attach.c, kernel 6.18,
 * 2 CPUs): 6-19 ms for the first write after 50 ms or more of quiet, 0.01-0.02 ms
 * for the next ones. Two ways around it, used by the supervisor:
 * - v1: cgroup_procs_write_start() skips the lock for pid 0 written to `tasks`
 *   ("If we migrate a single thread [...] current [...] we can skip the global
 *   lock"), so the init moves itself: 0.03 ms. The init is single-threaded at
 *   that point, so the thread is the whole process. The descriptors were
 *   opened by the supervisor; cgroup v1 checks the opener's credentials
 *   (of->file->f_cred), so the write works from inside the new user namespace.
 * - v2: clone3(CLONE_INTO_CGROUP) places the child at fork time under the read
 *   side of the same rwsem: 0.17 ms for the whole clone (a plain fork: 0.12).
 * Host-wide remedies, for `sbx doctor` to suggest and never for sbx to apply:
 * /sys/kernel/rcu_expedited = 1 (first write 0.14 ms here; every
 * synchronize_rcu() on the machine then IPIs all CPUs), or the favordynmods
 * mount option (the rwsem stays in its slow mode, and since 6.18 cgroup.procs
 * writers take a per-process rwsem: no grace period, at a small cost to every
 * fork and exit). cgroup1 accepts favordynmods only when a hierarchy is first
 * mounted (cgroup1_reconfigure() refuses flag changes); the cgroup2 mount takes
 * it on remount and, the rwsem being global, that helps v1 writers too; the
 * per-process mode cannot be turned off again until reboot.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/limits.h> /* PATH_MAX; <limits.h> would find preload/limits.h */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* An sbx-PID-* directory left by a dead supervisor is swept after this. */
#define STALE_AFTER_S 60
/* How long destroy keeps killing before it leaves a busy cgroup to the sweep. */
#define DESTROY_TIMEOUT_MS 5000

enum { CTL_MEMORY = 1, CTL_PIDS = 2 };

/* Where the machine's cgroup hierarchies are, and the caller's place in them. */
struct cg_where {
	char v2_mnt[PATH_MAX], v2_root[PATH_MAX]; /* mount point, and its root in the hierarchy */
	char mem_mnt[PATH_MAX], mem_root[PATH_MAX];
	char pids_mnt[PATH_MAX], pids_root[PATH_MAX];
	char v2_self[PATH_MAX], mem_self[PATH_MAX], pids_self[PATH_MAX]; /* /proc/self/cgroup */
	bool have_v2_self, have_mem_self, have_pids_self;
};

/* --- small file helpers ------------------------------------------------- */

/* Read a small file whole; returns the length, or -1 with errno. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)len < size - 1 &&
	       (n = read(fd, buf + len, size - 1 - (size_t)len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

static ssize_t read_in(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return read_file(path, buf, size);
}

/* Write a value to dir/file in one write(2); 0 or -1 with errno. */
static int write_in(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, len);
	if (n < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

static int open_in(const char *dir, const char *file, int flags)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, flags | O_CLOEXEC);
}

/* Is word one of the space- or comma-separated words of list? */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ,\n");

		if (n == wl && strncmp(p, word, wl) == 0)
			return true;
		p += n;
		p += strspn(p, " ,\n");
	}
	return false;
}

/* The value of "key N" in a flat keyed file (memory.events, pids.events...), or -1. */
static int64_t keyed_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoll(p + kl + 1, NULL, 10);
		if (!nl)
			break;
		p = nl + 1;
	}
	return -1;
}

static int64_t number_in(const char *dir, const char *file)
{
	char buf[64];

	if (read_in(dir, file, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* --- discovery ----------------------------------------------------------- */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_mountinfo(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static void copy_path(char *dst, const char *src)
{
	snprintf(dst, PATH_MAX, "%s", src);
}

/*
 * Find the cgroup2 mount and the v1 memory and pids mounts (proc(5),
 * /proc/pid/mountinfo: root and mount point are fields 4 and 5; the filesystem
 * type and super options follow the " - " separator). The first mount of each
 * wins.
 */
static void find_mounts(struct cg_where *w)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");
		char *fields[5], *save = NULL, *type, *superopts;
		int i;

		if (!sep)
			continue;
		*sep = '\0';
		type = strtok_r(sep + 3, " \n", &save);
		(void)strtok_r(NULL, " \n", &save); /* source */
		superopts = strtok_r(NULL, " \n", &save);
		if (!type || (strcmp(type, "cgroup2") && strcmp(type, "cgroup")))
			continue;
		save = NULL;
		for (i = 0; i < 5; i++) {
			fields[i] = strtok_r(i ? NULL : line, " ", &save);
			if (!fields[i])
				break;
		}
		if (i < 5)
			continue;
		unescape_mountinfo(fields[3]);
		unescape_mountinfo(fields[4]);
		if (strcmp(type, "cgroup2") == 0) {
			if (!w->v2_mnt[0]) {
				copy_path(w->v2_mnt, fields[4]);
				copy_path(w->v2_root, fields[3]);
			}
		} else if (superopts) {
			if (!w->mem_mnt[0] && has_word(superopts, "memory")) {
				copy_path(w->mem_mnt, fields[4]);
				copy_path(w->mem_root, fields[3]);
			}
			if (!w->pids_mnt[0] && has_word(superopts, "pids")) {
				copy_path(w->pids_mnt, fields[4]);
				copy_path(w->pids_root, fields[3]);
			}
		}
	}
	free(line);
	fclose(f);
}

/* The caller's cgroups (cgroups(7): "hierarchy-ID:controller-list:cgroup-path"). */
static void find_self(struct cg_where *w)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char *path;

		if (!c2)
			continue;
		*c2 = '\0';
		path = c2 + 1;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(line, "0") == 0 && c1[1] == '\0') {
			copy_path(w->v2_self, path);
			w->have_v2_self = true;
		} else {
			if (has_word(c1 + 1, "memory")) {
				copy_path(w->mem_self, path);
				w->have_mem_self = true;
			}
			if (has_word(c1 + 1, "pids")) {
				copy_path(w->pids_self, path);
				w->have_pids_self = true;
			}
		}
	}
	free(line);
	fclose(f);
}

/*
 * The directory of cgroup path `self` under a mount of the hierarchy whose
 * root is `root`; "" when the caller's cgroup is outside the mounted subtree.
 */
static void dir_of(char *out, const char *mnt, const char *root, const char *self)
{
	size_t rl = strlen(root);

	out[0] = '\0';
	if (strcmp(root, "/") == 0)
		rl = 0;
	else if (strncmp(self, root, rl) != 0 || (self[rl] != '/' && self[rl] != '\0'))
		return;
	snprintf(out, PATH_MAX, "%s%s", mnt, strcmp(self + rl, "/") ? self + rl : "");
}

/* May the caller make a child cgroup in dir and move its own processes into it? */
static bool can_use(const char *dir)
{
	char procs[PATH_MAX];

	if ((size_t)snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir) >= sizeof(procs))
		return false;
	/* AT_EACCESS: the effective ids, which the kernel will check. */
	return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0 &&
	       faccessat(AT_FDCWD, procs, W_OK, AT_EACCESS) == 0;
}

/*
 * v2: the nearest ancestor of the caller's cgroup (itself first) whose
 * subtree_control enables the controllers in `need` and that the caller may
 * use. Returns the controllers found there (a subset of need, when the best
 * candidate lacks some), with its directory in parent.
 */
static int find_v2_parent(const struct cg_where *w, int need, char *parent)
{
	char dir[PATH_MAX], ctl[256];
	int best = 0;
	size_t ml;

	parent[0] = '\0';
	if (!w->v2_mnt[0] || !w->have_v2_self)
		return 0;
	dir_of(dir, w->v2_mnt, w->v2_root, w->v2_self);
	if (!dir[0])
		return 0;
	ml = strlen(w->v2_mnt);
	for (;;) {
		int got = 0;

		if (read_in(dir, "cgroup.subtree_control", ctl, sizeof(ctl)) >= 0) {
			if ((need & CTL_MEMORY) && has_word(ctl, "memory"))
				got |= CTL_MEMORY;
			if ((need & CTL_PIDS) && has_word(ctl, "pids"))
				got |= CTL_PIDS;
		}
		if (got && __builtin_popcount(got) > __builtin_popcount(best) && can_use(dir)) {
			best = got;
			copy_path(parent, dir);
			if (best == need)
				return best;
		}
		/* Up one level, not above the mount point. */
		char *slash = strrchr(dir, '/');
		if (strlen(dir) <= ml || !slash || (size_t)(slash - dir) < ml)
			break;
		*slash = '\0';
	}
	return best;
}

/* --- naming and sweeping ------------------------------------------------- */

static uint32_t random32(void)
{
	uint32_t r;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 16;
}

/* Remove sbx-PID-* cgroups in parent left by supervisors that are gone. */
static void sweep_stale(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		unsigned int rnd;
		int pid, end = 0;
		struct stat st;

		if (strncmp(e->d_name, "sbx-", 4) != 0 ||
		    sscanf(e->d_name, "sbx-%d-%8x%n", &pid, &rnd, &end) != 2 ||
		    e->d_name[end] != '\0' || pid <= 0 || pid == getpid())
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue; /* its supervisor may still be running */
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || now - st.st_mtime < STALE_AFTER_S)
			continue;
		(void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR); /* EBUSY when not empty */
	}
	closedir(d);
}

/* --- create -------------------------------------------------------------- */

static void reset(struct sbx_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->procs_fd[0] = cg->procs_fd[1] = -1;
	cg->self_fd[0] = cg->self_fd[1] = -1;
	cg->dir_fd = -1;
}

/* mkdir parent/name into out; 0, or -1 with errno. */
static int make_dir(char *out, size_t size, const char *parent, const char *name)
{
	if ((size_t)snprintf(out, size, "%s/%s", parent, name) >= size) {
		out[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(out, 0755) < 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static int fail_at(struct sbx_err *err, const char *what, const char *dir, const char *file)
{
	return sbx_fail(err, SBX_STEP_CGROUP, errno, "%s %s%s%s", what, dir, file ? "/" : "",
			file ? file : "");
}

static int set_limits_v2(const struct sbx_policy *pol, struct sbx_cgroup *cg, struct sbx_err *err)
{
	char num[32];

	if (cg->memory) {
		snprintf(num, sizeof(num), "%" PRIu64, pol->limits.memory_bytes);
		if (write_in(cg->mem_dir, "memory.max", num) < 0)
			return fail_at(err, "write memory limit to", cg->mem_dir, "memory.max");
		/* Swap would let the jail hold more than memory.max. No file: no swap. */
		if (write_in(cg->mem_dir, "memory.swap.max", "0") < 0 && errno != ENOENT)
			return fail_at(err, "write", cg->mem_dir, "memory.swap.max");
	}
	if (cg->pids) {
		snprintf(num, sizeof(num), "%" PRIu64, pol->limits.processes);
		if (write_in(cg->mem_dir, "pids.max", num) < 0)
			return fail_at(err, "write processes limit to", cg->mem_dir, "pids.max");
	}
	cg->procs_fd[0] = open_in(cg->mem_dir, "cgroup.procs", O_WRONLY);
	if (cg->procs_fd[0] < 0)
		return fail_at(err, "open", cg->mem_dir, "cgroup.procs");
	cg->dir_fd = open(cg->mem_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->dir_fd < 0)
		return fail_at(err, "open", cg->mem_dir, NULL);
	return 0;
}

static int set_limits_v1(const struct sbx_policy *pol, struct sbx_cgroup *cg, struct sbx_err *err)
{
	char num[32];

	if (cg->memory) {
		snprintf(num, sizeof(num), "%" PRIu64, pol->limits.memory_bytes);
		if (write_in(cg->mem_dir, "memory.limit_in_bytes", num) < 0)
			return fail_at(err, "write memory limit to", cg->mem_dir,
				       "memory.limit_in_bytes");
		/*
		 * memory+swap gets the same limit, so swap does not extend it. The
		 * file exists only with swap accounting (swapaccount=1); it must not
		 * go below limit_in_bytes, hence the order.
		 */
		if (write_in(cg->mem_dir, "memory.memsw.limit_in_bytes", num) < 0 && errno != ENOENT)
			return fail_at(err, "write", cg->mem_dir, "memory.memsw.limit_in_bytes");
		cg->procs_fd[0] = open_in(cg->mem_dir, "cgroup.procs", O_WRONLY);
		cg->self_fd[0] = open_in(cg->mem_dir, "tasks", O_WRONLY);
		if (cg->procs_fd[0] < 0 || cg->self_fd[0] < 0)
			return fail_at(err, "open", cg->mem_dir, "cgroup.procs");
	}
	if (cg->pids) {
		snprintf(num, sizeof(num), "%" PRIu64, pol->limits.processes);
		if (write_in(cg->pids_dir, "pids.max", num) < 0)
			return fail_at(err, "write processes limit to", cg->pids_dir, "pids.max");
		cg->procs_fd[1] = open_in(cg->pids_dir, "cgroup.procs", O_WRONLY);
		cg->self_fd[1] = open_in(cg->pids_dir, "tasks", O_WRONLY);
		if (cg->procs_fd[1] < 0 || cg->self_fd[1] < 0)
			return fail_at(err, "open", cg->pids_dir, "cgroup.procs");
	}
	return 0;
}

/* The v1 parent for a controller: the caller's cgroup there, if usable. */
static bool v1_parent(char *out, const char *mnt, const char *root, const char *self, bool have)
{
	out[0] = '\0';
	if (!mnt[0] || !have)
		return false;
	dir_of(out, mnt, root, self);
	if (!out[0] || !can_use(out)) {
		out[0] = '\0';
		return false;
	}
	return true;
}

/* Append to a string, truncating quietly (the why_not text may be cut). */
static void append(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *out, size_t size, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(out + len, size - len, fmt, ap);
	va_end(ap);
}

/* The why_not text: what was looked at, for the controllers that are missing. */
static void explain(char *out, size_t size, const struct cg_where *w, int missing)
{
	const char *what = missing == (CTL_MEMORY | CTL_PIDS) ? "memory+pids"
			   : missing == CTL_MEMORY		 ? "memory"
							 : "pids";
	bool mem = missing & CTL_MEMORY, pids = missing & CTL_PIDS;

	out[0] = '\0';
	if (w->v2_mnt[0])
		append(out, size, "cgroup2 at %s: no %s delegated here", w->v2_mnt, what);
	else
		append(out, size, "no cgroup2");
	if ((!mem || w->mem_mnt[0]) && (!pids || w->pids_mnt[0]))
		append(out, size, "; v1 %s: not writable", what);
	else if ((!mem || !w->mem_mnt[0]) && (!pids || !w->pids_mnt[0]))
		append(out, size, "; no v1 %s", what);
	else
		append(out, size, "; v1 %s: %s; v1 %s: %s", "memory",
		       w->mem_mnt[0] ? "not writable" : "not mounted", "pids",
		       w->pids_mnt[0] ? "not writable" : "not mounted");
}

/* Remove what a failed create made, keeping its error. */
static int undo_create(struct sbx_cgroup *cg, struct sbx_err *err)
{
	struct sbx_err keep = *err;

	sbx_cgroup_destroy(cg);
	*err = keep;
	cg->memory = cg->pids = false;
	return -1;
}

int sbx_cgroup_create(const struct sbx_policy *pol, struct sbx_cgroup *cg, struct sbx_err *err)
{
	struct cg_where *w;
	char v2_parent[PATH_MAX], mem_parent[PATH_MAX], pids_parent[PATH_MAX], name[64];
	int need = 0, v2_got, v1_got = 0, got;
	bool use_v2;

	reset(cg);
	if (pol->limits.memory_bytes > 0)
		need |= CTL_MEMORY;
	if (pol->limits.processes > 0)
		need |= CTL_PIDS;
	if (!need)
		return 0;

	w = calloc(1, sizeof(*w));
	if (!w)
		return sbx_fail(err, SBX_STEP_CGROUP, errno, "find the cgroup hierarchies");
	find_mounts(w);
	find_self(w);

	v2_got = find_v2_parent(w, need, v2_parent);
	if ((need & CTL_MEMORY) &&
	    v1_parent(mem_parent, w->mem_mnt, w->mem_root, w->mem_self, w->have_mem_self))
		v1_got |= CTL_MEMORY;
	if ((need & CTL_PIDS) &&
	    v1_parent(pids_parent, w->pids_mnt, w->pids_root, w->pids_self, w->have_pids_self))
		v1_got |= CTL_PIDS;

	/* v2 when it gives all we need (or at least as much as v1 does). */
	use_v2 = v2_got == need || (v2_got && __builtin_popcount(v2_got) >= __builtin_popcount(v1_got));
	got = use_v2 ? v2_got : v1_got;
	if (got != need) {
		explain(cg->why_not, sizeof(cg->why_not), w, need & ~got);
		if (pol->limits.require_cgroup) {
			free(w);
			sbx_fail(err, SBX_STEP_CGROUP, 0,
				 "require_cgroup = yes, but no %s cgroup can be made: %s",
				 need & ~got & CTL_MEMORY ? (need & ~got & CTL_PIDS ? "memory+pids" : "memory")
							  : "pids",
				 cg->why_not);
			sbx_hint(err, "run as root, or as a user inside a delegated cgroup v2 "
				      "subtree: systemd-run --user --scope -p Delegate=yes ...");
			return -1;
		}
	}
	free(w);
	if (!got)
		return 0;

	snprintf(name, sizeof(name), "sbx-%d-%08x", (int)getpid(), random32());
	cg->v2 = use_v2;
	if (use_v2) {
		sweep_stale(v2_parent);
		if (make_dir(cg->mem_dir, sizeof(cg->mem_dir), v2_parent, name) < 0)
			return fail_at(err, "create cgroup in", v2_parent, NULL);
		cg->memory = got & CTL_MEMORY;
		cg->pids = got & CTL_PIDS;
		if (set_limits_v2(pol, cg, err) < 0)
			goto undo;
		return 0;
	}
	if (got & CTL_MEMORY) {
		sweep_stale(mem_parent);
		if (make_dir(cg->mem_dir, sizeof(cg->mem_dir), mem_parent, name) < 0)
			return fail_at(err, "create cgroup in", mem_parent, NULL);
		cg->memory = true;
	}
	if (got & CTL_PIDS) {
		if (strcmp(pids_parent, mem_parent) != 0 || !(got & CTL_MEMORY))
			sweep_stale(pids_parent);
		if (make_dir(cg->pids_dir, sizeof(cg->pids_dir), pids_parent, name) < 0) {
			fail_at(err, "create cgroup in", pids_parent, NULL);
			goto undo;
		}
		cg->pids = true;
	}
	if (set_limits_v1(pol, cg, err) < 0)
		goto undo;
	return 0;

undo:
	return undo_create(cg, err);
}

/* --- attach -------------------------------------------------------------- */

int sbx_cgroup_attach(struct sbx_cgroup *cg, pid_t pid, struct sbx_err *err)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);

	for (int i = 0; i < 2; i++) {
		if (cg->procs_fd[i] < 0)
			continue;
		if (write(cg->procs_fd[i], buf, (size_t)len) != len)
			return sbx_fail(err, SBX_STEP_CGROUP, errno, "move pid %d into %s", (int)pid,
					i == 0 ? cg->mem_dir : cg->pids_dir);
	}
	return 0;
}

void sbx_cgroup_close_fds(const struct sbx_cgroup *cg)
{
	for (int i = 0; i < 2; i++) {
		if (cg->procs_fd[i] >= 0)
			close(cg->procs_fd[i]);
		if (cg->self_fd[i] >= 0)
			close(cg->self_fd[i]);
	}
	if (cg->dir_fd >= 0)
		close(cg->dir_fd);
}

int sbx_cgroup_attach_self(const struct sbx_cgroup *cg)
{
	int ret = 0;

	for (int i = 0; i < 2 && ret == 0; i++) {
		/* v1: "0" to tasks moves the calling thread without the global lock. */
		int fd = cg->v2 ? cg->procs_fd[i] : cg->self_fd[i];

		if (fd >= 0 && write(fd, "0", 1) != 1)
			ret = -errno;
	}
	sbx_cgroup_close_fds(cg);
	return ret;
}

/* --- stats --------------------------------------------------------------- */

void sbx_cgroup_stats(const struct sbx_cgroup *cg, struct sbx_cgroup_stats *st)
{
	char buf[1024];

	st->peak_memory_bytes = -1;
	st->oom_killed = false;
	st->pids_limited = false;
	if (cg->memory && cg->mem_dir[0]) {
		if (cg->v2) {
			/* memory.peak: Linux >= 5.19. */
			st->peak_memory_bytes = number_in(cg->mem_dir, "memory.peak");
			if (read_in(cg->mem_dir, "memory.events", buf, sizeof(buf)) > 0)
				st->oom_killed = keyed_value(buf, "oom_kill") > 0;
		} else {
			st->peak_memory_bytes = number_in(cg->mem_dir, "memory.max_usage_in_bytes");
			/* oom_control's oom_kill counter: Linux >= 4.13; before, failcnt. */
			if (read_in(cg->mem_dir, "memory.oom_control", buf, sizeof(buf)) > 0 &&
			    keyed_value(buf, "oom_kill") >= 0)
				st->oom_killed = keyed_value(buf, "oom_kill") > 0;
			else
				st->oom_killed = number_in(cg->mem_dir, "memory.failcnt") > 0;
		}
	}
	if (cg->pids) {
		const char *dir = cg->v2 ? cg->mem_dir : cg->pids_dir;

		if (dir[0] && read_in(dir, "pids.events", buf, sizeof(buf)) > 0)
			st->pids_limited = keyed_value(buf, "max") > 0;
	}
}

/* --- destroy ------------------------------------------------------------- */

/* SIGKILL every process listed in dir/cgroup.procs; how many were listed. */
static int kill_listed(const char *dir)
{
	char buf[4096];
	int n = 0;

	if (read_in(dir, "cgroup.procs", buf, sizeof(buf)) <= 0)
		return 0;
	for (char *p = buf; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0) {
			kill((pid_t)pid, SIGKILL);
			n++;
		}
		p = end + strspn(end, "\n");
	}
	return n;
}

/*
 * Empty dir and remove it. The usual case (the jail already reaped) is one
 * rmdir. Otherwise: v2's cgroup.kill (Linux >= 5.14) kills the whole subtree,
 * forks included; v1 has no such file, so kill what cgroup.procs lists until
 * the rmdir succeeds (a process leaves the cgroup when it exits, before it is
 * reaped). Gives up after DESTROY_TIMEOUT_MS (a task stuck in the kernel) and
 * leaves the directory to a later sweep.
 */
static void remove_cgroup(char *dir, bool v2)
{
	struct timespec pause = { 0, 200 * 1000 };
	long waited_ns = 0;
	bool killed_v2 = false;

	if (!dir[0])
		return;
	while (rmdir(dir) < 0) {
		if (errno != EBUSY || waited_ns > DESTROY_TIMEOUT_MS * 1000000L)
			break; /* ENOENT: already gone */
		if (v2 && !killed_v2)
			killed_v2 = write_in(dir, "cgroup.kill", "1") == 0;
		if (!killed_v2)
			kill_listed(dir);
		nanosleep(&pause, NULL);
		waited_ns += pause.tv_nsec;
		if (pause.tv_nsec < 20 * 1000 * 1000)
			pause.tv_nsec *= 2;
	}
	dir[0] = '\0';
}

void sbx_cgroup_destroy(struct sbx_cgroup *cg)
{
	sbx_cgroup_close_fds(cg);
	cg->procs_fd[0] = cg->procs_fd[1] = -1;
	cg->self_fd[0] = cg->self_fd[1] = -1;
	cg->dir_fd = -1;
	remove_cgroup(cg->mem_dir, cg->v2);
	remove_cgroup(cg->pids_dir, cg->v2);
}
