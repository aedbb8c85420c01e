/* SPDX-License-Identifier: MIT */
#ifndef CPROF_RECFILE_FMT_H
#define CPROF_RECFILE_FMT_H

/*
 * What the writer (recfile.c) and the reader (recfile-load.c) of the .cprof
 * format share: its constants, section tags, metadata fields and the
 * little-endian and zigzag coding; private to those two. The layout is
 * described in recfile.h.
 */
#include <stddef.h>
#include <stdint.h>

#define ZLIB_CONST
#include <zlib.h>

#define HEADER_LEN   32
#define TRAILER_LEN  4
#define FLAG_DEFLATE 1u
/* profile_add_loc keeps at most this many lines (one inline chain) per location. */
#define MAX_LOC_LINES 64
/* zlib counts in uInt; feed it large buffers in pieces. */
#define ZCHUNK (1u << 30)

enum section {
	SEC_STRINGS = 1,
	SEC_META,
	SEC_FUNCS,
	SEC_MAPPINGS,
	SEC_LOCS,
	SEC_STACKS,
	SEC_THREADS,
	SEC_PROCS,
	SEC_USAGE,
	SEC_SAMPLES,
	SEC_LAST = SEC_SAMPLES,
};

enum wire_type {
	WT_VARINT = 0,
	WT_FIXED64 = 1,
	WT_BYTES = 2,
};

/* How a metadata field is stored in struct prof_meta and coded in the file. */
enum meta_kind {
	MK_STR,	 /* const char *: a string reference; absent means NULL */
	MK_U64,	 /* uint64_t: varint */
	MK_UINT, /* unsigned int: varint */
	MK_BOOL, /* bool: varint 0 or 1 */
	MK_PID,	 /* pid_t: zigzag varint, 0..INT32_MAX */
	MK_INT,	 /* int: zigzag varint */
	MK_F64,	 /* double: fixed64, finite */
};

struct meta_field {
	uint8_t id;
	uint8_t kind;	 /* enum meta_kind */
	uint16_t offset; /* in struct prof_meta */
};

/* Every field of the metadata, by id (recfile.c). */
extern const struct meta_field recfile_meta_fields[];
extern const size_t recfile_nmeta_fields;

extern const uint8_t recfile_magic[8];

#define LINE_INLINED 1u

static inline uint64_t zigzag(int64_t v)
{
	return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

static inline int64_t unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static inline uint32_t crc_of(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len) {
		uInt n = len > ZCHUNK ? ZCHUNK : (uInt)len;

		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

static inline void le32(uint8_t *d, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		d[i] = (uint8_t)(v >> (8 * i));
}

static inline void le64(uint8_t *d, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *d)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | d[i];
	return v;
}

static inline uint64_t get_le64(const uint8_t *d)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | d[i];
	return v;
}

#endif
