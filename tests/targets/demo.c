// SPDX-License-Identifier: MIT
/*
 * The demo workload for `make demo`: a pretend service with three worker
 * threads whose hot paths are easy to tell apart in a flame graph, with
 * deep recursion, inlined helpers and a sleeping main thread.
 *
 *   demo [SECONDS]    run for SECONDS (default: until killed)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile int running = 1;
static volatile uint64_t sink;

/* ---- ingest: parse text records ---- */

static inline int is_sep(char c)
{
	return c == ',' || c == ';' || c == ' ';
}

static NOINLINE long parse_field(const char *s, size_t *pos)
{
	long v = 0;

	while (s[*pos] && !is_sep(s[*pos])) {
		v = v * 10 + (s[*pos] - '0');
		(*pos)++;
	}
	if (s[*pos])
		(*pos)++;
	return v;
}

static NOINLINE long parse_record(const char *rec)
{
	size_t pos = 0;
	long sum = 0;

	while (rec[pos])
		sum += parse_field(rec, &pos);
	return sum;
}

static NOINLINE void ingest_batch(char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(buf, 256, "%zu,%zu;%zu %zu,%zu", i, i * 7, i * 13, i ^ 0x55, i * 3);

		(void)len;
		sink += (uint64_t)parse_record(buf);
	}
}

static void *ingest(void *arg)
{
	char buf[256];
	(void)arg;

	pthread_setname_np(pthread_self(), "ingest");
	while (running)
		ingest_batch(buf, 2000);
	return NULL;
}

/* ---- compress: run-length encoding with a checksum ---- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static inline __attribute__((always_inline)) uint32_t crc32_update(uint32_t crc, uint8_t b)
{
	return crc_table[(crc ^ b) & 0xff] ^ (crc >> 8);
}

static NOINLINE size_t rle_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t run = 1;

		while (i + run < n && in[i + run] == in[i] && run < 255)
			run++;
		out[o++] = (uint8_t)run;
		out[o++] = in[i];
		i += run;
	}
	return o;
}

static NOINLINE uint32_t checksum(const uint8_t *p, size_t n)
{
	uint32_t crc = ~0u;

	for (size_t i = 0; i < n; i++)
		crc = crc32_update(crc, p[i]);
	return ~crc;
}

static NOINLINE void compress_block(uint8_t *in, uint8_t *out, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		in[i] = (uint8_t)((i / 7 + seed) & 0x0f);
	size_t m = rle_encode(in, n, out);

	sink += checksum(out, m) + checksum(in, n);
}

static void *compress(void *arg)
{
	static uint8_t in[1 << 16], out[1 << 17];
	unsigned seed = 0;
	(void)arg;

	pthread_setname_np(pthread_self(), "compress");
	crc_init();
	while (running)
		compress_block(in, out, sizeof(in), seed++);
	return NULL;
}

/* ---- index: sort keys (deep recursion) ---- */

static NOINLINE size_t partition(uint32_t *a, size_t n)
{
	/* Hoare's scheme needs a pivot left of the last element, or a
	 * two-element range never shrinks. */
	uint32_t pivot = a[(n - 1) / 2];
	size_t i = 0, j = n - 1;

	for (;;) {
		while (a[i] < pivot)
			i++;
		while (a[j] > pivot)
			j--;
		if (i >= j)
			return j;
		uint32_t t = a[i];

		a[i++] = a[j];
		a[j--] = t;
	}
}

static NOINLINE void quicksort(uint32_t *a, size_t n)
{
	if (n < 2)
		return;
	size_t p = partition(a, n);

	quicksort(a, p + 1);
	quicksort(a + p + 1, n - p - 1);
}

static NOINLINE void build_index(uint32_t *keys, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		keys[i] = seed >> 8;
	}
	quicksort(keys, n);
	sink += keys[n / 2];
}

static void *indexer(void *arg)
{
	static uint32_t keys[1 << 16];
	uint32_t seed = 1;
	(void)arg;

	pthread_setname_np(pthread_self(), "index");
	while (running)
		build_index(keys, sizeof(keys) / sizeof(keys[0]), seed++);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[3];
	double seconds = argc > 1 ? atof(argv[1]) : 0;
	struct timespec start, now, nap = { 0, 50 * 1000000L };

	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
	pthread_create(&t[0], NULL, ingest, NULL);
	pthread_create(&t[1], NULL, compress, NULL);
	pthread_create(&t[2], NULL, indexer, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	printf("demo: pid %d, threads ingest, compress, index\n", getpid());
	fflush(stdout);
	for (;;) {
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (seconds > 0 && (double)(now.tv_sec - start.tv_sec) +
					   (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= seconds)
			break;
	}
	running = 0;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return 0;
}
