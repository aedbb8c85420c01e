/* SPDX-License-Identifier: MIT */
#ifndef CPROF_UNIT_H
#define CPROF_UNIT_H

/*
 * A tiny unit-test framework. Include it in exactly one file per test
 * binary; it provides main().
 *
 *	TEST(parses_pid)
 *	{
 *		CHECK_EQ_INT(parse_pid("12", &pid, why, sizeof(why)), 0);
 *		CHECK_STREQ(name, "main");
 *	}
 *
 * Every case runs in a forked child, so a crash (SIGSEGV, abort, a hang
 * caught by the alarm) fails that case only. CHECK* report a failure and
 * go on; REQUIRE* end the case at once. Output is one line per case,
 * "ok NAME" or "FAIL NAME: reason", followed by the failure details.
 *
 *	./test-foo            run every case
 *	./test-foo a b        run the cases named a and b
 *	./test-foo -l         list the cases
 *
 * A case that cannot run here (the kernel forbids ptrace, say) calls
 * SKIP("why"): "skip NAME: why".
 *
 * Exit status: 0 if no case failed, 1 otherwise, 77 if every case that ran
 * was skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNIT_MAX_CASES 256
#define UNIT_TIMEOUT_S 30

struct unit_case {
	const char *name;
	void (*fn)(void);
	int line;
};

static struct unit_case unit_cases[UNIT_MAX_CASES];
static int unit_ncases;
static int unit_failures; /* in the child: failed checks of the running case */
static int unit_report_fd = -1;

static void unit_register(const char *name, void (*fn)(void), int line)
{
	if (unit_ncases == UNIT_MAX_CASES) {
		fprintf(stderr, "unit.h: too many test cases (raise UNIT_MAX_CASES)\n");
		abort();
	}
	unit_cases[unit_ncases++] = (struct unit_case){ name, fn, line };
}

#define TEST(name)                                                                  \
	static void unit_test_##name(void);                                         \
	__attribute__((constructor)) static void unit_register_##name(void)        \
	{                                                                           \
		unit_register(#name, unit_test_##name, __LINE__);                   \
	}                                                                           \
	static void unit_test_##name(void)

/* Record a failure of the running case: one line to the parent. */
__attribute__((format(printf, 3, 4))) static void unit_fail(const char *file, int line,
							    const char *fmt, ...)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s:%d: ", file, line);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(buf))
		n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	unit_failures++;
	if (unit_report_fd >= 0) {
		ssize_t w = write(unit_report_fd, buf, (size_t)n);
		(void)w;
	} else {
		fwrite(buf, 1, (size_t)n, stderr);
	}
}

static inline const char *unit_str(const char *s)
{
	return s ? s : "(null)";
}

#define UNIT_END_CASE() _exit(1)

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond))                                                \
			unit_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond); \
	} while (0)

