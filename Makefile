# cprof — a sampling profiler for native Linux processes.
#
#   make                build build/cprof
#   make check          install missing test packages, build, run all tests
#   make demo           profile the bundled demo program, write demo.svg
#   make install        install binary and man pages (PREFIX, DESTDIR)
#   make lint           clang-format check and cppcheck
#
# Knobs: V=1 (show commands), DEBUG=1 (-O0 -g3), SAN=address,undefined,
# WERROR=1 (warnings are errors; CI sets it), EXTRA_CFLAGS, EXTRA_LDFLAGS.

.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man/man1

B := build
PKGS := libunwind-ptrace libdw libelf libcjson zlib libcurl

CC ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

WARN := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings \
	-Wshadow -Wformat=2 -Wno-format-nonliteral -fno-common
# The test command treats warnings as errors, so CI and `make check` agree.
ifneq ($(filter check,$(MAKECMDGOALS)),)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

ifeq ($(DEBUG),1)
OPT := -O0 -g3
else
OPT := -O2 -g
endif

ifneq ($(SAN),)
SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# Dependencies are checked (and installed when missing) before anything builds.
DEPS_STAMP := $(B)/.deps-build
TEST_DEPS_STAMP := $(B)/.deps-test

PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) -MMD -MP -I$(B) -Isrc \
	$(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(EXTRA_LDFLAGS)
LIBS_ALL = $(PKG_LIBS) -lstdc++ -lpthread -lm

SRCS := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/cprof.c,$(SRCS))
OBJS := $(SRCS:src/%.c=$(B)/obj/%.o)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(B)/obj/%.o)

all: $(B)/cprof

$(DEPS_STAMP): scripts/install-deps.sh
	$(call msg,DEPS,build)
	$(Q)mkdir -p $(B)
	$(Q)scripts/install-deps.sh build
	$(Q)touch $@

$(TEST_DEPS_STAMP): scripts/install-deps.sh $(DEPS_STAMP)
	$(call msg,DEPS,test)
	$(Q)scripts/install-deps.sh test
	$(Q)touch $@

$(B)/syscallnames.inc: scripts/gen-syscalls.sh | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(B)
	$(Q)scripts/gen-syscalls.sh > $@

$(B)/obj/%.o: src/%.c $(B)/syscallnames.inc | $(DEPS_STAMP)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/libcprof.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(B)/cprof: $(B)/obj/cprof.o $(B)/libcprof.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# ---- tests ----------------------------------------------------------------

UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)

$(B)/tests/unit/%: tests/unit/%.c tests/unit/unit.h $(B)/libcprof.a
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $< $(B)/libcprof.a $(LIBS_ALL)

# Every target is built twice: -O0 with frame pointers, and -O2 without them
# so that DWARF CFI unwinding is what gets exercised.
TARGET_SRCS := $(wildcard tests/targets/t-*.c)
TARGET_NAMES := $(TARGET_SRCS:tests/targets/%.c=%)
TARGET_CFLAGS := -g -std=gnu11 -D_GNU_SOURCE -pthread -Wall
TARGET_LIBS := -ldl -lm
TARGETS_O0 := $(TARGET_NAMES:%=$(B)/targets/O0/%)
TARGETS_O2 := $(TARGET_NAMES:%=$(B)/targets/O2/%)

$(B)/targets/O0/%: tests/targets/%.c tests/targets/target.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(TARGET_CFLAGS) -O0 -fno-inline -fno-omit-frame-pointer -o $@ $< $(TARGET_LIBS)

$(B)/targets/O2/%: tests/targets/%.c tests/targets/target.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(TARGET_CFLAGS) -O2 -fomit-frame-pointer -o $@ $< $(TARGET_LIBS)

# Targets that need special builds (clang, stripped, shared libraries) are
# made by tests/targets/extra.mk.
-include tests/targets/extra.mk

