/* SPDX-License-Identifier: MIT */
#ifndef CPROF_TARGET_H
#define CPROF_TARGET_H

/*
 * Checks that a pid names a process cprof can profile, before anything is
 * attached, so that bad input gets one clear line rather than a ptrace errno.
 */
#include <stddef.h>
#include <sys/types.h>

enum target_status {
	TARGET_OK = 0,
	TARGET_NOT_FOUND,
	TARGET_SELF,
	TARGET_KERNEL_THREAD,
	TARGET_ZOMBIE,
	TARGET_PERMISSION,
};

/*
 * Check `*pid`. A thread id is replaced by its process id. On failure `why`
 * holds the reason, suitable for "cprof: <why>".
 */
enum target_status target_check(pid_t *pid, char *why, size_t whylen);
/* Hint for EPERM from ptrace: names ptrace_scope / CAP_SYS_PTRACE. */
/* Why tracing `pid` may be refused, for the error line. */
void target_permission_hint(pid_t pid, char *buf, size_t len);
/* The exit code for a status (cprof.h). */
int target_exit_code(enum target_status st);

#endif
