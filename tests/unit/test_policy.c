/*
 * test_policy: the policy parser alone (no jail): every key, every kind of
 * error with its FILE:LINE and key, the defaults against the contract, list
 * replacement, paths, overrides, contradictions and the dump round trip.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "policy.h"
#include "sbx.h"

#define CWD "/home/u/proj"

static char last_msg[1024];

static void remember(const struct sbx_err *err)
{
	sbx_err_format(err, last_msg, sizeof(last_msg));
	size_t n = strlen(last_msg);
	if (n && last_msg[n - 1] == '\n')
		last_msg[n - 1] = '\0';
}

/* defaults + text (as "t.ini") + finish. 0 = valid; else last_msg holds the error. */
static int parse(struct sbx_policy *pol, const char *text)
{
	struct sbx_err err = {0};

	last_msg[0] = '\0';
	if (sbx_policy_defaults(pol, CWD, &err) ||
	    (text && sbx_policy_load_text(pol, text, strlen(text), "t.ini", &err)) ||
	    sbx_policy_finish(pol, &err)) {
		remember(&err);
		return -1;
	}
	return 0;
}

/* The text must be refused with a message containing want. */
static void expect_err(const char *name, const char *text, const char *want)
{
	struct sbx_policy pol;
	int rc = parse(&pol, text);

	CHECK(rc == -1 && strstr(last_msg, want) != NULL, "%s: error has '%s' (got '%s')", name,
	      want, rc ? last_msg : "no error");
	sbx_policy_free(&pol);
}

static void expect_ok(const char *name, const char *text)
{
	struct sbx_policy pol;
	int rc = parse(&pol, text);

	CHECK(rc == 0, "%s: accepted%s%s", name, rc ? ": " : "", rc ? last_msg : "");
	sbx_policy_free(&pol);
}

/* Apply overrides (NULL-terminated) on defaults + text; then finish. */
static int parse_s(struct sbx_policy *pol, const char *text, const char *const *overrides)
{
	struct sbx_err err = {0};

	last_msg[0] = '\0';
	if (sbx_policy_defaults(pol, CWD, &err) ||
	    (text && sbx_policy_load_text(pol, text, strlen(text), "t.ini", &err)))
		goto bad;
	for (; overrides && *overrides; overrides++)
		if (sbx_policy_override(pol, *overrides, &err))
			goto bad;
	if (sbx_policy_finish(pol, &err))
		goto bad;
	return 0;
bad:
	remember(&err);
	return -1;
}

