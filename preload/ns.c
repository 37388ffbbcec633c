#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where user namespaces are refused, name the likely cause. */
static void userns_hint(struct sbx_err *err)
{
	char buf[8] = "";
	int fd = open("/proc/sys/kernel/unprivileged_userns_clone", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && buf[0] == '0') {
			sbx_hint(err, "kernel.unprivileged_userns_clone is 0: "
				      "sysctl -w kernel.unprivileged_userns_clone=1");
			return;
		}
	}
	fd = open("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && buf[0] == '1') {
			sbx_hint(err, "AppArmor restricts unprivileged user namespaces: "
				      "kernel.apparmor_restrict_unprivileged_userns is 1");
			return;
		}
	}
	fd = open("/proc/sys/user/max_user_namespaces", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && buf[0] == '0' && (n == 1 || buf[1] == '\n')) {
			sbx_hint(err, "user.max_user_namespaces is 0: sysctl -w user.max_user_namespaces=10000");
			return;
		}
	}
	sbx_hint(err, "user namespaces refused: check the sysctls user.max_user_namespaces, "
		      "kernel.unprivileged_userns_clone, AppArmor, or a container's seccomp profile; "
		      "`sbx doctor` tells");
}

pid_t sbx_ns_clone(const struct sbx_policy *pol, struct sbx_err *err)
{
	unsigned long flags = SIGCHLD;
	pid_t pid;

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
	/* clone(2) as fork(2) does it: the child goes on on a copy of our stack.
	 * The raw call, since glibc's clone() wants a new stack and fork()
	 * takes no flags. glibc (2.25+) caches no pid, so the child's getpid()
	 * is right. */
	pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid < 0) {
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
	return pid;
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
