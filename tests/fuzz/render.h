/* SPDX-License-Identifier: MIT */
/*
 * Included once by each harness that loads profiles: a profile that a
 * reader accepted must render in every format without tripping anything.
 */
#include "output.h"
#include "profile.h"

void fuzz_render_all(const struct profile *p)
{
	static const struct output_format *const fmts[] = {
		&output_folded, &output_speedscope, &output_svg, &output_pprof, &output_cprof,
	};
	static FILE *null;
	struct render_opts ro = { 0 };

	/*
	 * Folded counts become that many samples (up to FOLDED_MAX_SAMPLES):
	 * rendering millions takes seconds, which says nothing about safety
	 * and stalls the fuzzer. The parse itself is still fuzzed.
	 */
	if (p->nsamples > 100000)
		return;
	if (!null)
		null = fopen("/dev/null", "w");
	if (!null)
		return;
	render_opts_from_meta(&ro, p);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		fmts[i]->write(null, p, &ro);
		clearerr(null);
	}
}
