/*
 * workdir: files in and out of a jail's home, and removal of a per-run
 * directory, all through *at(2) calls on directory descriptors.
 */
#include "workdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How deep and how many entries a collection walks: a program may leave a million. */
#define WALK_MAX_DEPTH 32
#define WALK_MAX_ENTRIES 10000

int evald_workdir_write(int home_fd, const struct evald_file *f, int chown_to, char *err,
			size_t errlen)
{
	char *path = strdup(f->path), *p, *slash;
	int dir = dup(home_fd), fd = -1, rc = -1;
	size_t off = 0;

	if (!path || dir < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	p = path;
	/* The path was validated (no "..", ".", empty parts): each part is a name. */
	while ((slash = strchr(p, '/'))) {
		int next;

		*slash = '\0';
		if (mkdirat(dir, p, 0755) == 0) {
			if (chown_to >= 0 && fchownat(dir, p, (uid_t)chown_to, (gid_t)chown_to,
						      AT_SYMLINK_NOFOLLOW) < 0) {
				snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
				goto out;
			}
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
			goto out;
		}
		next = openat(dir, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			snprintf(err, errlen, "%s: %s", path,
				 errno == ENOTDIR ? "a file of the request is in the way" :
						    strerror(errno));
			goto out;
		}
		close(dir);
		dir = next;
		*slash = '/';
		p = slash + 1;
	}
	fd = openat(dir, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", f->path,
			 errno == EEXIST ? "a directory of another file is in the way" :
					   strerror(errno));
		goto out;
	}
	while (off < f->size) {
		ssize_t w = write(fd, f->data + off, f->size - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "write %s: %s", f->path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (chown_to >= 0 && fchown(fd, (uid_t)chown_to, (gid_t)chown_to) < 0) {
		snprintf(err, errlen, "chown %s: %s", f->path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	free(path);
	return rc;
}

struct walk {
	const struct evald_request *req;
	size_t max_files;
	uint64_t left_bytes;
	struct evald_out_file *files;
	size_t n_files, cap;
	size_t entries;
	bool truncated;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool unchanged_input(const struct walk *w, const char *path, const unsigned char *data,
			    size_t size)
{
	size_t i;

	for (i = 0; i < w->req->n_files; i++) {
		const struct evald_file *f = &w->req->files[i];

		if (strcmp(f->path, path) == 0)
			return f->size == size && memcmp(f->data, data, size) == 0;
	}
	return false;
}

static void take_file(struct walk *w, int dir, const char *name, const char *path,
		      const struct stat *st)
{
	struct evald_out_file *f;
	unsigned char *data;
	size_t got = 0;
	int fd;

	if (w->n_files >= w->max_files || (uint64_t)st->st_size > w->left_bytes) {
		w->truncated = true;
		return;
	}
	/* O_NONBLOCK: should this be a FIFO after all, open must not wait. */
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	data = malloc((size_t)st->st_size + 1);
	if (!data) {
		close(fd);
		return;
	}
	while (got < (size_t)st->st_size) {
		ssize_t r = read(fd, data + got, (size_t)st->st_size - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (unchanged_input(w, path, data, got)) {
		free(data);
		return;
	}
	if (w->n_files == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		struct evald_out_file *nf = realloc(w->files, cap * sizeof(*nf));

		if (!nf) {
			free(data);
			return;
		}
		w->files = nf;
		w->cap = cap;
	}
	f = &w->files[w->n_files];
	f->path = strdup(path);
	if (!f->path) {
		free(data);
		return;
	}
	f->data = data;
	f->size = got;
	w->n_files++;
	w->left_bytes -= got;
}

static void walk_dir(struct walk *w, int dir, const char *prefix, int depth)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++w->entries > WALK_MAX_ENTRIES) {
			w->truncated = true;
			break;
		}
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));

			if (!nn)
				break;
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", names[i]);
		/* Symbolic links are skipped, never followed. */
		if (fstatat(dir, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			take_file(w, dir, names[i], path, &st);
		} else if (S_ISDIR(st.st_mode) && depth < WALK_MAX_DEPTH) {
			int sub = openat(dir, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				walk_dir(w, sub, path, depth + 1);
				close(sub);
			}
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int evald_workdir_collect(int home_fd, const struct evald_request *req, size_t max_files,
			  uint64_t max_bytes, struct evald_out_file **files, size_t *n_files,
			  bool *truncated)
{
	struct walk w = { .req = req, .max_files = max_files, .left_bytes = max_bytes };

	walk_dir(&w, home_fd, "", 0);
	*files = w.files;
	*n_files = w.n_files;
	*truncated = w.truncated;
	return 0;
}

/*
 * Unlink everything in dir but directories; return the name of the first
 * directory found (malloc'd), or NULL when dir holds none.
 */
static char *empty_but_dirs(int dir)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	char *sub = NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (!sub && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dir, e->d_name, 0) < 0 && errno == EISDIR)
			sub = strdup(e->d_name);
	}
	closedir(d);
	return sub;
}

/* The name of the entry of parent that is the directory (dev, ino). */
static char *name_of(int parent, dev_t dev, ino_t ino)
{
	int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	char *name = NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (!name && (e = readdir(d))) {
		struct stat st;

		if (e->d_ino != ino || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, ".") == 0)
			continue;
		if (fstatat(parent, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == dev &&
		    st.st_ino == ino)
			name = strdup(e->d_name);
	}
	closedir(d);
	return name;
}

/*
 * Empty the tree under top without recursion and holding one descriptor:
 * go down to a directory with no subdirectory, empty it, go up through ".."
 * and remove it. A program can leave a tree deeper than we have descriptors
 * or stack; the tree no longer changes (the jail is gone), so ".." is safe.
 */
static void empty_tree(int top)
{
	struct stat top_st, st;
	int cur = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long steps = 0;

	if (cur < 0 || fstat(top, &top_st) < 0)
		goto out;
	while (steps++ < 4000000) {
		char *sub = empty_but_dirs(cur), *name;
		int next;

		if (sub) {
			/* Whatever mode the program left, we may enter and empty it. */
			if (fchmodat(cur, sub, 0700, 0) < 0) {
				/* openat below says whether it matters. */
			}
			next = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0) {
				int gone = unlinkat(cur, sub, AT_REMOVEDIR);

				free(sub);
				if (gone < 0)
					goto out; /* neither enterable nor removable: give up */
				continue;
			}
			free(sub);
			close(cur);
			cur = next;
			continue;
		}
		if (fstat(cur, &st) < 0)
			goto out;
		if (st.st_dev == top_st.st_dev && st.st_ino == top_st.st_ino)
			goto out; /* back at the top, which is empty */
		next = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next < 0)
			goto out;
		close(cur);
		cur = next;
		name = name_of(cur, st.st_dev, st.st_ino);
		if (!name || unlinkat(cur, name, AT_REMOVEDIR) < 0) {
			free(name);
			goto out;
		}
		free(name);
	}
out:
	if (cur >= 0)
		close(cur);
}

void evald_rmtree_at(int parent_fd, const char *name)
{
	int fd;

	if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0)
		return;
	if (fchmodat(parent_fd, name, 0700, 0) < 0) {
		/* openat below says whether it matters. */
	}
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		unlinkat(parent_fd, name, 0);
		return;
	}
	empty_tree(fd);
	close(fd);
	unlinkat(parent_fd, name, AT_REMOVEDIR);
}
