#include "rlimits.h"

#include <errno.h>
#include <sys/resource.h>

static int set_limit(int resource, const char *name, rlim_t soft, rlim_t hard, struct sbx_err *err)
{
	struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};

	if (setrlimit(resource, &rl) < 0)
		return sbx_fail(err, SBX_STEP_LIMITS, errno, "setrlimit(%s, %llu)", name,
				(unsigned long long)soft);
	return 0;
}

int sbx_limits_apply(const struct sbx_policy *pol, bool memory_in_cgroup, struct sbx_err *err)
{
	const typeof(pol->limits) *l = &pol->limits;
	uint64_t as = l->address_space_bytes;

	if (l->cpu_time_ms) {
		rlim_t s = (rlim_t)((l->cpu_time_ms + 999) / 1000);
		if (set_limit(RLIMIT_CPU, "RLIMIT_CPU", s, s + 1, err))
			return -1;
	}
	/* Without a memory cgroup, the memory limit holds per process. */
	if (l->memory_bytes && !memory_in_cgroup && (!as || l->memory_bytes < as))
		as = l->memory_bytes;
	if (as && set_limit(RLIMIT_AS, "RLIMIT_AS", as, as, err))
		return -1;
	if (l->file_size_bytes &&
	    set_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", l->file_size_bytes, l->file_size_bytes, err))
		return -1;
	if (l->open_files && set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", l->open_files, l->open_files, err))
		return -1;
	if (l->processes && set_limit(RLIMIT_NPROC, "RLIMIT_NPROC", l->processes, l->processes, err))
		return -1;
	return 0;
}
