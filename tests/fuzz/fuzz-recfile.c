// SPDX-License-Identifier: MIT
/*
 * .cprof recordings (recfile_parse, what `cprof report` and `cprof diff`
 * read): any bytes must give a profile or an error, never a crash, a leak
 * or undefined behaviour; a profile that loads must render in every format.
 *
 * A checksum guards the file, so most mutations would stop there. The
 * first byte of an input therefore picks what the rest is:
 *   0  a whole file, as it is
 *   1  a whole file, its checksum made right
 *   2  a payload (the sections), wrapped in a valid header and checksum
 *   3  a payload, deflated first, in a valid header and checksum
 * The seeds in corpus/recfile are of kinds 1 and 2.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "recfile.h"
#include "render.h"

#define HEADER 32
#define TRAILER 4

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_crc(uint8_t *d, size_t len)
{
	if (len >= HEADER + TRAILER)
		le32(d + len - TRAILER, (uint32_t)crc32(0, d, (uInt)(len - TRAILER)));
}

/* A file around a payload; compressed with deflate if asked. */
static uint8_t *wrap(const uint8_t *payload, size_t n, bool deflate, size_t *len)
{
	static const uint8_t magic[8] = { 0x89, 'C', 'P', 'R', 'O', 'F', '\r', '\n' };
	uLongf stored = deflate ? compressBound((uLong)n) : (uLongf)n;
	uint8_t *d = malloc(HEADER + stored + TRAILER);

	if (!d)
		return NULL;
	if (deflate) {
		if (compress2(d + HEADER, &stored, payload, (uLong)n, 1) != Z_OK) {
			free(d);
			return NULL;
		}
	} else if (n) {
		memcpy(d + HEADER, payload, n);
	}
	memcpy(d, magic, sizeof(magic));
	le32(d + 8, RECFILE_VERSION);
	le32(d + 12, deflate ? 1 : 0);
	le64(d + 16, stored);
	le64(d + 24, n);
	*len = HEADER + stored + TRAILER;
	fix_crc(d, *len);
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = NULL;
	char why[512];
	uint8_t *d;
	size_t len = size - 1;

	if (!size)
		return 0;
	switch (data[0] & 3) {
	case 0:
	case 1:
		d = malloc(len ? len : 1);
		if (!d)
			return 0;
		memcpy(d, data + 1, len);
		if (data[0] & 1)
			fix_crc(d, len);
		break;
	default:
		d = wrap(data + 1, len, (data[0] & 3) == 3, &len);
		if (!d)
			return 0;
		break;
	}
	if (recfile_parse(d, len, &p, why, sizeof(why)) == 0) {
		fuzz_render_all(p);
		profile_free(p);
	} else if (!why[0]) {
		__builtin_trap(); /* every failure says why */
	}
	free(d);
	return 0;
}
