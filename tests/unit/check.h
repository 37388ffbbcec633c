/* check.h: the unit tests' one assertion. Prints PASS/FAIL lines for tests/run.sh. */
#ifndef SBX_CHECK_H
#define SBX_CHECK_H
#include <stdio.h>

static int check_failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		int check_ok_ = !!(cond);                                                          \
		if (check_ok_) {                                                                        \
			printf("PASS ");                                                           \
		} else {                                                                           \
			printf("FAIL ");                                                           \
			check_failures++;                                                          \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("%s\n", check_ok_ ? "" : " (" #cond ")");                                      \
	} while (0)

#define CHECK_DONE() (check_failures ? 1 : 0)
#endif
