/* SPDX-License-Identifier: MIT */
#ifndef CPROF_PERIODIC_H
#define CPROF_PERIODIC_H

/*
 * What `record` does with the profile while it is still recording:
 *
 *   --rotate T      every T, write each -o output for the last T alone, to
 *                   a name with the interval's UTC start time in it
 *   --pyroscope URL every --upload-interval, push the interval's profile
 *   SIGUSR1         write the outputs so far (with --rotate: end the
 *                   current interval now; with --pyroscope: push now)
 *
 * All of it runs in the consumer thread between drains of the ring, so
 * the sampler thread never waits for a file or the network. Part of the
 * command layer: it prints its own warnings.
 */
#include <stdbool.h>
#include <stdint.h>

#include "outspec.h"
#include "pyroscope.h"

struct session;

struct periodic_opts {
	uint64_t rotate_ns; /* --rotate; 0: off */
	struct pyro_opts pyro;
};

struct periodic;

/* Before the session starts. Prints the error and returns an exit code. */
int periodic_new(const struct periodic_opts *o, const struct outspecs *outs, unsigned int rate_hz,
		 bool wall_clock, bool tty, struct periodic **out);
/* Once the session runs: watch its samples, start uploading. Exit code. */
int periodic_attach(struct periodic *pd, struct session *s);
/* Between drains: SIGUSR1, intervals that are complete, upload trouble. */
void periodic_poll(struct periodic *pd);
/*
 * After session_stop and session_fill_meta: the last partial intervals and
 * the uploads still queued. Describes rotated files in `written`. Returns
 * the number of files that could not be written.
 */
int periodic_finish(struct periodic *pd, char *written, size_t wlen);
/* Whether the -o paths themselves are left alone (--rotate). */
bool periodic_rotating(const struct periodic *pd);
/* The summary lines about uploads; EXIT_ERROR if not one push got through. */
int periodic_summary(struct periodic *pd, bool quiet);
void periodic_free(struct periodic *pd);

/* "dir/out.svg" → "dir/out-20261123T174501Z.svg": the stamp before the suffix. */
char *rotated_path(const char *path, const struct output_format *fmt, const char *stamp);

#endif
