// SPDX-License-Identifier: MIT
#include <stddef.h>

#include "compat.h"
#include "syscalls.h"

/* Generated at build time from the kernel's asm/unistd_64.h. */
static const char *const names[] = {
#include "syscallnames.inc"
};

const char *syscall_name(long nr)
{
	if (nr < 0 || (size_t)nr >= ARRAY_SIZE(names))
		return NULL;
	return names[nr];
}
