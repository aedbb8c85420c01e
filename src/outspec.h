/* SPDX-License-Identifier: MIT */
#ifndef CPROF_OUTSPEC_H
#define CPROF_OUTSPEC_H

/*
 * The -o/--format options of record and report: a list of files, each with
 * the format its extension names (or --format). Checked before any work is
 * done, so a typo in a path fails in a second, not after an hour of sampling.
 */
#include <stdbool.h>
#include <stddef.h>

#include "output.h"

struct outspec {
	const char *path;
	const struct output_format *fmt;
};

struct outspecs {
	struct outspec *v;
	size_t n, cap;
	const struct output_format *forced; /* --format */
};

void outspecs_add(struct outspecs *o, const char *path);
/* --format NAME; returns -EINVAL (and a message in why) for unknown names. */
int outspecs_force(struct outspecs *o, const char *name, char *why, size_t len);
/*
 * Whether a file can be created at path: not a directory, in a directory
 * that exists and is writable. -EINVAL with "OPT 'PATH': why" otherwise.
 */
int output_path_check(const char *opt, const char *path, char *why, size_t len);
/* Resolve formats and check directories. Returns 0 or -EINVAL with why. */
int outspecs_check(struct outspecs *o, char *why, size_t len);
/* Write every output; prints one error line per failure. Returns failures. */
int outspecs_write(const struct outspecs *o, const struct profile *p, const struct render_opts *ro,
		   char *written, size_t wlen);
void outspecs_release(struct outspecs *o);

#endif
