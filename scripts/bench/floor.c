// SPDX-License-Identifier: MIT
/*
 * floor: the bare cost of stopping and resuming one thread with ptrace, the
 * lower bound for cprof's per-sample pause.
 *
 *   floor -p PID [-t TID] [-r HZ] [-d SECONDS] [-W] [-R] [-S BYTES] [-H USEC]
 *
 * At every tick, if the thread is running (state R, the same filter cprof
 * applies), it does PTRACE_SEIZE, PTRACE_INTERRUPT, waitpid for the stop and
 * PTRACE_DETACH, nothing else. The pause is timed like cprof's
 * (capture.c, tracer_sample): from just before PTRACE_SEIZE until
 * PTRACE_DETACH has returned. It runs until the duration is over or the
 * thread is gone, then prints:
 *
 *   floor samples=N p50_ns=.. p99_ns=.. max_ns=.. mean_ns=.. p50_hist_ns=..
 *         p99_hist_ns=..
 *   floor-from-interrupt ...   (the same, timed from PTRACE_INTERRUPT)
 *
 * The options add, one at a time, what cprof does on top of the floor, to
 * see what each step costs (bench-overhead --explain):
 *   -W  wait as cprof does: waitpid(WNOHANG), then sigtimedwait(SIGCHLD)
 *   -R  PTRACE_GETREGSET(NT_PRSTATUS) while stopped
 *   -S  process_vm_readv of [sp - 128, sp + BYTES) while stopped, split at
 *       pages and clipped to the stack mapping (implies -R)
 *   -H  hold the thread stopped USEC longer (spinning): a known cost, to
 *       check that the benchmark sees it
 */
#include <elf.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "bench.h"

#define PAGE 4096ULL
#define RED_ZONE 128
#define MAX_IOV 1024

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(void)
{
	fputs("usage: floor -p PID [-t TID] [-r HZ] [-d SECONDS] [-W] [-R] [-S BYTES] [-H USEC]\n",
	      stderr);
	exit(2);
}

/* The end of the mapping of pid that holds addr, or 0 (read from /proc). */
static uint64_t mapping_end(pid_t pid, uint64_t addr)
{
	char path[64], line[512];
	uint64_t end = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && addr >= lo && addr < hi) {
			end = hi;
			break;
		}
	}
	fclose(f);
	return end;
}

/* Wait for the stop of tid the way cprof does; SIGCHLD must be blocked. */
static pid_t wait_like_cprof(pid_t tid, int *st, const sigset_t *chld)
{
	for (;;) {
		pid_t r = waitpid(-1, st, __WALL | WNOHANG);

		if (r != 0)
			return r;
		struct timespec ts = { 0, 50000000 };

		sigtimedwait(chld, NULL, &ts);
	}
	(void)tid;
}

static ssize_t read_stack(pid_t tid, uint64_t sp, uint64_t top, uint8_t *buf, uint64_t bytes)
{
	static struct iovec iov[MAX_IOV];
	uint64_t lo = sp - RED_ZONE, hi = sp + bytes;
	size_t n = 0;

	if (lo < (sp & ~(PAGE - 1)))
		lo = sp & ~(PAGE - 1);
	if (top && top < hi)
		hi = top;
	for (uint64_t a = lo; a < hi && n < MAX_IOV; n++) {
		uint64_t next = (a & ~(PAGE - 1)) + PAGE;

		if (next > hi)
			next = hi;
		iov[n].iov_base = (void *)(uintptr_t)a;
		iov[n].iov_len = (size_t)(next - a);
		a = next;
	}
	struct iovec local = { buf, (size_t)(hi - lo) };

	return process_vm_readv(tid, &local, 1, iov, n, 0);
}

int main(int argc, char **argv)
{
	struct pauses from_seize = { 0 }, from_interrupt = { 0 };
	pid_t pid = 0, tid = 0;
	double hz = 100, secs = 0;
	unsigned long skipped = 0, failed = 0, copied = 0, copied_bytes = 0;
	bool sigwait = false, regs = false;
	uint64_t stack_bytes = 0, stack_top = 0, sp = 0, hold_ns = 0;
	uint8_t *buf = NULL;
	sigset_t chld;
	int c;

	while ((c = getopt(argc, argv, "p:t:r:d:WRS:H:")) != -1) {
		switch (c) {
		case 'p':
			pid = atoi(optarg);
			break;
		case 't':
			tid = atoi(optarg);
			break;
		case 'r':
			hz = strtod(optarg, NULL);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 'W':
			sigwait = true;
			break;
		case 'R':
			regs = true;
			break;
		case 'H':
			hold_ns = strtoull(optarg, NULL, 0) * 1000;
			break;
		case 'S':
			stack_bytes = strtoull(optarg, NULL, 0);
			regs = true;
			break;
		default:
			usage();
		}
	}
	if (pid <= 0 || hz <= 0 || optind != argc)
		usage();
	if (!tid)
		tid = pid;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigwait)
		sigprocmask(SIG_BLOCK, &chld, NULL);
	if (stack_bytes) {
		/* Pre-faulted, as cprof's ring slots are. */
		buf = malloc(stack_bytes + RED_ZONE);
		if (!buf)
			return 1;
		memset(buf, 0, stack_bytes + RED_ZONE);
	}

	uint64_t period = (uint64_t)(1e9 / hz), start = bench_now();
	uint64_t end = secs > 0 ? start + (uint64_t)(secs * 1e9) : UINT64_MAX;

	for (uint64_t next = start + period; !quit && next < end; next += period) {
		bench_sleep_until(next);
		char state = bench_thread_state(pid, tid);

		if (!state || state == 'Z' || state == 'X')
			break;
		if (state != 'R') {
			skipped++;
			continue;
		}
		uint64_t t0 = bench_now();

		if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0) {
			if (errno == ESRCH)
				break;
			perror("floor: PTRACE_SEIZE");
			return 1;
		}
		uint64_t t1 = bench_now();

		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0) {
			failed++;
			continue;
		}
		int st;
		pid_t r = sigwait ? wait_like_cprof(tid, &st, &chld) : waitpid(tid, &st, __WALL);

		if (r != tid || !WIFSTOPPED(st))
			break; /* exited while we waited */
		/* A signal-delivery-stop: hand the signal back on detach. */
		int sig = (st >> 16) == 0 ? WSTOPSIG(st) : 0;

		if (regs) {
			struct user_regs_struct ur;
			struct iovec io = { &ur, sizeof(ur) };

			if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &io) == 0 && buf) {
				ssize_t got = read_stack(tid, ur.rsp, stack_top, buf, stack_bytes);

				if (got > 0) {
					copied++;
					copied_bytes += (unsigned long)got;
				}
				sp = ur.rsp;
			}
		}
		if (hold_ns) {
			uint64_t until = bench_now() + hold_ns;

			while (bench_now() < until)
				;
		}
		if (ptrace(PTRACE_DETACH, tid, 0, (void *)(long)sig) < 0)
			failed++;
		uint64_t t2 = bench_now();

		/* Look the stack mapping up once, outside the pause. */
		if (buf && !stack_top && sp)
			stack_top = mapping_end(pid, sp);

		pauses_add(&from_seize, t2 - t0);
		pauses_add(&from_interrupt, t2 - t1);
	}
	pauses_print("floor", &from_seize);
	pauses_print("floor-from-interrupt", &from_interrupt);
	printf("floor-info not_running=%lu failed=%lu stack_copies=%lu stack_bytes_mean=%lu\n",
	       skipped, failed, copied, copied ? copied_bytes / copied : 0);
	return 0;
}
