// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "capture.h"
#include "cprof.h"
#include "log.h"
#include "periodic.h"
#include "profile.h"
#include "session.h"
#include "signals.h"
#include "xalloc.h"

/*
 * An interval is complete once a later sample arrives (samples come in
 * time order), or, for a target that gives no samples, this long after its
 * end: long enough to outwait a capture in flight.
 */
#define GRACE_NS 1000000000ULL
/* Uploads still queued at the end get this long. */
#define FLUSH_MS 10000
/* The same upload trouble is repeated at most this often. */
#define WARN_EVERY_NS (60 * 1000000000ULL)

/*
 * The samples of the current interval, [from, until), kept apart from the
 * recording's timeline: rendering an interval then costs what the interval
 * holds, not what the recording has grown to, and a recording that only
 * rotates or pushes can do without a timeline of its own (days of it).
 * Times in the buffer count from `from`, so that each interval renders as
 * a recording of its own, starting when the interval starts.
 */
struct slicer {
	uint64_t len; /* interval length */
	uint64_t from, until;
	uint64_t max_t; /* latest sample seen (since the recording's start) */
	bool seen;
	struct profile *buf; /* timeline only: samples since `from` */
};

struct out_names {
	char *first, *last;
	unsigned int files;
};

struct periodic {
	struct periodic_opts o;
	const struct outspecs *outs;
	struct session *s;
	struct profile *p;
	bool tty;

	struct slicer rot;
	struct out_names *names; /* per output, with --rotate */
	char last_stamp[32];
	unsigned int stamp_dup;
	int failures;

	struct pyroscope *py;
	struct slicer push;
	uint64_t seen_errors, seen_failed, seen_dropped;
	int warned_kind;
	uint64_t warned_at, dropped_warned_at;
	bool warned;
	bool curl_ready;
};

static void slicer_init(struct slicer *sl, uint64_t len)
{
	memset(sl, 0, sizeof(*sl));
	sl->len = len;
	sl->until = len;
	sl->buf = profile_new();
}

/*
 * End the first interval on a multiple of the length in Unix time, and so
 * every one after it: files of an hourly rotation start on the hour, and
 * pushes cover whole seconds that neither overlap nor leave gaps.
 */
static void slicer_align(struct slicer *sl, uint64_t start_unix_ns)
{
	sl->until = sl->len - start_unix_ns % sl->len;
}

static void slicer_release(struct slicer *sl)
{
	profile_free(sl->buf);
	sl->buf = NULL;
}

static void slicer_add(struct slicer *sl, const struct prof_sample *s)
{
	struct prof_sample c = *s;

	if (!sl->seen || c.t_ns > sl->max_t)
		sl->max_t = c.t_ns;
	sl->seen = true;
	/* Late for an interval already written: it counts in this one. */
	c.t_ns = c.t_ns > sl->from ? c.t_ns - sl->from : 0;
	profile_add_sample(sl->buf, &c);
}

static bool slicer_due(const struct slicer *sl, uint64_t now)
{
	return now >= sl->until + GRACE_NS;
}

/*
 * A recording of the interval [from, at) alone: the recording's tables
 * with the interval's samples as its timeline, its start and length, the
 * resource use measured in it, per-thread counts of its samples, and none
 * of the statistics of the whole recording. Writers see samples only
 * through profile_iter_next(), which reads nothing but the chunks. Release
 * with view_release().
 */
static void slicer_view(const struct slicer *sl, const struct profile *p, uint64_t at,
			struct profile *view, struct render_opts *ro)
{
	uint64_t len = at - sl->from;
	struct prof_meta *m = &view->meta;
	struct prof_iter it;
	struct prof_sample s;

	*view = *p;
	view->chunks = sl->buf->chunks;
	view->nchunks = sl->buf->nchunks;
	view->cap_chunks = sl->buf->cap_chunks;
	view->nsamples = 0;
	m->start_unix_ns = p->meta.start_unix_ns + sl->from;
	m->duration_ns = len;
	m->ticks = m->late_ticks = m->skipped = m->lost = 0;
	m->unwind_errors = m->truncated = 0;
	m->pause_p50_ns = m->pause_p99_ns = m->pause_max_ns = 0;
	m->overhead_pct = 0;

