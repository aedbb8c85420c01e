/* SPDX-License-Identifier: MIT */
#ifndef CPROF_CPROF_H
#define CPROF_CPROF_H

/* Exit codes, documented in cprof(1). */
enum cprof_exit {
	EXIT_OK = 0,
	EXIT_ERROR = 1,	     /* runtime failure: output not written, internal error */
	EXIT_USAGE = 2,	     /* bad command line */
	EXIT_NO_TARGET = 3,  /* no such process, not a user process, exited */
	EXIT_PERMISSION = 4, /* ptrace not permitted */
	EXIT_REGRESSION = 5, /* cprof diff: a function grew past --threshold */
};

#define CPROF_VERSION "0.1.0"

int cmd_dump(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
