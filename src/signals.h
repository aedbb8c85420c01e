/* SPDX-License-Identifier: MIT */
#ifndef CPROF_SIGNALS_H
#define CPROF_SIGNALS_H

/*
 * Signal set-up shared by the commands. Handlers only record the signal;
 * the loops notice it between captures, so a thread is never left stopped.
 */
#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t stop_signal;  /* SIGINT, SIGTERM or SIGHUP received */
extern volatile sig_atomic_t flush_signal; /* SIGUSR1 received */
extern volatile sig_atomic_t winch_signal; /* terminal resized */

/* Install handlers; block SIGCHLD everywhere (the tracer waits for it). */
void signals_setup(void);
/* Mask the stop and flush signals in the calling thread (the sampler). */
void signals_block_in_thread(void);

#endif
