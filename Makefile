# sbx: sandbox.so (the preload), sbx (the launcher), sbx-evald (the service).
# `make` builds them; `make test` runs every test and ends with "N passed, N failed".

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=

WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -iquote preload -iquote policy -I$(BUILD)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -fPIC -fvisibility=hidden $(WARN)
LIBS     := -lseccomp -linih -ljansson

# -iquote: our headers are found by quotes only, so preload/seccomp.h and
# preload/limits.h never shadow the system's <seccomp.h> and <limits.h>.

POLICY_SRC  := $(sort $(wildcard policy/*.c))
PRELOAD_SRC := $(filter-out preload/sandbox.c,$(sort $(wildcard preload/*.c)))
LIB_OBJ     := $(POLICY_SRC:%.c=$(BUILD)/%.o) $(PRELOAD_SRC:%.c=$(BUILD)/%.o) $(BUILD)/default_policy.o
LAUNCHER_SRC := $(sort $(wildcard launcher/*.c))
EVALD_SRC   := $(sort $(wildcard evald/*.c))
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
HELPER_SRC  := $(sort $(wildcard tests/helpers/*.c))
HELPERS     := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/helpers/%)

TARGETS := sandbox.so
ifneq ($(LAUNCHER_SRC),)
TARGETS += sbx
endif
ifneq ($(EVALD_SRC),)
TARGETS += sbx-evald
endif

all: $(TARGETS)

$(BUILD)/%.o: %.c $(wildcard preload/*.h policy/*.h launcher/*.h evald/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The default policy is the shipped sandbox.ini, compiled in: default == shipped.
$(BUILD)/default_policy.c: sandbox.ini scripts/embed.sh
	@mkdir -p $(BUILD)
	sh scripts/embed.sh sbx_default_policy_text < sandbox.ini > $@

$(BUILD)/default_policy.o: $(BUILD)/default_policy.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libsbx.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# sandbox.so carries its libraries inside (static, and hidden: they neither
# cost the loader a file each on every run nor interpose on the program's own
# copies of libseccomp, inih or jansson); it needs only libc.
sandbox.so: $(BUILD)/preload/sandbox.o $(BUILD)/libsbx.a
	$(CC) -shared -Wl,-z,now -Wl,-z,relro -Wl,--no-undefined -Wl,--exclude-libs,ALL -o $@ $^ \
	  -Wl,-Bstatic $(LIBS) -Wl,-Bdynamic

# sbx is linked static (static-pie): no loader runs before the jail is built,
# so no LD_PRELOAD (a stray sandbox.so included) reaches sbx itself, and
# start-up skips relocating four libraries, which pays for the program's own
# exec inside the jail (`sbx /bin/true` costs what the LD_PRELOAD path does).
sbx: $(LAUNCHER_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libsbx.a
	$(CC) -static-pie -Wl,-z,now -Wl,-z,relro -o $@ $^ $(LIBS)

# Man pages from scdoc Markdown: docs/sbx.1.scd -> $(BUILD)/man/sbx.1.
# Part of `all` where scdoc is installed; `make man` and `make install` need it.
MAN_SRC := $(sort $(wildcard docs/*.scd))
MANS    := $(MAN_SRC:docs/%.scd=$(BUILD)/man/%)
ifneq ($(shell command -v scdoc 2> /dev/null),)
all: $(MANS)
endif

$(BUILD)/man/%: docs/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp && mv $@.tmp $@

man: $(MANS)

# sbx-evald compiles in its jail runner and its default jail policy.
$(BUILD)/evald/embedded.c: evald/runner.py evald/evald-policy.ini scripts/embed.sh
	@mkdir -p $(dir $@)
	{ sh scripts/embed.sh evald_runner_py < evald/runner.py && \
	  sh scripts/embed.sh evald_policy_ini < evald/evald-policy.ini; } > $@

$(BUILD)/evald/embedded.o: $(BUILD)/evald/embedded.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

sbx-evald: $(EVALD_SRC:%.c=$(BUILD)/%.o) $(BUILD)/evald/embedded.o $(BUILD)/libsbx.a
	$(CC) -pie -Wl,-z,now -Wl,-z,relro -o $@ $^ $(LIBS) -lmicrohttpd -lpthread

# Small C programs the integration tests run under the jail.
$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	  $(if $(findstring static,$*),-static,) -o $@ $<

helpers: $(HELPERS)

# Unit tests link the library alone (policy/ needs no preload/).
$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libsbx.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $^ $(LIBS)

UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

test: all helpers $(UNIT_BINS)
	@BUILD=$(BUILD) bash tests/run.sh

# Unit tests under AddressSanitizer and UBSan, in their own build tree.
check:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	  $(UNIT_SRC:tests/unit/%.c=build-asan/unit/%)
	@set -e; for t in $(UNIT_SRC:tests/unit/%.c=build-asan/unit/%); do \
	  ASAN_OPTIONS=detect_leaks=1 ./$$t; done

# Fuzz the policy parser for a bounded time (libFuzzer via clang).
FUZZ_SECONDS ?= 60
fuzz:
	@mkdir -p $(BUILD)/fuzz
	sh scripts/embed.sh sbx_default_policy_text < sandbox.ini > $(BUILD)/fuzz/default_policy.c
	clang $(CPPFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	  -o $(BUILD)/fuzz/fuzz_policy tests/fuzz/fuzz_policy.c $(POLICY_SRC) preload/err.c \
	  $(BUILD)/fuzz/default_policy.c -lseccomp -linih
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_policy -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  $(BUILD)/fuzz/corpus tests/fuzz/corpus

bench: all
	bash scripts/bench.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --suppress=missingIncludeSystem -D_GNU_SOURCE -Ipreload -Ipolicy preload policy launcher evald

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/sbx $(DESTDIR)$(PREFIX)/share/sbx
	install -m 0644 sandbox.so $(DESTDIR)$(PREFIX)/lib/sbx/sandbox.so
	install -m 0644 sandbox.ini $(DESTDIR)$(PREFIX)/share/sbx/sandbox.ini
	for t in sbx sbx-evald; do [ ! -f $$t ] || install -m 0755 $$t $(DESTDIR)$(PREFIX)/bin/$$t; done
	for m in $(MANS); do s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s && \
	  install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/ || exit 1; done
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 completions/sbx $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sbx

clean:
	rm -rf build build-asan sandbox.so sbx sbx-evald

.PHONY: all helpers test check fuzz bench format lint install clean man
