// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cprof.h"
#include "launch.h"
#include "log.h"
#include "options.h"
#include "proc.h"
#include "profile.h"
#include "session.h"
#include "symbolize.h"
#include "target.h"
#include "unwind.h"
#include "xalloc.h"

/* Room for seconds of backlog; only the backlog is resident (ring.h). */
#define RING_SIZE   (16u << 20)
#define WATCHDOG_MS 250

void session_opts_init(struct session_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate_hz = 100;
	o->watchdog_ms = WATCHDOG_MS;
	const char *wd = getenv("CPROF_WATCHDOG_MS");

	if (wd)
		o->watchdog_ms = atoi(wd);
}

void session_opts_release(struct session_opts *o)
{
	free(o->tids);
	free(o->debug_dirs);
	if (o->have_name_re)
		regfree(&o->name_re);
	memset(o, 0, sizeof(*o));
}

int session_parse_opt(struct session_opts *o, int c, const char *arg)
{
	char why[256];
	unsigned long v;
	uint64_t size;
	int err;

	switch (c) {
	case 'p':
		if (parse_pid(arg, &o->pid, why, sizeof(why))) {
			error_msg("--pid: %s", why);
			return EXIT_USAGE;
		}
		return 1;
	case 'r':
		if (parse_rate(arg, 10000, &o->rate_hz, why, sizeof(why))) {
			error_msg("--rate: %s", why);
			return EXIT_USAGE;
		}
		return 1;
	case 'i': o->idle = true; return 1;
	case 'v': log_verbosity++; return 1;
	case OPT_TID:
		free(o->tids);
		o->tids = NULL;
		if (parse_tid_list(arg, &o->tids, &o->ntids, why, sizeof(why))) {
			error_msg("--tid: %s", why);
			return EXIT_USAGE;
		}
		return 1;
	case OPT_THREAD_NAME:
		if (o->have_name_re)
			regfree(&o->name_re);
		err = regcomp(&o->name_re, arg, REG_EXTENDED | REG_NOSUB);
		if (err) {
			regerror(err, &o->name_re, why, sizeof(why));
			error_msg("--thread-name: '%s' is not a valid regular expression: %s", arg,
				  why);
			o->have_name_re = false;
			return EXIT_USAGE;
		}
		o->have_name_re = true;
		return 1;
	case OPT_DEBUG_DIR:
		*VEC_PUSH(o->debug_dirs, o->ndebug_dirs, o->cap_debug_dirs) = arg;
		return 1;
	case OPT_DEBUGINFOD: o->debuginfod = true; return 1;
	case OPT_NO_INLINE: o->no_inline = true; return 1;
	case OPT_SUBPROCESSES: o->subprocesses = true; return 1;
	case OPT_MAX_DEPTH:
		if (parse_uint(arg, 1, UNWIND_MAX_FRAMES, &v, why, sizeof(why))) {
			error_msg("--max-depth: %s", why);
			return EXIT_USAGE;
		}
		o->max_depth = (int)v;
		return 1;
	case OPT_STACK_SIZE:
		if (parse_size(arg, 4096, 4u << 20, &size, why, sizeof(why))) {
			error_msg("--stack-size: %s", why);
			return EXIT_USAGE;
		}
		o->stack_size = (uint32_t)size;
		return 1;
	default: return 0;
	}
}

int session_finish_opts(struct session_opts *o, const char *cmd, int argc, char **argv, int optind_)
{
	if (optind_ < argc)
		o->argv = &argv[optind_];
	if (o->argv && o->pid) {
		error_msg("%s: give either --pid or a command after --, not both", cmd);
		return EXIT_USAGE;
	}
	if (!o->argv && !o->pid) {
		error_msg(
			"%s: nothing to profile: give --pid PID or -- COMMAND [ARGS] (try --help)",
			cmd);
		return EXIT_USAGE;
	}
	if (o->ndebug_dirs)
		*VEC_PUSH(o->debug_dirs, o->ndebug_dirs, o->cap_debug_dirs) = NULL;
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void join_argv(char *const *argv, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i] && used + 1 < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", argv[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Launch with our stdio pointed elsewhere for the moment of the fork. */
static int launch_redirected(const struct session_opts *o, struct launch_hold *hold, pid_t *pid,
			     char *why, size_t len)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), saved[3] = { -1, -1, -1 }, err;

	for (int fd = 0; fd < 3; fd++)
		saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (o->launch_stdout_to_stderr && saved[1] >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	for (int fd = 0; fd < 3 && o->launch_off_tty && null >= 0; fd++)
		if (saved[fd] >= 0 && isatty(fd))
			dup2(null, fd);
	err = launch_command(o->argv, hold, pid, why, len);
	for (int fd = 0; fd < 3; fd++) {
		if (saved[fd] >= 0) {
			dup2(saved[fd], fd);
			close(saved[fd]);
		}
	}
	if (null >= 0)
		close(null);
	return err;
}

