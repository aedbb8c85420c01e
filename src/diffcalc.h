/* SPDX-License-Identifier: MIT */
#ifndef CPROF_DIFFCALC_H
#define CPROF_DIFFCALC_H

/*
 * The comparison behind `cprof diff`: for every function (or source line)
 * seen in either of two profiles, its self and total share of each
 * profile's samples, and how much each share changed, in percentage points.
 * Shares are of each profile's own total, so profiles with different sample
 * counts (a longer run, another rate) compare directly.
 *
 * Functions are matched by name, source lines by "name (file:line)" as the
 * writers label them, so a recording compares with folded stacks of the
 * same program. Deltas are compared exactly (as integers, not rounded
 * percentages), which keeps the order and the threshold test stable: a
 * share that grew by exactly the threshold did not grow by more.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze.h"
#include "profile.h"

enum { DIFF_BASE = 0, DIFF_NEW = 1 };

struct diff_row {
	const char *name;  /* the function */
	const char *label; /* what rows are matched by: name, or "name (file:line)" */
	const char *file;  /* by line: its file; by function: where it is defined; or NULL */
	int line;	   /* by line: the line; by function: its first line; 0 if unknown */
	uint64_t self[2], total[2]; /* samples, [DIFF_BASE] and [DIFF_NEW] */
	double self_pct[2], total_pct[2];
	double d_self, d_total; /* new minus base, percentage points */
	/* private: the deltas scaled by both sample counts, exact */
	__int128 x_self, x_total;
};

struct diff {
	uint64_t samples[2];
	enum analyze_by by;
	struct diff_row *rows; /* largest change of total share first, then of self */
	size_t nrows;
	/* private */
	struct strtab *strings; /* the rows' strings: a diff outlives its profiles */
};

/* Compare base with cur. Returns 0; release d with diff_release. */
int diff_compute(const struct profile *base, const struct profile *cur, enum analyze_by by,
		 struct diff *d);
void diff_release(struct diff *d);

/*
 * The row whose total share grew most, if it grew by more than `points`
 * percentage points (0 <= points <= 100, read to a millionth of a point);
 * NULL if none did.
 */
const struct diff_row *diff_regression(const struct diff *d, double points);

/* ---- report writers ---- */

struct diff_report_opts {
	const char *base_name, *new_name; /* shown in the header */
	size_t top;			  /* rows shown; 0 = all */
	bool have_threshold;
	double threshold; /* percentage points */
};

int diff_write_text(FILE *f, const struct diff *d, const struct diff_report_opts *o);
int diff_write_json(FILE *f, const struct diff *d, const struct diff_report_opts *o);

#endif
