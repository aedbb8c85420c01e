// SPDX-License-Identifier: MIT
/*
 * allstop: the py-spy strategy, for comparison with cprof's snapshot design
 * (unwind.md §2.1). At every tick it stops every thread of the process,
 * unwinds each one while they are all stopped, reading the target's memory
 * and registers through libunwind's stock _UPT accessors, then resumes them.
 *
 *   allstop -p PID [-r HZ] [-d SECONDS] [-n]
 *
 * As py-spy does: one address space with UNW_CACHE_GLOBAL (py-spy asks for
 * a per-thread cache, which stock libunwind builds turn into the global
 * one), and a fresh _UPT_create for each thread at each sample. -n turns the
 * cache off, libunwind's default. Threads are stopped whatever their state.
 * The pause of a tick is from the first PTRACE_SEIZE until the last
 * PTRACE_DETACH has returned: every thread is stopped for most of it.
 * Prints, at the end:
 *
 *   allstop samples=N p50_ns=.. ...   (one sample = one tick)
 *   allstop-info threads=.. frames_mean=.. unwind_errors=..
 */
#include <dirent.h>
#include <libunwind-ptrace.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "bench.h"

#define MAX_THREADS 4096
#define MAX_FRAMES 512

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(void)
{
	fputs("usage: allstop -p PID [-r HZ] [-d SECONDS] [-n]\n", stderr);
	exit(2);
}

struct stopped {
	pid_t tid;
	int sig;
};

/* Unwind one stopped thread; returns the number of frames, or -1. */
static int unwind_thread(unw_addr_space_t as, pid_t tid)
{
	void *upt = _UPT_create(tid);
	unw_cursor_t cur;
	int n = 0;

	if (!upt)
		return -1;
	if (unw_init_remote(&cur, as, upt) < 0) {
		_UPT_destroy(upt);
		return -1;
	}
	do {
		unw_word_t ip;

		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || !ip)
			break;
		n++;
	} while (n < MAX_FRAMES && unw_step(&cur) > 0);
	_UPT_destroy(upt);
	return n;
}

int main(int argc, char **argv)
{
	static struct stopped st[MAX_THREADS];
	struct pauses pauses = { 0 };
	pid_t pid = 0;
	double hz = 100, secs = 0;
	bool nocache = false;
	unsigned long frames = 0, unwound = 0, errors = 0, threads = 0;
	char taskdir[64];
	int c;

	while ((c = getopt(argc, argv, "p:r:d:n")) != -1) {
		switch (c) {
		case 'p':
			pid = atoi(optarg);
			break;
		case 'r':
			hz = strtod(optarg, NULL);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 'n':
			nocache = true;
			break;
		default:
			usage();
		}
	}
	if (pid <= 0 || hz <= 0 || optind != argc)
		usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	snprintf(taskdir, sizeof(taskdir), "/proc/%d/task", (int)pid);

	unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);

	if (!as) {
		fputs("allstop: unw_create_addr_space failed\n", stderr);
		return 1;
	}
	unw_set_caching_policy(as, nocache ? UNW_CACHE_NONE : UNW_CACHE_GLOBAL);

	uint64_t period = (uint64_t)(1e9 / hz), start = bench_now();
	uint64_t end = secs > 0 ? start + (uint64_t)(secs * 1e9) : UINT64_MAX;
	for (uint64_t next = start + period; !quit && next < end; next += period) {
		bench_sleep_until(next);
		DIR *d = opendir(taskdir);
		struct dirent *de;
		size_t n = 0;

		if (!d)
			break;
		uint64_t t0 = bench_now();

		/* Stop the world. */
		while ((de = readdir(d)) && n < MAX_THREADS) {
			pid_t tid = atoi(de->d_name);

			if (tid <= 0 || ptrace(PTRACE_SEIZE, tid, 0, 0) < 0)
				continue;
			if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0) {
				ptrace(PTRACE_DETACH, tid, 0, 0);
				continue;
			}
			st[n].tid = tid;
			st[n].sig = 0;
			n++;
		}
		closedir(d);
		for (size_t i = 0; i < n; i++) {
			int ws;

			if (waitpid(st[i].tid, &ws, __WALL) != st[i].tid || !WIFSTOPPED(ws)) {
				st[i].tid = 0; /* exited */
				continue;
			}
			if ((ws >> 16) == 0)
				st[i].sig = WSTOPSIG(ws);
		}
		/* Unwind every thread while all are stopped. */
		for (size_t i = 0; i < n; i++) {
			if (!st[i].tid)
				continue;
			int k = unwind_thread(as, st[i].tid);

			if (k < 0) {
				errors++;
			} else {
				frames += (unsigned long)k;
				unwound++;
			}
		}
		size_t alive = 0;

		for (size_t i = 0; i < n; i++) {
			if (!st[i].tid)
				continue;
			ptrace(PTRACE_DETACH, st[i].tid, 0, (void *)(long)st[i].sig);
			alive++;
		}
		if (!alive)
			break; /* the process is gone */
		pauses_add(&pauses, bench_now() - t0);
		threads += n;
	}
	size_t ticks = pauses.n;

	pauses_print("allstop", &pauses);
	printf("allstop-info threads_per_tick=%.1f frames_mean=%.1f unwind_errors=%lu cache=%s\n",
	       ticks ? (double)threads / (double)ticks : 0.0,
	       unwound ? (double)frames / (double)unwound : 0.0, errors, nocache ? "none" : "global");
	unw_destroy_addr_space(as);
	return 0;
}
