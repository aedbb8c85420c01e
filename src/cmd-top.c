// SPDX-License-Identifier: MIT
/*
 * cprof top: a live table of the hottest functions of a process, full
 * screen on a terminal, or as text or NDJSON snapshots for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cprof.h"
#include "log.h"
#include "options.h"
#include "profile.h"
#include "session.h"
#include "signals.h"
#include "target.h"
#include "topview.h"

enum {
	OPT_JSON = OPT_SESSION_LAST,
	OPT_LINES,
	OPT_ROWS,
};

#define DEFAULT_ROWS 30

static const char usage[] =
	"usage: cprof top [options] --pid PID\n"
	"       cprof top [options] -- COMMAND [ARGS...]\n"
	"\n"
	"Show the functions a process spends its time in, live: a full-screen table\n"
	"on a terminal, plain-text or JSON snapshots otherwise.\n"
	"\n"
	"  -d, --delay TIME         refresh every TIME (default 1s; 0.5, 250ms, 2s)\n"
	"  -n, --iterations N       stop after N refreshes\n"
	"  -b, --batch              print plain-text snapshots, not the full-screen view\n"
	"                           (the default when stdin or stdout is not a terminal)\n"
	"      --json               print one JSON object per refresh (NDJSON)\n"
	"  -s, --sort COLUMN        sort by %Own, %Total, OwnTime (default) or TotalTime\n"
	"      --lines              one row per source line instead of per function\n"
	"      --rows N             rows per snapshot in batch and JSON output\n"
	"                           (default 30; 0: all)\n" SESSION_HELP
	"  -h, --help               show this help\n"
	"\n"
	"Keys: 1-4 sort by a column, L functions or lines, t/T one thread or all,\n"
	"r reset, space pause, arrows scroll, ? help, q quit. %Own and %Total are\n"
	"shares of the last refresh; the times add up since the start or a reset.\n"
	"See cprof-top(1).\n";

struct top_opts {
	struct session_opts s;
	struct top_viewopts view;
	uint64_t delay_ns;
	unsigned long iterations;
	bool batch, json;
};

static int parse_args(int argc, char **argv, struct top_opts *o)
{
	static const struct option longopts[] = {
		SESSION_LONGOPTS,
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "sort", required_argument, NULL, 's' },
		{ "lines", no_argument, NULL, OPT_LINES },
		{ "rows", required_argument, NULL, OPT_ROWS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[512];
	unsigned long v;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:" SESSION_SHORTOPTS "d:n:bs:h", longopts, NULL)) !=
	       -1) {
		rc = session_parse_opt(&o->s, c, optarg);
		if (rc == 1)
			continue;
		if (rc > 1)
			return rc;
		switch (c) {
		case 'd':
			if (parse_duration(optarg, &o->delay_ns, why, sizeof(why))) {
				error_msg("--delay: %s", why);
				return EXIT_USAGE;
			}
			if (o->delay_ns < 10000000ULL) {
				error_msg("--delay: '%s' is too short (at least 10ms)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_uint(optarg, 1, 1000000000UL, &o->iterations, why, sizeof(why))) {
				error_msg("--iterations: %s", why);
				return EXIT_USAGE;
			}
			break;
		case 'b': o->batch = true; break;
		case OPT_JSON: o->json = true; break;
		case 's':
			if (top_sort_parse(optarg, &o->view.sort)) {
				error_msg("--sort: '%s' is not a column (%%Own, %%Total, OwnTime, "
					  "TotalTime)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LINES: o->view.lines = true; break;
		case OPT_ROWS:
			if (parse_uint(optarg, 0, 1000000UL, &v, why, sizeof(why))) {
				error_msg("--rows: %s", why);
				return EXIT_USAGE;
			}
			o->view.max_rows = v;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: getopt_error("top", c, argv); return EXIT_USAGE;
		}
	}
	return session_finish_opts(&o->s, "top", argc, argv, optind);
}

enum top_end {
	END_DONE,   /* q, or --iterations reached */
	END_SIGNAL, /* SIGINT, SIGTERM, SIGHUP */
	END_EXITED, /* the target is gone */
	END_DENIED, /* ptrace was refused */
	END_OUTPUT, /* stdout failed */
};

static bool denied(const struct session *s)
{
	return !s->prof->nsamples && atomic_load(&sampler_stats(s->sampler)->denied);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int print_snapshot(struct topview *v, const struct top_opts *o, bool exited)
{
	struct top_buf b = { 0 };
	int err = 0;

	if (o->json)
		err = topview_render_json(v, exited, &b);
	else
		topview_render_text(v, &b);
	if (!err && (fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout)))
		err = -errno;
	top_buf_release(&b);
	return err;
}

