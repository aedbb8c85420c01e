// SPDX-License-Identifier: MIT
/*
 * cprof record: sample a process at a fixed rate and write the profile in
 * every requested format from the one recording.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cmd-opts.h"
#include "cprof.h"
#include "launch.h"
#include "log.h"
#include "options.h"
#include "analyze.h"
#include "crash.h"
#include "outspec.h"
#include "periodic.h"
#include "profile.h"
#include "session.h"
#include "signals.h"
#include "target.h"
#include "xalloc.h"

enum {
	OPT_ON_CRASH = OPT_SESSION_LAST,
	OPT_ROTATE,
	OPT_PYROSCOPE,
	OPT_APP,
	OPT_TAG,
	OPT_UPLOAD_INTERVAL,
};

static const char usage[] =
	"usage: cprof record [options] --pid PID\n"
	"       cprof record [options] -- COMMAND [ARGS...]\n"
	"\n"
	"Sample every thread of a process and write a profile: a flame graph,\n"
	"speedscope JSON or folded stacks, several at once from one recording.\n"
	"\n"
	"  -o, --output PATH        write the profile to PATH (repeatable); the format\n"
	"                           follows the extension: .svg flame graph, .json\n"
	"                           speedscope, .folded/.txt folded stacks, .pb.gz\n"
	"                           pprof, .cprof recording (for cprof report/diff)\n"
	"                           (default: cprof-PID-DATE-TIME.svg)\n"
	"  -f, --format FORMAT      write every output in FORMAT (svg, speedscope, folded,\n"
	"                           pprof, cprof)\n"
	"  -d, --duration TIME      stop after TIME (30, 1.5, 500ms, 2m; default: until\n"
	"                           Ctrl-C or the target exits)\n" SESSION_HELP
	"  -t, --threads            a root frame per thread in flame graph and folded output\n"
	"      --lines              label frames with source file and line\n"
	"      --title TEXT         flame graph and speedscope title\n"
	"      --minwidth PIXELS    hide flame graph frames narrower than this (default 0.1)\n"
	"      --on-crash FILE      stay attached; if the target dies of SIGSEGV, SIGBUS,\n"
	"                           SIGABRT, SIGFPE or SIGILL, write every thread's stack,\n"
	"                           the signal and registers to FILE and FILE.json\n"
	"      --rotate TIME        every TIME (60s, 5m, 1h) write each output for that\n"
	"                           interval alone, to NAME-<UTC start>.EXT\n"
	"      --pyroscope URL      push the profile of each interval to a Pyroscope\n"
	"                           server (credentials from PYROSCOPE_* variables)\n"
	"      --app NAME           application name for --pyroscope\n"
	"      --tag KEY=VALUE      a label for --pyroscope (repeatable)\n"
	"      --upload-interval TIME  push every TIME (default 10s)\n"
	"  -q, --quiet              no progress line and no summary\n"
	"  -h, --help               show this help\n"
	"\n"
	"A launched COMMAND is profiled from its start to its exit; with --duration it\n"
	"is terminated when the time is up. Ctrl-C stops sampling and writes the\n"
	"outputs; SIGUSR1 writes them without stopping. See cprof-record(1).\n";

struct record_opts {
	struct session_opts s;
	struct render_args r;
	bool quiet;
	char *default_output;
	const char *crash_path;
	struct periodic_opts per;
};

/* Whole seconds at least: file names and Pyroscope's time ranges have no finer unit. */
static int parse_interval(const char *opt, const char *arg, uint64_t *ns)
{
	char why[256];

	if (parse_duration(arg, ns, why, sizeof(why))) {
		error_msg("%s: %s", opt, why);
		return EXIT_USAGE;
	}
	if (*ns < 1000000000ULL) {
		error_msg("%s: '%s' is too short (1s at least)", opt, arg);
		return EXIT_USAGE;
	}
	return 0;
}

static int check_pyroscope(struct pyro_opts *po)
{
	const char *orphan = po->app	       ? "--app"
			     : po->ntags       ? "--tag"
			     : po->interval_ns ? "--upload-interval"
					       : NULL;

	if (!po->url && orphan) {
		error_msg("%s: only with --pyroscope URL", orphan);
		return EXIT_USAGE;
	}
	if (po->url && !po->app) {
		error_msg("--pyroscope: give the application's name with --app NAME");
		return EXIT_USAGE;
	}
	if (!po->interval_ns)
		po->interval_ns = 10 * 1000000000ULL;
	return 0;
}

