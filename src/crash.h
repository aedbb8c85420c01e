/* SPDX-License-Identifier: MIT */
#ifndef CPROF_CRASH_H
#define CPROF_CRASH_H

/*
 * Crash reports (--on-crash): what every thread was doing when a fatal
 * signal arrived, with the faulting thread's signal, fault address and
 * registers. Stacks are stacks of the recording's profile, so frames carry
 * the same names, inline chains and file:line as every other output.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/user.h>

struct profile;

struct crash_thread {
	pid_t tid;
	char name[16];
	char state;
	bool faulting;
	bool truncated;
	uint32_t stack; /* index into the profile's stacks */
	struct user_regs_struct regs;
};

struct crash_report {
	pid_t pid, tid;
	int signo, code;
	pid_t sender;
	uint64_t addr;
	uint64_t t_ns; /* since the start of the recording */
	struct crash_thread *threads;
	size_t nthreads, cap_threads;
};

void crash_report_free(struct crash_report *c);

/* "SIGSEGV (address not mapped to object)" and the like. */
const char *crash_signal_name(int signo);
const char *crash_code_text(int signo, int code);

int crash_write_text(FILE *f, const struct profile *p, const struct crash_report *c);
int crash_write_json(FILE *f, const struct profile *p, const struct crash_report *c);

#endif
