// SPDX-License-Identifier: MIT
/*
 * cprof diff: compare two profiles (.cprof recordings or folded stacks):
 * which functions' shares of the samples changed most, optionally failing
 * (exit 5) when one grew past a threshold, and a differential flame graph.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cmd-opts.h"
#include "cprof.h"
#include "diffcalc.h"
#include "folded-load.h"
#include "log.h"
#include "options.h"
#include "outspec.h"
#include "profile.h"
#include "xalloc.h"

enum {
	OPT_THRESHOLD = 1000,
};

static const char usage[] =
	"usage: cprof diff [options] BASE NEW\n"
	"\n"
	"Compare two profiles: the functions whose share of the samples changed most\n"
	"from BASE to NEW. Each is a .cprof recording or folded stacks.\n"
	"\n"
	"      --top N              rows shown (default 20, 0 for all)\n"
	"      --by KEY             compare per function (default) or per source line:\n"
	"                           KEY is 'function' or 'line'\n"
	"  -j, --json               print the comparison as one JSON document\n"
	"      --threshold PCT      exit with status 5 if a function's total share grew by\n"
	"                           more than PCT percentage points (0 to 100)\n"
	"  -o, --output PATH        also render NEW to PATH (repeatable), the format from\n"
	"                           the extension; an .svg is a differential flame graph:\n"
	"                           widths from NEW, red grew, blue shrank since BASE\n"
	"  -f, --format FORMAT      render every output in FORMAT\n"
	"      --title TEXT         flame graph title\n"
	"      --minwidth PIXELS    hide flame graph frames narrower than this\n"
	"  -h, --help               show this help\n"
	"\n"
	"Either file may be '-' for standard input. See cprof-diff(1).\n";

struct diff_cmd {
	const char *base_path, *new_path;
	struct render_args r;
	enum analyze_by by;
	size_t top;
	bool json;
	bool have_threshold;
	double threshold;
};

static int parse_args(int argc, char **argv, struct diff_cmd *o)
{
	static const struct option longopts[] = {
		{ "top", required_argument, NULL, OPT_TOP },
		{ "by", required_argument, NULL, OPT_BY },
		{ "json", no_argument, NULL, 'j' },
		{ "threshold", required_argument, NULL, OPT_THRESHOLD },
		RENDER_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[512];
	int c, rc;

	o->top = ROWS_DEFAULT_TOP;
	while ((c = getopt_long(argc, argv, "o:f:jh", longopts, NULL)) != -1) {
		rc = render_parse_opt(&o->r, c, optarg);
		if (!rc)
			rc = rows_parse_opt(c, optarg, &o->top, &o->by);
		if (rc == 1)
			continue;
		if (rc > 1)
			return rc;
		switch (c) {
		case 'j': o->json = true; break;
		case OPT_THRESHOLD:
			if (parse_double(optarg, 0, 100, &o->threshold, why, sizeof(why))) {
				error_msg("--threshold: %s", why);
				return EXIT_USAGE;
			}
			o->have_threshold = true;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		error_msg("diff: which profiles? (cprof diff BASE NEW; try --help)");
		return EXIT_USAGE;
	}
	if (argc - optind > 2) {
		error_msg("diff: two profiles at a time ('%s' is extra)", argv[optind + 2]);
		return EXIT_USAGE;
	}
	o->base_path = argv[optind];
	o->new_path = argv[optind + 1];
	if (!strcmp(o->base_path, "-") && !strcmp(o->new_path, "-")) {
		error_msg("diff: only one of BASE and NEW can be standard input");
		return EXIT_USAGE;
	}
	if (!o->r.outs.n && o->r.outs.forced) {
		error_msg("diff: --format needs -o PATH");
		return EXIT_USAGE;
	}
	if (!o->r.outs.n && (o->r.ro.title || o->r.ro.minwidth > 0)) {
		error_msg("diff: --title and --minwidth apply to -o outputs");
		return EXIT_USAGE;
	}
	return render_check(&o->r);
}

static struct profile *load(const char *path)
{
	struct profile *p = NULL;
	char why[512];

	if (profile_load_any(path, &p, why, sizeof(why))) {
		error_msg("cannot read '%s': %s", path, why);
		return NULL;
	}
	if (!p->nsamples) {
		error_msg("'%s' has no samples: nothing to compare", path);
		profile_free(p);
		return NULL;
	}
	return p;
}

/* Render NEW against BASE: the flame graph becomes differential. */
static int write_outputs(struct diff_cmd *o, const struct profile *base, const struct profile *cur)
{
	bool own_title = o->r.ro.title != NULL;
	char *title = NULL;
	int failures;

	render_opts_from_meta(&o->r.ro, cur);
	/* Thread ids differ from run to run: per-thread roots would never match. */
	o->r.ro.threads = false;
	o->r.ro.processes = false;
	o->r.ro.base = base;
	if (!own_title) {
		/* Not NEW's own title: this graph is about the change. */
		title = xasprintf("cprof diff: %s vs %s", o->base_path, o->new_path);
		o->r.ro.title = title;
	}
	failures = outspecs_write(&o->r.outs, cur, &o->r.ro, NULL, 0);
	free(title);
	o->r.ro.title = NULL;
	return failures ? EXIT_ERROR : EXIT_OK;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_cmd o = { 0 };
	struct profile *base = NULL, *cur = NULL;
	struct diff d = { 0 };
	int rc, err;

	rc = parse_args(argc, argv, &o);
	if (rc) {
		rc = rc < 0 ? EXIT_OK : rc;
		goto out;
	}
	base = load(o.base_path);
	cur = base ? load(o.new_path) : NULL;
	if (!cur) {
		rc = EXIT_ERROR;
		goto out;
	}
	/* Folded stacks say nothing of how they were sampled; recordings do. */
	if (base->meta.version && cur->meta.version &&
	    base->meta.wall_clock != cur->meta.wall_clock)
		warning_msg("'%s' is %s recording, '%s' %s: their shares mean different things",
			    o.base_path,
			    base->meta.wall_clock ? "a wall-clock (--idle)" : "an on-CPU",
			    o.new_path, cur->meta.wall_clock ? "wall-clock" : "on-CPU");
	diff_compute(base, cur, o.by, &d);

	struct diff_report_opts rep = {
		.base_name = o.base_path,
		.new_name = o.new_path,
		.top = o.top,
		.have_threshold = o.have_threshold,
		.threshold = o.threshold,
	};

	err = o.json ? diff_write_json(stdout, &d, &rep) : diff_write_text(stdout, &d, &rep);
	if (err) {
		error_msg("diff: %s", strerror(-err));
		rc = EXIT_ERROR;
		goto out;
	}
	if (o.r.outs.n)
		rc = write_outputs(&o, base, cur);

	const struct diff_row *worst = o.have_threshold ? diff_regression(&d, o.threshold) : NULL;

	if (worst) {
		fflush(stdout);
		error_msg("regression: %s grew by %+.1f points of total share (%.1f%% -> %.1f%%), "
			  "more than the threshold of %g",
			  worst->label, worst->d_total, worst->total_pct[DIFF_BASE],
			  worst->total_pct[DIFF_NEW], o.threshold);
		if (rc == EXIT_OK)
			rc = EXIT_REGRESSION;
	}
out:
	diff_release(&d);
	profile_free(base);
	profile_free(cur);
	outspecs_release(&o.r.outs);
	return rc;
}