static char *dump(const struct sbx_policy *pol)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (sbx_policy_dump(pol, f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

/* ---- the defaults are the contract's ---- */

static void test_defaults(void)
{
	struct sbx_policy p;
	int rc = parse(&p, NULL);

	CHECK(rc == 0, "defaults: parse and finish%s%s", rc ? ": " : "", last_msg);
	if (rc) {
		sbx_policy_free(&p);
		return;
	}
	CHECK(strcmp(p.caller_cwd, CWD) == 0, "defaults: caller_cwd kept");
	CHECK(strcmp(p.sandbox.hostname, "sandbox") == 0, "defaults: hostname = sandbox");
	CHECK(p.sandbox.uid == 65534 && p.sandbox.gid == 65534, "defaults: uid = gid = 65534");
	CHECK(strcmp(p.sandbox.cwd, "") == 0, "defaults: cwd empty (the caller's)");
	CHECK(p.sandbox.bind_cwd == SBX_BIND_CWD_RO, "defaults: bind_cwd = ro");
	CHECK(!p.sandbox.keep_env, "defaults: keep_env = no");
	CHECK(p.sandbox.n_env == 1 && strcmp(p.sandbox.env[0], "LANG=C.UTF-8") == 0,
	      "defaults: env = LANG=C.UTF-8");
	CHECK(p.sandbox.n_pass_env == 1 && strcmp(p.sandbox.pass_env[0], "HF_HOME") == 0,
	      "defaults: pass_env = HF_HOME");
	CHECK(p.sandbox.close_fds, "defaults: close_fds = yes");
	CHECK(p.sandbox.log == SBX_LOG_WARN, "defaults: log = warn");
	CHECK(p.sandbox.report == NULL, "defaults: report empty");
	CHECK(p.ns.user && p.ns.mount && p.ns.pid && p.ns.net && p.ns.ipc && p.ns.uts &&
		      p.ns.cgroup,
	      "defaults: every namespace yes");
	CHECK(p.fs.root_size_bytes == 16ULL << 20, "defaults: root_size = 16M");
	CHECK(p.fs.n_mounts == 2, "defaults: two mounts (ro /usr, tmpfs /tmp)");
	if (p.fs.n_mounts == 2) {
		const struct sbx_mount *ro = &p.fs.mounts[0], *tmp = &p.fs.mounts[1];
		CHECK(ro->kind == SBX_MOUNT_RO && strcmp(ro->src, "/usr") == 0 &&
			      strcmp(ro->dst, "/usr") == 0 && !ro->optional,
		      "defaults: ro = /usr");
		CHECK(tmp->kind == SBX_MOUNT_TMPFS && tmp->src == NULL &&
			      strcmp(tmp->dst, "/tmp") == 0 && tmp->size_bytes == 64ULL << 20,
		      "defaults: tmpfs = /tmp:64M");
		CHECK(ro->origin.line == 0 && strcmp(ro->origin.file, "built-in") == 0,
		      "defaults: origin is built-in, line 0");
	}
	CHECK(p.fs.proc && p.fs.dev, "defaults: proc = dev = yes");
	CHECK(p.limits.wall_time_ms == 6000 && strcmp(p.limits.wall_time_text, "6") == 0,
	      "defaults: wall_time = 6");
	CHECK(p.limits.cpu_time_ms == 5000 && strcmp(p.limits.cpu_time_text, "5") == 0,
	      "defaults: cpu_time = 5");
	CHECK(p.limits.memory_bytes == 256ULL << 20 && strcmp(p.limits.memory_text, "256M") == 0,
	      "defaults: memory = 256M");
	CHECK(p.limits.address_space_bytes == 0, "defaults: address_space = 0");
	CHECK(p.limits.processes == 32, "defaults: processes = 32");
	CHECK(!p.limits.require_cgroup, "defaults: require_cgroup = no");
	CHECK(p.limits.file_size_bytes == 16ULL << 20, "defaults: file_size = 16M");
	CHECK(p.limits.open_files == 256, "defaults: open_files = 256");
	CHECK(p.net.mode == SBX_NET_NONE, "defaults: mode = none");
	CHECK(p.net.n_allow == 0 && p.net.n_deny == 0 && p.net.dns == NULL,
	      "defaults: no net allow/deny/dns");
	CHECK(p.seccomp.preset == SBX_PRESET_DEFAULT, "defaults: preset = default");
	CHECK(p.seccomp.n_deny == 0 && p.seccomp.n_allow == 0, "defaults: no deny/allow");
	CHECK(p.seccomp.action == SBX_ACTION_KILL, "defaults: action = kill");
	CHECK(p.n_explicit_keys == 0 && !sbx_policy_is_explicit(&p, "sandbox.hostname"),
	      "defaults: nothing explicit");
	CHECK(strcmp(sbx_net_mode_name(SBX_NET_EGRESS), "egress") == 0 &&
		      strcmp(sbx_log_level_name(SBX_LOG_DEBUG), "debug") == 0,
	      "enum names");
	sbx_policy_free(&p);

	/* An empty file and a file of comments change nothing. */
	struct sbx_policy a, b;
	char *da, *db;
	parse(&a, NULL);
	rc = parse(&b, "; nothing\n# at all\n\n[limits] ; empty section\n");
	da = dump(&a);
	db = dump(&b);
	CHECK(rc == 0 && da && db && strcmp(da, db) == 0, "defaults: a comments-only file is the default");
	free(da);
	free(db);
	sbx_policy_free(&a);
	sbx_policy_free(&b);

	/* The caller's cwd must be absolute. */
	struct sbx_err err = {0};
	CHECK(sbx_policy_defaults(&a, "relative", &err) == -1, "defaults: relative caller cwd refused");
	sbx_policy_free(&a);
}

/* ---- every key, valid values ---- */

static void test_sandbox_keys(void)
{
	struct sbx_policy p;
	int rc = parse(&p, "[sandbox]\n"
			   "hostname = box-1.example\n"
			   "uid = 0\n"
			   "gid = 4294967294\n"
			   "cwd = /work//dir/./sub/\n"
			   "bind_cwd = rw\n"
			   "keep_env = yes\n"
			   "env = A=1\n"
			   "env = B=x=y z\n"
			   "env = EMPTY=\n"
			   "pass_env = HOME\n"
			   "pass_env = _X1\n"
			   "pass_env = HOME\n"
			   "close_fds = no\n"
			   "log = debug\n"
			   "report = out/report.json\n");

	CHECK(rc == 0, "sandbox keys: accepted%s%s", rc ? ": " : "", last_msg);
	if (rc == 0) {
		CHECK(strcmp(p.sandbox.hostname, "box-1.example") == 0, "hostname set");
		CHECK(p.sandbox.uid == 0 && p.sandbox.gid == 4294967294U, "uid 0, gid 2^32-2");
		CHECK(strcmp(p.sandbox.cwd, "/work/dir/sub") == 0, "cwd normalised: %s",
		      p.sandbox.cwd);
		CHECK(p.sandbox.bind_cwd == SBX_BIND_CWD_RW, "bind_cwd = rw");
		CHECK(p.sandbox.keep_env && !p.sandbox.close_fds, "keep_env yes, close_fds no");
		CHECK(p.sandbox.n_env == 3 && strcmp(p.sandbox.env[0], "A=1") == 0 &&
			      strcmp(p.sandbox.env[1], "B=x=y z") == 0 &&
			      strcmp(p.sandbox.env[2], "EMPTY=") == 0,
		      "env: file replaces the default list, in order");
		CHECK(p.sandbox.n_pass_env == 2 && strcmp(p.sandbox.pass_env[0], "HOME") == 0 &&
			      strcmp(p.sandbox.pass_env[1], "_X1") == 0,
		      "pass_env: replaced, a repeated name kept once");
		CHECK(p.sandbox.log == SBX_LOG_DEBUG, "log = debug");
		CHECK(p.sandbox.report && strcmp(p.sandbox.report, CWD "/out/report.json") == 0,
		      "report: relative path resolved against the caller's cwd");
		CHECK(sbx_policy_is_explicit(&p, "sandbox.env") &&
			      sbx_policy_is_explicit(&p, "sandbox.report") &&
			      !sbx_policy_is_explicit(&p, "namespaces.net"),
		      "explicit keys recorded");
	}
	sbx_policy_free(&p);

	static const char *const levels[] = {"quiet", "error", "warn", "info", "debug"};
	for (int i = 0; i < 5; i++) {
		char text[64];
		snprintf(text, sizeof(text), "[sandbox]\nlog = %s\n", levels[i]);
		rc = parse(&p, text);
		CHECK(rc == 0 && (int)p.sandbox.log == i, "log = %s", levels[i]);
		sbx_policy_free(&p);
	}
	rc = parse(&p, "[sandbox]\nbind_cwd = no\n");
	CHECK(rc == 0 && p.sandbox.bind_cwd == SBX_BIND_CWD_NO && strcmp(p.sandbox.cwd, "/") == 0,
	      "bind_cwd = no with no cwd: cwd becomes /");
	sbx_policy_free(&p);
	rc = parse(&p, "[sandbox]\nbind_cwd = no\ncwd = /tmp\n");
	CHECK(rc == 0 && strcmp(p.sandbox.cwd, "/tmp") == 0, "bind_cwd = no keeps a given cwd");
	sbx_policy_free(&p);
	rc = parse(&p, "[sandbox]\nreport = /var/r.json\nreport =\n");
	CHECK(rc == -1 && strstr(last_msg, "t.ini:3: [sandbox] report: repeated key (first given at line 2"),
	      "report twice: repeated key");
	sbx_policy_free(&p);
	rc = parse(&p, "[sandbox]\nenv =\npass_env =\n");
	CHECK(rc == 0 && p.sandbox.n_env == 0 && p.sandbox.n_pass_env == 0,
	      "env = / pass_env = (empty): empty lists");
	sbx_policy_free(&p);
	rc = parse(&p, "[sandbox]\nenv =\nenv = A=1\n");
	CHECK(rc == 0 && p.sandbox.n_env == 1, "env =, then env = A=1: one entry");
	sbx_policy_free(&p);

	/* Booleans: yes/no, and the spellings documented as synonyms. */
	static const char *const yes[] = {"yes", "true", "on", "1", "YES"};
	static const char *const no[] = {"no", "false", "off", "0", "No"};
	for (int i = 0; i < 5; i++) {
		char text[64];
		snprintf(text, sizeof(text), "[sandbox]\nkeep_env = %s\n", yes[i]);
		rc = parse(&p, text);
		CHECK(rc == 0 && p.sandbox.keep_env, "boolean %s = yes", yes[i]);
		sbx_policy_free(&p);
		snprintf(text, sizeof(text), "[sandbox]\nclose_fds = %s\n", no[i]);
		rc = parse(&p, text);
		CHECK(rc == 0 && !p.sandbox.close_fds, "boolean %s = no", no[i]);
		sbx_policy_free(&p);
	}
}

static void test_namespace_keys(void)
{
	static const char *const names[] = {"user", "mount", "pid", "net", "ipc", "uts", "cgroup"};
	struct sbx_policy p;

	for (int i = 0; i < 7; i++) {
		char text[128];
		/* pid = no needs proc = no; net = no makes mode host. */
		snprintf(text, sizeof(text), "[namespaces]\n%s = no\n%s", names[i],
			 i == 2 ? "[fs]\nproc = no\n" : "");
		int rc = parse(&p, text);
		bool *field[] = {&p.ns.user, &p.ns.mount, &p.ns.pid, &p.ns.net,
				 &p.ns.ipc,  &p.ns.uts,	  &p.ns.cgroup};
		int others = 0;
		for (int j = 0; j < 7; j++)
			others += *field[j];
		CHECK(rc == 0 && !*field[i] && others == 6, "[namespaces] %s = no%s%s", names[i],
		      rc ? ": " : "", rc ? last_msg : "");
		if (i == 3)
			CHECK(p.net.mode == SBX_NET_HOST, "net = no means mode = host");
		sbx_policy_free(&p);
	}
	expect_err("namespaces bad boolean", "[namespaces]\nuser = maybe\n",
		   "t.ini:2: [namespaces] user: bad boolean \"maybe\" (use yes or no)");
}

static void test_fs_keys(void)
{
	struct sbx_policy p;
	int rc = parse(&p, "[fs]\n"
			   "root_size = 1G\n"
			   "ro = /usr\n"
			   "ro = ?/opt/maybe\n"
			   "ro = ./data:/data\n"
			   "ro = ../up:/up\n"
			   "rw = out\n"
			   "rw = ?/srv//x/:/srv/y/\n"
			   "tmpfs = /tmp\n"
			   "tmpfs = /run:1M\n"
			   "proc = no\n"
			   "dev = no\n");

	CHECK(rc == 0, "fs keys: accepted%s%s", rc ? ": " : "", last_msg);
	if (rc == 0) {
		struct sbx_mount *m = p.fs.mounts;
		CHECK(p.fs.root_size_bytes == 1ULL << 30, "root_size = 1G");
		CHECK(p.fs.n_mounts == 8, "8 mounts (file replaced every default list)");
		if (p.fs.n_mounts == 8) {
			CHECK(m[0].kind == SBX_MOUNT_RO && !strcmp(m[0].src, "/usr") &&
				      !strcmp(m[0].dst, "/usr") && m[0].origin.line == 3 &&
				      !strcmp(m[0].origin.file, "t.ini"),
			      "ro = /usr, origin t.ini:3");
			CHECK(m[1].optional && !strcmp(m[1].src, "/opt/maybe") &&
				      !strcmp(m[1].dst, "/opt/maybe"),
			      "ro = ?/opt/maybe: optional");
			CHECK(!strcmp(m[2].src, CWD "/data") && !strcmp(m[2].dst, "/data"),
			      "ro = ./data:/data: src resolved");
			CHECK(!strcmp(m[3].src, CWD "/../up") && !strcmp(m[3].dst, "/up"),
			      "ro = ../up: host '..' kept for the kernel: %s", m[3].src);
			CHECK(m[4].kind == SBX_MOUNT_RW && !strcmp(m[4].src, CWD "/out") &&
				      !strcmp(m[4].dst, CWD "/out"),
			      "rw = out: DST defaults to the resolved SRC");
			CHECK(m[5].optional && !strcmp(m[5].src, "/srv/x") &&
				      !strcmp(m[5].dst, "/srv/y"),
			      "rw = ?/srv//x/:/srv/y/: normalised");
			CHECK(m[6].kind == SBX_MOUNT_TMPFS && !strcmp(m[6].dst, "/tmp") &&
				      m[6].size_bytes == 0,
			      "tmpfs = /tmp: kernel default size");
			CHECK(!strcmp(m[7].dst, "/run") && m[7].size_bytes == 1ULL << 20,
			      "tmpfs = /run:1M");
		}
		CHECK(!p.fs.proc && !p.fs.dev, "proc = dev = no");
	}
	sbx_policy_free(&p);

	rc = parse(&p, "[fs]\nrw = ./out:/data/out\n");
	CHECK(rc == 0 && p.fs.n_mounts == 3 && p.fs.mounts[0].kind == SBX_MOUNT_RO &&
		      p.fs.mounts[1].kind == SBX_MOUNT_TMPFS && p.fs.mounts[2].kind == SBX_MOUNT_RW,
	      "rw alone keeps the default ro and tmpfs lists");
	sbx_policy_free(&p);
	rc = parse(&p, "[fs]\nro =\ntmpfs =\n");
	CHECK(rc == 0 && p.fs.n_mounts == 0, "ro = and tmpfs = (empty): no mounts");
	sbx_policy_free(&p);
	rc = parse(&p, "[fs]\nroot_size = 0\n");
	CHECK(rc == 0 && p.fs.root_size_bytes == 0, "root_size = 0 (kernel default)");
	sbx_policy_free(&p);
}

static void test_limits_keys(void)
{
	struct sbx_policy p;
	int rc = parse(&p, "[limits]\n"
			   "wall_time = 0.5\n"
			   "cpu_time = 1.2\n"
			   "memory = 1g\n"
			   "address_space = 2G\n"
			   "processes = 0\n"
			   "require_cgroup = yes\n"
			   "file_size = 100\n"
			   "open_files = 1024\n");

	CHECK(rc == 0, "limits keys: accepted%s%s", rc ? ": " : "", last_msg);
	if (rc == 0) {
		CHECK(p.limits.wall_time_ms == 500 && !strcmp(p.limits.wall_time_text, "0.5"),
		      "wall_time = 0.5: 500 ms, text kept");
		CHECK(p.limits.cpu_time_ms == 2000 && !strcmp(p.limits.cpu_time_text, "1.2"),
		      "cpu_time = 1.2: rounded up to 2 s (RLIMIT_CPU), text kept");
		CHECK(p.limits.memory_bytes == 1ULL << 30 && !strcmp(p.limits.memory_text, "1g"),
		      "memory = 1g: lower-case suffix, text kept");
		CHECK(p.limits.address_space_bytes == 2ULL << 30, "address_space = 2G");
		CHECK(p.limits.processes == 0, "processes = 0 (no limit)");
		CHECK(p.limits.require_cgroup, "require_cgroup = yes");
		CHECK(p.limits.file_size_bytes == 100, "file_size = 100 bytes");
		CHECK(p.limits.open_files == 1024, "open_files = 1024");
	}
	sbx_policy_free(&p);

	static const struct {
		const char *text;
		uint64_t ms;
	} secs[] = {{"0", 0},	 {"6", 6000},	{"6.", 0},    {"1.25", 1250}, {"0.0001", 1},
		    {"0.000", 0}, {"007", 7000}, {"2.5000", 2500}};
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		char text[64];
		snprintf(text, sizeof(text), "[limits]\nwall_time = %s\n", secs[i].text);
		rc = parse(&p, text);
		if (strcmp(secs[i].text, "6.") == 0)
			CHECK(rc == -1, "wall_time = 6. refused");
		else
			CHECK(rc == 0 && p.limits.wall_time_ms == secs[i].ms,
			      "wall_time = %s: %llu ms", secs[i].text,
			      (unsigned long long)secs[i].ms);
		sbx_policy_free(&p);
	}
	rc = parse(&p, "[limits]\ncpu_time = 0.0001\n");
	CHECK(rc == 0 && p.limits.cpu_time_ms == 1000, "cpu_time = 0.0001: 1 s, never 0 (none)");
	sbx_policy_free(&p);

	static const struct {
		const char *text;
		uint64_t bytes;
	} sizes[] = {{"0", 0},
		     {"1", 1},
		     {"1K", 1024},
		     {"3k", 3072},
		     {"5M", 5ULL << 20},
		     {"17179869183G", 17179869183ULL << 30},
		     {"18446744073709551615", 18446744073709551615ULL}};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char text[80];
		snprintf(text, sizeof(text), "[limits]\nfile_size = %s\n", sizes[i].text);
		rc = parse(&p, text);
		CHECK(rc == 0 && p.limits.file_size_bytes == sizes[i].bytes, "size %s", sizes[i].text);
		sbx_policy_free(&p);
	}
}