	view->threads = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*view->threads));
	view->cap_threads = p->nthreads;
	for (size_t i = 0; i < p->nthreads; i++) {
		view->threads[i] = p->threads[i];
		view->threads[i].samples = 0;
	}
	profile_iter_init(&it);
	while (profile_iter_next(sl->buf, &it, &s)) {
		if (s.t_ns >= len)
			continue;
		view->nsamples++;
		if (s.thread < p->nthreads)
			view->threads[s.thread].samples++;
	}
	view->usage = xcalloc(p->nusage ? p->nusage : 1, sizeof(*view->usage));
	view->nusage = view->cap_usage = 0;
	for (size_t i = 0; i < p->nusage; i++) {
		struct prof_usage u = p->usage[i];

		if (u.t_ns < sl->from || u.t_ns > at)
			continue;
		u.t_ns -= sl->from;
		view->usage[view->nusage++] = u;
	}
	memset(ro, 0, sizeof(*ro));
	render_opts_from_meta(ro, p);
	/* Samples already past the end (rare) wait for the next interval. */
	if (view->nsamples != sl->buf->nsamples)
		ro->t_until = len;
}

static void view_release(struct profile *view)
{
	free(view->threads);
	free(view->usage);
}

/* Start the next interval at `at`, keeping the samples already past it. */
static void slicer_advance(struct slicer *sl, uint64_t at)
{
	struct profile *next = profile_new();
	uint64_t len = at - sl->from;
	struct prof_iter it;
	struct prof_sample s;

	profile_iter_init(&it);
	while (profile_iter_next(sl->buf, &it, &s)) {
		if (s.t_ns >= len) {
			s.t_ns -= len;
			profile_add_sample(next, &s);
		}
	}
	profile_free(sl->buf);
	sl->buf = next;
	sl->from = at;
	sl->until = at + sl->len;
}

char *rotated_path(const char *path, const struct output_format *fmt, const char *stamp)
{
	size_t n = strlen(path), cut = n, best = 0;
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	/* The format's own suffix, so that "x.pb.gz" becomes "x-STAMP.pb.gz". */
	for (const char *const *s = fmt ? fmt->suffixes : NULL; s && *s; s++) {
		size_t sl = strlen(*s);

		if (n - (size_t)(base - path) > sl && sl > best && !strcasecmp(path + n - sl, *s)) {
			best = sl;
			cut = n - sl;
		}
	}
	if (!best) {
		const char *dot = strrchr(base, '.');

		if (dot && dot != base)
			cut = (size_t)(dot - path);
	}
	return xasprintf("%.*s-%s%s", (int)cut, path, stamp, path + cut);
}

static void clear_progress(const struct periodic *pd)
{
	if (pd->tty)
		fputs("\r\033[K", stderr);
}

static uint64_t now_t(const struct periodic *pd)
{
	return monotonic_ns() - sampler_start_ns(pd->s->sampler);
}

/* ---- rotation ---- */

static void stamp_of(struct periodic *pd, uint64_t t, char *buf, size_t len)
{
	uint64_t unix_ns = pd->p->meta.start_unix_ns + t;
	time_t secs = (time_t)(unix_ns / 1000000000ULL);
	struct tm tm;
	char s[32];

	gmtime_r(&secs, &tm);
	strftime(s, sizeof(s), "%Y%m%dT%H%M%SZ", &tm);
	/* Two intervals in one second (SIGUSR1): the second must not overwrite. */
	if (!strcmp(s, pd->last_stamp)) {
		snprintf(buf, len, "%s-%u", s, ++pd->stamp_dup + 1);
		return;
	}
	snprintf(pd->last_stamp, sizeof(pd->last_stamp), "%s", s);
	pd->stamp_dup = 0;
	snprintf(buf, len, "%s", s);
}

static void rotate_at(struct periodic *pd, uint64_t at)
{
	struct profile view;
	struct render_opts ro;
	char stamp[48];

	stamp_of(pd, pd->rot.from, stamp, sizeof(stamp));
	slicer_view(&pd->rot, pd->p, at, &view, &ro);
	for (size_t i = 0; i < pd->outs->n; i++) {
		const struct outspec *os = &pd->outs->v[i];
		char *path = rotated_path(os->path, os->fmt, stamp);
		int err = output_write_file(path, os->fmt, &view, &ro);
		struct out_names *nm = &pd->names[i];

		if (err) {
			clear_progress(pd);
			error_msg("cannot write '%s': %s", path, strerror(-err));
			pd->failures++;
			free(path);
			continue;
		}
		debug_msg(1, "wrote %s", path);
		nm->files++;
		if (!nm->first) {
			nm->first = path;
		} else {
			free(nm->last);
			nm->last = path;
		}
	}
	view_release(&view);
	slicer_advance(&pd->rot, at);
}

/* ---- pushes ---- */

static void push_at(struct periodic *pd, uint64_t at)
{
	struct profile view;
	struct render_opts ro;
	uint64_t start = pd->p->meta.start_unix_ns;

	slicer_view(&pd->push, pd->p, at, &view, &ro);
	pyroscope_push(pd->py, &view, &ro, start + pd->push.from, start + at);
	view_release(&view);
	slicer_advance(&pd->push, at);
}

