/*
 * sbx: run a program in the jail, whatever kind of program it is.
 *
 *     sbx [-p POLICY] [--report FILE] [-s SECTION.KEY=VALUE]... [--] PROGRAM [ARGS...]
 *     sbx --print-policy [-p POLICY] [-s ...]
 *     sbx learn [-p POLICY] [-s ...] [--] PROGRAM [ARGS...]
 *     sbx doctor [-p POLICY] [-s ...] [PROGRAM]
 *
 * main is the table of contents: read the command line, build the policy
 * (the built-in default, then -p or $SBX_POLICY, then each -s, then
 * --report), find the program on the caller's PATH, build the jail with the
 * very steps sandbox.so uses (sbx_jail_enter), and execve() the program
 * inside. The jail's PATH may be empty and its root holds only the policy's
 * binds, so the program is found outside and executed inside, by the same
 * absolute path.
 *
 * Never unjailed: sbx_jail_enter returns only in the jailed program process;
 * every failure before (policy, namespaces, mounts, ...) ends the run with
 * one `sbx: STEP: REASON` line and status 125, and so does a failed execve,
 * which is reported to the supervisor over the jail's channel. sbx itself
 * needs no sandbox.so: a missing or foreign library cannot let anything
 * run unjailed the way a failed LD_PRELOAD does.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "jail.h"
#include "launcher.h"
#include "policy.h"
#include "sbx.h"

extern char **environ;

enum command { CMD_RUN, CMD_LEARN, CMD_PRINT_POLICY, CMD_DOCTOR };

struct cmdline {
	enum command cmd;
	const char *policy_file; /* -p, else $SBX_POLICY, else NULL (built-in) */
	const char *report;	 /* --report */
	const char **sets;	 /* -s, in order */
	size_t n_sets;
	char **program;		 /* PROGRAM ARGS..., NULL-terminated (argv's tail) */
};

static const char usage_text[] =
	"usage: sbx [-p POLICY] [--report FILE] [-s SECTION.KEY=VALUE]... [--] PROGRAM [ARGS...]\n"
	"       sbx --print-policy [-p POLICY] [-s SECTION.KEY=VALUE]...\n"
	"       sbx learn [-p POLICY] [-s SECTION.KEY=VALUE]... [--] PROGRAM [ARGS...]\n"
	"       sbx doctor [-p POLICY] [-s SECTION.KEY=VALUE]... [PROGRAM]\n"
	"\n"
	"Runs PROGRAM in the sbx jail (static, setuid and Go programs too).\n"
	"  -p, --policy FILE     the INI policy (default: $SBX_POLICY, else the built-in one)\n"
	"  -s, --set S.K=V       override one policy key for this run (repeatable)\n"
	"      --report FILE     write the JSON report there ([sandbox] report)\n"
	"      --print-policy    print the effective policy, every key, and exit\n"
	"  -h, --help            this text\n"
	"  -V, --version         the version\n"
	"Exit status: the program's, or 125 when the jail could not be built\n"
	"(see sbx(1) and sandbox.ini(5)).\n";

/* A command-line mistake: one `sbx: usage:` line, status 125 like any
 * failure before the program runs. */
__attribute__((noreturn, format(printf, 1, 2))) static void usage_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sbx_say("usage: %s (sbx --help)", buf);
	_exit(SBX_EXIT_SETUP);
}

static void parse_args(int argc, char **argv, struct cmdline *cl)
{
	enum { OPT_REPORT = 256, OPT_PRINT_POLICY };
	static const struct option longopts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"set", required_argument, NULL, 's'},
		{"report", required_argument, NULL, OPT_REPORT},
		{"print-policy", no_argument, NULL, OPT_PRINT_POLICY},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int first = 1, c;

	memset(cl, 0, sizeof(*cl));
	cl->cmd = CMD_RUN;
	/* A subcommand is recognised only as the first word: `sbx -- learn`
	 * runs a program called learn. */
	if (argc > 1 && strcmp(argv[1], "learn") == 0) {
		cl->cmd = CMD_LEARN;
		first = 2;
	} else if (argc > 1 && strcmp(argv[1], "doctor") == 0) {
		cl->cmd = CMD_DOCTOR;
		first = 2;
	}
	cl->sets = calloc((size_t)argc, sizeof(*cl->sets));
	if (!cl->sets)
		usage_error("out of memory");
	/* '+': stop at the first non-option, so the program's own options
	 * (`sbx ls -l`) stay the program's. */
	optind = first;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cl->policy_file)
				usage_error("-p given twice");
			cl->policy_file = optarg;
			break;
		case 's':
			cl->sets[cl->n_sets++] = optarg;
			break;
		case OPT_REPORT:
			cl->report = optarg;
			break;
		case OPT_PRINT_POLICY:
			if (cl->cmd != CMD_RUN)
				usage_error("--print-policy is not an option of %s", argv[1]);
			cl->cmd = CMD_PRINT_POLICY;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			puts(SBX_LAUNCHER_VERSION);
			exit(0);
		case ':':
			usage_error("%s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	cl->program = argv + optind;
	switch (cl->cmd) {
	case CMD_RUN:
	case CMD_LEARN:
		if (!cl->program[0])
			usage_error("no PROGRAM to run");
		break;
	case CMD_PRINT_POLICY:
		if (cl->program[0])
			usage_error("--print-policy takes no PROGRAM (got %s)", cl->program[0]);
		break;
	case CMD_DOCTOR:
		if (cl->program[0] && cl->program[1])
			usage_error("doctor takes one PROGRAM at most");
		break;
	}
}

