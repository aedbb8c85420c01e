/* SPDX-License-Identifier: MIT */
#ifndef CPROF_STRTAB_H
#define CPROF_STRTAB_H

/*
 * String interning. Interned strings are stable until strtab_free, and equal
 * strings share one pointer, so callers compare names by pointer.
 */
#include <stddef.h>
#include <stdint.h>

struct strtab;

struct strtab *strtab_new(void);
void strtab_free(struct strtab *t);
const char *strtab_intern(struct strtab *t, const char *s);
const char *strtab_intern_len(struct strtab *t, const char *s, size_t len);
size_t strtab_count(const struct strtab *t);

uint64_t hash_bytes(const void *p, size_t len);
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

#endif