build-tests: $(B)/cprof $(B)/demo $(UNIT_BINS) $(TARGETS_O0) $(TARGETS_O2) $(EXTRA_TARGETS)

check: $(TEST_DEPS_STAMP)
	$(Q)$(MAKE) --no-print-directory build-tests WERROR=$(WERROR)
	$(Q)B=$(B) tests/run-tests.sh $(TESTS)

# ---- demo, install, lint --------------------------------------------------

DEMO_DURATION ?= 5
demo: $(B)/cprof $(B)/demo
	$(Q)scripts/demo.sh $(B) $(DEMO_DURATION)

$(B)/demo: tests/targets/demo.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(B)
	$(Q)$(CC) -g -O2 -pthread -o $@ $< -lm

install: $(B)/cprof
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 $(B)/cprof $(DESTDIR)$(BINDIR)/cprof
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/

lint: $(TEST_DEPS_STAMP)
	$(Q)scripts/lint.sh

# Every benchmark, one table (docs/PERFORMANCE.md): BENCH_ARGS=--quick for a short run.
BENCH_BINS := $(patsubst scripts/bench/%.c,$(B)/bench/%,$(wildcard scripts/bench/*.c))
BENCH_LIBS_allstop = $(shell $(PKG_CONFIG) --cflags --libs libunwind-ptrace 2>/dev/null)

$(B)/bench/%: scripts/bench/%.c scripts/bench/bench.h | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -o $@ $< $(BENCH_LIBS_$*)

bench-tools: $(BENCH_BINS)

bench: $(B)/cprof bench-tools $(B)/targets/O2/t-ratio
	$(Q)scripts/bench-all --build $(B) $(BENCH_ARGS)

.PHONY: bench bench-tools

clean:
	rm -rf $(B)

.PHONY: all check build-tests demo install lint clean

-include $(OBJS:.o=.d)

# ---- fuzzing (tests/fuzz) ---------------------------------------------------
#
#   make fuzz [FUZZ_TIME=60] [FUZZ=recfile folded elf]
#
# builds each libFuzzer harness tests/fuzz/fuzz-NAME.c with clang
# (-fsanitize=fuzzer,address,undefined, the library rebuilt the same way in
# $(B)/fuzz-clang) and runs it FUZZ_TIME seconds on a copy of its corpus,
# tests/fuzz/corpus/NAME; see tests/fuzz/run.sh. `make build-tests` builds
# the same harnesses with the normal compiler and flags and a main() that
# replays files ($(B)/fuzz/replay-NAME), which `make check` runs on the
# corpus (tests/func/input-fuzz.sh).

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(B)/fuzz/replay-%)
FUZZ_HDRS := tests/fuzz/fuzz.h tests/fuzz/render.h

$(B)/fuzz/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c $(FUZZ_HDRS) $(B)/libcprof.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS_ALL)) -Itests/fuzz $(LDFLAGS_ALL) -o $@ \
		tests/fuzz/replay.c $< $(B)/libcprof.a $(LIBS_ALL)

build-tests: $(FUZZ_REPLAY)

FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ ?= $(FUZZ_NAMES)
FUZZ_B := $(B)/fuzz-clang
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -I$(B) -Isrc \
	-Itests/fuzz $(PKG_CFLAGS)
FUZZ_OBJS := $(LIB_SRCS:src/%.c=$(FUZZ_B)/obj/%.o)

$(FUZZ_B)/obj/%.o: src/%.c $(B)/syscallnames.inc | $(DEPS_STAMP)
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(FUZZ_B)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_HDRS) $(FUZZ_OBJS)
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
		$(FUZZ_OBJS) $(PKG_LIBS) -lstdc++ -lpthread -lm

# Kept between runs: they are made by a pattern rule, so make would delete them.
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ:%=$(FUZZ_B)/fuzz-%)

fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_TIME) $(FUZZ)

.PHONY: fuzz fuzz-build

-include $(FUZZ_OBJS:.o=.d)
