/*
 * validate: rules across keys, once every source has been read.
 *
 * A rule that involves two keys names where each was set, so the user sees
 * both lines: "sandbox.ini:3: [namespaces] net = no contradicts
 * sandbox.ini:9: [net] mode = loopback". A key nobody set is "built-in".
 */
#include "policy_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbx.h"

/* "FILE:LINE" of an explicit key, or "built-in" (the default). */
static const char *where(const struct sbx_policy *pol, const char *key, char *buf, size_t size)
{
	const struct sbx_origin *o = sbx_policy_explicit_origin(pol, key);

	if (!o)
		return sbx_origin_builtin;
	sbx_origin_format(o, buf, size);
	return buf;
}

static int check_net(struct sbx_policy *pol, struct sbx_err *err)
{
	char a[160], b[160];
	bool mode_set = sbx_policy_is_explicit(pol, "net.mode");
	bool ns_set = sbx_policy_is_explicit(pol, "namespaces.net");

	/* [namespaces] net = no and [net] mode = host say the same thing:
	 * the jail shares the host's network. Anything else with either one
	 * is a contradiction, and guessing which one was meant could open the
	 * network: refuse. */
	if (!pol->ns.net && mode_set && pol->net.mode != SBX_NET_HOST)
		return sbx_fail(err, SBX_STEP_POLICY, 0,
				"%s: [namespaces] net = no contradicts %s: [net] mode = %s "
				"(net = no shares the host's network: use mode = host, or net = yes)",
				where(pol, "namespaces.net", a, sizeof(a)),
				where(pol, "net.mode", b, sizeof(b)), sbx_net_mode_name(pol->net.mode));
	if (pol->ns.net && ns_set && pol->net.mode == SBX_NET_HOST)
		return sbx_fail(err, SBX_STEP_POLICY, 0,
				"%s: [namespaces] net = yes contradicts %s: [net] mode = host "
				"(mode = host shares the host's network: use net = no, or another mode)",
				where(pol, "namespaces.net", a, sizeof(a)),
				where(pol, "net.mode", b, sizeof(b)));
	if (!pol->ns.net)
		pol->net.mode = SBX_NET_HOST;
	if (pol->net.mode == SBX_NET_HOST)
		pol->ns.net = false;

	/* allow / deny / dns describe the egress filter; with another mode
	 * they would be silently ignored. */
	if (pol->net.mode != SBX_NET_EGRESS) {
		const struct sbx_origin *o = NULL;
		const char *key = NULL;
		if (pol->net.n_allow) {
			o = &pol->net.allow[0].origin;
			key = "allow";
		} else if (pol->net.n_deny) {
			o = &pol->net.deny[0].origin;
			key = "deny";
		} else if (pol->net.dns) {
			o = sbx_policy_explicit_origin(pol, "net.dns");
			key = "dns";
		}
		if (key) {
			if (o)
				sbx_origin_format(o, a, sizeof(a));
			else
				snprintf(a, sizeof(a), "%s", sbx_origin_builtin);
			return sbx_fail(err, SBX_STEP_POLICY, 0,
					"%s: [net] %s is only for mode = egress (%s: mode = %s)", a,
					key, where(pol, "net.mode", b, sizeof(b)),
					sbx_net_mode_name(pol->net.mode));
		}
	}
	return 0;
}