static void test_net_keys(void)
{
	struct sbx_policy p;
	int rc;

	static const struct {
		const char *mode;
		enum sbx_net_mode want;
	} modes[] = {{"none", SBX_NET_NONE},
		     {"loopback", SBX_NET_LOOPBACK},
		     {"egress", SBX_NET_EGRESS},
		     {"host", SBX_NET_HOST}};
	for (int i = 0; i < 4; i++) {
		char text[64];
		snprintf(text, sizeof(text), "[net]\nmode = %s\n", modes[i].mode);
		rc = parse(&p, text);
		CHECK(rc == 0 && p.net.mode == modes[i].want, "mode = %s", modes[i].mode);
		if (modes[i].want == SBX_NET_HOST)
			CHECK(!p.ns.net, "mode = host: no network namespace");
		sbx_policy_free(&p);
	}

	rc = parse(&p, "[net]\n"
		       "mode = egress\n"
		       "allow = example.com\n"
		       "allow = pypi.org:443\n"
		       "allow = 10.0.0.0/8\n"
		       "allow = 192.0.2.1:53\n"
		       "allow = [2001:db8::/32]:443\n"
		       "allow = 2001:db8::/48\n"
		       "allow = [::1]\n"
		       "deny = 203.0.113.0/24\n"
		       "deny = fd00::/8\n"
		       "deny = 198.51.100.7\n"
		       "dns = [2001:DB8::53]\n");
	CHECK(rc == 0, "net egress keys: accepted%s%s", rc ? ": " : "", last_msg);
	if (rc == 0 && p.net.n_allow == 7 && p.net.n_deny == 3) {
		struct sbx_net_rule *a = p.net.allow, *d = p.net.deny;
		CHECK(a[0].host && !strcmp(a[0].host, "example.com") && a[0].port == 0 &&
			      a[0].prefix_len == -1 && a[0].family == 0,
		      "allow = example.com: a host, any port");
		CHECK(a[1].host && !strcmp(a[1].host, "pypi.org") && a[1].port == 443,
		      "allow = pypi.org:443");
		CHECK(!a[2].host && a[2].family == AF_INET && a[2].prefix_len == 8 &&
			      a[2].addr[0] == 10 && a[2].port == 0,
		      "allow = 10.0.0.0/8");
		CHECK(a[3].family == AF_INET && a[3].prefix_len == 32 && a[3].port == 53,
		      "allow = 192.0.2.1:53: an address is a /32");
		CHECK(a[4].family == AF_INET6 && a[4].prefix_len == 32 && a[4].port == 443 &&
			      a[4].addr[0] == 0x20 && a[4].addr[1] == 0x01,
		      "allow = [2001:db8::/32]:443");
		CHECK(a[5].family == AF_INET6 && a[5].prefix_len == 48 && a[5].port == 0,
		      "allow = 2001:db8::/48 (bare IPv6, no port)");
		CHECK(a[6].family == AF_INET6 && a[6].prefix_len == 128 && a[6].addr[15] == 1,
		      "allow = [::1]");
		CHECK(a[1].origin.line == 4 && !strcmp(a[1].origin.file, "t.ini"),
		      "allow origin t.ini:4");
		CHECK(d[0].family == AF_INET && d[0].prefix_len == 24 && d[1].family == AF_INET6 &&
			      d[1].prefix_len == 8 && d[2].prefix_len == 32,
		      "deny CIDRs");
		CHECK(p.net.dns && !strcmp(p.net.dns, "2001:db8::53"), "dns canonical: %s",
		      p.net.dns ? p.net.dns : "(null)");
	} else {
		CHECK(0, "net egress: 7 allow and 3 deny rules");
	}
	sbx_policy_free(&p);
	rc = parse(&p, "[net]\nmode = egress\ndns = 9.9.9.9\ndns =\n");
	CHECK(rc == -1 && strstr(last_msg, "t.ini:4: [net] dns: repeated key"), "dns twice refused");
	sbx_policy_free(&p);
	rc = parse(&p, "[net]\nmode = none\nallow =\ndeny =\ndns =\n");
	CHECK(rc == 0, "empty allow/deny/dns are fine with mode = none%s%s", rc ? ": " : "",
	      last_msg);
	sbx_policy_free(&p);
}

