/*
 * fuzz_policy: libFuzzer target for the policy parser (`make fuzz`).
 *
 * Each input is a policy file: defaults, load_text, finish, dump, free. When
 * the policy is valid, its dump must read back to the same dump (the
 * round-trip promise of sbx_policy_dump); a difference aborts. The input is
 * also tried as -s overrides, one per line. ASan and UBSan (from the Makefile) catch
 * the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "sbx.h"

static char *dump(const struct sbx_policy *pol)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	if (sbx_policy_dump(pol, f))
		abort();
	fclose(f);
	return buf;
}

/* A valid policy's dump must read back to the same dump. */
static void check_round_trip(const struct sbx_policy *pol)
{
	struct sbx_policy again;
	struct sbx_err err = {0};
	char *d1 = dump(pol), *d2;

	if (sbx_policy_defaults(&again, "/elsewhere", &err) ||
	    sbx_policy_load_text(&again, d1, strlen(d1), "dump.ini", &err) ||
	    sbx_policy_finish(&again, &err)) {
		fprintf(stderr, "dump does not read back: %s\n%s", err.detail, d1);
		abort();
	}
	d2 = dump(&again);
	if (strcmp(d1, d2) != 0) {
		fprintf(stderr, "dump changed on reading back:\n%s---\n%s", d1, d2);
		abort();
	}
	free(d1);
	free(d2);
	sbx_policy_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_policy pol;
	struct sbx_err err = {0};
	char *text;

	if (sbx_policy_defaults(&pol, "/home/fuzz", &err))
		abort(); /* the built-in policy must always load */
	if (sbx_policy_load_text(&pol, (const char *)data, size, "fuzz.ini", &err) == 0 &&
	    sbx_policy_finish(&pol, &err) == 0)
		check_round_trip(&pol);
	sbx_policy_free(&pol);

	/* The same bytes as -s overrides, one per line. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sbx_policy_defaults(&pol, "/home/fuzz", &err))
		abort();
	int ok = 1;
	for (char *line = strtok(text, "\n"); line && ok; line = strtok(NULL, "\n"))
		ok = sbx_policy_override(&pol, line, &err) == 0;
	if (ok && sbx_policy_finish(&pol, &err) == 0)
		check_round_trip(&pol);
	sbx_policy_free(&pol);
	free(text);
	return 0;
}
