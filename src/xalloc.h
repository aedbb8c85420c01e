/* SPDX-License-Identifier: MIT */
#ifndef CPROF_XALLOC_H
#define CPROF_XALLOC_H

/*
 * Allocation wrappers that abort the process on out-of-memory. A profiler
 * that runs out of memory cannot do anything useful; the kernel detaches
 * any tracee when we die, so dying is safe for the target.
 */
#include <stddef.h>

#include "compat.h"

void *xmalloc(size_t size) ATTR_MALLOC;
void *xcalloc(size_t n, size_t size) ATTR_MALLOC;
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s) ATTR_MALLOC;
char *xstrndup(const char *s, size_t n) ATTR_MALLOC;
char *xasprintf(const char *fmt, ...) ATTR_PRINTF(1, 2) ATTR_MALLOC;

/* Grow *p so that it holds at least `need` elements of `elsize` bytes. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elsize);

/* Append one element to a (ptr, len, cap) triple; evaluates to its slot. */
#define VEC_PUSH(ptr, len, cap)                                                                    \
	((ptr) = xgrow((ptr), &(cap), (len) + 1, sizeof(*(ptr))), &(ptr)[(len)++])

#endif
