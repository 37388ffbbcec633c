#include "env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int sbx_env_is_ours(const char *entry)
{
	return strncmp(entry, "LD_PRELOAD=", 11) == 0 || strncmp(entry, "SBX_", 4) == 0;
}

static size_t name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* The index of NAME in list[0..n), or -1. */
static long find_name(char **list, size_t n, const char *entry)
{
	size_t len = name_len(entry);
	for (size_t i = 0; i < n; i++)
		if (name_len(list[i]) == len && strncmp(list[i], entry, len) == 0)
			return (long)i;
	return -1;
}

/* Set entry in list, replacing a variable of the same name. */
static void put(char **list, size_t *n, char *entry)
{
	long i = find_name(list, *n, entry);
	if (i >= 0)
		list[i] = entry;
	else
		list[(*n)++] = entry;
}

char **sbx_env_build(const struct sbx_policy *pol, char **envp, size_t *n, struct sbx_err *err)
{
	size_t n_old = 0, n_new = 0;
	char **list;

	while (envp[n_old])
		n_old++;
	list = calloc(n_old + pol->sandbox.n_env + pol->sandbox.n_pass_env + 1, sizeof(*list));
	if (!list) {
		sbx_fail(err, SBX_STEP_ENV, ENOMEM, "environment");
		return NULL;
	}
	for (size_t i = 0; i < n_old; i++) {
		if (sbx_env_is_ours(envp[i]))
			continue;
		if (pol->sandbox.keep_env) {
			put(list, &n_new, envp[i]);
			continue;
		}
		for (size_t k = 0; k < pol->sandbox.n_pass_env; k++) {
			const char *name = pol->sandbox.pass_env[k];
			size_t len = strlen(name);
			if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
				put(list, &n_new, envp[i]);
		}
	}
	for (size_t k = 0; k < pol->sandbox.n_env; k++)
		put(list, &n_new, pol->sandbox.env[k]);
	*n = n_new;
	return list;
}

int sbx_env_apply(const struct sbx_policy *pol, char **envp, struct sbx_err *err)
{
	size_t n_old = 0, n_new = 0, bytes = 0;
	char **list, *buf, *p;

	while (envp[n_old])
		n_old++;
	list = sbx_env_build(pol, envp, &n_new, err);
	if (!list)
		return -1;

	/* Copy what stays before the originals are wiped. */
	for (size_t i = 0; i < n_new; i++)
		bytes += strlen(list[i]) + 1;
	buf = malloc(bytes ? bytes : 1);
	if (!buf) {
		free(list);
		return sbx_fail(err, SBX_STEP_ENV, ENOMEM, "environment");
	}
	p = buf;
	for (size_t i = 0; i < n_new; i++) {
		size_t len = strlen(list[i]) + 1;
		memcpy(p, list[i], len);
		list[i] = p;
		p += len;
	}

	/* Wipe every original string, and find whether the kernel's block (the
	 * strings laid end to end) can hold the new ones. */
	char *block = n_old ? envp[0] : NULL;
	size_t block_len = 0;
	int contiguous = 1;
	for (size_t i = 0; i < n_old; i++) {
		size_t len = strlen(envp[i]) + 1;
		if (envp[i] != block + block_len)
			contiguous = 0;
		else
			block_len += len;
		explicit_bzero(envp[i], len - 1);
	}
	if (contiguous && block && bytes <= block_len) {
		memcpy(block, buf, bytes);
		for (size_t i = 0; i < n_new; i++)
			list[i] = block + (list[i] - buf);
		explicit_bzero(buf, bytes);
		free(buf);
	}

	/* main's envp is this same array: reuse it when the new list fits. */
	if (n_new <= n_old) {
		memcpy(envp, list, n_new * sizeof(*list));
		for (size_t i = n_new; i <= n_old; i++)
			envp[i] = NULL;
		environ = envp;
		free(list);
	} else {
		list[n_new] = NULL;
		environ = list;
		for (size_t i = 0; i <= n_old; i++)
			envp[i] = i < n_old ? list[i] : NULL;
	}
	return 0;
}