static void test_seccomp_keys(void)
{
	struct sbx_policy p;
	int rc = parse(&p, "[seccomp]\n"
			   "preset = none\n"
			   "deny = ptrace\n"
			   "deny = \tbpf  keyctl ptrace\n"
			   "allow = personality\n"
			   "action = errno\n");

	CHECK(rc == 0, "seccomp keys: accepted%s%s", rc ? ": " : "", last_msg);
	if (rc == 0) {
		CHECK(p.seccomp.preset == SBX_PRESET_NONE, "preset = none");
		CHECK(p.seccomp.action == SBX_ACTION_ERRNO, "action = errno");
		CHECK(p.seccomp.n_deny == 3 && !strcmp(p.seccomp.deny[0].name, "ptrace") &&
			      p.seccomp.deny[0].nr == 101 && !strcmp(p.seccomp.deny[1].name, "bpf") &&
			      p.seccomp.deny[1].nr == 321 && !strcmp(p.seccomp.deny[2].name, "keyctl"),
		      "deny: ptrace(101) bpf(321) keyctl, the repeat of ptrace kept once");
		CHECK(p.seccomp.deny[1].origin.line == 4, "deny origin line 4");
		CHECK(p.seccomp.n_allow == 1 && p.seccomp.allow[0].nr == 135,
		      "allow = personality (135)");
	}
	sbx_policy_free(&p);
	rc = parse(&p, "[seccomp]\ndeny =\nallow =\n");
	CHECK(rc == 0 && p.seccomp.n_deny == 0 && p.seccomp.n_allow == 0, "deny = / allow = (empty)");
	sbx_policy_free(&p);
}

/* ---- bad values: the whole message, FILE:LINE and key included ---- */

static void test_bad_values(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"[limits]\nmemory = 12Q\n",
		 "sbx: policy: t.ini:2: [limits] memory: bad size \"12Q\" (use a number with K, M or G)"},
		{"[limits]\nmemory = -1\n", "t.ini:2: [limits] memory: bad size \"-1\""},
		{"[limits]\nmemory =\n", "t.ini:2: [limits] memory: bad size \"\""},
		{"[limits]\nmemory = 1.5G\n", "t.ini:2: [limits] memory: bad size \"1.5G\""},
		{"[limits]\nmemory = 16 M\n", "t.ini:2: [limits] memory: bad size \"16 M\""},
		{"[limits]\nmemory = 16MB\n", "t.ini:2: [limits] memory: bad size \"16MB\""},
		{"[limits]\nmemory = 17179869184G\n", "t.ini:2: [limits] memory: bad size \"17179869184G\" (too large)"},
		{"[limits]\nfile_size = 18446744073709551616\n", "[limits] file_size: bad size \"18446744073709551616\" (too large)"},
		{"[limits]\naddress_space = lots\n", "t.ini:2: [limits] address_space: bad size"},
		{"[fs]\nroot_size = 1T\n", "t.ini:2: [fs] root_size: bad size \"1T\""},
		{"[limits]\nwall_time = abc\n", "t.ini:2: [limits] wall_time: bad time \"abc\" (use seconds, e.g. 6 or 0.5)"},
		{"[limits]\nwall_time = -1\n", "t.ini:2: [limits] wall_time: bad time \"-1\""},
		{"[limits]\nwall_time = .5\n", "t.ini:2: [limits] wall_time: bad time \".5\""},
		{"[limits]\nwall_time = 1e3\n", "t.ini:2: [limits] wall_time: bad time \"1e3\""},
		{"[limits]\nwall_time = 5s\n", "t.ini:2: [limits] wall_time: bad time \"5s\""},
		{"[limits]\nwall_time =\n", "t.ini:2: [limits] wall_time: bad time \"\""},
		{"[limits]\ncpu_time = 99999999999999999999\n", "t.ini:2: [limits] cpu_time: bad time \"99999999999999999999\" (too large)"},
		{"[limits]\nprocesses = -3\n", "t.ini:2: [limits] processes: bad number \"-3\""},
		{"[limits]\nprocesses = 2147483648\n", "t.ini:2: [limits] processes: bad number \"2147483648\" (too large"},
		{"[limits]\nopen_files = 1K\n", "t.ini:2: [limits] open_files: bad number \"1K\""},
		{"[limits]\nrequire_cgroup = maybe\n", "t.ini:2: [limits] require_cgroup: bad boolean \"maybe\" (use yes or no)"},
		{"[sandbox]\nhostname =\n", "t.ini:2: [sandbox] hostname: bad host name \"\" (must not be empty)"},
		{"[sandbox]\nhostname = -a\n", "t.ini:2: [sandbox] hostname: bad host name \"-a\""},
		{"[sandbox]\nhostname = a-\n", "[sandbox] hostname: bad host name \"a-\""},
		{"[sandbox]\nhostname = a..b\n", "[sandbox] hostname: bad host name \"a..b\""},
		{"[sandbox]\nhostname = under_score\n", "[sandbox] hostname: bad host name \"under_score\""},
		{"[sandbox]\nhostname = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b\n",
		 "aaaaaaaaaa...\" (longer than 64 characters)"},
		{"[sandbox]\nhostname = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		 "(a label is longer than 63 characters)"},
		{"[sandbox]\nuid = 4294967295\n", "t.ini:2: [sandbox] uid: bad uid \"4294967295\" (use a number from 0 to 4294967294)"},
		{"[sandbox]\nuid = -1\n", "t.ini:2: [sandbox] uid: bad uid \"-1\""},
		{"[sandbox]\ngid = nobody\n", "t.ini:2: [sandbox] gid: bad gid \"nobody\""},
		{"[sandbox]\ncwd = work\n", "t.ini:2: [sandbox] cwd: bad path \"work\" (must be an absolute path inside the jail)"},
		{"[sandbox]\ncwd = /a/../b\n", "t.ini:2: [sandbox] cwd: bad path \"/a/../b\" (must not contain \"..\")"},
		{"[sandbox]\nbind_cwd = yes\n", "t.ini:2: [sandbox] bind_cwd: bad value \"yes\" (use ro, rw or no)"},
		{"[sandbox]\nkeep_env = 2\n", "t.ini:2: [sandbox] keep_env: bad boolean \"2\""},
		{"[sandbox]\nclose_fds =\n", "t.ini:2: [sandbox] close_fds: bad boolean \"\""},
		{"[sandbox]\nenv = NOVALUE\n", "t.ini:2: [sandbox] env: bad value \"NOVALUE\" (use NAME=VALUE)"},
		{"[sandbox]\nenv = 1A=x\n", "t.ini:2: [sandbox] env: bad variable name \"1A\""},
		{"[sandbox]\nenv = =x\n", "t.ini:2: [sandbox] env: bad variable name \"\""},
		{"[sandbox]\nenv = A-B=x\n", "t.ini:2: [sandbox] env: bad variable name \"A-B\""},
		{"[sandbox]\nenv = LD_PRELOAD=/x.so\n", "t.ini:2: [sandbox] env: LD_PRELOAD cannot be set inside"},
		{"[sandbox]\nenv = SBX_POLICY=/p.ini\n", "t.ini:2: [sandbox] env: SBX_POLICY cannot be set inside"},
		{"[sandbox]\nenv = A=1\nenv = A=2\n", "t.ini:3: [sandbox] env: A is set twice"},
		{"[sandbox]\npass_env = LD_PRELOAD\n", "t.ini:2: [sandbox] pass_env: LD_PRELOAD cannot be passed inside"},
		{"[sandbox]\npass_env = SBX_POLICY\n", "t.ini:2: [sandbox] pass_env: SBX_POLICY cannot be passed"},
		{"[sandbox]\npass_env = A=B\n", "t.ini:2: [sandbox] pass_env: bad variable name \"A=B\""},
		{"[sandbox]\nlog = verbose\n", "t.ini:2: [sandbox] log: bad level \"verbose\" (use quiet, error, warn, info or debug)"},
		{"[sandbox]\nreport = ~/r.json\n", "t.ini:2: [sandbox] report: bad path \"~/r.json\" ('~' is not expanded"},
		{"[sandbox]\nreport = /\n", "t.ini:2: [sandbox] report: bad path \"/\""},
		{"[fs]\nro = ?\n", "t.ini:2: [fs] ro: bad source in \"?\" (empty path)"},
		{"[fs]\nro = :/x\n", "t.ini:2: [fs] ro: bad source in \":/x\" (empty path)"},
		{"[fs]\nro = /a:\n", "t.ini:2: [fs] ro: bad destination in \"/a:\" (empty path)"},
		{"[fs]\nro = /a:b\n", "t.ini:2: [fs] ro: bad destination in \"/a:b\" (must be an absolute path inside the jail)"},
		{"[fs]\nro = /a:/b/../c\n", "t.ini:2: [fs] ro: bad destination in \"/a:/b/../c\" (must not contain \"..\")"},
		{"[fs]\nro = ../x\n", "t.ini:2: [fs] ro: bad destination in \"../x\" (must not contain \"..\")"},
		{"[fs]\nro = /a:/b:/c\n", "t.ini:2: [fs] ro: bad value \"/a:/b:/c\" (use SRC[:DST]; paths cannot contain ':')"},
		{"[fs]\nrw = /a:/\n", "t.ini:2: [fs] rw: bad destination in \"/a:/\" (/ is the jail's own tmpfs)"},
		{"[fs]\nrw = ~/x\n", "t.ini:2: [fs] rw: bad source in \"~/x\" ('~' is not expanded"},
		{"[fs]\ntmpfs = tmp\n", "t.ini:2: [fs] tmpfs: bad destination in \"tmp\" (must be an absolute path"},
		{"[fs]\ntmpfs = /tmp:64Q\n", "t.ini:2: [fs] tmpfs: bad size in \"/tmp:64Q\" (use a number with K, M or G)"},
		{"[fs]\ntmpfs = /a:b:1M\n", "t.ini:2: [fs] tmpfs: bad size in \"/a:b:1M\""},
		{"[fs]\ntmpfs = /\n", "t.ini:2: [fs] tmpfs: bad destination in \"/\""},
		{"[fs]\nro = ./a /.\n", "t.ini:2: [fs] ro: bad source in \"./a /.\" (ends with a blank)"},
		{"[fs]\nro = /a\x18" "b\n", "t.ini:2: [fs] ro: bad source in \"/a?b\" (a control character in the path)"},
		{"[sandbox]\nreport = \x18   ///\n", "t.ini:2: [sandbox] report: bad path"},
		{"[fs]\nproc = sometimes\n", "t.ini:2: [fs] proc: bad boolean \"sometimes\""},
		{"[fs]\ndev = 2\n", "t.ini:2: [fs] dev: bad boolean \"2\""},
		{"[net]\nmode = wifi\n", "t.ini:2: [net] mode: bad mode \"wifi\" (use none, loopback, egress or host)"},
		{"[net]\nmode = egress\nallow = 10.0.0.0/33\n", "t.ini:3: [net] allow: bad address \"10.0.0.0/33\" (prefix length must be 0 to 32)"},
		{"[net]\nmode = egress\nallow = 10.1.2.3/8\n", "t.ini:3: [net] allow: bad address \"10.1.2.3/8\" (address has bits set past the prefix length)"},
		{"[net]\nmode = egress\nallow = 10.0.0\n", "t.ini:3: [net] allow: bad address \"10.0.0\" (not an IP address"},
		{"[net]\nmode = egress\nallow = example.com:0\n", "t.ini:3: [net] allow: bad address \"example.com:0\" (port must be 1 to 65535)"},
		{"[net]\nmode = egress\nallow = example.com:65536\n", "(port must be 1 to 65535)"},
		{"[net]\nmode = egress\nallow = exa_mple.com\n", "t.ini:3: [net] allow: bad address \"exa_mple.com\""},
		{"[net]\nmode = egress\nallow = [10.0.0.1]:80\n", "(brackets are for IPv6 addresses)"},
		{"[net]\nmode = egress\nallow = [::1\n", "(missing ']')"},
		{"[net]\nmode = egress\nallow = [::1]x\n", "t.ini:3: [net] allow: bad address \"[::1]x\""},
		{"[net]\nmode = egress\nallow = 2001:db8::/129\n", "(prefix length must be 0 to 128)"},
		{"[net]\nmode = egress\ndeny = example.com\n", "t.ini:3: [net] deny: bad CIDR \"example.com\" (expected a CIDR like 10.0.0.0/8)"},
		{"[net]\nmode = egress\ndeny = 10.0.0.0/8:443\n", "t.ini:3: [net] deny: bad CIDR \"10.0.0.0/8:443\" (a port is not allowed here)"},
		{"[net]\nmode = egress\ndns = resolver\n", "t.ini:3: [net] dns: bad address \"resolver\" (not an IP address)"},
		{"[seccomp]\npreset = strict\n", "t.ini:2: [seccomp] preset: bad preset \"strict\" (use default or none)"},
		{"[seccomp]\naction = trap\n", "t.ini:2: [seccomp] action: bad action \"trap\" (use kill or errno)"},
		{"[seccomp]\ndeny = ptrace nosuchcall\n", "t.ini:2: [seccomp] deny: unknown syscall \"nosuchcall\""},
		{"[seccomp]\ndeny = socketcall\n", "t.ini:2: [seccomp] deny: unknown syscall \"socketcall\""},
		{"[seccomp]\nallow = PTRACE\n", "t.ini:2: [seccomp] allow: bad syscall name \"PTRACE\""},
		{"[seccomp]\nallow = 101\n", "t.ini:2: [seccomp] allow: unknown syscall \"101\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[96];
		const char *nl = strchr(cases[i].text, '\n');
		snprintf(name, sizeof(name), "bad value %zu (%s)", i, nl ? nl + 1 : cases[i].text);
		name[strcspn(name, "\n")] = '\0';
		expect_err(name, cases[i].text, cases[i].want);
	}
	/* A long value is cut short in the message, which stays one line. */
	char text[256];
	char value[151];
	memset(value, 'x', 150);
	value[150] = '\0';
	snprintf(text, sizeof(text), "[limits]\nmemory = %s\n", value);
	expect_err("a long bad value is shortened", text, "...\" (");
}

