// SPDX-License-Identifier: MIT
/*
 * cprof report: read a .cprof recording and either print what it says
 * (hotspots, threads, CPU vs waiting, resource use) or render it again in
 * any output format, byte for byte as `cprof record` would have.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cmd-opts.h"
#include "cprof.h"
#include "log.h"
#include "options.h"
#include "outspec.h"
#include "profile.h"
#include "recfile.h"

enum {
	OPT_SORT = 1000,
};

static const char usage[] =
	"usage: cprof report [options] FILE.cprof\n"
	"\n"
	"Summarize a recording made with 'cprof record -o FILE.cprof', or render it\n"
	"again in any output format.\n"
	"\n"
	"  -o, --output PATH        render the recording to PATH (repeatable); the format\n"
	"                           follows the extension as for record: .svg, .json,\n"
	"                           .folded/.txt, .pb.gz, .cprof\n"
	"  -f, --format FORMAT      render every output in FORMAT\n"
	"  -t, --threads            a root frame per thread (flame graph, folded)\n"
	"      --processes          a root frame per process (flame graph, folded)\n"
	"      --lines              label frames with source file and line\n"
	"      --title TEXT         flame graph and speedscope title\n"
	"      --minwidth PIXELS    hide flame graph frames narrower than this\n"
	"\n"
	"Without -o, a report is printed:\n"
	"      --top N              hotspots shown (default 20, 0 for all)\n"
	"      --by function|line   hotspots per function (default) or per source line\n"
	"      --sort self|total    order hotspots by self (default) or total samples\n"
	"  -j, --json               print the report as one JSON document\n"
	"  -h, --help               show this help\n"
	"\n"
	"FILE '-' reads standard input. See cprof-report(1).\n";

struct report_cmd {
	const char *path;
	struct render_args r;
	struct analyze_opts ao;
	size_t top;
	bool json;
	bool report_opts; /* --top, --by, --sort or --json given */
};

static int parse_args(int argc, char **argv, struct report_cmd *o)
{
	static const struct option longopts[] = {
		RENDER_LONGOPTS,
		{ "threads", no_argument, NULL, 't' },
		{ "processes", no_argument, NULL, OPT_PROCESSES },
		{ "lines", no_argument, NULL, OPT_LINES },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "by", required_argument, NULL, OPT_BY },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	o->top = ROWS_DEFAULT_TOP;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:tjh", longopts, NULL)) != -1) {
		rc = render_parse_opt(&o->r, c, optarg);
		if (!rc) {
			rc = rows_parse_opt(c, optarg, &o->top, &o->ao.by);
			if (rc == 1)
				o->report_opts = true;
		}
		if (rc == 1)
			continue;
		if (rc > 1)
			return rc;
		switch (c) {
		case OPT_SORT:
			if (!strcmp(optarg, "self")) {
				o->ao.sort = ANALYZE_SORT_SELF;
			} else if (!strcmp(optarg, "total")) {
				o->ao.sort = ANALYZE_SORT_TOTAL;
			} else {
				error_msg("--sort: '%s' is neither 'self' nor 'total'", optarg);
				return EXIT_USAGE;
			}
			o->report_opts = true;
			break;
		case 'j':
			o->json = true;
			o->report_opts = true;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: getopt_error("report", c, argv); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		error_msg("report: which recording? (cprof report FILE.cprof; try --help)");
		return EXIT_USAGE;
	}
	if (argc - optind > 1) {
		error_msg("report: one recording at a time ('%s' is extra)", argv[optind + 1]);
		return EXIT_USAGE;
	}
	o->path = argv[optind];
	if (o->r.outs.n && o->report_opts) {
		error_msg("report: --top, --by, --sort and --json print a report; "
			  "with -o the recording is rendered instead");
		return EXIT_USAGE;
	}
	if (!o->r.outs.n && o->r.outs.forced) {
		error_msg("report: --format needs -o PATH");
		return EXIT_USAGE;
	}
	if (!o->r.outs.n && o->r.shaped) {
		error_msg("report: --threads, --processes, --lines, --title and --minwidth "
			  "apply to -o outputs");
		return EXIT_USAGE;
	}
	return render_check(&o->r);
}

int cmd_report(int argc, char **argv)
{
	struct report_cmd o = { 0 };
	struct profile *p = NULL;
	char why[512];
	int rc, err;

	rc = parse_args(argc, argv, &o);
	if (rc) {
		rc = rc < 0 ? EXIT_OK : rc;
		goto out;
	}
	err = recfile_load(o.path, &p, why, sizeof(why));
	if (err) {
		error_msg("cannot read '%s': %s", o.path, why);
		rc = EXIT_ERROR;
		goto out;
	}
	if (o.r.outs.n) {
		/* The same render options as record used, unless overridden. */
		render_opts_from_meta(&o.r.ro, p);
		rc = outspecs_write(&o.r.outs, p, &o.r.ro, NULL, 0) ? EXIT_ERROR : EXIT_OK;
		goto out;
	}

	struct report_opts rep = { .source = o.path, .top = o.top };

	err = o.json ? report_write_json(stdout, p, &o.ao, &rep)
		     : report_write_text(stdout, p, &o.ao, &rep);
	if (err) {
		error_msg("report: %s", strerror(-err));
		rc = EXIT_ERROR;
	}
out:
	profile_free(p);
	outspecs_release(&o.r.outs);
	return rc;
}
