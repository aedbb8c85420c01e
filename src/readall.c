// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "readall.h"

int read_all(int fd, size_t limit, char **out, size_t *len)
{
	/* One byte past the limit is what tells a larger input from one of exactly limit. */
	size_t max = limit < SIZE_MAX ? limit + 1 : SIZE_MAX;
	size_t cap = 65536, n = 0;
	struct stat st;
	char *buf;

	/* A regular file's size saves the regrowing, but is not trusted to be right. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < max)
		cap = (size_t)st.st_size + 1;
	if (cap > max)
		cap = max;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap > max / 2 ? max : cap * 2;
			char *nb = ncap > cap ? realloc(buf, ncap) : NULL;

			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > limit) {
			free(buf);
			return -EFBIG;
		}
	}
	*out = buf;
	*len = n;
	return 0;
}

int read_path(const char *path, size_t limit, char **out, size_t *len)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = read_all(fd, limit, out, len);
	if (!is_stdin)
		close(fd);
	return err;
}

static bool starts_with(const char *d, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && !memcmp(d, s, n);
}

enum file_kind file_kind_of(const char *d, size_t len)
{
	size_t i = 0;

	if (len >= 2 && (unsigned char)d[0] == 0x1f && (unsigned char)d[1] == 0x8b)
		return FILE_GZIP;
	while (i < len && i < 64 && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
		i++;
	if (starts_with(d + i, len - i, "<?xml") || starts_with(d + i, len - i, "<svg"))
		return FILE_SVG;
	if (starts_with(d + i, len - i, "{"))
		return FILE_JSON;
	return FILE_UNKNOWN;
}