/* ---- the shape of the file ---- */

static void test_syntax(void)
{
	expect_err("unknown section, at its line", "[sandbox]\nuid = 1\n\n[sandbx]\nhostname = a\n",
		   "t.ini:4: unknown section [sandbx]");
	expect_err("empty unknown section, at its line", "; c\n[limits]\nmemory = 1G\n[extra]\n",
		   "t.ini:4: unknown section [extra]");
	expect_err("unknown section as the last line without newline", "[limits]\n[x]",
		   "t.ini:2: unknown section [x]");
	expect_err("unknown section hint lists the sections", "[foo]\n",
		   "(sections: [sandbox] [namespaces] [fs] [limits] [net] [seccomp])");
	expect_err("sections are case-sensitive", "[Sandbox]\n", "t.ini:1: unknown section [Sandbox]");
	expect_err("unknown key", "[fs]\nproc = yes\nrox = /usr\n",
		   "t.ini:3: [fs] unknown key \"rox\" (keys of [fs]: root_size ro rw tmpfs proc dev)");
	expect_err("a key of another section", "[sandbox]\nmemory = 1G\n",
		   "t.ini:2: [sandbox] unknown key \"memory\"");
	expect_err("repeated key", "[limits]\nmemory = 1G\nwall_time = 1\nmemory = 2G\n",
		   "t.ini:4: [limits] memory: repeated key (first given at line 2");
	expect_err("repeated key across two [limits] headers",
		   "[limits]\nprocesses = 1\n[fs]\n[limits]\nprocesses = 2\n",
		   "t.ini:5: [limits] processes: repeated key (first given at line 2");
	expect_err("repeated key in another section with the same name", "[sandbox]\nlog = info\nlog = warn\n",
		   "t.ini:3: [sandbox] log: repeated key");

	/* inih r55 cuts lines at 197 bytes; ours may be far longer. */
	static char big[20000];
	char longpath[400];
	memset(longpath, 0, sizeof(longpath));
	longpath[0] = '/';
	memset(longpath + 1, 'p', 299);
	snprintf(big, sizeof(big),
		 "[fs] ; %s\n; %s\nro = %s:%s/d ; %s\n[limits]\nmemory = 1G\n", longpath, longpath,
		 longpath, longpath, longpath);
	struct sbx_policy lp;
	int lrc = parse(&lp, big);
	CHECK(lrc == 0 && lp.fs.n_mounts == 2 && strcmp(lp.fs.mounts[1].src, longpath) == 0 &&
		      strncmp(lp.fs.mounts[1].dst, longpath, 300) == 0 &&
		      strcmp(lp.fs.mounts[1].dst + 300, "/d") == 0 && lp.limits.memory_bytes == 1ULL << 30,
	      "long lines (over inih's 197 bytes): header, comment, key with comment%s%s",
	      lrc ? ": " : "", lrc ? last_msg : "");
	sbx_policy_free(&lp);
	snprintf(big, sizeof(big), "[fs]\nro = %s:%s\nbogus = %s\n", longpath, longpath, longpath);
	expect_err("a long line's errors name the key and line", big, "t.ini:3: [fs] unknown key \"bogus\"");
	snprintf(big, sizeof(big), "[fs]\nro = %s\nro = %s\n", longpath, longpath);
	expect_err("long lines go through the same rules", big, "t.ini:3: [fs] a second mount on /ppp");
	snprintf(big, sizeof(big), "[fs]\n%s = x\n", longpath + 1);
	expect_err("a long unknown key", big, "t.ini:2: [fs] unknown key \"ppp");
	snprintf(big, sizeof(big), "[sandbox]\nenv = A=%s   ;c\n", longpath);
	lrc = parse(&lp, big);
	CHECK(lrc == 0 && lp.sandbox.n_env == 1 && strlen(lp.sandbox.env[0]) == 302,
	      "a long value is trimmed and cut at its comment like a short one");
	sbx_policy_free(&lp);
	memset(big, 0, sizeof(big));
	strcpy(big, "[fs]\n; ");
	memset(big + strlen(big), 'c', 8447);
	strcat(big, "\n");
	expect_err("over-long line", big, "t.ini:2: line too long (8449 bytes, at most 8448)");
	big[strlen(big) - 2] = '\0';
	expect_ok("a line of 8448 bytes", big);

	expect_err("indented key line", "[sandbox]\nhostname = a\n  uid = 3\n",
		   "t.ini:3: indented line: a value cannot continue on the next line");
	expect_err("indented first key", "[sandbox]\n\tuid = 3\n", "t.ini:2: indented line");
	expect_err("indented section", "[sandbox]\n [fs]\n", "t.ini:2: indented line");
	expect_ok("indented comments are comments",
		  "[net]\nmode = none\n                            ; a comment\n\t# another\n");
	expect_err("a line without =", "[sandbox]\nhostname\n", "t.ini:2: expected KEY = VALUE");
	expect_err("key: value is not our syntax", "[sandbox]\nhostname: a\n",
		   "t.ini:2: expected KEY = VALUE");
	expect_err("a comment before =", "[sandbox]\nhostname ; = a\n", "t.ini:2: expected KEY = VALUE");
	expect_err("a key before any section", "uid = 1\n", "t.ini:1: a key before any [section]");
	expect_err("section without ]", "[sandbox\n", "t.ini:1: bad section header (no ']')");
	expect_err("text after a section", "[sandbox] x\n",
		   "t.ini:1: unexpected text after the section header");
	{
		static const char nul[] = "[sandbox]\nuid = 1\0 2\n";
		struct sbx_policy q;
		struct sbx_err e = {0};
		sbx_policy_defaults(&q, CWD, &e);
		int r = sbx_policy_load_text(&q, nul, sizeof(nul) - 1, "t.ini", &e);
		remember(&e);
		CHECK(r == -1 && strstr(last_msg, "t.ini:2: a NUL byte in the line"),
		      "a NUL byte is refused at its line (%s)", last_msg);
		sbx_policy_free(&q);
	}
	expect_err("control bytes are not printed", "[sandbox]\nlog = \x1b[31m\n",
		   "t.ini:2: [sandbox] log: bad level \"?[31m\"");

	struct sbx_policy p;
	int rc = parse(&p, "\xEF\xBB\xBF[sandbox]\r\n"
			   "hostname = box ; the name\r\n"
			   "uid = 7\t; tab then ;\n"
			   "env = A=x;y\n"
			   "env = B=a #b\n"
			   "# whole-line comment\n"
			   "; another\n"
			   "[limits] ; inline after a header\n"
			   "memory = 1G;not a comment\n");
	CHECK(rc == -1 && strstr(last_msg, "t.ini:9: [limits] memory: bad size \"1G;not a comment\""),
	      "';' without a blank before it is part of the value (%s)", last_msg);
	sbx_policy_free(&p);
	rc = parse(&p, "\xEF\xBB\xBF[sandbox]\r\n"
		       "hostname = box ; the name\r\n"
		       "uid = 7\t; tab then ;\n"
		       "env = A=x;y\n"
		       "env = B=a #b\n"
		       "# whole-line comment\n"
		       "; another\n"
		       "[limits] ; inline after a header\n"
		       "memory = 1G ;a comment\n");
	CHECK(rc == 0, "BOM, CRLF, inline comments%s%s", rc ? ": " : "", last_msg);
	if (rc == 0) {
		CHECK(!strcmp(p.sandbox.hostname, "box") && p.sandbox.uid == 7,
		      "inline comments stripped");
		CHECK(p.sandbox.n_env == 2 && !strcmp(p.sandbox.env[0], "A=x;y") &&
			      !strcmp(p.sandbox.env[1], "B=a #b"),
		      "';' and '#' inside a value are kept");
		CHECK(p.limits.memory_bytes == 1ULL << 30, "memory = 1G ;a comment");
	}
	sbx_policy_free(&p);
}