/* Upload trouble, told once and then at most every WARN_EVERY_NS. */
static void report_uploads(struct periodic *pd)
{
	struct upload_stats st;
	uint64_t now = monotonic_ns();

	pyroscope_stats(pd->py, &st);
	if (st.dropped > pd->seen_dropped &&
	    (!pd->dropped_warned_at || now - pd->dropped_warned_at >= WARN_EVERY_NS)) {
		uint64_t n = st.dropped - pd->seen_dropped;

		clear_progress(pd);
		warning_msg("pyroscope: backlog full: dropped the oldest %" PRIu64 " interval%s", n,
			    n == 1 ? "" : "s");
		pd->seen_dropped = st.dropped;
		pd->dropped_warned_at = now;
	}
	if (st.errors > pd->seen_errors) {
		bool refused = st.failed > pd->seen_failed;

		/* The same kind of error in other words ("after 3 ms") is no news. */
		if (!pd->warned || st.last_kind != pd->warned_kind ||
		    now - pd->warned_at >= WARN_EVERY_NS) {
			clear_progress(pd);
			warning_msg("pyroscope: push failed: %s; %s", st.last_error,
				    refused ? "interval discarded" : "will retry");
			pd->warned_kind = st.last_kind;
			pd->warned_at = now;
			pd->warned = true;
		}
		pd->seen_errors = st.errors;
		pd->seen_failed = st.failed;
	} else if (pd->warned && !st.failing) {
		clear_progress(pd);
		info_msg("pyroscope: pushes are getting through again");
		pd->warned = false;
	}
}

/* ---- the interface ---- */

/*
 * Intervals end here, as the first sample past them is drained, rather than
 * in periodic_poll(): a consumer working through a backlog may not get back
 * to its loop for seconds, and the interval is known to be complete now.
 */
static void on_sample(void *arg, const struct prof_sample *s)
{
	struct periodic *pd = arg;

	if (pd->o.rotate_ns) {
		while (s->t_ns >= pd->rot.until)
			rotate_at(pd, pd->rot.until);
		slicer_add(&pd->rot, s);
	}
	if (pd->py) {
		while (s->t_ns >= pd->push.until)
			push_at(pd, pd->push.until);
		slicer_add(&pd->push, s);
	}
}

int periodic_new(const struct periodic_opts *o, const struct outspecs *outs, unsigned int rate_hz,
		 bool wall_clock, bool tty, struct periodic **out)
{
	struct periodic *pd = xcalloc(1, sizeof(*pd));
	char why[512];

	pd->o = *o;
	pd->outs = outs;
	pd->tty = tty;
	if (o->rotate_ns) {
		slicer_init(&pd->rot, o->rotate_ns);
		pd->names = xcalloc(outs->n ? outs->n : 1, sizeof(*pd->names));
	}
	if (o->pyro.url) {
		int err = pyroscope_new(&o->pyro, rate_hz, wall_clock, &pd->py, why, sizeof(why));

		if (err) {
			error_msg("%s", why);
			periodic_free(pd);
			return EXIT_USAGE;
		}
		if (upload_global_init()) {
			error_msg("pyroscope: cannot initialise libcurl");
			periodic_free(pd);
			return EXIT_ERROR;
		}
		pd->curl_ready = true;
		if (pyroscope_insecure(pd->py))
			warning_msg(
				"--pyroscope: credentials go to %s over plain http, readable on "
				"the way",
				o->pyro.url);
		slicer_init(&pd->push, o->pyro.interval_ns);
	}
	*out = pd;
	return EXIT_OK;
}

int periodic_attach(struct periodic *pd, struct session *s)
{
	pd->s = s;
	pd->p = s->prof;
	if (!pd->o.rotate_ns && !pd->py)
		return EXIT_OK;
	if (pd->o.rotate_ns)
		slicer_align(&pd->rot, pd->p->meta.start_unix_ns);
	if (pd->py)
		slicer_align(&pd->push, pd->p->meta.start_unix_ns);
	/* The whole timeline is needed only for outputs written at the end. */
	collector_set_sample_hook(s->coll, on_sample, pd, !pd->o.rotate_ns && pd->outs->n);
	if (pd->py) {
		int err = pyroscope_start(pd->py);

		if (err) {
			error_msg("pyroscope: cannot start the upload thread: %s", strerror(-err));
			return EXIT_ERROR;
		}
	}
	return EXIT_OK;
}

static void snapshot(struct periodic *pd, uint64_t now)
{
	struct render_opts ro = { 0 };
	char written[4096];

	pd->p->meta.duration_ns = now;
	render_opts_from_meta(&ro, pd->p);
	clear_progress(pd);
	outspecs_write(pd->outs, pd->p, &ro, written, sizeof(written));
	if (*written)
		info_msg("wrote %s (%.1f s so far; still recording)", written, (double)now / 1e9);
}