#define REQUIRE(cond)                                                       \
	do {                                                                \
		if (!(cond)) {                                              \
			unit_fail(__FILE__, __LINE__, "REQUIRE(%s) failed", #cond); \
			UNIT_END_CASE();                                    \
		}                                                           \
	} while (0)

#define UNIT_CMP_INT(a, op, b, fatal)                                                      \
	do {                                                                               \
		long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);              \
		if (!(unit_a_ op unit_b_)) {                                               \
			unit_fail(__FILE__, __LINE__, "%s %s %s failed: %lld vs %lld", #a, #op, \
				  #b, unit_a_, unit_b_);                                   \
			if (fatal)                                                         \
				UNIT_END_CASE();                                           \
		}                                                                          \
	} while (0)

#define UNIT_CMP_U64(a, op, b, fatal)                                                       \
	do {                                                                                \
		uint64_t unit_a_ = (uint64_t)(a), unit_b_ = (uint64_t)(b);                  \
		if (!(unit_a_ op unit_b_)) {                                                \
			unit_fail(__FILE__, __LINE__,                                       \
				  "%s %s %s failed: 0x%" PRIx64 " vs 0x%" PRIx64, #a, #op, #b, \
				  unit_a_, unit_b_);                                        \
			if (fatal)                                                          \
				UNIT_END_CASE();                                            \
		}                                                                           \
	} while (0)

#define CHECK_EQ_INT(a, b) UNIT_CMP_INT(a, ==, b, 0)
#define CHECK_NE_INT(a, b) UNIT_CMP_INT(a, !=, b, 0)
#define CHECK_LT_INT(a, b) UNIT_CMP_INT(a, <, b, 0)
#define CHECK_LE_INT(a, b) UNIT_CMP_INT(a, <=, b, 0)
#define CHECK_GT_INT(a, b) UNIT_CMP_INT(a, >, b, 0)
#define CHECK_GE_INT(a, b) UNIT_CMP_INT(a, >=, b, 0)
#define REQUIRE_EQ_INT(a, b) UNIT_CMP_INT(a, ==, b, 1)
#define REQUIRE_GE_INT(a, b) UNIT_CMP_INT(a, >=, b, 1)
#define CHECK_EQ_U64(a, b) UNIT_CMP_U64(a, ==, b, 0)
#define CHECK_NE_U64(a, b) UNIT_CMP_U64(a, !=, b, 0)
#define REQUIRE_EQ_U64(a, b) UNIT_CMP_U64(a, ==, b, 1)

#define UNIT_STREQ(a, b, fatal)                                                           \
	do {                                                                              \
		const char *unit_a_ = (a), *unit_b_ = (b);                                \
		if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_)) {                   \
			unit_fail(__FILE__, __LINE__, "%s == %s failed: \"%s\" vs \"%s\"", #a, \
				  #b, unit_str(unit_a_), unit_str(unit_b_));              \
			if (fatal)                                                        \
				UNIT_END_CASE();                                          \
		}                                                                         \
	} while (0)

#define CHECK_STREQ(a, b) UNIT_STREQ(a, b, 0)
#define REQUIRE_STREQ(a, b) UNIT_STREQ(a, b, 1)

#define CHECK_STRNE(a, b)                                                                  \
	do {                                                                               \
		const char *unit_a_ = (a), *unit_b_ = (b);                                 \
		if (unit_a_ && unit_b_ && !strcmp(unit_a_, unit_b_))                       \
			unit_fail(__FILE__, __LINE__, "%s != %s failed: both \"%s\"", #a, #b, \
				  unit_a_);                                                \
	} while (0)