/*
 * The policy for this run: the built-in default, then the file (-p, else
 * $SBX_POLICY as sandbox.so reads it, so `SBX_POLICY=x sbx prog` and
 * `SBX_POLICY=x LD_PRELOAD=sandbox.so prog` mean the same), then each -s in
 * order, then --report, then the rules across keys.
 */
static int build_policy(struct sbx_policy *pol, struct cmdline *cl, const char *cwd,
			struct sbx_err *err)
{
	if (!cl->policy_file) {
		const char *env = getenv("SBX_POLICY");
		if (env && !*env)
			return sbx_fail(err, SBX_STEP_POLICY, 0, "SBX_POLICY is set but empty");
		cl->policy_file = env;
	}
	if (sbx_policy_defaults(pol, cwd, err) < 0)
		return -1;
	if (cl->policy_file && sbx_policy_load_file(pol, cl->policy_file, err) < 0)
		return -1;
	for (size_t i = 0; i < cl->n_sets; i++)
		if (sbx_policy_override(pol, cl->sets[i], err) < 0)
			return -1;
	if (cl->report) {
		/* The same as -s sandbox.report=FILE, validated the same way. */
		char *set = NULL;
		int rc;
		if (asprintf(&set, "sandbox.report=%s", cl->report) < 0)
			return sbx_fail(err, SBX_STEP_POLICY, ENOMEM, "--report");
		rc = sbx_policy_override(pol, set, err);
		free(set);
		if (rc < 0)
			return -1;
	}
	return sbx_policy_finish(pol, err);
}

/*
 * sbx started with LD_PRELOAD=sandbox.so would already be jailed by the
 * library's constructor before this main, and a second jail cannot be built
 * inside the first (its filter refuses new user namespaces). Say so plainly
 * instead of failing on a blocked clone. sandbox.so exports sbx_version;
 * sbx itself does not define it.
 */
static void refuse_preloaded(void)
{
	struct sbx_err err;

	if (!dlsym(RTLD_DEFAULT, "sbx_version"))
		return;
	sbx_fail(&err, SBX_STEP_SETUP, 0, "sbx runs under LD_PRELOAD=sandbox.so, which already jailed it");
	sbx_hint(&err, "unset LD_PRELOAD: sbx builds the jail itself");
	sbx_die(&err);
}

/* Jail this process and become PROGRAM. Never returns. */
__attribute__((noreturn)) static void run(const struct sbx_policy *pol, const struct cmdline *cl,
					   const char *cwd, enum sbx_seccomp_mode mode)
{
	struct sbx_jail_opts opts = {
		.policy_name = cl->policy_file ? cl->policy_file : "built-in",
		.envp = environ,
		.seccomp_mode = mode,
		.keep_channel = true,
	};
	struct sbx_err err;
	char *path;
	int channel;

	/* Found with the caller's PATH, before the jail replaces it. */
	if (sbx_prog_resolve(cl->program[0], getenv("PATH"), cwd, &path, &err) < 0)
		sbx_die(&err);
	channel = sbx_jail_enter(pol, &opts, &err);
	if (channel < 0)
		sbx_die(&err);
	/* Jailed: the supervisor waits outside, environ is the jail's. */
	execve(path, cl->program, environ);
	sbx_prog_exec_failed(pol, path, errno, &err);
	sbx_jail_die(channel, &err);
}

int main(int argc, char **argv)
{
	/* Static: both live until the process ends or becomes the program. */
	static struct sbx_policy pol;
	static struct cmdline cl;
	struct sbx_err err;
	char cwd[PATH_MAX];

	parse_args(argc, argv, &cl);
	if (!getcwd(cwd, sizeof(cwd))) {
		sbx_fail(&err, SBX_STEP_POLICY, errno, "getcwd");
		sbx_die(&err);
	}
	if (build_policy(&pol, &cl, cwd, &err) < 0)
		sbx_die(&err);

	switch (cl.cmd) {
	case CMD_PRINT_POLICY:
		if (sbx_policy_dump(&pol, stdout) < 0 || fflush(stdout) != 0) {
			sbx_fail(&err, SBX_STEP_POLICY, errno, "write the policy");
			sbx_die(&err);
		}
		return 0;
	case CMD_DOCTOR:
		return sbx_doctor(&pol, cl.program[0]);
	case CMD_LEARN:
		refuse_preloaded();
		run(&pol, &cl, cwd, SBX_SECCOMP_LEARN);
	case CMD_RUN:
		refuse_preloaded();
		run(&pol, &cl, cwd, SBX_SECCOMP_ENFORCE);
	}
	return SBX_EXIT_SETUP;
}
