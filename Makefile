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
MAN_SRCS	:= $(sort $(wildcard docs/man/*.scd))

LIB_OBJS	:= $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_SAN_OBJS	:= $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
CLI_OBJS	:= $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJS	:= $(DAEMON_SRCS:%.c=$(BUILD)/obj/%.o)
# The same daemon with named crash points, for the crash-injection lab test.
DAEMON_CRASH_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/crash/%.o)
BPF_OBJS	:= $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
SKELS		:= $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/include/cpool/skel/%.skel.h)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
LAB_BINS	:= $(LAB_SRCS:tests/lab/%.c=$(BUILD)/tests/lab/%)
BENCH_BINS	:= $(BENCH_SRCS:tools/%.c=$(BUILD)/tools/%)
MAN_PAGES	:= $(MAN_SRCS:docs/man/%.scd=$(BUILD)/man/%)

# The Slurm SPANK plugin, built where Slurm's headers are (libslurm-dev):
# a shared object, so its own position-independent copies of the few
# library files it speaks the protocol with.
SPANK_SRCS	:= $(if $(wildcard /usr/include/slurm/spank.h),$(sort $(wildcard userspace/spank/*.c)))
SPANK_LIB_SRCS	:= userspace/sys/apiclient.c userspace/lib/protocol.c userspace/lib/error.c \
		   userspace/lib/enum_names.c userspace/lib/units.c
SPANK_SO	:= $(if $(SPANK_SRCS),$(BUILD)/cpool_spank.so)
SLURM_PLUGINDIR	?= /usr/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/slurm-wlm

LIBCPOOL	:= $(BUILD)/libcpool.a
LIBCPOOL_SAN	:= $(BUILD)/san/libcpool.a
PROGRAMS	:= $(BUILD)/cpool $(if $(DAEMON_SRCS),$(BUILD)/cpoold)
VMLINUX_H	:= $(BUILD)/include/vmlinux.h
DEPS_STAMP	:= $(BUILD)/.deps-ok

.PHONY: check-slurm
.PHONY: all deps check check-unit check-unit-noshared check-layering check-lab check-lab-full check-bench-lab check-fuzz unit-tests bench fuzz fuzz-build \
	install uninstall clean format help demo run man deb check-deb check-crash check-load
.DELETE_ON_ERROR:
# Test objects are intermediates of a pattern chain; keep them for incremental builds.
.SECONDARY:

all: $(PROGRAMS) $(if $(DAEMON_SRCS),$(BUILD)/cpoold-crash) $(LIBCPOOL) $(BPF_OBJS) $(UNIT_BINS) $(LAB_BINS) \
	$(BENCH_BINS) $(MAN_PAGES) $(SPANK_SO)

help:
	@echo "make demo       deps, build, and compare four policies on live jobs in the lab (build/demo/)"
	@echo "sudo make run   the same against this machine (needs the unified cgroup v2 hierarchy)"
	@echo "make            build programs, library, BPF objects and unit tests"
	@echo "make check      unit tests on the host, then lab tests (QEMU, kernels 6.1 and 6.12)"
	@echo "make check-unit unit tests only (ASan + UBSan)"
	@echo "make check-unit-noshared  unit tests as a fresh clone without ../shared runs them"
	@echo "make check-lab  lab tests only: all on 2x2, the NUMA-shape tests on 4x1"
	@echo "make check-lab-full every lab test on every kernel and NUMA shape"
	@echo "make check-crash the crash-point sweep, three rounds a point, on both kernels"
	@echo "make check-slurm a real Slurm running its tasks in VSs (cpool_spank.so), both kernels"
	@echo "make check-fuzz build the fuzz targets (clang) and replay their seed corpora"
	@echo "make fuzz       run each fuzz target FUZZ_SECONDS (default 60), niced"
	@echo "make bench      build the benchmarks tools/bench-*.c into $(BUILD)/tools/"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR); make uninstall removes the same files"
	@echo "make man        the manual pages into $(BUILD)/man (man -l $(BUILD)/man/cpool.1)"
	@echo "make deb        Debian packages cpool and cpoold into $(BUILD)/deb, checked by lintian"
	@echo "make check-deb  install, use and purge them on a clean Debian root in the lab (root, network)"
	@echo "make format     clang-format every C file"

# tools/deps.sh is quiet and quick when all is there; the stamp only spares
# the dpkg queries on every incremental build.
# CPOOL_NO_DEPS=1: a package build, whose Build-Depends already hold what it
# needs (deps.sh also wants QEMU and the lab's kernels).
ifeq ($(CPOOL_NO_DEPS),1)
$(DEPS_STAMP):
	$(Q)mkdir -p $(@D) && touch $@
else
$(DEPS_STAMP): tools/deps.sh
	$(call msg,DEPS,tools/deps.sh)
	$(Q)tools/deps.sh
	$(Q)mkdir -p $(@D) && touch $@
endif

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

$(BUILD)/crash/%.o: %.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC-CRASH,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -DCPOOL_CRASH_POINTS $(BASE_CFLAGS) $(CFLAGS) $(pkg_cflags) -c $< -o $@

$(BUILD)/cpoold-crash: $(DAEMON_CRASH_OBJS) $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $(DAEMON_CRASH_OBJS) $(LIBCPOOL) $(LDFLAGS) $(LDLIBS)

$(BUILD)/pic/%.o: %.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC-PIC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden $(pkg_cflags) -c $< -o $@

# spank_* and slurm_* come from the program that loads it (srun, slurmstepd): no -z defs.
$(BUILD)/cpool_spank.so: $(SPANK_SRCS:%.c=$(BUILD)/pic/%.o) $(SPANK_LIB_SRCS:%.c=$(BUILD)/pic/%.o)
	$(call msg,LD-SO,$@)
	$(Q)$(CC) $(CFLAGS) -shared -o $@ $^ $(LDFLAGS) $$($(PKG_CONFIG) --libs jansson) -lm

# ---- manual pages ----------------------------------------------------------
# docs/man/NAME.SECTION.scd -> build/man/NAME.SECTION (scdoc); the name ends
# in its section, so 'man -l build/man/cpool.1' renders it.
$(BUILD)/man/%: docs/man/%.scd | $(DEPS_STAMP)
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scdoc < $< > $@.tmp && mv $@.tmp $@

man: $(MAN_PAGES)

# ---- tests -----------------------------------------------------------------
# Static pattern rules, not two competing implicit ones: make may fall back
# to the shorter rule when a daemon object is not built yet.
UNIT_DAEMON_BINS := $(filter $(BUILD)/tests/unit/test_cpoold_%,$(UNIT_BINS))
UNIT_PLAIN_BINS	:= $(filter-out $(UNIT_DAEMON_BINS),$(UNIT_BINS))
$(UNIT_PLAIN_BINS): $(BUILD)/tests/unit/%: $(BUILD)/san/tests/unit/%.o $(LIBCPOOL_SAN)
	$(call msg,LD-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(LIBCPOOL_SAN) $(LDFLAGS) $(LDLIBS)

# tests/unit/test_cpoold_*.c test the daemon's own code: they link its
# objects too, all but main.c (the test is the main).
DAEMON_SAN_OBJS	:= $(filter-out %/cpoold/main.o,$(DAEMON_SRCS:%.c=$(BUILD)/san/%.o))
$(UNIT_DAEMON_BINS): $(BUILD)/tests/unit/%: $(BUILD)/san/tests/unit/%.o $(DAEMON_SAN_OBJS) $(LIBCPOOL_SAN)
	$(call msg,LD-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(DAEMON_SAN_OBJS) $(LIBCPOOL_SAN) $(LDFLAGS) $(LDLIBS)

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

# bench-ps drives cpoold's request code in its own process (no root, no
# cgroups): it links the daemon's objects, all but main.o.
$(BUILD)/tools/bench-ps: $(BUILD)/obj/tools/bench-ps.o $(filter-out %/cpoold/main.o,$(DAEMON_OBJS)) $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

# bench-recalibrate re-runs cpool bench's calibration: the CLI's objects but main.o.
$(BUILD)/tools/bench-recalibrate: $(BUILD)/obj/tools/bench-recalibrate.o $(filter-out %/cpool/main.o,$(CLI_OBJS)) $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

bench: $(BENCH_BINS)

# Tests find the sources and the shared real-world data (hwloc topologies,
# SWF traces; ../shared unless CPOOL_SHARED says otherwise) through these.
# Where that directory or its topologies/ or traces/ is missing, the tests
# that need it skip with the reason (tests/unit/shared_data.h).
CPOOL_SHARED	?= $(abspath ../shared)
TEST_ENV	:= CPOOL_SRCDIR=$(CURDIR) CPOOL_BUILD=$(abspath $(BUILD)) \
		   CPOOL_SHARED=$(CPOOL_SHARED) \
		   ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# userspace/lib is pure: none of its files may reach, even through another
# header, a header whose functions live in userspace/sys.
SYS_HEADERS	:= apiclient.h apiserver.h collector.h evloop.h fsutil.h launch.h store.h \
		   supervise.h

check-layering: | $(SKELS) $(DEPS_STAMP)
	$(call msg,LAYERS,userspace/lib)
	$(Q)fail=0; for f in $(wildcard userspace/lib/*.c); do \
		deps=$$($(CC) $(CPPFLAGS) $(pkg_cflags) -MM $$f) || exit 1; \
		for h in $$(echo "$$deps" | tr -s ' \\' '\n\n' | grep '^include/cpool/'); do \
			case " $(SYS_HEADERS) " in *" $${h#include/cpool/} "*) \
				echo "$$f: includes the sys header $$h (userspace/lib is pure)" >&2; \
				fail=1;; esac; \
		done; \
	done; exit $$fail

# The programs too: some unit tests run the CLI end to end ($(CPOOL_BUILD)/cpool).
check-unit: check-layering $(UNIT_BINS) $(PROGRAMS) $(MAN_PAGES)
	$(Q)$(TEST_ENV) prove --exec '' $(UNIT_BINS)

# The unit suite as a fresh clone runs it, with no shared data beside it:
# every test that wants the data must skip, none may fail.
check-unit-noshared: $(UNIT_BINS) $(PROGRAMS)
	$(Q)$(MAKE) --no-print-directory check-unit CPOOL_SHARED=$(abspath $(BUILD))/no-shared-data

LAB_KERNELS	?= 6.1 6.12
LAB_SHAPES	?= 2x2 4x1
# The tests whose outcome depends on the NUMA shape: they read the live
# topology, plan on it or bind memory to nodes.  check-lab runs the whole
# suite on the first shape and these on the others, which keeps CI inside
# its 30 minutes (a whole suite is 6-7 min a run under TCG); check-lab-full
# runs everything on every shape.
LAB_SHAPE_TESTS	:= tests/lab/numa-shape.t tests/lab/cpool-cli.t \
	$(BUILD)/tests/lab/test_topology_live $(BUILD)/tests/lab/test_cgroup_tree \
	$(BUILD)/tests/lab/test_cgroup_jobs
# VMs at once: each is one busy host thread (one TCG thread), so two on a
# host of two cores or more; the two kernels' suites one after the other
# brought CI to 1656 s of its 1800 (2026-12-03).
LAB_JOBS	?= $(if $(filter 1,$(shell nproc 2>/dev/null || echo 1)),1,2)
lab_kernel_args	= $(foreach k,$(LAB_KERNELS),--kernel $(k)) --jobs $(LAB_JOBS)

check-lab: all
	$(Q)tools/lab-check $(lab_kernel_args) --numa $(firstword $(LAB_SHAPES))
	$(Q)$(if $(wordlist 2,9,$(LAB_SHAPES)),tools/lab-check $(lab_kernel_args) \
		$(foreach s,$(wordlist 2,9,$(LAB_SHAPES)),--numa $(s)) \
		$(foreach t,$(LAB_SHAPE_TESTS),--test $(t)),true)

check-lab-full: all
	$(Q)tools/lab-check $(lab_kernel_args) $(foreach s,$(LAB_SHAPES),--numa $(s))

# The daemon under load in the lab (tests/load/), 1-1.5 min a kernel under
# TCG (54 s on 6.1 with its boot): its own target until a check-lab run
# with it has been timed against CI's 30 minutes.
LOAD_BINS	:= $(patsubst tests/load/%.c,$(BUILD)/tests/load/%,$(wildcard tests/load/test_*.c))
$(LOAD_BINS): $(BUILD)/tests/load/%: $(BUILD)/obj/tests/load/%.o $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIBCPOOL) $(LDFLAGS) $(LDLIBS)

check-load: all $(LOAD_BINS)
	$(Q)tools/lab-check $(foreach k,$(LAB_KERNELS),--kernel $(k)) --numa 2x2 \
		$(foreach t,$(LOAD_BINS),--test $(t))

# The noisy-neighbour bench's mechanics in the lab (tests/bench/, docs/bench.md):
# two small bench runs with a noise job, about a minute a kernel under TCG;
# its own target, check-lab has no room left under CI's 30 minutes.
BENCH_LAB_BINS	:= $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(wildcard tests/bench/test_*.c))
$(BENCH_LAB_BINS): $(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIBCPOOL)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIBCPOOL) $(LDFLAGS) $(LDLIBS)

check-bench-lab: all $(BENCH_LAB_BINS)
	$(Q)tools/lab-check $(foreach k,$(LAB_KERNELS),--kernel $(k)) --numa 2x2 \
		$(foreach t,$(BENCH_LAB_BINS),--test $(t))

# The crash-point sweep three times a point on each kernel, one guest per
# kernel (28 min on 6.12 under single-threaded TCG with the 2-core host at
# load 15): check-lab runs it once a point per kernel.
# CPOOL_CRASH_ONLY=NAME,PREFIX.,... narrows it (tests/lab/test_crash_points.c).
check-crash: all
	$(Q)CPOOL_CRASH_ROUNDS=3 tools/lab-check --timeout 3600 $(foreach k,$(LAB_KERNELS),--kernel $(k)) \
		--numa 2x2 --test $(BUILD)/tests/lab/test_crash_points

# A real Slurm (munged, slurmctld, slurmd) in the lab running its tasks in
# VSs through cpool_spank.so (tests/slurm/, docs/slurm.md): not in check-lab,
# Slurm's start-up and steps are slow under TCG.
check-slurm: all
	$(Q)test -n "$(SPANK_SO)" || { echo "check-slurm: slurm/spank.h is missing: tools/deps.sh installs libslurm-dev" >&2; exit 1; }
	$(Q)tools/lab-check $(foreach k,$(LAB_KERNELS),--kernel $(k)) --numa 2x2 \
		--test tests/slurm/slurm.t

check: deps
	$(Q)$(MAKE) --no-print-directory check-unit
	$(Q)$(MAKE) --no-print-directory check-fuzz
	$(Q)$(MAKE) --no-print-directory check-lab

# libFuzzer targets: tests/fuzz/fuzz_NAME.c -> build/fuzz/fuzz_NAME, built
# with clang against objects of their own (build/fuzzobj/: every object
# needs the fuzzer's coverage instrumentation, so libcpool.a will not do).
# fuzz_cpoold_NAME.c targets link the daemon's code too, all but main.c.
# Each target's seed corpus is tests/fuzz/corpus/NAME.
FUZZ_BINS	:= $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# clang, unlike gcc, counts a va_list forwarded to vfprintf as a non-literal format.
FUZZ_CFLAGS	:= -std=gnu11 -g -O1 -fno-omit-frame-pointer \
		   -fsanitize=fuzzer-no-link,address,undefined $(WARN) -Wno-format-nonliteral -MMD -MP
FUZZ_LDFLAGS	:= -fsanitize=fuzzer,address,undefined
FUZZ_LIB_OBJS	:= $(LIB_SRCS:%.c=$(BUILD)/fuzzobj/%.o)
FUZZ_DAEMON_OBJS := $(filter-out %/cpoold/main.o,$(DAEMON_SRCS:%.c=$(BUILD)/fuzzobj/%.o))
FUZZ_SECONDS	?= 60

$(BUILD)/fuzzobj/%.o: %.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) $(pkg_cflags) -c $< -o $@

FUZZ_DAEMON_BINS := $(filter $(BUILD)/fuzz/fuzz_cpoold_%,$(FUZZ_BINS))
FUZZ_PLAIN_BINS	:= $(filter-out $(FUZZ_DAEMON_BINS),$(FUZZ_BINS))
$(FUZZ_DAEMON_BINS): $(BUILD)/fuzz/%: $(BUILD)/fuzzobj/tests/fuzz/%.o $(FUZZ_DAEMON_OBJS) $(FUZZ_LIB_OBJS)
	$(call msg,LD-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_LDFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(FUZZ_PLAIN_BINS): $(BUILD)/fuzz/%: $(BUILD)/fuzzobj/tests/fuzz/%.o $(FUZZ_LIB_OBJS)
	$(call msg,LD-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_LDFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Every target replays its seed corpus, input by input: a regression test
# of seconds, in "make check".
check-fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		name=$${f##*/fuzz_}; \
		printf '  %-8s %s\n' REPLAY "$$f tests/fuzz/corpus/$$name"; \
		$$f -runs=1 tests/fuzz/corpus/$$name/* > $(BUILD)/fuzz/$${f##*/}.replay.log 2>&1 \
			|| { cat $(BUILD)/fuzz/$${f##*/}.replay.log; exit 1; }; \
	done

# A campaign: each target FUZZ_SECONDS, one at a time, at the lowest CPU
# priority (the machine is shared).  New inputs go to build/fuzz/corpus/,
# never into the seeds; a crash leaves its input in build/fuzz/.
fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		name=$${f##*/fuzz_}; \
		mkdir -p $(BUILD)/fuzz/corpus/$$name; \
		echo "fuzz_$$name: $(FUZZ_SECONDS) s"; \
		nice -n 19 $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/fuzz_$$name- \
			$(BUILD)/fuzz/corpus/$$name tests/fuzz/corpus/$$name 2>&1 | \
			grep -E '^(Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' || true; \
		test -z "$$(ls $(BUILD)/fuzz/fuzz_$$name-* 2>/dev/null)" || \
			{ echo "fuzz_$$name: a finding, see $(BUILD)/fuzz/fuzz_$$name-*"; exit 1; }; \
	done

# ---- demo -----------------------------------------------------------------
# tools/demo installs what is missing and builds before it boots the lab.
demo:
	$(Q)tools/demo

# The demo against this machine: cpoold on docs/bench-pool.ini, then the bench.
run: all
	$(Q)tools/demo --host

# ---- install ---------------------------------------------------------------
# The unit goes where systemd looks for packaged units of this prefix
# (/usr/lib/systemd/system, /usr/local/lib/systemd/system); sysusers.d and
# tmpfiles.d beside it.  uninstall removes exactly what install puts.
UNITDIR		:= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	:= $(PREFIX)/lib/sysusers.d
TMPFILESDIR	:= $(PREFIX)/lib/tmpfiles.d
DOCDIR		:= $(PREFIX)/share/doc/cpool
MANDIR		:= $(PREFIX)/share/man
COMPLETIONDIR	:= $(PREFIX)/share/bash-completion/completions
DOC_FILES	:= docs/pool.ini.example docs/daemon.md

install: $(PROGRAMS) $(MAN_PAGES) $(SPANK_SO)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	$(if $(SPANK_SO),install -D -m 0644 $(SPANK_SO) $(DESTDIR)$(SLURM_PLUGINDIR)/cpool_spank.so)
	install -m 0755 $(BUILD)/cpool $(DESTDIR)$(PREFIX)/bin/cpool
	$(if $(DAEMON_SRCS),install -m 0755 $(BUILD)/cpoold $(DESTDIR)$(PREFIX)/sbin/cpoold)
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(COMPLETIONDIR)
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
		userspace/cpoold/cpoold.service > $(DESTDIR)$(UNITDIR)/cpoold.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/cpoold.service
	install -m 0644 userspace/cpoold/cpool.sysusers $(DESTDIR)$(SYSUSERSDIR)/cpool.conf
	install -m 0644 userspace/cpoold/cpool.tmpfiles $(DESTDIR)$(TMPFILESDIR)/cpool.conf
	install -m 0644 userspace/cpool/cpool.bash-completion $(DESTDIR)$(COMPLETIONDIR)/cpool
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	for p in $(MAN_PAGES); do \
		install -D -m 0644 $$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/} || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/cpool $(DESTDIR)$(PREFIX)/sbin/cpoold \
		$(DESTDIR)$(UNITDIR)/cpoold.service $(DESTDIR)$(SYSUSERSDIR)/cpool.conf \
		$(DESTDIR)$(TMPFILESDIR)/cpool.conf $(DESTDIR)$(COMPLETIONDIR)/cpool \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES))) \
		$(DESTDIR)$(SLURM_PLUGINDIR)/cpool_spank.so
	for p in $(MAN_PAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/}; done
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@echo "uninstall: left alone: /etc/cpool, /var/lib/cpool (the database), /run/cpool, the group cpool"