static int parse_args(int argc, char **argv, struct record_opts *o)
{
	static const struct option longopts[] = {
		SESSION_LONGOPTS,
		RENDER_LONGOPTS,
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", no_argument, NULL, 't' },
		{ "lines", no_argument, NULL, OPT_LINES },
		{ "quiet", no_argument, NULL, 'q' },
		{ "on-crash", required_argument, NULL, OPT_ON_CRASH },
		{ "rotate", required_argument, NULL, OPT_ROTATE },
		{ "pyroscope", required_argument, NULL, OPT_PYROSCOPE },
		{ "app", required_argument, NULL, OPT_APP },
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "upload-interval", required_argument, NULL, OPT_UPLOAD_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[512];
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:" SESSION_SHORTOPTS "o:f:d:tqh", longopts, NULL)) !=
	       -1) {
		rc = session_parse_opt(&o->s, c, optarg);
		if (!rc)
			rc = render_parse_opt(&o->r, c, optarg);
		if (rc == 1)
			continue;
		if (rc > 1)
			return rc;
		switch (c) {
		case 'd':
			if (parse_duration(optarg, &o->s.duration_ns, why, sizeof(why))) {
				error_msg("--duration: %s", why);
				return EXIT_USAGE;
			}
			break;
		case 'q': o->quiet = true; break;
		case OPT_ON_CRASH:
			if (!*optarg) {
				error_msg("--on-crash: the file name is empty");
				return EXIT_USAGE;
			}
			o->crash_path = optarg;
			o->s.on_crash = true;
			break;
		case OPT_ROTATE:
		case OPT_UPLOAD_INTERVAL:
			rc = parse_interval(
				c == OPT_ROTATE ? "--rotate" : "--upload-interval", optarg,
				c == OPT_ROTATE ? &o->per.rotate_ns : &o->per.pyro.interval_ns);
			if (rc)
				return rc;
			break;
		case OPT_PYROSCOPE:
			if (pyro_check_url(optarg, why, sizeof(why))) {
				error_msg("--pyroscope: %s", why);
				return EXIT_USAGE;
			}
			o->per.pyro.url = optarg;
			break;
		case OPT_APP:
			if (pyro_check_app(optarg, why, sizeof(why))) {
				error_msg("--app: %s", why);
				return EXIT_USAGE;
			}
			o->per.pyro.app = optarg;
			break;
		case OPT_TAG:
			if (pyro_check_tag(optarg, o->per.pyro.tags, o->per.pyro.ntags, why,
					   sizeof(why))) {
				error_msg("--tag: %s", why);
				return EXIT_USAGE;
			}
			*VEC_PUSH(o->per.pyro.tags, o->per.pyro.ntags, o->per.pyro.cap_tags) =
				optarg;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: getopt_error("record", c, argv); return EXIT_USAGE;
		}
	}
	rc = session_finish_opts(&o->s, "record", argc, argv, optind);
	if (rc)
		return rc;
	rc = check_pyroscope(&o->per.pyro);
	if (rc)
		return rc;
	/*
	 * Crash watching alone writes no profile unless asked to, nor does
	 * pushing to a server; rotation always writes files.
	 */
	if (!o->r.outs.n && (o->per.rotate_ns || (!o->crash_path && !o->per.pyro.url))) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		const char *ext = o->r.outs.forced ? o->r.outs.forced->suffixes[0] : ".svg";

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		if (o->s.pid) {
			o->default_output = xasprintf("cprof-%d-%s%s", o->s.pid, stamp, ext);
		} else {
			/* A command given with a path: only its base name. */
			const char *cmd = strrchr(o->s.argv[0], '/');

			cmd = cmd ? cmd + 1 : o->s.argv[0];
			o->default_output =
				xasprintf("cprof-%s-%s%s", *cmd ? cmd : "cmd", stamp, ext);
		}
		outspecs_add(&o->r.outs, o->default_output);
	}
	rc = render_check(&o->r);
	if (rc)
		return rc;
	/* A crash may come days later: a report it cannot write is lost. */
	if (o->crash_path && output_path_check("--on-crash", o->crash_path, why, sizeof(why))) {
		error_msg("%s", why);
		return EXIT_USAGE;
	}
	return 0;
}

