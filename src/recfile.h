/* SPDX-License-Identifier: MIT */
#ifndef CPROF_RECFILE_H
#define CPROF_RECFILE_H

/*
 * The .cprof recording: a whole profile (tables, timeline, usage series and
 * metadata) in a compact versioned file, so `cprof report` can render any
 * format later exactly as `cprof record` would have.
 *
 * Layout (all integers little-endian):
 *
 *   magic        8 bytes  "\x89CPROF\r\n" (the high byte and CR LF catch
 *                         transfers that mangle binary files)
 *   version      u32      RECFILE_VERSION; a reader refuses newer versions
 *   flags        u32      bit 0: the payload is zlib-deflated
 *   stored_len   u64      bytes of payload in the file
 *   payload_len  u64      bytes of payload once inflated
 *   payload      stored_len bytes
 *   crc          u32      CRC-32 of everything before it
 *
 * The payload is a run of sections, each `tag, length, body` with varint
 * tag and length, in increasing tag order; tags a reader does not know are
 * skipped, so new sections do not need a new version. Strings are stored
 * once and referred to by index + 1 (0 is NULL). Metadata is a list of
 * `key = id << 3 | wire type` fields (0 varint, 1 fixed64, 2 bytes), so new
 * fields can be added the same way. Signed values are zigzag-coded, series
 * are delta-coded.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"

#define RECFILE_VERSION 1
#define RECFILE_SUFFIX	".cprof"

/* The error for a file that is not a (readable) recording: bad magic,
 * truncated, corrupt, or from a newer cprof. */
#define RECFILE_EBADFORMAT (-EBADMSG)

extern const struct output_format output_cprof;

/*
 * Encode p into a recording in memory. Render options that are set (title,
 * minwidth, threads, processes, lines) replace the profile's own, so the file
 * renders the way the outputs written next to it do. Caller frees *out.
 */
int recfile_encode(const struct profile *p, const struct render_opts *o, bool compress,
		   uint8_t **out, size_t *len);

/*
 * Read a recording. Returns 0 with a new profile in *out, -errno for I/O
 * errors, or RECFILE_EBADFORMAT; why receives a message either way (without
 * the path). "-" reads standard input.
 */
int recfile_load(const char *path, struct profile **out, char *why, size_t whylen);

/* Decode a recording held in memory (for recfile_load, tests and fuzzing). */
int recfile_parse(const uint8_t *data, size_t len, struct profile **out, char *why, size_t whylen);

#endif
