/* SPDX-License-Identifier: MIT */
#ifndef CPROF_FOLDED_LOAD_H
#define CPROF_FOLDED_LOAD_H

/*
 * Reading folded stacks ("collapsed", flamegraph.pl input) back into a
 * profile, so that files written by cprof or by other tools (stackcollapse,
 * inferno, py-spy --format raw) can be compared with `cprof diff`.
 *
 * One line per stack: frames root first, joined by ';', then white space
 * and a whole, non-negative sample count. Accepted besides:
 *
 *   - empty lines, and CR LF line ends;
 *   - the annotations of flamegraph.pl on a frame: "_[i]" makes it a
 *     function inlined into the frame before it, "_[j]" a JIT frame;
 *     "_[k]" and "_[w]" are dropped;
 *   - cprof's root frames: "[process PID ...]" first, then "[thread TID ...]",
 *     each optional, become the samples' process and thread; "[empty]" alone
 *     is a sample without a stack, "[unknown]" and "[truncated]" keep their
 *     meaning.
 *
 * Everything else that does not fit is an error naming the line: no count,
 * a count that is not a whole number, two counts (the input of a
 * differential flame graph), an empty frame, NUL bytes. A folded file holds
 * no times: every sample is at time 0, on the CPU.
 */
#include <errno.h>
#include <stddef.h>

#include "profile.h"

/* The error for data that is not folded stacks (why says which line, and why). */
#define FOLDED_EBADFORMAT (-EBADMSG)

/* Limits that keep a hostile file from exhausting memory. */
#define FOLDED_MAX_SAMPLES 20000000ULL /* the counts of all lines, added up */
#define FOLDED_MAX_DEPTH   65536       /* frames in one line */
#define FOLDED_MAX_BYTES   (1ULL << 30)

/*
 * Parse folded stacks held in memory. Returns 0 with a new profile in *out,
 * or FOLDED_EBADFORMAT with a message in why ("line 3: ...").
 */
int folded_parse(const char *data, size_t len, struct profile **out, char *why, size_t whylen);

/* Read a folded file ("-" is standard input). -errno for I/O errors. */
int folded_load(const char *path, struct profile **out, char *why, size_t whylen);

/*
 * Read a .cprof recording or folded stacks, told apart by content: the
 * recording's magic bytes, else folded text. why gets the reason of a
 * failure, without the path. Returns 0, -errno, or -EBADMSG for a file that
 * is neither (or a damaged one).
 */
int profile_load_any(const char *path, struct profile **out, char *why, size_t whylen);

#endif