void periodic_poll(struct periodic *pd)
{
	uint64_t now = now_t(pd);

	if (flush_signal) {
		flush_signal = 0;
		if (pd->o.rotate_ns) {
			if (now > pd->rot.from)
				rotate_at(pd, now);
		} else if (pd->outs->n) {
			snapshot(pd, now);
		}
		if (pd->py && now > pd->push.from)
			push_at(pd, now);
	}
	while (pd->o.rotate_ns && slicer_due(&pd->rot, now))
		rotate_at(pd, pd->rot.until);
	while (pd->py && slicer_due(&pd->push, now))
		push_at(pd, pd->push.until);
	if (pd->py)
		report_uploads(pd);
}

static uint64_t end_of(const struct slicer *sl, uint64_t duration)
{
	return sl->seen && sl->max_t >= duration ? sl->max_t + 1 : duration;
}

int periodic_finish(struct periodic *pd, char *written, size_t wlen)
{
	uint64_t duration = pd->p->meta.duration_ns;

	if (wlen)
		written[0] = '\0';
	if (pd->o.rotate_ns) {
		uint64_t end = end_of(&pd->rot, duration);
		size_t used = 0;

		/* Intervals that ended while the recording stopped, then the rest. */
		while (pd->rot.until < end)
			rotate_at(pd, pd->rot.until);
		if (end > pd->rot.from)
			rotate_at(pd, end);
		for (size_t i = 0; i < pd->outs->n && used < wlen; i++) {
			const struct out_names *nm = &pd->names[i];
			int n;

			if (!nm->files)
				continue;
			if (nm->last)
				n = snprintf(written + used, wlen - used,
					     "%s%s \xe2\x80\xa6 %s (%u files)", used ? ", " : "",
					     nm->first, nm->last, nm->files);
			else
				n = snprintf(written + used, wlen - used, "%s%s", used ? ", " : "",
					     nm->first);
			if (n > 0)
				used += (size_t)n;
		}
	}
	if (pd->py) {
		uint64_t end = end_of(&pd->push, duration);
		struct upload_stats st;

		while (pd->push.until < end)
			push_at(pd, pd->push.until);
		if (end > pd->push.from)
			push_at(pd, end);
		pyroscope_stats(pd->py, &st);
		if (st.queued && pd->tty)
			fprintf(stderr, "cprof: sending %zu interval%s to %s (Ctrl-C to give up)",
				st.queued, st.queued == 1 ? "" : "s", pd->o.pyro.url);
		/* The Ctrl-C that ended the recording is spent; another one gives up. */
		stop_signal = 0;
		pyroscope_finish(pd->py, FLUSH_MS, &stop_signal);
		clear_progress(pd);
		report_uploads(pd);
	}
	return pd->failures;
}

bool periodic_rotating(const struct periodic *pd)
{
	return pd->o.rotate_ns != 0;
}

int periodic_summary(struct periodic *pd, bool quiet)
{
	struct upload_stats st;

	if (!pd->py)
		return EXIT_OK;
	pyroscope_stats(pd->py, &st);
	if (!quiet) {
		char retries[64] = "";

		if (st.errors)
			snprintf(retries, sizeof(retries), ", %" PRIu64 " request%s failed",
				 st.errors, st.errors == 1 ? "" : "s");
		info_msg("pushed %" PRIu64 " interval%s to %s as %s: %" PRIu64 " failed, %" PRIu64
			 " dropped%s",
			 st.ok, st.ok == 1 ? "" : "s", pd->o.pyro.url, pyroscope_name(pd->py),
			 st.failed, st.dropped, retries);
	}
	if (st.failed || st.dropped) {
		warning_msg("pyroscope: %" PRIu64 " of %" PRIu64
			    " intervals did not reach the server%s%s",
			    st.failed + st.dropped, st.ok + st.failed + st.dropped,
			    *st.last_error ? "; last error: " : "", st.last_error);
		if (!st.ok)
			return EXIT_ERROR;
	}
	return EXIT_OK;
}

void periodic_free(struct periodic *pd)
{
	if (!pd)
		return;
	if (pd->names) {
		for (size_t i = 0; i < pd->outs->n; i++) {
			free(pd->names[i].first);
			free(pd->names[i].last);
		}
		free(pd->names);
	}
	if (pd->o.rotate_ns)
		slicer_release(&pd->rot);
	if (pd->py) {
		pyroscope_free(pd->py);
		slicer_release(&pd->push);
	}
	if (pd->curl_ready)
		upload_global_cleanup();
	free(pd);
}
