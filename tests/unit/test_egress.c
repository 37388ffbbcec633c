/*
 * test_egress: [net] mode = egress (preload/egress.c).
 *
 * Run with no argument (as tests/run.sh does), it checks what needs no
 * network at all: the plan, the refusals with their hints, a stack that
 * cannot start. It never starts pasta in a namespace it can leave packets
 * from, so nothing it does reaches beyond this machine.
 *
 * `test_egress run POLICY -- CMD...` is a small jail of its own, for
 * tests/integration/egress.sh inside its private world (and for measuring):
 * a child in new user, mount and network namespaces, the supervisor's calls
 * in the order egress.h gives, the policy's ids, no capability, then CMD.
 * It exits with CMD's status (128+N for a signal), or 125 and `sbx: ...`.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "check.h"
#include "egress.h"
#include "policy.h"
#include "sbx.h"
#include "userns.h"

static int load(struct sbx_policy *pol, const char *text, struct sbx_err *err)
{
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	if (sbx_policy_defaults(pol, cwd, err) < 0)
		return -1;
	if (text && sbx_policy_load_text(pol, text, strlen(text), "test.ini", err) < 0)
		return -1;
	return sbx_policy_finish(pol, err);
}

/* The sbx: line that err would print. */
static const char *said(const struct sbx_err *err)
{
	static char line[1024];
	size_t n = sbx_err_format(err, line, sizeof(line));

	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

static void check_none(void)
{
	struct sbx_policy pol;
	struct sbx_egress *eg = (struct sbx_egress *)&pol; /* must be reset */
	struct sbx_err err;
	int64_t sent = 7, received = 7;

	CHECK(load(&pol, "[net]\nmode = none\n", &err) == 0, "egress/policy none loads");
	CHECK(sbx_egress_prepare(&pol, &eg, &err) == 0 && eg == NULL,
	      "egress/mode none: prepare does nothing");
	CHECK(sbx_egress_start(NULL, 1, &err) == 0 && sbx_egress_rules(NULL, &err) == 0,
	      "egress/mode none: start and rules do nothing");
	sbx_egress_stop(NULL, &sent, &received);
	CHECK(sent == -1 && received == -1, "egress/mode none: no byte counts");
	CHECK(sbx_egress_resolv_conf(NULL) == NULL, "egress/mode none: no resolv.conf");
	sbx_policy_free(&pol);
}

static bool stack_present(void)
{
	return access("/usr/bin/pasta", X_OK) == 0 || access("/usr/local/bin/pasta", X_OK) == 0;
}

static void check_plan(void)
{
	struct sbx_policy pol;
	struct sbx_egress *eg = NULL;
	struct sbx_err err;
	const char *rc;

	/* Numeric entries only: resolving a name here could ask a resolver
	 * beyond this machine. */
	CHECK(load(&pol,
		   "[net]\nmode = egress\nallow = 198.51.100.10:443\nallow = [2001:db8::/32]:80\n"
		   "deny = 198.18.0.0/15\ndns = 192.0.2.53\n",
		   &err) == 0,
	      "egress/policy egress loads");
	if (!stack_present()) {
		printf("SKIP egress/plan: no pasta on this machine\n");
		sbx_policy_free(&pol);
		return;
	}
	if (sbx_egress_prepare(&pol, &eg, &err) < 0) {
		CHECK(strstr(said(&err), "tun") != NULL, "egress/prepare fails only on tun: %s",
		      said(&err));
		sbx_policy_free(&pol);
		return;
	}
	CHECK(eg != NULL, "egress/prepare makes a plan");
	rc = sbx_egress_resolv_conf(eg);
	CHECK(rc && strstr(rc, "nameserver 192.0.2.53\n"), "egress/resolv.conf names [net] dns");
	CHECK(rc && !strstr(rc, "nameserver 127."), "egress/resolv.conf names no loopback");
	sbx_egress_stop(eg, NULL, NULL);
	sbx_policy_free(&pol);

	CHECK(load(&pol, "[namespaces]\nuser = no\n[net]\nmode = egress\n", &err) == 0,
	      "egress/policy without a user namespace loads");
	eg = NULL;
	CHECK(sbx_egress_prepare(&pol, &eg, &err) < 0 && eg == NULL &&
		      strstr(err.detail, "[namespaces] user = yes"),
	      "egress/needs a user namespace: %s", said(&err));
	sbx_policy_free(&pol);

	CHECK(load(&pol, "[net]\nmode = egress\ndns = 127.0.0.1\n", &err) == 0,
	      "egress/policy with a loopback dns loads");
	eg = NULL;
	CHECK(sbx_egress_prepare(&pol, &eg, &err) < 0 && eg == NULL &&
		      strcmp(err.step, SBX_STEP_NET) == 0 && strstr(err.detail, "dns = 127.0.0.1:") &&
		      err.hint[0],
	      "egress/a loopback dns is refused with a hint: %s", said(&err));
	sbx_policy_free(&pol);
}

/* As nobody, with /dev/net/tun at 0600 (as this machine has it): a clear
 * refusal that says what to do. Run in a child, since the ids do not come back. */
static void check_tun_refused(void)
{
	struct stat st;
	int fds[2], status;
	pid_t pid;
	char line[1024] = "";
	ssize_t n;

	if (geteuid() != 0 || stat("/dev/net/tun", &st) < 0 || (st.st_mode & 0006) == 0006 ||
	    !stack_present()) {
		printf("SKIP egress/tun refused: needs root and /dev/net/tun closed to others\n");
		return;
	}
	if (pipe(fds) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct sbx_policy pol;
		struct sbx_egress *eg = NULL;
		struct sbx_err err;

		close(fds[0]);
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		if (load(&pol, "[net]\nmode = egress\ndns = 192.0.2.53\n", &err) < 0)
			_exit(3);
		if (sbx_egress_prepare(&pol, &eg, &err) == 0)
			_exit(4);
		sbx_err_format(&err, line, sizeof(line));
		_exit(write(fds[1], line, strlen(line)) > 0 ? 0 : 5);
	}
	close(fds[1]);
	n = read(fds[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		      strncmp(line, "sbx: net: ", 10) == 0 && strstr(line, "/dev/net/tun") &&
		      strstr(line, "chmod 0666 /dev/net/tun"),
	      "egress/tun closed to the caller: refused with the fix: %s", line);
}

/*
 * A stack that cannot start fails start() with pasta's reason. The target is
 * a zombie in new namespaces: its namespaces are gone, so pasta stops at
 * once, before making anything.
 */
static void check_start_fails(void)
{
	struct sbx_policy pol;
	struct sbx_egress *eg = NULL;
	struct sbx_err err;
	int64_t sent = 0, received = 0;
	pid_t zombie;

	if (!stack_present() || load(&pol, "[net]\nmode = egress\ndns = 192.0.2.53\n", &err) < 0)
		return;
	if (sbx_egress_prepare(&pol, &eg, &err) < 0) {
		printf("SKIP egress/start fails: %s\n", said(&err));
		sbx_policy_free(&pol);
		return;
	}
	zombie = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL,
				NULL);
	if (zombie == 0)
		_exit(0);
	usleep(50000);
	CHECK(sbx_egress_start(eg, zombie, &err) < 0 && strcmp(err.step, SBX_STEP_NET) == 0 &&
		      strstr(err.detail, "pasta"),
	      "egress/a stack that cannot start: %s", said(&err));
	waitpid(zombie, NULL, 0);
	sbx_egress_stop(eg, &sent, &received);
	CHECK(sent == -1 && received == -1, "egress/no byte counts without a stack");
	sbx_policy_free(&pol);
}

/* ---- run: the small jail ---- */

static __attribute__((noreturn)) void die(const struct sbx_err *err)
{
	sbx_die(err);
}

/*
 * The jail's /etc/resolv.conf: a file on a detached tmpfs of our own
 * (fsmount(2): no directory of the host is needed to hold it), bound on top
 * of the host's, in our private mount namespace.
 */
static int put_resolv_conf(const char *text, struct sbx_err *err)
{
	size_t len = strlen(text);
	int fs, mnt, fd, tree;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return sbx_fail(err, SBX_STEP_MOUNT, errno, "make / private");
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return sbx_fail(err, SBX_STEP_MOUNT, errno, "tmpfs for resolv.conf");
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return sbx_fail(err, SBX_STEP_MOUNT, errno, "fsmount");
	fd = openat(mnt, "resolv.conf", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return sbx_fail(err, SBX_STEP_MOUNT, errno, "write resolv.conf");
	close(fd);
	tree = open_tree(mnt, "resolv.conf", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0 || move_mount(tree, "", AT_FDCWD, "/etc/resolv.conf", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return sbx_fail(err, SBX_STEP_MOUNT, errno, "bind resolv.conf on /etc/resolv.conf");
	close(tree);
	close(mnt);
	close(fs);
	return 0;
}

static int run(int argc, char **argv)
{
	struct sbx_policy pol;
	struct sbx_egress *eg = NULL;
	struct sbx_err err;
	char cwd[PATH_MAX], go;
	int gate[2], status, cmd = 0;
	int64_t sent, received;
	pid_t child;

	for (int i = 3; i < argc; i++)
		if (strcmp(argv[i], "--") == 0 && i + 1 < argc)
			cmd = i + 1;
	if (argc < 5 || !cmd) {
		fprintf(stderr, "usage: test_egress run POLICY -- CMD...\n");
		return 2;
	}
	if (!getcwd(cwd, sizeof(cwd)) || sbx_policy_defaults(&pol, cwd, &err) < 0 ||
	    sbx_policy_load_file(&pol, argv[2], &err) < 0 || sbx_policy_finish(&pol, &err) < 0)
		die(&err);
	if (pol.net.mode != SBX_NET_EGRESS) {
		fprintf(stderr, "test_egress: the policy's [net] mode is not egress\n");
		return 2;
	}

	/* supervisor, before the clone */
	if (sbx_egress_prepare(&pol, &eg, &err) < 0)
		die(&err);
	if (pipe2(gate, O_CLOEXEC) < 0) {
		sbx_fail(&err, SBX_STEP_SETUP, errno, "pipe");
		die(&err);
	}
	child = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | SIGCHLD, NULL,
			       NULL, NULL, NULL);
	if (child < 0) {
		sbx_fail(&err, SBX_STEP_NS, errno, "clone");
		die(&err);
	}
	if (child == 0) {
		/* init, in the jail's namespaces: wait for the maps and the stack */
		close(gate[1]);
		if (read(gate[0], &go, 1) != 1)
			_exit(SBX_EXIT_SETUP);
		if (sbx_userns_take_ids(&pol, &err) < 0 || sbx_egress_rules(eg, &err) < 0 ||
		    put_resolv_conf(sbx_egress_resolv_conf(eg), &err) < 0 ||
		    sbx_caps_drop_all(&err) < 0)
			die(&err);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() == 1) {
			sbx_fail(&err, SBX_STEP_INIT, errno, "prctl");
			die(&err);
		}
		execvp(argv[cmd], argv + cmd);
		sbx_fail(&err, SBX_STEP_EXEC, errno, "%s", argv[cmd]);
		die(&err);
	}

	/* supervisor, after the clone: maps, then the stack, then go */
	close(gate[0]);
	if (sbx_userns_write_maps(&pol, child, &err) < 0 || sbx_egress_start(eg, child, &err) < 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		sbx_egress_stop(eg, NULL, NULL);
		die(&err);
	}
	if (write(gate[1], "g", 1) != 1) {
		sbx_fail(&err, SBX_STEP_SUPERVISOR, errno, "release the child");
		die(&err);
	}
	close(gate[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	sbx_egress_stop(eg, &sent, &received);
	fprintf(stderr, "test_egress: bytes sent %lld received %lld\n", (long long)sent,
		(long long)received);
	sbx_policy_free(&pol);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return run(argc, argv);
	check_none();
	check_plan();
	check_tun_refused();
	check_start_fails();
	return CHECK_DONE();
}