/* Whether pid has a thread whose id is in the sorted list. */
static bool any_listed_thread(pid_t pid, const pid_t *list, size_t n)
{
	pid_t *tids = NULL;
	size_t ntids = 0;
	bool found = false;

	if (proc_list_tasks(pid, &tids, &ntids))
		return true; /* gone: target_check's business, not ours */
	for (size_t i = 0; i < ntids && !found; i++)
		found = tid_list_has(list, n, tids[i]);
	free(tids);
	return found;
}

int session_start(struct session *s, struct session_opts *o, struct profile *p)
{
	char why[1024], cmdline[4096] = "";
	/* --on-crash is attached before the command runs, to see it crash at once. */
	struct launch_hold hold = { .go_fd = -1, .err_fd = -1 }, *held = o->on_crash ? &hold : NULL;
	int err;

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->prof = p;
	s->ring.efd = -1;
	if (o->debuginfod)
		debuginfod_restore();
	if (o->argv) {
		if (o->launch_off_tty || o->launch_stdout_to_stderr)
			err = launch_redirected(o, held, &s->pid, why, sizeof(why));
		else
			err = launch_command(o->argv, held, &s->pid, why, sizeof(why));
		if (err) {
			error_msg("%s", why);
			return err == -ENOENT || err == -EACCES ? EXIT_NO_TARGET : EXIT_ERROR;
		}
		s->launched = true;
		join_argv(o->argv, cmdline, sizeof(cmdline));
	} else {
		enum target_status ts;

		s->pid = o->pid;
		ts = target_check(&s->pid, why, sizeof(why));
		if (ts != TARGET_OK) {
			error_msg("%s", why);
			return target_exit_code(ts);
		}
		if (o->tids && !o->subprocesses && !any_listed_thread(s->pid, o->tids, o->ntids)) {
			/* Most likely a mistyped id: an empty profile would hide it. */
			error_msg("--tid: no thread of pid %d has one of the listed ids", s->pid);
			return EXIT_NO_TARGET;
		}
		proc_cmdline(s->pid, cmdline, sizeof(cmdline));
	}
	err = ring_init(&s->ring, RING_SIZE);
	if (err) {
		error_msg("cannot allocate the sample buffer: %s", strerror(-err));
		return EXIT_ERROR;
	}

	struct sampler_opts so = {
		.pid = s->pid,
		.rate_hz = o->rate_hz,
		.duration_ns = o->duration_ns,
		.idle = o->idle,
		.tids = o->tids,
		.ntids = o->ntids,
		.thread_name = o->have_name_re ? &o->name_re : NULL,
		.stack_cap = o->stack_size,
		.watchdog_ms = o->watchdog_ms,
		.launched = s->launched,
		.subprocesses = o->subprocesses,
		.on_crash = o->on_crash,
	};
	struct collect_opts co = {
		.sym = { .no_inline = o->no_inline,
			 .debug_dirs = o->ndebug_dirs ? o->debug_dirs : NULL },
		.max_frames = o->max_depth,
		.stack_cap_max = 256 * 1024,
	};

	p->meta.version = profile_str(p, CPROF_VERSION);
	p->meta.pid = s->pid;
	p->meta.rate_hz = o->rate_hz;
	p->meta.wall_clock = o->idle;
	/* Several processes: each one a root frame, as py-spy does. */
	p->meta.processes = p->meta.processes || o->subprocesses;
	p->meta.cmdline = profile_str(p, cmdline);
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	p->meta.host = profile_str(p, host);
	s->start_real_ns = realtime_ns();
	p->meta.start_unix_ns = s->start_real_ns;

	err = sampler_start(&so, &s->ring, s->cap_hints, &s->sampler);
	if (err) {
		error_msg("cannot start the sampling thread: %s", strerror(-err));
		return EXIT_ERROR;
	}
	s->coll = collector_new(p, &co, s->cap_hints, sampler_start_ns(s->sampler));
	if (s->launched && held) {
		sampler_wait_ready(s->sampler);
		err = launch_release(held, why, sizeof(why));
		if (err) {
			error_msg("%s", why);
			return err == -ENOENT || err == -EACCES ? EXIT_NO_TARGET : EXIT_ERROR;
		}
	}
	/*
	 * Unwinding and symbolizing can wait; the target should not. On a busy
	 * machine this thread yields the CPU to the target (nice is per thread
	 * on Linux; the sampler thread keeps the normal priority).
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10))
		debug_msg(1, "cannot lower the consumer's priority: %s", strerror(errno));
	return EXIT_OK;
}

size_t session_poll(struct session *s, int timeout_ms)
{
	ring_wait(&s->ring, timeout_ms);
	return collector_drain(s->coll, &s->ring);
}

bool session_finished(const struct session *s)
{
	return s->sampler && sampler_finished(s->sampler);
}

void session_stop(struct session *s)
{
	if (!s->sampler)
		return;
	sampler_request_stop(s->sampler);
	/* Keep draining: a full ring must not hold the sampler up. */
	while (!sampler_finished(s->sampler))
		session_poll(s, 10);
	s->end_ns = sampler_end_ns(s->sampler);
	if (!s->end_ns)
		s->end_ns = monotonic_ns();
	/*
	 * A launched command still running when sampling ends (--duration,
	 * Ctrl-C) ends now, not after its last samples are symbolized and the
	 * outputs written: those can take a while on a busy machine. Its
	 * binaries stay open for the symbolizer.
	 */
	if (s->launched && sampler_child_status(s->sampler) == -1) {
		int ws = -1;

		if (launch_terminate(s->pid, 1000, &ws))
			debug_msg(1, "command %d did not stop on SIGTERM; killed", s->pid);
		s->child_reaped = true;
		s->terminated = true;
		s->terminated_status = ws;
	}
	do
		collector_drain(s->coll, &s->ring);
	while (!ring_drained(&s->ring));
	if (sampler_child_status(s->sampler) != -1)
		s->child_reaped = true;
}

