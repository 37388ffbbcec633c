#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc declares neither capget nor capset; libcap would cost a library load
 * on every run for two system calls. */
static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	return (int)syscall(SYS_capget, &hdr, data);
}

static int caps_set(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	return (int)syscall(SYS_capset, &hdr, data);
}

int sbx_caps_raise(struct sbx_err *err)
{
	struct __user_cap_data_struct data[2];

	if (caps_get(data) < 0)
		return sbx_fail(err, SBX_STEP_CAPS, errno, "capget");
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (caps_set(data) < 0)
		return sbx_fail(err, SBX_STEP_CAPS, errno, "capset");
	return 0;
}

int sbx_caps_drop_all(struct sbx_err *err)
{
	struct __user_cap_data_struct data[2];
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * goes with the permitted set below.
	 * The kernel may know more capabilities than our headers: go on until it
	 * says EINVAL (no such capability). */
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL && cap > 0)
			break;
		return sbx_fail(err, SBX_STEP_CAPS, errno, "drop capability %d from the bounding set",
				cap);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return sbx_fail(err, SBX_STEP_CAPS, errno, "clear the ambient set");
	/* uid 0 inside must not get capabilities back through execve
	 * (capabilities(7), "The securebits flags"). */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
					     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
					     SECBIT_NO_CAP_AMBIENT_RAISE |
					     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
		  0, 0, 0) < 0)
		return sbx_fail(err, SBX_STEP_CAPS, errno, "prctl(PR_SET_SECUREBITS)");
	memset(data, 0, sizeof(data));
	if (caps_set(data) < 0)
		return sbx_fail(err, SBX_STEP_CAPS, errno, "capset to nothing");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return sbx_fail(err, SBX_STEP_CAPS, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}
