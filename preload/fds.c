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

int sbx_fds_close(const struct sbx_policy *pol, int keep_a, int keep_b, struct sbx_err *err)
{
	int keep[2] = {keep_a < keep_b ? keep_a : keep_b, keep_a < keep_b ? keep_b : keep_a};
	unsigned from = 3;

	if (!pol->sandbox.close_fds)
		return 0;
	/* Close everything from 3 up, around the (at most two) kept ones. */
	for (int i = 0; i < 2; i++) {
		if (keep[i] < (int)from)
			continue;
		if (close_from_to(from, (unsigned)keep[i] - 1) < 0)
			return sbx_fail(err, SBX_STEP_FDS, errno, "close_range(%u, %d)", from, keep[i] - 1);
		from = (unsigned)keep[i] + 1;
	}
	if (close_from_to(from, ~0U) < 0)
		return sbx_fail(err, SBX_STEP_FDS, errno, "close_range(%u, ~0)", from);
	return 0;
}

int sbx_fds_new_session(struct sbx_err *err)
{
	if (setsid() < 0)
		return sbx_fail(err, SBX_STEP_FDS, errno, "setsid");
	return 0;
}
