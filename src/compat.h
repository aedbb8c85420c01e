/* SPDX-License-Identifier: MIT */
#ifndef CPROF_COMPAT_H
#define CPROF_COMPAT_H

#include <stddef.h>

#define ARRAY_SIZE(a)	       (sizeof(a) / sizeof((a)[0]))
#define ATTR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ATTR_NORETURN	       __attribute__((noreturn))
#define ATTR_MALLOC	       __attribute__((malloc))
#define ATTR_UNUSED	       __attribute__((unused))
#define likely(x)	       __builtin_expect(!!(x), 1)
#define unlikely(x)	       __builtin_expect(!!(x), 0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#endif
