#include "net.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int loopback_up(struct sbx_err *err)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return sbx_fail(err, SBX_STEP_NET, errno, "socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
		int e = errno;
		close(fd);
		return sbx_fail(err, SBX_STEP_NET, e, "bring lo up");
	}
	close(fd);
	return 0;
}

int sbx_net_setup(const struct sbx_policy *pol, struct sbx_err *err)
{
	switch (pol->net.mode) {
	case SBX_NET_NONE:
	case SBX_NET_HOST:
		return 0;
	case SBX_NET_LOOPBACK:
		return loopback_up(err);
	case SBX_NET_EGRESS:
		return 0; /* egress.c: the stack and its filter */
	}
	return sbx_fail(err, SBX_STEP_NET, 0, "unknown [net] mode %d", (int)pol->net.mode);
}
