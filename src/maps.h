/* SPDX-License-Identifier: MIT */
#ifndef CPROF_MAPS_H
#define CPROF_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	MAP_PERM_R = 1,
	MAP_PERM_W = 2,
	MAP_PERM_X = 4,
	MAP_PERM_P = 8,
};

struct mapping {
	uint64_t start, end, offset;
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	unsigned int perms;
	bool deleted; /* the path had a " (deleted)" suffix, removed here */
	char *path;   /* "" for anonymous mappings */
};

/* A parsed /proc/PID/maps, sorted by address as the kernel prints it. */
struct maps {
	struct mapping *v;
	size_t n;
};

int maps_parse(const char *text, size_t len, struct maps *out);
void maps_release(struct maps *m);
void maps_copy(struct maps *dst, const struct maps *src);
const struct mapping *maps_find(const struct maps *m, uint64_t addr);

/* Read the whole of an open /proc/PID/maps into a growable buffer. */
ssize_t maps_read_raw(int fd, char **buf, size_t *cap);

static inline bool mapping_is_file(const struct mapping *m)
{
	return m->path[0] == '/' && m->inode != 0;
}

#endif
