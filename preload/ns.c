#include "ns.h"

#include <errno.h>
#include <linux/sched.h>
#include <stdint.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Is the sysctl at path exactly value ("0", "1")? Absent: no. */
static bool sysctl_is(const char *path, const char *value)
{
	char buf[16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strcmp(buf, value) == 0;
}

/* Where user namespaces are refused, name the likely cause. */
static void userns_hint(struct sbx_err *err)
{
	if (sysctl_is("/proc/sys/kernel/unprivileged_userns_clone", "0"))
		sbx_hint(err, "kernel.unprivileged_userns_clone is 0: "
			      "sysctl -w kernel.unprivileged_userns_clone=1");
	else if (sysctl_is("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"))
		sbx_hint(err, "AppArmor restricts unprivileged user namespaces: "
			      "kernel.apparmor_restrict_unprivileged_userns is 1");
	else if (sysctl_is("/proc/sys/user/max_user_namespaces", "0"))
		sbx_hint(err, "user.max_user_namespaces is 0: sysctl -w user.max_user_namespaces=10000");
	else
		sbx_hint(err, "user namespaces refused: check the sysctls user.max_user_namespaces, "
			      "kernel.unprivileged_userns_clone, AppArmor, or a container's seccomp "
			      "profile; `sbx doctor` tells");
}

pid_t sbx_ns_clone(const struct sbx_policy *pol, int cgroup_fd, bool *in_cgroup, struct sbx_err *err)
{
	unsigned long flags = 0;
	pid_t pid = -1;

	*in_cgroup = false;
	if (pol->ns.user)
		flags |= CLONE_NEWUSER;
	if (pol->ns.mount)
		flags |= CLONE_NEWNS;
	if (pol->ns.pid)
		flags |= CLONE_NEWPID;
	if (pol->ns.net && pol->net.mode != SBX_NET_HOST)
		flags |= CLONE_NEWNET;
	if (pol->ns.ipc)
		flags |= CLONE_NEWIPC;
	if (pol->ns.uts)
		flags |= CLONE_NEWUTS;
	/* On cgroup v2 the child is born in the jail's cgroup
	 * (CLONE_INTO_CGROUP, Linux 5.7): no migration, and so none of the
	 * RCU grace period a migration waits for. Like fork(2), the child goes
	 * on on a copy of our stack (stack = 0). glibc (2.25+) caches no pid,
	 * so the child's getpid() is right. */
	if (cgroup_fd >= 0) {
		struct clone_args args = {
			.flags = flags | CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)cgroup_fd,
		};
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0)
			*in_cgroup = true;
		else if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			goto failed;
	}
	/* The raw call: glibc's clone() wants a new stack, fork() takes no flags. */
	if (pid < 0)
		pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid >= 0)
		return pid;
failed:;
	int e = errno;
	sbx_fail(err, SBX_STEP_NS, e, "clone(%s%s%s%s%s%s)", flags & CLONE_NEWUSER ? "user " : "",
		 flags & CLONE_NEWNS ? "mount " : "", flags & CLONE_NEWPID ? "pid " : "",
		 flags & CLONE_NEWNET ? "net " : "", flags & CLONE_NEWIPC ? "ipc " : "",
		 flags & CLONE_NEWUTS ? "uts" : "");
	if ((e == EPERM || e == ENOSPC || e == EACCES) && pol->ns.user)
		userns_hint(err);
	else if (e == EPERM && !pol->ns.user)
		sbx_hint(err, "[namespaces] user = no needs root");
	return -1;
}

int sbx_ns_enter_cgroup(const struct sbx_policy *pol, struct sbx_err *err)
{
	if (pol->ns.cgroup && unshare(CLONE_NEWCGROUP) < 0)
		return sbx_fail(err, SBX_STEP_NS, errno, "unshare(CLONE_NEWCGROUP)");
	return 0;
}

int sbx_ns_hostname(const struct sbx_policy *pol, struct sbx_err *err)
{
	const char *name = pol->sandbox.hostname;

	if (!pol->ns.uts || !name || !*name)
		return 0;
	if (sethostname(name, strlen(name)) < 0)
		return sbx_fail(err, SBX_STEP_HOSTNAME, errno, "sethostname(%s)", name);
	return 0;
}
