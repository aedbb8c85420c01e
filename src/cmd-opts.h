/* SPDX-License-Identifier: MIT */
#ifndef CPROF_CMD_OPTS_H
#define CPROF_CMD_OPTS_H

/*
 * Options that record, report and diff share, parsed in one place so that
 * they mean the same and fail with the same messages in each command.
 * Each command still lists in its own table (and help) the ones it takes.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "analyze.h"
#include "outspec.h"

/* Clear of the commands' own option ids (session.h's start at 1000). */
enum {
	OPT_TITLE = 2000,
	OPT_MINWIDTH,
	OPT_LINES,
	OPT_PROCESSES,
	OPT_TOP,
	OPT_BY,
};

/* -o, -f, --title and --minwidth, which every command that renders takes. */
#define RENDER_LONGOPTS                                                                            \
	{ "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },    \
		{ "title", required_argument, NULL, OPT_TITLE },                                   \
	{                                                                                          \
		"minwidth", required_argument, NULL, OPT_MINWIDTH                                  \
	}

struct render_args {
	struct outspecs outs;
	struct render_opts ro;
	bool shaped; /* --threads, --processes, --lines, --title or --minwidth given */
};

/*
 * Handle option `c` if it is -o, -f, -t, --processes, --lines, --title or
 * --minwidth: returns 1 if consumed, 0 if not one of them, or EXIT_USAGE
 * after printing an error.
 */
int render_parse_opt(struct render_args *r, int c, const char *arg);

/* The same for --top and --by, which choose the rows of a report. */
#define ROWS_DEFAULT_TOP 20 /* as the help texts say */
int rows_parse_opt(int c, const char *arg, size_t *top, enum analyze_by *by);

/* After getopt: resolve and check the outputs, or print why not and return EXIT_USAGE. */
int render_check(struct render_args *r);

#endif
