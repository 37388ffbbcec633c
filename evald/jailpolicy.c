/*
 * jailpolicy: base policy -> effective policy file, validated twice with the
 * policy module (the base for the user's line numbers, the result for ours).
 */
#include "jailpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "sbx.h"

/* Keys the service sets itself: the base may not. */
static const char *const owned[] = { "sandbox.cwd", "sandbox.bind_cwd", "sandbox.report" };

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *g = realloc(buf, cap = (cap + 4096) * 2);

			if (!g) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = g;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Is this line `[limits]`-section `wall_time = ...`? (section tracked by the caller) */
static int key_is(const char *line, const char *key)
{
	size_t k = strlen(key);

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, key, k) != 0)
		return 0;
	line += k;
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '=' || *line == ':';
}

static void format_err(const struct sbx_err *e, char *err, size_t errlen)
{
	char buf[768];
	size_t n = sbx_err_format(e, buf, sizeof(buf));

	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	snprintf(err, errlen, "%s", buf);
}

static int write_effective(struct evald *ev, const char *text, const struct sbx_policy *base,
			   char *err, size_t errlen)
{
	char path[4096], tmp[4096];
	const char *p = text;
	char section[64] = "";
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/policy.ini", ev->state_dir);
	snprintf(tmp, sizeof(tmp), "%s/policy.ini.tmp", ev->state_dir);
	f = fopen(tmp, "we");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* The base, line for line (its line numbers hold here too), less its wall_time. */
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '[') {
			size_t s = strcspn(q + 1, "]");

			snprintf(section, sizeof(section), "%.*s", (int)(s < 63 ? s : 63), q + 1);
		}
		if (strcmp(section, "limits") == 0 && key_is(p, "wall_time"))
			fprintf(f, "; wall_time: enforced by sbx-evald from the handover (see below)\n");
		else
			fprintf(f, "%.*s\n", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	fprintf(f, "\n; ---- above: %s; below: added by sbx-evald ----\n[sandbox]\n",
		ev->policy_name);
	fprintf(f, "cwd = %s\nbind_cwd = no\nreport = ./report.json\n", EVALD_HOME);
	/* A list key the base left at its default would be replaced by ours: repeat the default. */
	if (!sbx_policy_is_explicit(base, "sandbox.env"))
		for (i = 0; i < base->sandbox.n_env; i++)
			fprintf(f, "env = %s\n", base->sandbox.env[i]);
	fprintf(f, "env = HOME=%s\n", EVALD_HOME);
	if (ev->cfg.eval.user_base)
		fprintf(f, "env = PYTHONUSERBASE=%s\n", EVALD_USER_BASE);
	fprintf(f, "[fs]\n");
	if (!sbx_policy_is_explicit(base, "fs.ro"))
		for (i = 0; i < base->fs.n_mounts; i++)
			if (base->fs.mounts[i].kind == SBX_MOUNT_RO)
				fprintf(f, "ro = %s%s:%s\n", base->fs.mounts[i].optional ? "?" : "",
					base->fs.mounts[i].src, base->fs.mounts[i].dst);
	fprintf(f, "rw = ./home:%s\n", EVALD_HOME);
	if (ev->cfg.eval.user_base)
		fprintf(f, "ro = %s:%s\n", ev->cfg.eval.user_base, EVALD_USER_BASE);
	fprintf(f, "[limits]\nwall_time = 0\n");
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		return -1;
	}
	fchmod(fileno(f), 0644);
	fclose(f);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
		return -1;
	}
	ev->policy_path = strdup(path);
	return ev->policy_path ? 0 : -1;
}

int evald_policy_prepare(struct evald *ev, char *err, size_t errlen)
{
	struct sbx_policy base, eff;
	struct sbx_err e = { 0 };
	char *text = NULL, run_dir[4096];
	size_t len = 0, i;
	int rc = -1;

	memset(&base, 0, sizeof(base));
	memset(&eff, 0, sizeof(eff));
	if (ev->cfg.eval.policy) {
		text = read_all(ev->cfg.eval.policy, &len);
		if (!text) {
			snprintf(err, errlen, "%s: %s", ev->cfg.eval.policy, strerror(errno));
			return -1;
		}
	} else {
		text = strdup(evald_policy_ini);
		len = strlen(evald_policy_ini);
		if (!text)
			return -1;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: contains a NUL byte", ev->policy_name);
		goto out;
	}
	/* The base: its errors name its own FILE:LINE. */
	if (sbx_policy_defaults(&base, ev->state_dir, &e) < 0 ||
	    sbx_policy_load_text(&base, text, len, ev->policy_name, &e) < 0 ||
	    sbx_policy_finish(&base, &e) < 0) {
		format_err(&e, err, errlen);
		goto out;
	}
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		if (sbx_policy_is_explicit(&base, owned[i])) {
			snprintf(err, errlen,
				 "%s: %s is set by sbx-evald (each jail gets its own home as cwd "
				 "and its own report): remove it",
				 ev->policy_name, owned[i]);
			goto out;
		}
	}
	ev->wall_ms = base.limits.wall_time_ms;
	snprintf(ev->wall_text, sizeof(ev->wall_text), "%s",
		 base.limits.wall_time_text ? base.limits.wall_time_text : "0");
	if (write_effective(ev, text, &base, err, errlen) < 0)
		goto out;
	/* The effective policy, as a jail will read it from a per-run directory. */
	snprintf(run_dir, sizeof(run_dir), "%s/run.check", ev->state_dir);
	if (sbx_policy_defaults(&eff, run_dir, &e) < 0 ||
	    sbx_policy_load_file(&eff, ev->policy_path, &e) < 0 || sbx_policy_finish(&eff, &e) < 0) {
		format_err(&e, err, errlen);
		goto out;
	}
	rc = 0;
out:
	sbx_policy_free(&base);
	sbx_policy_free(&eff);
	free(text);
	return rc;
}
