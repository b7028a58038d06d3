/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A small TAP (Test Anything Protocol, version 13) producer for cpool's C
 * tests.  Header-only so every test binary is one file; prove(1) consumes
 * the output.
 *
 *	plan(3);			or no plan and done_testing() at the end
 *	ok(x > 0, "x is positive");
 *	is_int(got, 42, "answer");
 *	is_str(name, "db", "vserver name");
 *	cmp_ok(used, <=, limit, "within the limit");	any C comparison operator
 *	skip(2, "needs ../shared");	counts 2 skipped tests, with the reason
 *	return exit_status();
 *
 * Failures print the file:line of the assertion and got/expected as TAP
 * diagnostics, so a red run tells what broke without a debugger.
 */
#ifndef CPOOL_TESTS_TAP_H
#define CPOOL_TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1;
static int tap_run;
static int tap_failed;
/*
 * A known, open defect (TAP's TODO): its assertions still run and print,
 * "# TODO why" follows each, and prove neither fails on them nor hides
 * them (a TODO that passes is reported as such, so it gets noticed).
 */
static const char *tap_todo;

static inline void tap_vprint(const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	char *line, *save = NULL;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* Every line of a diagnostic must carry the prefix or prove misreads it. */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("%s%s\n", prefix, line);
	fflush(stdout);
}

static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vprint("# ", fmt, ap);
	va_end(ap);
}

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline __attribute__((format(printf, 4, 5))) bool tap_ok(bool pass, const char *file,
								int line, const char *fmt, ...)
{
	char name[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	tap_run++;
	if (!pass && !tap_todo)
		tap_failed++;
	printf("%sok %d - %s%s%s\n", pass ? "" : "not ", tap_run, name, tap_todo ? " # TODO " : "",
	       tap_todo ? tap_todo : "");
	if (!pass)
		printf("#   Failed test at %s line %d.\n", file, line);
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static inline bool tap_is_int(int64_t got, int64_t want, bool equal, const char *file, int line,
			      const char *name)
{
	bool pass = equal ? got == want : got != want;

	tap_ok(pass, file, line, "%s", name);
	if (!pass) {
		printf("#          got: %" PRId64 "\n", got);
		printf("#     %s: %" PRId64 "\n", equal ? "expected" : "  anything but", want);
	}
	return pass;
}

static inline bool tap_is_str(const char *got, const char *want, bool equal, const char *file,
			      int line, const char *name)
{
	bool same = (!got && !want) || (got && want && strcmp(got, want) == 0);
	bool pass = equal ? same : !same;

	tap_ok(pass, file, line, "%s", name);
	if (!pass) {
		printf("#          got: %s%s%s\n", got ? "'" : "", got ? got : "NULL",
		       got ? "'" : "");
		printf("#     %s: %s%s%s\n", equal ? "expected" : "  anything but", want ? "'" : "",
		       want ? want : "NULL", want ? "'" : "");
	}
	return pass;
}

#define is_int(got, want, name) tap_is_int((got), (want), true, __FILE__, __LINE__, (name))
#define isnt_int(got, want, name) tap_is_int((got), (want), false, __FILE__, __LINE__, (name))
#define is_str(got, want, name) tap_is_str((got), (want), true, __FILE__, __LINE__, (name))
#define isnt_str(got, want, name) tap_is_str((got), (want), false, __FILE__, __LINE__, (name))

static inline bool tap_cmp_ok(bool pass, int64_t a, const char *op, int64_t b, const char *file,
			      int line, const char *name)
{
	tap_ok(pass, file, line, "%s", name);
	if (!pass)
		printf("#     %" PRId64 "\n#         %s\n#     %" PRId64 "\n", a, op, b);
	return pass;
}

/*
 * cmp_ok(a, op, b, name): integers compared with the C operator @op (<, <=,
 * ==, !=, >=, >); a failure prints both values and the operator.
 */
#define cmp_ok(a, op, b, name)                                                 \
	({                                                                     \
		int64_t a_ = (a), b_ = (b);                                    \
		tap_cmp_ok(a_ op b_, a_, #op, b_, __FILE__, __LINE__, (name)); \
	})

/* Doubles compared within an absolute tolerance. */
#define is_double(got, want, tol, name)                                                          \
	({                                                                                       \
		double g_ = (got), w_ = (want);                                                  \
		bool p_ = tap_ok(g_ - w_ <= (tol) && w_ - g_ <= (tol), __FILE__, __LINE__, "%s", \
				 (name));                                                        \
		if (!p_)                                                                         \
			diag("         got: %.9g\n    expected: %.9g (within %g)", g_, w_,       \
			     (double)(tol));                                                     \
		p_;                                                                              \
	})

/* Until todo_end(), assertions are a known defect named by @why. */
static inline void todo_start(const char *why)
{
	tap_todo = why;
}

static inline void todo_end(void)
{
	tap_todo = NULL;
}

static inline void skip(int n, const char *reason)
{
	for (int i = 0; i < n; i++) {
		tap_run++;
		printf("ok %d # skip %s\n", tap_run, reason);
	}
	fflush(stdout);
}

static inline __attribute__((noreturn, format(printf, 1, 2))) void bail_out(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("Bail out! %s\n", buf);
	fflush(stdout);
	exit(255);
}

static inline void done_testing(void)
{
	if (tap_planned < 0) {
		tap_planned = tap_run;
		printf("1..%d\n", tap_run);
		fflush(stdout);
	}
}

/* Exit status for main(): non-zero when anything failed or the plan was missed. */
static inline int exit_status(void)
{
	if (tap_planned >= 0 && tap_planned != tap_run) {
		diag("planned %d tests but ran %d", tap_planned, tap_run);
		return 255;
	}
	return tap_failed > 254 ? 254 : tap_failed;
}

#endif /* CPOOL_TESTS_TAP_H */
