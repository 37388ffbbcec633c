#include "fds.h"

#include <errno.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

static int close_from_to(unsigned first, unsigned last)
{
	if (first > last)
		return 0;
	return (int)syscall(SYS_close_range, first, last, 0);
}

int sbx_fds_close(const struct sbx_policy *pol, int keep, struct sbx_err *err)
{
	if (!pol->sandbox.close_fds)
		return 0;
	if (keep < 3) {
		if (close_from_to(3, ~0U) < 0)
			return sbx_fail(err, SBX_STEP_FDS, errno, "close_range(3, ~0)");
		return 0;
	}
	if (close_from_to(3, (unsigned)keep - 1) < 0 || close_from_to((unsigned)keep + 1, ~0U) < 0)
		return sbx_fail(err, SBX_STEP_FDS, errno, "close_range");
	return 0;
}

int sbx_fds_new_session(struct sbx_err *err)
{
	if (setsid() < 0)
		return sbx_fail(err, SBX_STEP_FDS, errno, "setsid");
	return 0;
}