/* ---- files ---- */

static void test_files(void)
{
	struct sbx_policy p;
	struct sbx_err err = {0};
	char dir[] = "/tmp/sbx-test-policy-XXXXXX";
	char path[128];
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/p.ini", dir);

	sbx_policy_defaults(&p, CWD, &err);
	CHECK(sbx_policy_load_file(&p, "/nonexistent/p.ini", &err) == -1 && err.errnum == ENOENT &&
		      strstr(err.detail, "/nonexistent/p.ini"),
	      "missing file: error names the file and ENOENT");
	remember(&err);
	CHECK(strstr(last_msg, "sbx: policy: cannot read /nonexistent/p.ini: No such file or directory") != NULL,
	      "missing file message: %s", last_msg);
	CHECK(sbx_policy_load_file(&p, dir, &err) == -1 && err.errnum == EISDIR,
	      "a directory: EISDIR");
	sbx_policy_free(&p);

	f = fopen(path, "w");
	fputs("[limits]\n\nmemory = 12Q\n", f);
	fclose(f);
	sbx_policy_defaults(&p, CWD, &err);
	CHECK(sbx_policy_load_file(&p, path, &err) == -1, "bad file refused");
	remember(&err);
	char want[200];
	snprintf(want, sizeof(want), "%s:3: [limits] memory: bad size \"12Q\"", path);
	CHECK(strstr(last_msg, want) != NULL, "file error names path:line (%s)", last_msg);
	sbx_policy_free(&p);

	/* Two files: each replaces the lists it names; origins point at each. */
	char path2[128];
	snprintf(path2, sizeof(path2), "%s/q.ini", dir);
	f = fopen(path, "w");
	fputs("[sandbox]\nenv = A=1\nenv = B=2\n[limits]\nmemory = 1G\n", f);
	fclose(f);
	f = fopen(path2, "w");
	fputs("[sandbox]\nenv = C=3\n[limits]\nmemory = 2G\n", f);
	fclose(f);
	sbx_policy_defaults(&p, CWD, &err);
	int rc = sbx_policy_load_file(&p, path, &err) || sbx_policy_load_file(&p, path2, &err) ||
		 sbx_policy_finish(&p, &err);
	CHECK(rc == 0 && p.sandbox.n_env == 1 && !strcmp(p.sandbox.env[0], "C=3") &&
		      p.limits.memory_bytes == 2ULL << 30 && p.n_files == 2,
	      "a second file replaces the first file's list and values");
	const struct sbx_origin *o = NULL;
	for (size_t i = 0; i < p.n_explicit_keys; i++)
		if (!strcmp(p.explicit_keys[i], "limits.memory"))
			o = &p.explicit_origins[i];
	CHECK(o && o->line == 4 && !strcmp(o->file, path2), "explicit origin is the second file:4");
	sbx_policy_free(&p);

	unlink(path);
	unlink(path2);
	rmdir(dir);
}

/* ---- overrides ---- */

#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
#define X1000 X100 X100 X100 X100 X100 X100 X100 X100 X100 X100
#define LONG_9000 X1000 X1000 X1000 X1000 X1000 X1000 X1000 X1000 X1000

