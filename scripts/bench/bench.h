/* SPDX-License-Identifier: MIT */
#ifndef CPROF_BENCH_H
#define CPROF_BENCH_H

/*
 * Small helpers shared by the benchmark samplers (floor.c, allstop.c):
 * clocks, a fixed-rate tick, /proc state reads and pause statistics.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void bench_sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ULL),
			       .tv_nsec = (long)(t % 1000000000ULL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The state letter of /proc/PID/task/TID/stat, or 0 if it is gone. */
static inline char bench_thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');

	return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* Pause samples in nanoseconds. */
struct pauses {
	uint64_t *v;
	size_t n, cap;
};

static inline void pauses_add(struct pauses *p, uint64_t ns)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 4096;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		if (!p->v) {
			perror("realloc");
			exit(1);
		}
	}
	p->v[p->n++] = ns;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Quantile as cprof reports it: the element at index floor(q * n), with no
 * interpolation. The values must be sorted.
 */
static inline uint64_t pauses_quantile(const struct pauses *p, double q)
{
	size_t i;

	if (!p->n)
		return 0;
	i = (size_t)(q * (double)p->n);
	return p->v[i < p->n ? i : p->n - 1];
}

/*
 * cprof keeps pauses in a histogram of 8 linear sub-buckets per power of
 * two and reports the middle of the bucket. Rounding the floor the same way
 * keeps the ratio free of that ~6 % quantization.
 */
static inline uint64_t hist_round(uint64_t ns)
{
	if (ns < 8)
		return ns;
	int msb = 63 - __builtin_clzll(ns);
	uint64_t unit = 1ULL << (msb - 3);

	return (ns & ~(unit - 1)) + unit / 2;
}

static inline void pauses_print(const char *label, struct pauses *p)
{
	uint64_t sum = 0;
	size_t over = 0;

	qsort(p->v, p->n, sizeof(*p->v), cmp_u64);
	for (size_t i = 0; i < p->n; i++) {
		sum += p->v[i];
		over += p->v[i] > 1000000; /* what cprof -vv reports as long */
	}
	printf("%s samples=%zu p50_ns=%" PRIu64 " p99_ns=%" PRIu64 " max_ns=%" PRIu64
	       " mean_ns=%" PRIu64 " p50_hist_ns=%" PRIu64 " p99_hist_ns=%" PRIu64
	       " over_1ms=%zu\n",
	       label, p->n, pauses_quantile(p, 0.50), pauses_quantile(p, 0.99),
	       p->n ? p->v[p->n - 1] : 0, p->n ? sum / p->n : 0,
	       hist_round(pauses_quantile(p, 0.50)), hist_round(pauses_quantile(p, 0.99)), over);
}

#endif
