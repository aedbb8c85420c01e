// SPDX-License-Identifier: MIT
/*
 * symbench: cprof's symbolizer (src/symbolize.h) on its own, for
 * scripts/bench-symbolize. Not part of cprof.
 *
 *   symbench BINARY PCFILE OUTFILE
 *
 * PCFILE holds link-time addresses of BINARY, in hex, one a line. symbench
 * opens BINARY as cprof does and symbolizes every address three times:
 *
 *   index  the first address alone: opens the debug information, sorts the
 *          symbol table, maps addresses to compilation units;
 *   cold   all addresses, each compilation unit's DIE index built on first
 *          touch, as a profile's first symbolization pass does;
 *   warm   all addresses again, every index built: the lookups alone.
 *
 * It prints the timings as one JSON object on stdout and writes the frames
 * to OUTFILE: per address its line "0xADDR", then one "FUNC\tFILE:LINE" line
 * per frame, innermost first, then an empty line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "elfimg.h"
#include "strtab.h"
#include "symbolize.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t *read_pcs(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	uint64_t *v = NULL;
	size_t cap = 0;
	char line[64];

	*n = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		uint64_t pc = strtoull(line, &end, 16);

		if (end == line)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				exit(1);
		}
		v[(*n)++] = pc;
	}
	fclose(f);
	return v;
}

static void lookup_all(struct symbolizer *s, struct elfimg *img, const uint64_t *pcs, size_t n,
		       struct symresult *res, size_t *frames)
{
	*frames = 0;
	for (size_t i = 0; i < n; i++) {
		symbolizer_lookup(s, img, pcs[i], 0, &res[i]);
		*frames += (size_t)res[i].n;
	}
}

int main(int argc, char **argv)
{
	struct elfimg *img = NULL;
	size_t n, frames_cold, frames_warm;
	uint64_t *pcs;
	struct symresult *res, first;
	double t0, t1, t2, t3, t4;
	FILE *out;
	int fd, err;

	if (argc != 4) {
		fprintf(stderr, "usage: symbench BINARY PCFILE OUTFILE\n");
		return 2;
	}
	pcs = read_pcs(argv[2], &n);
	if (!pcs || !n) {
		fprintf(stderr, "symbench: no addresses in %s\n", argv[2]);
		return 1;
	}
	res = calloc(n, sizeof(*res));
	if (!res)
		return 1;

	t0 = now_ms();
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (err = elfimg_open(fd, argv[1], &img))) {
		fprintf(stderr, "symbench: cannot open %s as ELF\n", argv[1]);
		return 1;
	}
	struct strtab *strings = strtab_new();
	struct symbolizer *s = symbolizer_new(NULL, strings);

	symbolizer_lookup(s, img, pcs[0], 0, &first);
	t1 = now_ms();
	lookup_all(s, img, pcs, n, res, &frames_cold);
	t2 = now_ms();
	lookup_all(s, img, pcs, n, res, &frames_warm);
	t3 = now_ms();
	/* The same n lookups a third time, as a check on the warm figure. */
	lookup_all(s, img, pcs, n, res, &frames_warm);
	t4 = now_ms();

	out = fopen(argv[3], "w");
	if (!out) {
		fprintf(stderr, "symbench: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "0x%" PRIx64 "\n", pcs[i]);
		for (int k = 0; k < res[i].n; k++) {
			const struct symframe *f = &res[i].frames[k];

			fprintf(out, "%s\t%s:%d\n", f->func ? f->func : "??", f->file ? f->file : "??",
				f->line);
		}
		fputc('\n', out);
	}
	if (fclose(out))
		return 1;
	printf("{\"pcs\": %zu, \"frames\": %zu, \"index_ms\": %.3f, \"cold_ms\": %.3f, "
	       "\"warm_ms\": %.3f, \"warm2_ms\": %.3f}\n",
	       n, frames_cold, t1 - t0, t2 - t1, t3 - t2, t4 - t3);
	symbolizer_free(s);
	elfimg_put(img);
	strtab_free(strings);
	free(res);
	free(pcs);
	return 0;
}
