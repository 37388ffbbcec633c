#include "userns.h"

#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define SBX_NOBODY 65534

static int write_file(const char *path, const char *text, struct sbx_err *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	size_t len = strlen(text);

	if (fd < 0)
		return sbx_fail(err, SBX_STEP_USERNS, errno, "open %s", path);
	n = write(fd, text, len);
	if (n != (ssize_t)len) {
		int e = n < 0 ? errno : EIO;
		close(fd);
		return sbx_fail(err, SBX_STEP_USERNS, e, "write \"%.*s\" to %s", (int)strcspn(text, "\n"),
				text, path);
	}
	close(fd);
	return 0;
}

int sbx_userns_write_maps(const struct sbx_policy *pol, pid_t pid, struct sbx_err *err)
{
	char path[64], map[64];
	uid_t outside_uid = geteuid();
	gid_t outside_gid = getegid();

	if (!pol->ns.user)
		return 0;
	if (outside_uid == 0) {
		outside_uid = SBX_NOBODY;
		outside_gid = SBX_NOBODY;
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1\n", pol->sandbox.uid, (unsigned)outside_uid);
	if (write_file(path, map, err))
		return -1;
	/* An unprivileged writer must deny setgroups before it may write
	 * gid_map (user_namespaces(7), "The /proc/[pid]/setgroups file"); for
	 * root it costs nothing and keeps the jail from ever regaining groups. */
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	if (write_file(path, "deny", err))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1\n", pol->sandbox.gid, (unsigned)outside_gid);
	return write_file(path, map, err);
}

int sbx_userns_take_ids(const struct sbx_policy *pol, struct sbx_err *err)
{
	uid_t uid = pol->sandbox.uid;
	gid_t gid = pol->sandbox.gid;

	/* Keep the permitted set across the uid change, then raise the
	 * effective set again: the mounts that follow need CAP_SYS_ADMIN in
	 * our namespace, and the files they create need an owner that is
	 * mapped (EOVERFLOW otherwise). */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return sbx_fail(err, SBX_STEP_USERNS, errno, "prctl(PR_SET_KEEPCAPS)");
	if (!pol->ns.user && setgroups(0, NULL) < 0)
		return sbx_fail(err, SBX_STEP_USERNS, errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return sbx_fail(err, SBX_STEP_USERNS, errno, "setresgid(%u)", gid);
	if (setresuid(uid, uid, uid) < 0)
		return sbx_fail(err, SBX_STEP_USERNS, errno, "setresuid(%u)", uid);

	return sbx_caps_raise(err);
}