static int check_fs(struct sbx_policy *pol, struct sbx_err *err)
{
	static const char *const fs_keys[] = {"fs.root_size", "fs.ro", "fs.rw",
					      "fs.tmpfs",     "fs.proc", "fs.dev"};
	char a[160], b[160];

	/* (Without a mount namespace no /proc is made, and [fs] is refused.) */
	if (pol->ns.mount && !pol->ns.pid && pol->fs.proc)
		return sbx_fail(err, SBX_STEP_POLICY, 0,
				"%s: [namespaces] pid = no, but %s: [fs] proc = yes "
				"(a new /proc needs the new PID namespace: set [fs] proc = no)",
				where(pol, "namespaces.pid", a, sizeof(a)),
				where(pol, "fs.proc", b, sizeof(b)));
	/* Without a mount namespace there is no new root: every [fs] key the
	 * policy gives would be silently dropped. */
	if (!pol->ns.mount) {
		for (size_t i = 0; i < sizeof(fs_keys) / sizeof(fs_keys[0]); i++) {
			if (sbx_policy_is_explicit(pol, fs_keys[i]))
				return sbx_fail(err, SBX_STEP_POLICY, 0,
						"%s: [fs] %s needs a mount namespace, but %s: "
						"[namespaces] mount = no",
						where(pol, fs_keys[i], a, sizeof(a)), fs_keys[i] + 3,
						where(pol, "namespaces.mount", b, sizeof(b)));
		}
	}
	/* Two mounts on one place: the second would hide the first. /proc and
	 * /dev are taken when the jail makes them. */
	for (size_t i = 0; i < pol->fs.n_mounts; i++) {
		const struct sbx_mount *m = &pol->fs.mounts[i];
		if (!pol->ns.mount)
			break;
		sbx_origin_format(&m->origin, a, sizeof(a));
		if ((pol->fs.proc && strcmp(m->dst, "/proc") == 0) ||
		    (pol->fs.dev && strcmp(m->dst, "/dev") == 0)) {
			const char *key = m->dst[1] == 'p' ? "fs.proc" : "fs.dev";
			return sbx_fail(err, SBX_STEP_POLICY, 0,
					"%s: [fs] mount on %s, which [fs] %s = yes makes (%s)", a,
					m->dst, key + 3, where(pol, key, b, sizeof(b)));
		}
		for (size_t j = 0; j < i; j++) {
			const struct sbx_mount *first = &pol->fs.mounts[j];
			sbx_origin_format(&first->origin, b, sizeof(b));
			if (strcmp(first->dst, m->dst) == 0) {
				sbx_fail(err, SBX_STEP_POLICY, 0,
					 "%s: [fs] a second mount on %s (the first is at %s)", a,
					 m->dst, b);
				if (first->origin.line == 0)
					sbx_hint(err, "a list key given in a policy file replaces "
						      "the built-in list of that key only");
				return -1;
			}
			/* A mount inside another (/tmp/d in /tmp) is fine in any
			 * order: the mount step makes parents first. */
		}
	}
	return 0;
}

static int check_sandbox(struct sbx_policy *pol, struct sbx_err *err)
{
	char a[160], b[160];

	if (pol->sandbox.bind_cwd == SBX_BIND_CWD_NO && pol->sandbox.cwd[0] == '\0') {
		char *root = strdup("/");
		if (!root)
			return sbx_fail(err, SBX_STEP_POLICY, ENOMEM, "cwd");
		free(pol->sandbox.cwd);
		pol->sandbox.cwd = root;
	}
	/* The host name is set in the jail's own UTS namespace; without one it
	 * would be the host's (or fail), so an explicit one is a contradiction. */
	if (!pol->ns.uts && sbx_policy_is_explicit(pol, "sandbox.hostname"))
		return sbx_fail(err, SBX_STEP_POLICY, 0,
				"%s: [sandbox] hostname needs a UTS namespace, but %s: "
				"[namespaces] uts = no",
				where(pol, "sandbox.hostname", a, sizeof(a)),
				where(pol, "namespaces.uts", b, sizeof(b)));
	/* env sets a value, pass_env copies the caller's: both for one name
	 * leaves the reader guessing which wins. */
	for (size_t i = 0; i < pol->sandbox.n_pass_env; i++) {
		const char *name = pol->sandbox.pass_env[i];
		size_t len = strlen(name);
		for (size_t j = 0; j < pol->sandbox.n_env; j++)
			if (strncmp(pol->sandbox.env[j], name, len) == 0 &&
			    pol->sandbox.env[j][len] == '=')
				return sbx_fail(err, SBX_STEP_POLICY, 0,
						"[sandbox] %s is in both env (%s) and pass_env (%s): "
						"keep one",
						name, where(pol, "sandbox.env", a, sizeof(a)),
						where(pol, "sandbox.pass_env", b, sizeof(b)));
	}
	return 0;
}

static int check_seccomp(struct sbx_policy *pol, struct sbx_err *err)
{
	char a[160], b[160];

	for (size_t i = 0; i < pol->seccomp.n_deny; i++) {
		for (size_t j = 0; j < pol->seccomp.n_allow; j++) {
			if (pol->seccomp.deny[i].nr != pol->seccomp.allow[j].nr)
				continue;
			sbx_origin_format(&pol->seccomp.deny[i].origin, a, sizeof(a));
			sbx_origin_format(&pol->seccomp.allow[j].origin, b, sizeof(b));
			return sbx_fail(err, SBX_STEP_POLICY, 0,
					"%s: [seccomp] deny %s contradicts %s: [seccomp] allow %s",
					a, pol->seccomp.deny[i].name, b, pol->seccomp.allow[j].name);
		}
	}
	return 0;
}

int sbx_policy_finish(struct sbx_policy *pol, struct sbx_err *err)
{
	if (check_net(pol, err) || check_fs(pol, err) || check_sandbox(pol, err) ||
	    check_seccomp(pol, err))
		return -1;
	return 0;
}