static void progress(const struct session *s, bool tty, uint64_t *last)
{
	uint64_t now = monotonic_ns();

	if (!tty || now - *last < 500000000ULL)
		return;
	*last = now;
	double secs = (double)(now - sampler_start_ns(s->sampler)) / 1e9;

	fprintf(stderr, "\rcprof: %.1f s, %" PRIu64 " samples, %zu threads (Ctrl-C to stop)   ",
		secs, s->prof->nsamples, s->prof->nthreads);
	fflush(stderr);
}

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.0f us", (double)ns / 1e3);
}

/* For the -v timing of the end of a recording. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void summary(const struct session *s, const char *written)
{
	const struct prof_meta *m = &s->prof->meta;
	const struct profile *p = s->prof;
	char p50[32], p99[32], mx[32];
	double secs = (double)m->duration_ns / 1e9;
	uint64_t attempted = p->nsamples + m->lost;

	fmt_ns(m->pause_p50_ns, p50, sizeof(p50));
	fmt_ns(m->pause_p99_ns, p99, sizeof(p99));
	fmt_ns(m->pause_max_ns, mx, sizeof(mx));
	info_msg("recorded %" PRIu64 " samples of %zu thread%s of pid %d in %.1f s at %u Hz (%s)%s",
		 p->nsamples, p->nthreads, p->nthreads == 1 ? "" : "s", m->pid, secs, m->rate_hz,
		 m->wall_clock ? "wall-clock" : "on-CPU",
		 m->cut_short ? ", cut short by a signal" : "");
	info_msg("lost %" PRIu64 " samples (%.1f%%), %" PRIu64 " late ticks, %" PRIu64
		 " threads skipped for time, %" PRIu64 " unwind errors, %" PRIu64
		 " truncated stacks",
		 m->lost, attempted ? 100.0 * (double)m->lost / (double)attempted : 0.0,
		 m->late_ticks, m->skipped, m->unwind_errors, m->truncated);
	info_msg("pause per sample p50 %s, p99 %s, max %s (seize to resume); estimated target "
		 "overhead %.2f%% (time stopped / CPU time)",
		 p50, p99, mx, m->overhead_pct);
	struct analyze_opts ao = { 0 };
	struct usage_summary use;
	char line[256];

	analyze_usage(p, &ao, &use);
	usage_summary_line(&use, line, sizeof(line));
	if (line[0])
		info_msg("target %s", line);
	if (m->exit_status != -1) {
		char how[128];

		describe_wait_status(m->exit_status, how, sizeof(how));
		info_msg("command %s%s", how,
			 s->terminated ? ", ended by cprof when the recording stopped" : "");
	}
	if (written && *written)
		info_msg("wrote %s", written);
}

struct crash_job {
	const struct profile *p;
	const struct crash_report *c;
};

static int crash_text(FILE *f, void *arg)
{
	const struct crash_job *job = arg;

	return crash_write_text(f, job->p, job->c);
}

static int crash_json(FILE *f, void *arg)
{
	const struct crash_job *job = arg;

	return crash_write_json(f, job->p, job->c);
}

/* FILE gets the text report, FILE.json the same as JSON. */
static int write_crash_report(const char *path, const struct profile *p,
			      const struct crash_report *c)
{
	struct crash_job job = { p, c };
	char *json_path = xasprintf("%s.json", path);
	int err = write_file_atomic(path, crash_text, &job);

	if (err)
		error_msg("%s: %s", path, strerror(-err));
	else if ((err = write_file_atomic(json_path, crash_json, &job)))
		error_msg("%s: %s", json_path, strerror(-err));
	else
		info_msg("pid %d received %s in thread %d: crash report written to %s and %s",
			 c->pid, crash_signal_name(c->signo), c->tid, path, json_path);
	free(json_path);
	return err;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o = { 0 };
	struct session s;
	struct profile *p = NULL;
	struct periodic *pd = NULL;
	int rc;

	session_opts_init(&o.s);
	rc = parse_args(argc, argv, &o);
	if (rc) {
		rc = rc < 0 ? EXIT_OK : rc;
		goto out_opts;
	}
	log_set_quiet(o.quiet);

	bool tty = !o.quiet && isatty(STDERR_FILENO);

	rc = periodic_new(&o.per, &o.r.outs, o.s.rate_hz, o.s.idle, tty, &pd);
	if (rc)
		goto out;
	p = profile_new();
	p->meta.title = profile_str(p, o.r.ro.title);
	p->meta.minwidth = o.r.ro.minwidth;
	p->meta.threads = o.r.ro.threads;
	p->meta.lines = o.r.ro.lines;
	rc = session_start(&s, &o.s, p);
	if (!rc)
		rc = periodic_attach(pd, &s);
	if (rc) {
		session_stop(&s);
		session_release(&s);
		goto out;
	}

	uint64_t last = monotonic_ns();

	while (!session_finished(&s)) {
		session_poll(&s, 100);
		if (stop_signal) {
			p->meta.cut_short = true;
			break;
		}
		periodic_poll(pd);
		progress(&s, tty, &last);
	}
	/*
	 * Sampling is over. This thread, the consumer, ran at nice 10 so as
	 * not to take the target's CPU (session_start); what is left, draining
	 * and writing the outputs, is what the user waits for, and at nice 10
	 * on a busy machine it took seconds of waiting for milliseconds of
	 * work. Back to the normal priority, where permitted (root, or
	 * RLIMIT_NICE): otherwise nothing changes.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 0))
		debug_msg(2, "cannot restore the consumer's priority: %s", strerror(errno));
	/* -v: how long the end takes, from here to every output written. */
	uint64_t t_stop = monotonic_ns(), c_stop = thread_cpu_ns();

	session_stop(&s);
	if (tty)
		fputs("\r\033[K", stderr);
	session_fill_meta(&s);

	const struct sampler_stats *st = sampler_stats(s.sampler);

	int serr = sampler_error(s.sampler);

	if ((!p->nsamples && atomic_load(&st->denied)) || serr == -EPERM) {
		char hint[512];

		target_permission_hint(s.pid, hint, sizeof(hint));
		error_msg("cannot trace pid %d: %s; %s", s.pid, strerror(EPERM), hint);
		session_release(&s);
		rc = EXIT_PERMISSION;
		goto out;
	}
	if (serr) {
		error_msg("cannot attach to pid %d: %s", s.pid, strerror(-serr));
		session_release(&s);
		rc = serr == -ESRCH ? EXIT_NO_TARGET : EXIT_ERROR;
		goto out;
	}
	if (!p->nsamples)
		warning_msg("no samples were taken%s",
			    o.s.idle ? ""
				     : " (the target did not run on a CPU; --idle samples sleeping "
				       "threads)");

	struct render_opts ro = { 0 };
	char written[4096] = "";
	uint64_t t_render = monotonic_ns(), c_render = thread_cpu_ns();

	render_opts_from_meta(&ro, p);
	int failures = periodic_finish(pd, written, sizeof(written));

	if (!periodic_rotating(pd) && o.r.outs.n)
		failures += outspecs_write(&o.r.outs, p, &ro, written, sizeof(written));
	const struct crash_report *crash = collector_crash(s.coll);

	if (crash && write_crash_report(o.crash_path, p, crash))
		failures++;
	if (log_verbosity >= 1) {
		char drained[32], wrote[32], dcpu[32], wcpu[32];
		uint64_t t_end = monotonic_ns(), c_end = thread_cpu_ns();

		fmt_ns(t_render - t_stop, drained, sizeof(drained));
		fmt_ns(t_end - t_render, wrote, sizeof(wrote));
		fmt_ns(c_render - c_stop, dcpu, sizeof(dcpu));
		fmt_ns(c_end - c_render, wcpu, sizeof(wcpu));
		debug_msg(1,
			  "finish: sampler stopped and drained in %s, outputs written in %s "
			  "(this thread's CPU time: %s and %s)",
			  drained, wrote, dcpu, wcpu);
	}

	if (!o.quiet)
		summary(&s, written);
	rc = periodic_summary(pd, o.quiet);
	session_release(&s);
	if (failures)
		rc = EXIT_ERROR;
out:
	periodic_free(pd);
	profile_free(p);
out_opts:
	free(o.per.pyro.tags);
	outspecs_release(&o.r.outs);
	session_opts_release(&o.s);
	free(o.default_output);
	return rc;
}
