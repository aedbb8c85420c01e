// SPDX-License-Identifier: MIT
/*
 * Folded stacks (folded_parse, what `cprof diff` reads from cprof and other
 * tools): any bytes must give a profile or an error naming the line, never
 * a crash, a leak or undefined behaviour; a profile that loads must render
 * in every format.
 */
#include "folded-load.h"
#include "fuzz.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = NULL;
	char why[512];

	if (folded_parse((const char *)data, size, &p, why, sizeof(why)) == 0) {
		fuzz_render_all(p);
		profile_free(p);
	} else if (!why[0]) {
		__builtin_trap(); /* every failure says why */
	}
	return 0;
}
