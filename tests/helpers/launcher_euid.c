/*
 * launcher_euid: prints "ruid=N euid=N". A setuid-root copy of it, run by an
 * unprivileged user, shows whether the setuid bit gave it privilege.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("ruid=%u euid=%u\n", (unsigned)getuid(), (unsigned)geteuid());
	return 0;
}