/* a contains b */
#define CHECK_STRSTR(a, b)                                                                  \
	do {                                                                                \
		const char *unit_a_ = (a), *unit_b_ = (b);                                  \
		if (!unit_a_ || !unit_b_ || !strstr(unit_a_, unit_b_))                      \
			unit_fail(__FILE__, __LINE__, "%s contains %s failed: \"%s\" vs \"%s\"", \
				  #a, #b, unit_str(unit_a_), unit_str(unit_b_));            \
	} while (0)

#define CHECK_NULL(p)                                                                       \
	do {                                                                                \
		const void *unit_p_ = (p);                                                  \
		if (unit_p_)                                                                \
			unit_fail(__FILE__, __LINE__, "%s is %p, expected NULL", #p, unit_p_); \
	} while (0)

#define REQUIRE_NOT_NULL(p)                                                     \
	do {                                                                    \
		if (!(p)) {                                                     \
			unit_fail(__FILE__, __LINE__, "%s is NULL", #p);        \
			UNIT_END_CASE();                                        \
		}                                                               \
	} while (0)

#define CHECK_NOT_NULL(p)                                                       \
	do {                                                                    \
		if (!(p))                                                       \
			unit_fail(__FILE__, __LINE__, "%s is NULL", #p);        \
	} while (0)

#define CHECK_MEMEQ(a, b, len)                                                            \
	do {                                                                              \
		if (memcmp((a), (b), (len)))                                              \
			unit_fail(__FILE__, __LINE__, "%s == %s (%zu bytes) failed", #a, #b, \
				  (size_t)(len));                                         \
	} while (0)

/* Fail with a message of one's own. */
#define FAIL_MSG(...) unit_fail(__FILE__, __LINE__, __VA_ARGS__)

#define UNIT_SKIPPED 77

/* End the running case as skipped, with the reason. */
#define SKIP(why)                                                                    \
	do {                                                                         \
		if (unit_report_fd >= 0) {                                           \
			ssize_t unit_w_ = write(unit_report_fd, why, strlen(why));   \
			(void)unit_w_;                                               \
		}                                                                    \
		_exit(UNIT_SKIPPED);                                                 \
	} while (0)

/* ---- runner ---- */

static int unit_cmp_case(const void *a, const void *b)
{
	const struct unit_case *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

enum unit_result { UNIT_PASS, UNIT_FAIL, UNIT_SKIP };

/* Run one case in a child. */
static enum unit_result unit_run(const struct unit_case *c)
{
	char details[16384];
	size_t len = 0;
	int fds[2], status;
	pid_t pid;

	fflush(NULL);
	if (pipe(fds)) {
		printf("FAIL %s: pipe: %s\n", c->name, strerror(errno));
		return UNIT_FAIL;
	}
	pid = fork();
	if (pid < 0) {
		printf("FAIL %s: fork: %s\n", c->name, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return UNIT_FAIL;
	}
	if (pid == 0) {
		close(fds[0]);
		unit_report_fd = fds[1];
		unit_failures = 0;
		alarm(UNIT_TIMEOUT_S);
		c->fn();
		fflush(NULL);
		_exit(unit_failures ? 1 : 0);
	}
	close(fds[1]);
	for (;;) {
		char more[512];
		bool full = len == sizeof(details) - 1;
		/* Keep draining once full, or a chatty child would block. */
		ssize_t n = full ? read(fds[0], more, sizeof(more)) :
				   read(fds[0], details + len, sizeof(details) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!full)
			len += (size_t)n;
	}
	details[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			printf("FAIL %s: waitpid: %s\n", c->name, strerror(errno));
			return UNIT_FAIL;
		}

	if (WIFEXITED(status) && WEXITSTATUS(status) == UNIT_SKIPPED) {
		printf("skip %s: %s\n", c->name, details);
		return UNIT_SKIP;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !len) {
		printf("ok %s\n", c->name);
		return UNIT_PASS;
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		printf("FAIL %s: killed by signal %d (%s)%s\n", c->name, sig, strsignal(sig),
		       sig == SIGALRM ? ", timed out" : "");
	} else {
		/* The first failure on the FAIL line, the rest below it. */
		char *nl = strchr(details, '\n');

		if (nl)
			*nl = '\0';
		printf("FAIL %s: %s\n", c->name,
		       len ? details : "exited with a non-zero status");
		if (nl && nl[1])
			printf("%s", nl + 1);
		return UNIT_FAIL;
	}
	if (len)
		printf("%s", details);
	return UNIT_FAIL;
}

int main(int argc, char **argv)
{
	int failed = 0, ran = 0, skipped = 0;

	qsort(unit_cases, (size_t)unit_ncases, sizeof(unit_cases[0]), unit_cmp_case);
	if (argc == 2 && !strcmp(argv[1], "-l")) {
		for (int i = 0; i < unit_ncases; i++)
			printf("%s\n", unit_cases[i].name);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int a = 1; a < argc; a++) {
		bool found = false;

		for (int i = 0; i < unit_ncases; i++)
			found = found || !strcmp(unit_cases[i].name, argv[a]);
		if (!found) {
			printf("FAIL %s: no such test case\n", argv[a]);
			failed++;
		}
	}
	for (int i = 0; i < unit_ncases; i++) {
		bool selected = argc < 2;

		for (int a = 1; a < argc && !selected; a++)
			selected = !strcmp(unit_cases[i].name, argv[a]);
		if (!selected)
			continue;
		ran++;
		switch (unit_run(&unit_cases[i])) {
		case UNIT_PASS: break;
		case UNIT_FAIL: failed++; break;
		case UNIT_SKIP: skipped++; break;
		}
	}
	printf("%d case%s, %d failed, %d skipped\n", ran, ran == 1 ? "" : "s", failed, skipped);
	if (failed)
		return 1;
	if (ran && skipped == ran) {
		printf("SKIP: every case was skipped\n");
		return UNIT_SKIPPED;
	}
	return 0;
}

#endif
