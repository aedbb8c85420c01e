/* SPDX-License-Identifier: MIT */
#ifndef CPROF_READALL_H
#define CPROF_READALL_H

/*
 * A whole file in memory, for the loaders: profiles come from regular files
 * and from pipes alike, and are parsed only once all of them is there.
 */
#include <stddef.h>

/*
 * All of fd into a malloc'd buffer. More than `limit` bytes is -EFBIG.
 * Returns 0, -ENOMEM, or read's -errno.
 */
int read_all(int fd, size_t limit, char **out, size_t *len);
/* read_all of the file at path, or of standard input for "-"; also open's -errno. */
int read_path(const char *path, size_t limit, char **out, size_t *len);

/*
 * Other outputs of cprof, the likely mistakes when a profile is expected:
 * the loaders name them rather than report a parse error deep inside.
 */
enum file_kind {
	FILE_UNKNOWN,
	FILE_SVG,
	FILE_JSON,
	FILE_GZIP,
};

enum file_kind file_kind_of(const char *data, size_t len);

#endif