# ---- Debian packages -------------------------------------------------------
# dpkg-buildpackage on a copy of the tracked files (as they are in the work
# tree) in $(BUILD)/deb/cpool-VERSION, so the .debs land in $(BUILD)/deb and
# nothing is written next to the checkout.  The unit tests are make
# check-unit's job: DEB_BUILD_OPTIONS=nocheck unless you pass your own.
VERSION		:= $(shell sed -n 's/^\#define CPOOL_VERSION "\(.*\)"/\1/p' include/cpool/version.h)
DEB_ARCH	:= $(shell dpkg --print-architecture 2>/dev/null)
DEB_DIR		:= $(BUILD)/deb
DEB_BUILD_OPTIONS ?= nocheck

deb: | $(DEPS_STAMP)
	$(Q)v=$$(dpkg-parsechangelog -S Version); [ "$$v" = "$(VERSION)" ] || { \
		echo "error: debian/changelog is at $$v, include/cpool/version.h at $(VERSION)" >&2; exit 1; }
	$(call msg,DEB,$(DEB_DIR)/cpool_$(VERSION)_$(DEB_ARCH).deb)
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/cpool-$(VERSION)
	$(Q)git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - --no-recursion | tar -xf - -C $(DEB_DIR)/cpool-$(VERSION)
	$(Q)cd $(DEB_DIR)/cpool-$(VERSION) && DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -us -uc -b $(if $(filter 0,$(V)),>../build.log 2>&1 || \
		{ tail -40 ../build.log >&2; exit 1; })
	$(Q)cd $(DEB_DIR) && ls *.deb && lintian --info --display-info *.changes

# The packages on a clean Debian root in the lab: install, run a job, purge
# (tests/deb/install.t).  Not in check-lab: the root comes from the network
# (tools/deb-root, cached in $(BUILD)/deb-root).
DEB_KERNEL	?= 6.12

check-deb: deb
	$(Q)tools/deb-root $(DEB_DIR)/cpool_$(VERSION)_$(DEB_ARCH).deb $(DEB_DIR)/cpoold_$(VERSION)_$(DEB_ARCH).deb
	$(Q)tools/lab --kernel $(DEB_KERNEL) --numa 2x2 --mem-per-node 1G --timeout 1800 -- \
		prove -v tests/deb/install.t

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

# Only the compilers' dependency files: build/deb and build/deb-root hold
# Debian trees full of *.d names (tmpfiles.d, invoke-rc.d).
-include $(shell find $(BUILD)/obj $(BUILD)/san $(BUILD)/bpf $(BUILD)/crash $(BUILD)/pic $(BUILD)/fuzzobj -name '*.d' -type f 2>/dev/null)
