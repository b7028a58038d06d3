# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# cpool build.  `make` builds everything into build/; `make check` runs the
# unit tests on the host and the lab tests under QEMU on both kernels.
# Sources are found by wildcard, so a new file needs no edit here.

BUILD		?= build
PREFIX		?= /usr/local
DESTDIR		?=
V		?= 0

CC		?= cc
CLANG		?= clang
BPFTOOL		?= bpftool
PKG_CONFIG	?= pkg-config

ifeq ($(V),0)
Q		:= @
msg		= @printf '  %-8s %s\n' "$(1)" "$(2)";
else
Q		:=
msg		=
endif

PKGS		:= libbpf libcgroup hwloc inih jansson sqlite3 libmicrohttpd libelf
WARN		:= -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 -Wvla \
		   -Wmissing-prototypes -Wstrict-prototypes
CPPFLAGS	+= -Iinclude -I$(BUILD)/include -D_GNU_SOURCE
BASE_CFLAGS	:= -std=gnu11 -g $(WARN) -MMD -MP -fno-omit-frame-pointer
CFLAGS		?= -O2
SAN_FLAGS	:= -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
pkg_cflags	= $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
pkg_libs	= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
LDLIBS		+= $(pkg_libs) -lm -lpthread

# ---- sources ---------------------------------------------------------------
LIB_SRCS	:= $(sort $(wildcard userspace/lib/*.c userspace/sys/*.c))
CLI_SRCS	:= $(sort $(wildcard userspace/cpool/*.c))
DAEMON_SRCS	:= $(sort $(wildcard userspace/cpoold/*.c))
BPF_SRCS	:= $(sort $(wildcard bpf/*.bpf.c))
UNIT_SRCS	:= $(sort $(wildcard tests/unit/test_*.c))
LAB_SRCS	:= $(sort $(wildcard tests/lab/test_*.c))
FUZZ_SRCS	:= $(sort $(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRCS	:= $(sort $(wildcard tools/bench-*.c))

LIB_OBJS	:= $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_SAN_OBJS	:= $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
CLI_OBJS	:= $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJS	:= $(DAEMON_SRCS:%.c=$(BUILD)/obj/%.o)
BPF_OBJS	:= $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
SKELS		:= $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/include/cpool/skel/%.skel.h)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
LAB_BINS	:= $(LAB_SRCS:tests/lab/%.c=$(BUILD)/tests/lab/%)
BENCH_BINS	:= $(BENCH_SRCS:tools/%.c=$(BUILD)/tools/%)

LIBCPOOL	:= $(BUILD)/libcpool.a
LIBCPOOL_SAN	:= $(BUILD)/san/libcpool.a
PROGRAMS	:= $(BUILD)/cpool $(if $(DAEMON_SRCS),$(BUILD)/cpoold)
VMLINUX_H	:= $(BUILD)/include/vmlinux.h
DEPS_STAMP	:= $(BUILD)/.deps-ok

.PHONY: all deps check check-unit check-lab unit-tests bench fuzz install clean format help demo run
.DELETE_ON_ERROR:
# Test objects are intermediates of a pattern chain; keep them for incremental builds.
.SECONDARY:

all: $(PROGRAMS) $(LIBCPOOL) $(BPF_OBJS) $(UNIT_BINS) $(LAB_BINS) $(BENCH_BINS)

help:
	@echo "make demo       deps, build, and compare three policies on live jobs in the lab (build/demo/)"
	@echo "sudo make run   the same against this machine (needs the unified cgroup v2 hierarchy)"
	@echo "make            build programs, library, BPF objects and unit tests"
	@echo "make check      unit tests on the host, then lab tests (QEMU, kernels 6.1 and 6.12)"
	@echo "make check-unit unit tests only (ASan + UBSan)"
	@echo "make check-lab  lab tests only"
	@echo "make bench      build the benchmarks tools/bench-*.c into $(BUILD)/tools/"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"
	@echo "make format     clang-format every C file"

# tools/deps.sh is quiet and quick when all is there; the stamp only spares
# the dpkg queries on every incremental build.
$(DEPS_STAMP): tools/deps.sh
	$(call msg,DEPS,tools/deps.sh)
	$(Q)tools/deps.sh
	$(Q)mkdir -p $(@D) && touch $@

deps:
	$(Q)tools/deps.sh

# ---- BPF -------------------------------------------------------------------
$(VMLINUX_H): | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)if [ ! -r /sys/kernel/btf/vmlinux ]; then \
		echo "error: /sys/kernel/btf/vmlinux is missing: the build kernel needs CONFIG_DEBUG_INFO_BTF=y to generate vmlinux.h" >&2; \
		exit 1; fi
	$(Q)command -v $(BPFTOOL) >/dev/null || { echo "error: bpftool not found: install the Debian package 'bpftool' (tools/deps.sh)" >&2; exit 1; }
	$(call msg,VMLINUX,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

BPF_ARCH	:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_CFLAGS	:= -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror \
		   -I$(BUILD)/include -Iinclude -Ibpf

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/include/cpool/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# ---- userspace -------------------------------------------------------------
# Skeletons are generated headers: every object waits for them (order-only),
# and -MMD records the real dependency after the first build.
$(BUILD)/obj/%.o: %.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) $(pkg_cflags) -c $< -o $@

$(BUILD)/san/%.o: %.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(SAN_FLAGS) $(pkg_cflags) -c $< -o $@

$(LIBCPOOL): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBCPOOL_SAN): $(LIB_SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/cpool: $(CLI_OBJS) $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(LIBCPOOL) $(LDFLAGS) $(LDLIBS)

$(BUILD)/cpoold: $(DAEMON_OBJS) $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $(DAEMON_OBJS) $(LIBCPOOL) $(LDFLAGS) $(LDLIBS)

# ---- tests -----------------------------------------------------------------
$(BUILD)/tests/unit/%: $(BUILD)/san/tests/unit/%.o $(LIBCPOOL_SAN)
	$(call msg,LD-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(LIBCPOOL_SAN) $(LDFLAGS) $(LDLIBS)

# Lab tests run under TCG, where sanitizers would only slow them down.
$(BUILD)/tests/lab/%: $(BUILD)/obj/tests/lab/%.o $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIBCPOOL) $(LDFLAGS) $(LDLIBS)

unit-tests: $(UNIT_BINS)

# Benchmarks: tools/bench-NAME.c -> build/tools/bench-NAME, optimised, no sanitizers.
$(BUILD)/tools/%: $(BUILD)/obj/tools/%.o $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIBCPOOL) $(LDFLAGS) $(LDLIBS)

bench: $(BENCH_BINS)

# Tests find the sources and ../shared (real topologies and traces) through
# these; where ../shared is absent the tests that need it skip with the reason.
TEST_ENV	:= CPOOL_SRCDIR=$(CURDIR) CPOOL_BUILD=$(abspath $(BUILD)) \
		   CPOOL_SHARED=$(abspath ../shared) \
		   ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The programs too: some unit tests run the CLI end to end ($(CPOOL_BUILD)/cpool).
check-unit: $(UNIT_BINS) $(PROGRAMS)
	$(Q)$(TEST_ENV) prove --exec '' $(UNIT_BINS)

LAB_KERNELS	?= 6.1 6.12
LAB_SHAPES	?= 2x2 4x1

check-lab: all
	$(Q)tools/lab-check $(foreach k,$(LAB_KERNELS),--kernel $(k)) \
		$(foreach s,$(LAB_SHAPES),--numa $(s))

check: deps
	$(Q)$(MAKE) --no-print-directory check-unit
	$(Q)$(MAKE) --no-print-directory check-lab

# libFuzzer targets: tests/fuzz/fuzz_NAME.c -> build/fuzz/fuzz_NAME, built
# with clang against the library sources (not libcpool.a: every object
# needs the fuzzer's coverage instrumentation).
FUZZ_BINS	:= $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_FLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined $(WARN)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) | $(SKELS) $(DEPS_STAMP)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_FLAGS) $(pkg_cflags) -o $@ $< $(LIB_SRCS) $(LDLIBS)

fuzz: $(FUZZ_BINS)

# ---- demo -----------------------------------------------------------------
# tools/demo installs what is missing and builds before it boots the lab.
demo:
	$(Q)tools/demo

# The demo against this machine: cpoold on docs/bench-pool.ini, then the bench.
run: all
	$(Q)tools/demo --host

# ---- install ---------------------------------------------------------------
# The unit goes where systemd looks for packaged units of this prefix
# (/usr/lib/systemd/system, /usr/local/lib/systemd/system).
UNITDIR		:= $(PREFIX)/lib/systemd/system
DOCDIR		:= $(PREFIX)/share/doc/cpool

install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(BUILD)/cpool $(DESTDIR)$(PREFIX)/bin/cpool
	$(if $(DAEMON_SRCS),install -m 0755 $(BUILD)/cpoold $(DESTDIR)$(PREFIX)/sbin/cpoold)
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
		userspace/cpoold/cpoold.service > $(DESTDIR)$(UNITDIR)/cpoold.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/cpoold.service
	install -m 0644 docs/pool.ini.example docs/daemon.md $(DESTDIR)$(DOCDIR)/

# Every C file of the tree, whatever directory it is in (tests/lab,
# tests/fuzz and tools too); not the build's generated headers.
FORMAT_SRCS	= $(shell find . \( -path './$(BUILD)' -o -path ./.git \) -prune -o \
		  -type f \( -name '*.c' -o -name '*.h' \) -print | sort)

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

# What CI can run: lists each badly formatted place and fails, changes nothing.
.PHONY: check-format
check-format:
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
