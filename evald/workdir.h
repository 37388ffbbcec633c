/*
 * workdir: the files of a jail's home, on the host side.
 *
 * Runs in the service while the jail waits (files in) or after it is gone
 * (files out, removal), so nothing in home/ can change under it. Every lookup
 * is relative to a directory descriptor and refuses symbolic links
 * (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW): a link the program left cannot lead
 * the service out of home/.
 */
#ifndef EVALD_WORKDIR_H
#define EVALD_WORKDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jail.h"
#include "request.h"

/* Write one request file under home (creating its directories). chown_to: -1 = keep. */
int evald_workdir_write(int home_fd, const struct evald_file *f, int chown_to, char *err,
			size_t errlen);

/*
 * The regular files under home, sorted by path, each at most what is left of
 * max_bytes; a request file left unchanged is not returned. Stops at max_files
 * or max_bytes and sets *truncated.
 */
int evald_workdir_collect(int home_fd, const struct evald_request *req, size_t max_files,
			  uint64_t max_bytes, struct evald_out_file **files, size_t *n_files,
			  bool *truncated);

/* Remove name (a directory tree) under parent_fd, whatever modes the program left. */
void evald_rmtree_at(int parent_fd, const char *name);

#endif
