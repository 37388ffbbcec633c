/*
 * launcher_denied: calls one syscall that the default preset denies, and
 * says what it got. `launcher_denied personality` asks for PER_LINUX32 (a
 * persona other than PER_LINUX); `launcher_denied ptrace` asks
 * PTRACE_TRACEME. Prints "NAME ok" or "NAME ERRNO", exits 0 either way:
 * under the preset with action = kill the process never gets to print.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "personality";
	long r;

	if (strcmp(what, "ptrace") == 0)
		r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else
		r = personality(PER_LINUX32);
	if (r < 0)
		printf("%s %s\n", what, strerror(errno));
	else
		printf("%s ok\n", what);
	return 0;
}
