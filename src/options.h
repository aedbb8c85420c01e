/* SPDX-License-Identifier: MIT */
#ifndef CPROF_OPTIONS_H
#define CPROF_OPTIONS_H

/*
 * Strict parsers for command-line values. Each returns 0, or -EINVAL with a
 * reason in `why` for the "cprof: <option>: <why>" message.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int parse_pid(const char *s, pid_t *out, char *why, size_t whylen);
/* "10", "2.5", "500ms", "10s", "2m", "1h" → nanoseconds, > 0 */
int parse_duration(const char *s, uint64_t *ns, char *why, size_t whylen);
/* Sampling rate in Hz, 1..max */
int parse_rate(const char *s, unsigned int max, unsigned int *out, char *why, size_t whylen);
/* "12,34-36" → sorted unique list of positive ids */
int parse_tid_list(const char *s, pid_t **out, size_t *n, char *why, size_t whylen);
/* Whether tid is in a list from parse_tid_list() (sorted). */
bool tid_list_has(const pid_t *list, size_t n, pid_t tid);
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out, char *why,
	       size_t whylen);
int parse_double(const char *s, double min, double max, double *out, char *why, size_t whylen);

/* "65536", "32K", "1M" → bytes in [min, max] */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why, size_t whylen);

/*
 * Report an option getopt_long rejected as one "cprof: CMD: ..." line.
 * `c` is what it returned: '?' (unknown option) or ':' (missing argument,
 * when the option string starts with "+:"); call with opterr = 0.
 */
void getopt_error(const char *cmd, int c, char *const *argv);
#endif
