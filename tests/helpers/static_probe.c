/*
 * static_probe: built with -static (its name holds "static"), so no loader
 * runs and LD_PRELOAD cannot reach it. Prints one line of facts the kernel
 * gives about the process, for the launcher tests to judge:
 *
 *   pid=N seccomp=N nnp=N capeff=HEX euid=N root=yes|no shadow=yes|no
 *
 * root/shadow: whether /root and /etc/shadow exist from where it stands
 * (the jail's root holds neither). With an argument, also creates that file
 * (the tests' proof that the program ran).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void status_field(const char *name, char *out, size_t size)
{
	char line[256];
	size_t len = strlen(name);
	FILE *f = fopen("/proc/self/status", "r");

	snprintf(out, size, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			char *v = line + len + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, size, "%s", v);
		}
	fclose(f);
}

static const char *exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? "yes" : "no";
}

int main(int argc, char **argv)
{
	char seccomp[32], nnp[32], capeff[32];

	if (argc > 1) {
		FILE *f = fopen(argv[1], "w");
		if (f)
			fclose(f);
	}
	status_field("Seccomp", seccomp, sizeof(seccomp));
	status_field("NoNewPrivs", nnp, sizeof(nnp));
	status_field("CapEff", capeff, sizeof(capeff));
	printf("pid=%d seccomp=%s nnp=%s capeff=%s euid=%u root=%s shadow=%s\n", (int)getpid(),
	       seccomp, nnp, capeff, (unsigned)geteuid(), exists("/root"), exists("/etc/shadow"));
	return 0;
}
