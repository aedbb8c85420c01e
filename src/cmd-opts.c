// SPDX-License-Identifier: MIT
#include <string.h>

#include "cmd-opts.h"
#include "cprof.h"
#include "log.h"
#include "options.h"

int render_parse_opt(struct render_args *r, int c, const char *arg)
{
	char why[512];

	switch (c) {
	case 'o': outspecs_add(&r->outs, arg); return 1;
	case 'f':
		if (outspecs_force(&r->outs, arg, why, sizeof(why))) {
			error_msg("--format: %s", why);
			return EXIT_USAGE;
		}
		return 1;
	case 't': r->ro.threads = true; break;
	case OPT_PROCESSES: r->ro.processes = true; break;
	case OPT_LINES: r->ro.lines = true; break;
	case OPT_TITLE: r->ro.title = arg; break;
	case OPT_MINWIDTH:
		if (parse_double(arg, 0, 10000, &r->ro.minwidth, why, sizeof(why))) {
			error_msg("--minwidth: %s", why);
			return EXIT_USAGE;
		}
		break;
	default: return 0;
	}
	r->shaped = true;
	return 1;
}

int rows_parse_opt(int c, const char *arg, size_t *top, enum analyze_by *by)
{
	char why[512];
	unsigned long n;

	switch (c) {
	case OPT_TOP:
		if (parse_uint(arg, 0, 1000000, &n, why, sizeof(why))) {
			error_msg("--top: %s", why);
			return EXIT_USAGE;
		}
		*top = n;
		return 1;
	case OPT_BY:
		if (!strcmp(arg, "function") || !strcmp(arg, "func")) {
			*by = ANALYZE_BY_FUNCTION;
		} else if (!strcmp(arg, "line")) {
			*by = ANALYZE_BY_LINE;
		} else {
			error_msg("--by: '%s' is neither 'function' nor 'line'", arg);
			return EXIT_USAGE;
		}
		return 1;
	default: return 0;
	}
}

int render_check(struct render_args *r)
{
	char why[512];

	if (outspecs_check(&r->outs, why, sizeof(why))) {
		error_msg("%s", why);
		return EXIT_USAGE;
	}
	return 0;
}
