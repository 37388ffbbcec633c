/*
 * dump: a policy back to INI, every key, in the reference's order.
 *
 * Reading the dump back gives the same policy (and the same dump). For that:
 * a list key is written once per entry, and an empty list as the key with an
 * empty value ("ro ="), which the parser reads as "this list is empty"; paths
 * are written resolved; times and the memory size as they were written.
 * Keys that a rule forbids for this policy ([fs] with mount = no, hostname
 * with uts = no) are written as comments, so the dump stays a valid policy.
 */
#include "policy_int.h"

#include <stdio.h>
#include <string.h>

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void put_size(FILE *out, const char *prefix, const char *key, uint64_t bytes)
{
	char buf[32];

	sbx_format_size(bytes, buf, sizeof(buf));
	fprintf(out, "%s%s = %s\n", prefix, key, buf);
}

static void put_seconds(FILE *out, const char *key, const char *text, uint64_t ms)
{
	char buf[32];

	if (!text) {
		sbx_format_ms(ms, buf, sizeof(buf));
		text = buf;
	}
	fprintf(out, "%s = %s\n", key, text);
}

static void put_mounts(FILE *out, const char *prefix, const struct sbx_policy *pol,
		       enum sbx_mount_kind kind, const char *key)
{
	bool any = false;

	for (size_t i = 0; i < pol->fs.n_mounts; i++) {
		const struct sbx_mount *m = &pol->fs.mounts[i];
		if (m->kind != kind)
			continue;
		any = true;
		fprintf(out, "%s%s = ", prefix, key);
		if (kind == SBX_MOUNT_TMPFS) {
			char size[32];
			sbx_format_size(m->size_bytes, size, sizeof(size));
			fprintf(out, "%s%s%s\n", m->dst, m->size_bytes ? ":" : "",
				m->size_bytes ? size : "");
		} else if (strcmp(m->src, m->dst) == 0) {
			fprintf(out, "%s%s\n", m->optional ? "?" : "", m->src);
		} else {
			fprintf(out, "%s%s:%s\n", m->optional ? "?" : "", m->src, m->dst);
		}
	}
	if (!any)
		fprintf(out, "%s%s =\n", prefix, key);
}

static void put_strings(FILE *out, const char *key, char *const *arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s = %s\n", key, arr[i]);
	if (n == 0)
		fprintf(out, "%s =\n", key);
}

static void put_rules(FILE *out, const char *key, const struct sbx_net_rule *arr, size_t n,
		      bool allow)
{
	char buf[320];

	for (size_t i = 0; i < n; i++) {
		sbx_format_net_rule(&arr[i], allow, buf, sizeof(buf));
		fprintf(out, "%s = %s\n", key, buf);
	}
	if (n == 0)
		fprintf(out, "%s =\n", key);
}

static void put_syscalls(FILE *out, const char *key, const struct sbx_syscall *arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s = %s\n", key, arr[i].name);
	if (n == 0)
		fprintf(out, "%s =\n", key);
}

int sbx_policy_dump(const struct sbx_policy *pol, FILE *out)
{
	static const char *const bind_cwd[] = {"ro", "rw", "no"};
	const char *fs = pol->ns.mount ? "" : "; ";

	fprintf(out, "; sbx policy, every key (sbx_policy_dump)\n\n[sandbox]\n");
	fprintf(out, "%shostname = %s\n", pol->ns.uts ? "" : "; ",
		pol->sandbox.hostname ? pol->sandbox.hostname : "");
	fprintf(out, "uid = %lu\ngid = %lu\n", (unsigned long)pol->sandbox.uid,
		(unsigned long)pol->sandbox.gid);
	fprintf(out, "cwd =%s%s\n", pol->sandbox.cwd && *pol->sandbox.cwd ? " " : "",
		pol->sandbox.cwd ? pol->sandbox.cwd : "");
	fprintf(out, "bind_cwd = %s\n", bind_cwd[pol->sandbox.bind_cwd]);
	fprintf(out, "keep_env = %s\n", yes_no(pol->sandbox.keep_env));
	put_strings(out, "env", pol->sandbox.env, pol->sandbox.n_env);
	put_strings(out, "pass_env", pol->sandbox.pass_env, pol->sandbox.n_pass_env);
	fprintf(out, "close_fds = %s\n", yes_no(pol->sandbox.close_fds));
	fprintf(out, "log = %s\n", sbx_log_level_name(pol->sandbox.log));
	fprintf(out, "report =%s%s\n", pol->sandbox.report ? " " : "",
		pol->sandbox.report ? pol->sandbox.report : "");

	fprintf(out, "\n[namespaces]\n");
	fprintf(out, "user = %s\nmount = %s\npid = %s\nnet = %s\nipc = %s\nuts = %s\ncgroup = %s\n",
		yes_no(pol->ns.user), yes_no(pol->ns.mount), yes_no(pol->ns.pid),
		yes_no(pol->ns.net), yes_no(pol->ns.ipc), yes_no(pol->ns.uts),
		yes_no(pol->ns.cgroup));

	fprintf(out, "\n[fs]\n");
	if (!pol->ns.mount)
		fprintf(out, "; unused with [namespaces] mount = no\n");
	put_size(out, fs, "root_size", pol->fs.root_size_bytes);
	put_mounts(out, fs, pol, SBX_MOUNT_RO, "ro");
	put_mounts(out, fs, pol, SBX_MOUNT_RW, "rw");
	put_mounts(out, fs, pol, SBX_MOUNT_TMPFS, "tmpfs");
	fprintf(out, "%sproc = %s\n%sdev = %s\n", fs, yes_no(pol->fs.proc), fs,
		yes_no(pol->fs.dev));

	fprintf(out, "\n[limits]\n");
	put_seconds(out, "wall_time", pol->limits.wall_time_text, pol->limits.wall_time_ms);
	put_seconds(out, "cpu_time", pol->limits.cpu_time_text, pol->limits.cpu_time_ms);
	if (pol->limits.memory_text)
		fprintf(out, "memory = %s\n", pol->limits.memory_text);
	else
		put_size(out, "", "memory", pol->limits.memory_bytes);
	put_size(out, "", "address_space", pol->limits.address_space_bytes);
	fprintf(out, "processes = %llu\n", (unsigned long long)pol->limits.processes);
	fprintf(out, "require_cgroup = %s\n", yes_no(pol->limits.require_cgroup));
	put_size(out, "", "file_size", pol->limits.file_size_bytes);
	fprintf(out, "open_files = %llu\n", (unsigned long long)pol->limits.open_files);

	fprintf(out, "\n[net]\nmode = %s\n", sbx_net_mode_name(pol->net.mode));
	put_rules(out, "allow", pol->net.allow, pol->net.n_allow, true);
	put_rules(out, "deny", pol->net.deny, pol->net.n_deny, false);
	fprintf(out, "dns =%s%s\n", pol->net.dns ? " " : "", pol->net.dns ? pol->net.dns : "");

	fprintf(out, "\n[seccomp]\npreset = %s\n",
		pol->seccomp.preset == SBX_PRESET_NONE ? "none" : "default");
	put_syscalls(out, "deny", pol->seccomp.deny, pol->seccomp.n_deny);
	put_syscalls(out, "allow", pol->seccomp.allow, pol->seccomp.n_allow);
	fprintf(out, "action = %s\n", pol->seccomp.action == SBX_ACTION_ERRNO ? "errno" : "kill");
	return ferror(out) ? -1 : 0;
}