static void test_overrides(void)
{
	struct sbx_policy p;
	int rc;

	{
		const char *s[] = {"limits.wall_time=2", " sandbox.hostname = h2 ", NULL};
		rc = parse_s(&p, "[limits]\nwall_time = 9\n", s);
		CHECK(rc == 0 && p.limits.wall_time_ms == 2000 &&
			      !strcmp(p.limits.wall_time_text, "2") && !strcmp(p.sandbox.hostname, "h2"),
		      "override replaces a file's value, blanks trimmed");
		CHECK(sbx_policy_is_explicit(&p, "sandbox.hostname"), "override is explicit");
		sbx_policy_free(&p);
	}
	{
		const char *s[] = {"limits.wall_time=1", "limits.wall_time=3", NULL};
		rc = parse_s(&p, NULL, s);
		CHECK(rc == 0 && p.limits.wall_time_ms == 3000, "a repeated -s: the last one wins");
		sbx_policy_free(&p);
	}
	{
		const char *s[] = {"sandbox.env=X=1", "sandbox.env=Y=2", NULL};
		rc = parse_s(&p, "[sandbox]\nenv = A=1\n", s);
		CHECK(rc == 0 && p.sandbox.n_env == 2 && !strcmp(p.sandbox.env[0], "X=1") &&
			      !strcmp(p.sandbox.env[1], "Y=2"),
		      "list -s: the first replaces, the next appends");
		sbx_policy_free(&p);
	}
	{
		const char *s[] = {"fs.ro=", NULL};
		rc = parse_s(&p, NULL, s);
		CHECK(rc == 0 && p.fs.n_mounts == 1 && p.fs.mounts[0].kind == SBX_MOUNT_TMPFS,
		      "-s fs.ro= empties the ro list");
		sbx_policy_free(&p);
	}
	{
		const char *s[] = {"fs.rw=./o", NULL};
		rc = parse_s(&p, NULL, s);
		CHECK(rc == 0 && p.fs.n_mounts == 3 && !strcmp(p.fs.mounts[2].src, CWD "/o") &&
			      p.fs.mounts[2].origin.line == 0 && !strcmp(p.fs.mounts[2].origin.file, "-s"),
		      "-s rw: resolved, origin -s line 0");
		sbx_policy_free(&p);
	}
	static const struct {
		const char *s, *want;
	} bad[] = {
		{"limits.wall_time=abc",
		 "sbx: policy: -s limits.wall_time=abc: [limits] wall_time: bad time \"abc\""},
		{"limits.wall_time", "-s limits.wall_time: expected SECTION.KEY=VALUE"},
		{"wall_time=1", "-s wall_time=1: expected SECTION.KEY=VALUE"},
		{".x=1", "-s .x=1: expected SECTION.KEY=VALUE"},
		{"limit.wall_time=1", "-s limit.wall_time=1: unknown section [limit]"},
		{"limits.wall=1", "-s limits.wall=1: [limits] unknown key \"wall\""},
		{"sandbox.env=A=x ;y", "a value cannot hold \" ;\""},
		{"sandbox.env=A=x\ny", "-s sandbox.env=A=x?y: a value cannot hold a line break"},
		{"sandbox.env=A=" LONG_9000, "too long for a line of a policy file (at most 8448 bytes)"},
		{"sandbox.env=LD_PRELOAD=x", "-s sandbox.env=LD_PRELOAD=x: [sandbox] env: LD_PRELOAD cannot be set"},
		{"namespaces.pid=no", "-s: [namespaces] pid = no, but built-in: [fs] proc = yes (a new /proc needs the new PID namespace: set [fs] proc = no)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *s[] = {bad[i].s, NULL};
		rc = parse_s(&p, NULL, s);
		CHECK(rc == -1 && strstr(last_msg, bad[i].want), "bad -s %zu: has '%s' (got '%s')", i,
		      bad[i].want, last_msg);
		sbx_policy_free(&p);
	}
}

/* ---- rules across keys ---- */

static void test_rules(void)
{
	expect_err("net = no with mode = loopback",
		   "[namespaces]\nnet = no\n[net]\nmode = loopback\n",
		   "t.ini:2: [namespaces] net = no contradicts t.ini:4: [net] mode = loopback");
	expect_err("net = no with mode = egress", "[net]\nmode = egress\n[namespaces]\nnet = no\n",
		   "t.ini:4: [namespaces] net = no contradicts t.ini:2: [net] mode = egress");
	expect_err("net = no with an explicit mode = none", "[namespaces]\nnet = no\n[net]\nmode = none\n",
		   "contradicts t.ini:4: [net] mode = none");
	expect_err("net = yes with mode = host", "[namespaces]\nnet = yes\n[net]\nmode = host\n",
		   "t.ini:2: [namespaces] net = yes contradicts t.ini:4: [net] mode = host");
	expect_ok("net = no with mode = host", "[namespaces]\nnet = no\n[net]\nmode = host\n");
	expect_err("pid = no with the default proc = yes", "[namespaces]\npid = no\n",
		   "t.ini:2: [namespaces] pid = no, but built-in: [fs] proc = yes (a new /proc needs the new PID namespace: set [fs] proc = no)");
	expect_err("pid = no with proc = yes", "[namespaces]\npid = no\n[fs]\nproc = yes\n",
		   "t.ini:2: [namespaces] pid = no, but t.ini:4: [fs] proc = yes");
	expect_ok("pid = no with proc = no", "[namespaces]\npid = no\n[fs]\nproc = no\n");
	expect_ok("mount = no, with no [fs] key", "[namespaces]\nmount = no\n");
	expect_ok("mount = no and pid = no", "[namespaces]\nmount = no\npid = no\n");
	expect_err("mount = no with [fs] ro", "[namespaces]\nmount = no\n[fs]\nro = /opt\n",
		   "t.ini:4: [fs] ro needs a mount namespace, but t.ini:2: [namespaces] mount = no");
	expect_err("mount = no with [fs] proc", "[fs]\nproc = no\n[namespaces]\nmount = no\n",
		   "t.ini:2: [fs] proc needs a mount namespace");
	expect_ok("user = no is the run time's business", "[namespaces]\nuser = no\n");
	expect_err("two mounts on one place", "[fs]\nro = /usr\nrw = ./x:/usr\n",
		   "t.ini:3: [fs] a second mount on /usr (the first is at t.ini:2)");
	expect_err("a file rw on the default ro", "[fs]\nrw = /usr\n",
		   "t.ini:2: [fs] a second mount on /usr (the first is at built-in) (a list key given in a policy file replaces the built-in list of that key only)");
	expect_err("tmpfs on the same place as a bind", "[fs]\nro = /a:/x\ntmpfs = /x//\n",
		   "t.ini:3: [fs] a second mount on /x");
	/* The mount step makes parents first, so the order in the file is free. */
	expect_ok("a mount inside a later one", "[fs]\nro = /data:/tmp/data\ntmpfs = /tmp\n");
	expect_ok("a mount inside an earlier one", "[fs]\ntmpfs = /tmp\nro = /data:/tmp/data\n");
	expect_err("a mount on /proc with proc = yes", "[fs]\nro = /proc\n",
		   "t.ini:2: [fs] mount on /proc, which [fs] proc = yes makes");
	expect_err("a mount on /dev with dev = yes", "[fs]\ntmpfs = /dev\n", "t.ini:2: [fs] mount on /dev");
	expect_ok("a mount on /dev with dev = no", "[fs]\ndev = no\ntmpfs = /dev\n");
	expect_err("allow without egress", "[net]\nallow = example.com\n",
		   "t.ini:2: [net] allow is only for mode = egress (built-in: mode = none)");
	expect_err("deny without egress", "[net]\nmode = loopback\ndeny = 10.0.0.0/8\n",
		   "t.ini:3: [net] deny is only for mode = egress (t.ini:2: mode = loopback)");
	expect_err("dns without egress", "[net]\ndns = 1.1.1.1\nmode = host\n",
		   "t.ini:2: [net] dns is only for mode = egress (t.ini:3: mode = host)");
	expect_ok("allow with egress", "[net]\nallow = example.com\nmode = egress\n");
	expect_err("deny and allow the same syscall", "[seccomp]\ndeny = ptrace bpf\nallow = bpf\n",
		   "t.ini:2: [seccomp] deny bpf contradicts t.ini:3: [seccomp] allow bpf");
	expect_err("env and pass_env the same name", "[sandbox]\npass_env = LANG\n",
		   "[sandbox] LANG is in both env (built-in) and pass_env (t.ini:2): keep one");
	expect_err("hostname with uts = no", "[sandbox]\nhostname = h\n[namespaces]\nuts = no\n",
		   "t.ini:2: [sandbox] hostname needs a UTS namespace, but t.ini:4: [namespaces] uts = no");
	expect_ok("uts = no alone", "[namespaces]\nuts = no\n");
}

/* ---- dump round trip ---- */

static void round_trip(const char *name, const char *text, const char *const *overrides)
{
	struct sbx_policy a, b;
	char *d1 = NULL, *d2 = NULL;
	struct sbx_err err = {0};
	int rc = parse_s(&a, text, overrides);

	if (rc) {
		CHECK(0, "round trip %s: parse: %s", name, last_msg);
		sbx_policy_free(&a);
		return;
	}
	d1 = dump(&a);
	rc = sbx_policy_defaults(&b, "/elsewhere", &err) ||
	     sbx_policy_load_text(&b, d1, strlen(d1), "dump.ini", &err) ||
	     sbx_policy_finish(&b, &err);
	if (rc)
		remember(&err);
	d2 = rc ? NULL : dump(&b);
	CHECK(d1 && d2 && strcmp(d1, d2) == 0, "round trip %s: dump(parse(dump)) == dump%s%s",
	      name, rc ? ": " : "", rc ? last_msg : "");
	if (d1 && d2 && strcmp(d1, d2) != 0)
		fprintf(stderr, "--- first\n%s--- second\n%s", d1, d2);
	free(d1);
	free(d2);
	sbx_policy_free(&a);
	sbx_policy_free(&b);
}

static void test_dump(void)
{
	struct sbx_policy p;
	char *d;

	parse(&p, NULL);
	d = dump(&p);
	static const char *const every[] = {
		"\n[sandbox]\n", "\nhostname = sandbox\n", "\nuid = 65534\n", "\ngid = 65534\n",
		"\ncwd =\n", "\nbind_cwd = ro\n", "\nkeep_env = no\n", "\nenv = LANG=C.UTF-8\n",
		"\npass_env = HF_HOME\n", "\nclose_fds = yes\n", "\nlog = warn\n", "\nreport =\n",
		"\n[namespaces]\n", "\nuser = yes\n", "\nmount = yes\n", "\npid = yes\n",
		"\nnet = yes\n", "\nipc = yes\n", "\nuts = yes\n", "\ncgroup = yes\n", "\n[fs]\n",
		"\nroot_size = 16M\n", "\nro = /usr\n", "\nrw =\n", "\ntmpfs = /tmp:64M\n",
		"\nproc = yes\n", "\ndev = yes\n", "\n[limits]\n", "\nwall_time = 6\n",
		"\ncpu_time = 5\n", "\nmemory = 256M\n", "\naddress_space = 0\n", "\nprocesses = 32\n",
		"\nrequire_cgroup = no\n", "\nfile_size = 16M\n", "\nopen_files = 256\n", "\n[net]\n",
		"\nmode = none\n", "\nallow =\n", "\ndeny =\n", "\ndns =\n", "\n[seccomp]\n",
		"\npreset = default\n", "\ndeny =\n", "\nallow =\n", "\naction = kill\n"};
	for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s", every[i] + 1);
		name[strcspn(name, "\n")] = '\0';
		CHECK(d && strstr(d, every[i]), "dump of the default has '%s'", name);
	}
	free(d);
	sbx_policy_free(&p);

	round_trip("default", NULL, NULL);
	round_trip("empty lists",
		   "[sandbox]\nenv =\npass_env =\n[fs]\nro =\ntmpfs =\n[seccomp]\ndeny =\n", NULL);
	round_trip("everything",
		   "[sandbox]\nhostname = h\nuid = 1000\ngid = 100\ncwd = /w\nbind_cwd = rw\n"
		   "keep_env = yes\nenv = A=1 2\nenv = B=\npass_env = HOME\nclose_fds = no\n"
		   "log = debug\nreport = ./r.json\n"
		   "[namespaces]\nipc = no\ncgroup = no\n"
		   "[fs]\nroot_size = 1000\nro = ?/opt\nro = ./d:/d\nrw = ../w:/w\ntmpfs = /tmp\n"
		   "tmpfs = /run:3K\nproc = yes\ndev = no\n"
		   "[limits]\nwall_time = 0.25\ncpu_time = 1.5\nmemory = 1g\naddress_space = 3M\n"
		   "processes = 0\nrequire_cgroup = yes\nfile_size = 1025\nopen_files = 0\n"
		   "[net]\nmode = egress\nallow = a.example:443\nallow = 10.0.0.0/8\n"
		   "allow = [2001:db8::/32]:443\nallow = 2001:db8::1\nallow = 192.0.2.1:53\n"
		   "deny = 203.0.113.0/24\ndeny = fd00::/8\ndns = 192.0.2.53\n"
		   "[seccomp]\npreset = none\ndeny = ptrace bpf\nallow = personality\naction = errno\n",
		   NULL);
	round_trip("net = no", "[namespaces]\nnet = no\n", NULL);
	round_trip("mode = host", "[net]\nmode = host\n", NULL);
	round_trip("mount = no (fs keys become comments)", "[namespaces]\nmount = no\npid = no\n", NULL);
	round_trip("uts = no (hostname becomes a comment)", "[namespaces]\nuts = no\n", NULL);
	round_trip("bind_cwd = no", "[sandbox]\nbind_cwd = no\n", NULL);
	{
		/* Paths near PATH_MAX: the dump's lines are long and must read back. */
		static char text[9000];
		char path[4096];
		path[0] = '/';
		memset(path + 1, 'q', 4000);
		path[4001] = '\0';
		snprintf(text, sizeof(text), "[fs]\nrw = ?%s:%s\n", path, path);
		memcpy(text + strlen(text) - 2, "r\n", 3); /* DST differs from SRC */
		round_trip("long paths", text, NULL);
	}
	{
		const char *s[] = {"limits.memory=3G", "sandbox.env=Z=9", "fs.rw=/srv:/srv", NULL};
		round_trip("overrides", NULL, s);
	}

	/* The dump of "mount = no" shows the fs keys as comments. */
	parse(&p, "[namespaces]\nmount = no\npid = no\n");
	d = dump(&p);
	CHECK(d && strstr(d, "\n; ro = /usr\n") && strstr(d, "\n; proc = yes\n"),
	      "mount = no: [fs] keys dumped as comments");
	free(d);
	sbx_policy_free(&p);
}

