/*
 * tiocsti [--high|--tcgets]: ioctl TIOCSTI (push a character into a
 * terminal's input) on a fresh pty, or on fd 0 where no pty can be made (a
 * jail's /dev has no ptmx: the filter judges the request, not the fd).
 * --high sets the upper 32 bits of the request, which the kernel ignores
 * (the request is an unsigned int), to check the filter ignores them too.
 * --tcgets does a harmless TCGETS instead, which must work.
 * Prints "tiocsti: ok" and exits 0, or "tiocsti: ERRNO (message)" and exits 1.
 * Under the jail TIOCSTI is a blocked syscall (ioctl): status 159.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	unsigned long req = TIOCSTI;
	struct termios tio;
	char c = '\n';
	void *arg = &c;
	int fd = 0;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	long r;

	if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0) {
		int replica = open(ptsname(master), O_RDWR | O_NOCTTY);
		if (replica >= 0)
			fd = replica;
	}
	if (strcmp(mode, "--high") == 0)
		req |= 1UL << 32;
	if (strcmp(mode, "--tcgets") == 0) {
		req = TCGETS;
		arg = &tio;
	}
	r = syscall(SYS_ioctl, fd, req, arg);
	if (r < 0) {
		int e = errno;
		printf("tiocsti: %s (%s) on fd %d\n", strerrorname_np(e) ? strerrorname_np(e) : "?",
		       strerror(e), fd);
		return 1;
	}
	printf("tiocsti: ok on fd %d\n", fd);
	return 0;
}
