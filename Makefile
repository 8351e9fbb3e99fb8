# kizuna: one non-recursive Makefile.
#   make            build build/kizuna (release flags)
#   make run        install dependencies, build, initialise ./var/kizuna.db once, serve
#   make test       install dependencies, build, run unit, integration and fuzz-corpus tests
#   make asan       the test suite built with ASan and UBSan (build/asan/)
#   make fuzz       libFuzzer targets in build/fuzz/ (clang)
#   make bench      benchmarks against their baselines
# Variables: DEV=1 makes warnings fatal; SAN=1 adds sanitizers; DEBUG=1 builds without optimisation.

CC      ?= cc
BUILD   ?= build
PKGS    := libmicrohttpd jansson sqlite3 libcurl libsodium libpcre2-8 zlib gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wold-style-definition -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 \
        -Wundef -Wvla -Wimplicit-fallthrough -fno-common
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(PKG_CFLAGS) -MMD -MP -pthread
ifeq ($(DEBUG),1)
CFLAGS_OPT := -O0 -g
else
CFLAGS_OPT := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
endif
ifeq ($(DEV),1)
CFLAGS_BASE += -Werror
endif
ifeq ($(SAN),1)
CFLAGS_OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_SAN := -fsanitize=address,undefined
endif
ALL_CFLAGS := $(CFLAGS_BASE) $(CFLAGS_OPT) $(CFLAGS)
LIBS := $(PKG_LIBS) -lm -pthread $(LDFLAGS_SAN) $(LDFLAGS)

LIB_SRC  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/cli/main.o
LIBKZ    := $(BUILD)/libkizuna.a

UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all run test check asan fuzz bench deps format format-check clean
all: $(BUILD)/kizuna

deps:
	@./scripts/install-deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBKZ): $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/kizuna: $(MAIN_OBJ) $(LIBKZ)
	@echo "LINK $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBKZ)
	@mkdir -p $(dir $@)
	@echo "LINK $@"
	@$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIBKZ) $(LIBS) -lcmocka

$(BUILD)/tests/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBKZ)
	@mkdir -p $(dir $@)
	@echo "LINK $@"
	@$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< tests/fuzz/replay.c $(LIBKZ) $(LIBS)

FUZZ_CFLAGS := $(CFLAGS_BASE) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC (fuzz) $<"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@echo "LINK (fuzz) $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LIBS)

check: $(BUILD)/kizuna $(UNIT_BIN) $(REPLAY_BIN)
	@BUILD=$(BUILD) ./scripts/run-tests

test: deps
	@$(MAKE) --no-print-directory check

asan: deps
	@$(MAKE) --no-print-directory SAN=1 BUILD=build/asan check

fuzz: deps $(FUZZ_BIN)

run: deps $(BUILD)/kizuna
	@./scripts/run-hub

bench: deps $(BUILD)/kizuna
	@./bench/run-all

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h tests/*/*.c tests/unit/*/*.c)

format-check:
	clang-format --dry-run --Werror $(wildcard src/*/*.c src/*/*.h)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