/* A policy read under a made-up cwd, moved into the real one: the same as read there. */
static void test_rebase(void)
{
	const char *text = "[sandbox]\nreport = ./r.json\nbind_cwd = no\n[fs]\n"
			   "ro = /usr\nrw = ./home:/home/sandbox\nro = sub/../data:/data\n";
	const char *from = "/.z/0/1";
	struct sbx_policy a, b;
	struct sbx_err err = {0};
	int rc;

	rc = sbx_policy_defaults(&a, from, &err) ||
	     sbx_policy_load_text(&a, text, strlen(text), "t.ini", &err) ||
	     sbx_policy_finish(&a, &err);
	CHECK(rc == 0, "rebase: read under the made-up cwd");
	CHECK(parse(&b, text) == 0, "rebase: read under " CWD ": %s", last_msg);
	CHECK(sbx_policy_rebase(&a, from, CWD, &err) == 0, "rebase: moved");
	CHECK(strcmp(a.caller_cwd, b.caller_cwd) == 0, "rebase: caller_cwd %s", a.caller_cwd);
	CHECK(a.sandbox.report && strcmp(a.sandbox.report, CWD "/r.json") == 0,
	      "rebase: report %s", a.sandbox.report ? a.sandbox.report : "(none)");
	CHECK(a.fs.n_mounts == b.fs.n_mounts, "rebase: as many mounts");
	for (size_t i = 0; i < a.fs.n_mounts && i < b.fs.n_mounts; i++)
		CHECK((!a.fs.mounts[i].src && !b.fs.mounts[i].src) ||
			      (a.fs.mounts[i].src && b.fs.mounts[i].src &&
			       strcmp(a.fs.mounts[i].src, b.fs.mounts[i].src) == 0),
		      "rebase: mount %zu src %s, read in place %s", i,
		      a.fs.mounts[i].src ? a.fs.mounts[i].src : "-",
		      b.fs.mounts[i].src ? b.fs.mounts[i].src : "-");
	sbx_policy_free(&a);
	sbx_policy_free(&b);

	/* Into "/": no doubled slash. */
	rc = sbx_policy_defaults(&a, from, &err) ||
	     sbx_policy_load_text(&a, text, strlen(text), "t.ini", &err) ||
	     sbx_policy_finish(&a, &err);
	CHECK(rc == 0 && sbx_policy_rebase(&a, from, "/", &err) == 0 &&
		      strcmp(a.caller_cwd, "/") == 0 && strcmp(a.sandbox.report, "/r.json") == 0,
	      "rebase: into /: %s %s", a.caller_cwd, a.sandbox.report ? a.sandbox.report : "-");
	sbx_policy_free(&a);

	/* Paths keep their "..": moved as text, they resolve where they would have. */
	text = "[fs]\nro = ../../x:/x\n";
	rc = sbx_policy_defaults(&a, from, &err) ||
	     sbx_policy_load_text(&a, text, strlen(text), "t.ini", &err) ||
	     sbx_policy_finish(&a, &err) || sbx_policy_rebase(&a, from, CWD, &err);
	CHECK(rc == 0 && parse(&b, text) == 0, "rebase: ../../x read both ways");
	CHECK(rc == 0 && a.fs.n_mounts == b.fs.n_mounts &&
		      strcmp(a.fs.mounts[a.fs.n_mounts - 1].src, b.fs.mounts[b.fs.n_mounts - 1].src) == 0,
	      "rebase: ../../x moved as text: %s", rc ? "-" : a.fs.mounts[a.fs.n_mounts - 1].src);
	sbx_policy_free(&a);
	sbx_policy_free(&b);
	/* Under the first component but not under FROM: refused, never moved wrong. */
	rc = sbx_policy_defaults(&a, from, &err) || sbx_policy_finish(&a, &err);
	free(a.sandbox.report);
	a.sandbox.report = strdup("/.z/9/r.json");
	CHECK(rc == 0, "rebase: read with a report beside FROM");
	rc = sbx_policy_rebase(&a, from, CWD, &err);
	remember(&err);
	CHECK(rc == -1 && err.errnum == EXDEV && strstr(last_msg, "does not stay under"),
	      "rebase: a path beside FROM refused (%s)", last_msg);
	sbx_policy_free(&a);
}

int main(void)
{
	test_defaults();
	test_sandbox_keys();
	test_namespace_keys();
	test_fs_keys();
	test_limits_keys();
	test_net_keys();
	test_seccomp_keys();
	test_bad_values();
	test_syntax();
	test_files();
	test_overrides();
	test_rules();
	test_dump();
	test_rebase();
	return CHECK_DONE();
}
