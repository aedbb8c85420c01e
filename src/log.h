/* SPDX-License-Identifier: MIT */
#ifndef CPROF_LOG_H
#define CPROF_LOG_H

/*
 * Diagnostics go to stderr, data to stdout. Each message is formatted in full
 * and written with one write(2) so that lines stay intact when stderr is
 * shared with the target (launch mode) or with other threads.
 *
 * Only the command layer (cprof.c, cmd-*.c) reports errors to the user.
 * Library modules return 0 or -errno and may emit debug lines only.
 */
#include <stdbool.h>

#include "compat.h"

extern int log_verbosity;

void error_msg(const char *fmt, ...) ATTR_PRINTF(1, 2);
void warning_msg(const char *fmt, ...) ATTR_PRINTF(1, 2);
void info_msg(const char *fmt, ...) ATTR_PRINTF(1, 2);
void debug_msg(int level, const char *fmt, ...) ATTR_PRINTF(2, 3);

/* Suppress info_msg output (--quiet). Errors and warnings still print. */
void log_set_quiet(bool quiet);

#endif
