/* SPDX-License-Identifier: MIT */
#ifndef CPROF_SYSCALLS_H
#define CPROF_SYSCALLS_H

/* Name of an x86_64 system call number, or NULL. */
const char *syscall_name(long nr);

#endif