static enum top_end run_batch(struct session *s, struct topview *v, const struct top_opts *o,
			      int *err)
{
	uint64_t next = monotonic_ns() + o->delay_ns;
	unsigned long done = 0;

	for (;;) {
		uint64_t now = monotonic_ns();
		bool exited;

		session_poll(s, now < next ? (int)MIN((next - now) / 1000000 + 1, 100) : 0);
		if (denied(s))
			return END_DENIED;
		exited = session_finished(s);
		if (exited || stop_signal) {
			/*
			 * What came in since the last snapshot is worth a last
			 * one; in JSON the end of the target always is.
			 */
			session_poll(s, 0);
			if (topview_pending(v) || (exited && o->json)) {
				topview_roll(v);
				*err = print_snapshot(v, o, exited);
			}
			return *err ? END_OUTPUT : exited ? END_EXITED : END_SIGNAL;
		}
		now = monotonic_ns();
		if (now < next)
			continue;
		topview_roll(v);
		*err = print_snapshot(v, o, false);
		if (*err)
			return END_OUTPUT;
		if (o->iterations && ++done >= o->iterations)
			return END_DONE;
		/* From now, not from the last deadline: a refresh held up by a
		 * burst of symbolizing must not make the next window short. */
		next = now + o->delay_ns;
	}
}

static int draw(struct top_term *t, struct topview *v)
{
	struct top_buf b = { 0 };
	int w, h, err;

	top_term_size(t, &w, &h);
	topview_render_screen(v, w, h, &b);
	err = write_all(t->out, b.p, b.len);
	top_buf_release(&b);
	return err;
}

static enum top_end run_screen(struct session *s, struct topview *v, const struct top_opts *o,
			       int *err)
{
	struct top_term t;
	uint64_t next = monotonic_ns() + o->delay_ns;
	unsigned long done = 0;
	enum top_end end = END_DONE;

	*err = top_term_enter(&t);
	if (*err)
		return END_OUTPUT;
	*err = draw(&t, v);
	while (!*err) {
		struct pollfd pfd[2] = {
			{ .fd = t.in, .events = POLLIN },
			{ .fd = s->ring.efd, .events = POLLIN },
		};
		uint64_t now = monotonic_ns();
		bool redraw = false;
		int keys[64], n;

		if (stop_signal) {
			end = END_SIGNAL;
			break;
		}
		if (session_finished(s)) {
			end = END_EXITED;
			break;
		}
		if (denied(s)) {
			end = END_DENIED;
			break;
		}
		poll(pfd, 2, now < next ? (int)((next - now) / 1000000 + 1) : 0);
		session_poll(s, 0);
		if (pfd[0].revents & POLLIN) {
			n = top_term_read_keys(&t, keys, (int)ARRAY_SIZE(keys));
			if (n < 0)
				break; /* the terminal is gone */
			for (int i = 0; i < n; i++) {
				enum top_action a = topview_key(v, keys[i]);

				if (a == TOP_QUIT)
					goto out;
				redraw |= a == TOP_REDRAW;
			}
		} else if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			break;
		}
		if (winch_signal) {
			winch_signal = 0;
			redraw = true;
		}
		now = monotonic_ns();
		if (now >= next) {
			topview_roll(v);
			redraw |= !topview_opts(v)->paused;
			next = now + o->delay_ns;
			if (o->iterations && ++done >= o->iterations) {
				draw(&t, v);
				break;
			}
		}
		if (redraw)
			*err = draw(&t, v);
	}
out:
	top_term_leave(&t);
	if (*err && end == END_DONE)
		end = END_OUTPUT;
	return end;
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o = { .delay_ns = 1000000000ULL };
	struct topview *v = NULL;
	struct profile *p = NULL;
	struct session s;
	enum top_end end;
	bool screen;
	char line[256];
	int rc, err = 0;

	session_opts_init(&o.s);
	o.view.sort = TOP_SORT_OWN_TIME;
	o.view.max_rows = DEFAULT_ROWS;
	rc = parse_args(argc, argv, &o);
	if (rc) {
		rc = rc < 0 ? EXIT_OK : rc;
		goto out_opts;
	}
	/* In the background (cprof top ... &), taking over the terminal would
	 * stop us with SIGTTOU, perhaps with a target thread held stopped. */
	screen = !o.batch && !o.json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
		 tcgetpgrp(STDIN_FILENO) == getpgrp();
	o.s.launch_stdout_to_stderr = true;
	o.s.launch_off_tty = screen;
	p = profile_new();
	rc = session_start(&s, &o.s, p);
	if (rc) {
		session_release(&s);
		goto out;
	}
	v = topview_new(&s, &o.view);
	end = screen ? run_screen(&s, v, &o, &err) : run_batch(&s, v, &o, &err);
	session_stop(&s);

	rc = EXIT_OK;
	switch (end) {
	case END_EXITED:
		topview_exit_line(v, line, sizeof(line));
		info_msg("%s", line);
		break;
	case END_DENIED:
		target_permission_hint(s.pid, line, sizeof(line));
		error_msg("cannot trace pid %d: %s; %s", s.pid, strerror(EPERM), line);
		rc = EXIT_PERMISSION;
		break;
	case END_OUTPUT:
		if (err != -EPIPE) {
			error_msg("%s: %s",
				  screen ? "cannot use the terminal"
					 : "write error on standard output",
				  strerror(-err));
			rc = EXIT_ERROR;
		}
		break;
	default: break;
	}
	topview_free(v);
	session_release(&s);
out:
	profile_free(p);
out_opts:
	session_opts_release(&o.s);
	return rc;
}