void session_fill_meta(struct session *s)
{
	struct prof_meta *m = &s->prof->meta;
	const struct sampler_stats *st = sampler_stats(s->sampler);
	const struct collect_stats *cs = collector_stats(s->coll);
	uint64_t start = sampler_start_ns(s->sampler);

	if (!s->end_ns)
		s->end_ns = monotonic_ns();
	m->duration_ns = s->end_ns - start;
	m->ticks = atomic_load(&st->ticks);
	m->late_ticks = atomic_load(&st->late_ticks) + atomic_load(&st->missed_ticks);
	m->skipped = atomic_load(&st->skipped);
	m->lost = atomic_load(&st->lost) + atomic_load(&st->timeouts) + atomic_load(&st->watchdog);
	m->unwind_errors = cs->unwind_errors;
	m->truncated = cs->truncated;
	m->pause_p50_ns = sampler_pause_percentile(st, 0.50);
	m->pause_p99_ns = sampler_pause_percentile(st, 0.99);
	m->pause_max_ns = atomic_load(&st->pause_max_ns);
	/* Time stopped as a share of the CPU time the target used meanwhile. */
	const struct profile *p = s->prof;

	if (p->nusage >= 2) {
		const struct prof_usage *a = &p->usage[0], *b = &p->usage[p->nusage - 1];
		uint64_t cpu = (b->utime_ns + b->stime_ns) - (a->utime_ns + a->stime_ns);
		double scale = (double)m->duration_ns / (double)(b->t_ns - a->t_ns + 1);

		if (cpu > 0)
			m->overhead_pct = 100.0 * (double)atomic_load(&st->stopped_total_ns) /
					  ((double)cpu * (scale > 1 ? scale : 1));
	}
	int ws = collector_exit_status(s->coll);

	if (ws == -1)
		ws = sampler_child_status(s->sampler);
	if (ws == -1 && s->terminated)
		ws = s->terminated_status;
	m->exit_status = ws;
}

void session_release(struct session *s)
{
	if (s->sampler)
		sampler_join(s->sampler);
	s->sampler = NULL;
	if (s->launched && !s->child_reaped && collector_exit_status(s->coll) == -1) {
		if (launch_terminate(s->pid, 1000, NULL))
			debug_msg(1, "command %d did not stop on SIGTERM; killed", s->pid);
	}
	collector_free(s->coll);
	s->coll = NULL;
	if (s->ring.buf)
		ring_release(&s->ring);
}
