// SPDX-License-Identifier: MIT
/*
 * capture.c against live children, for what a functional test can only hit
 * by chance:
 *
 *  - a thread seized just before it execs from a thread other than the
 *    leader. The exec gives it the leader's tid and drops our interrupt, so
 *    it would run on traced, and a later PTRACE_SEIZE would fail with EPERM.
 *    cprof seizes with PTRACE_O_TRACEEXEC: its exec stop must let it go,
 *    whether it comes between ticks or inside a batch;
 *  - a thread still seized after its stop timed out, tried again.
 *
 * The tracer runs in a thread of its own, as cprof's sampler does: ptrace
 * ties a tracee to a thread, and /proc's TracerPid names that thread.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <time.h>

#include "capture.h"
#include "proc.h"
#include "unit.h"

struct execer_child {
	pid_t pid;
	pid_t execer; /* the thread that execs, by its tid before the exec */
	int go_fd;    /* a byte written here makes it exec */
};

struct execer_fds {
	int go, tid_out;
};

static void *execer_main(void *arg)
{
	struct execer_fds *fds = arg;
	pid_t tid = gettid();
	char c;

	if (write(fds->tid_out, &tid, sizeof(tid)) == (ssize_t)sizeof(tid) &&
	    read(fds->go, &c, 1) == 1)
		execlp("sleep", "sleep", "30", (char *)NULL);
	_exit(127);
}

static void start_execer_child(struct execer_child *c)
{
	int go[2], tids[2];

	REQUIRE(pipe2(go, O_CLOEXEC) == 0 && pipe2(tids, O_CLOEXEC) == 0);
	c->pid = fork();
	REQUIRE(c->pid >= 0);
	if (c->pid == 0) {
		struct execer_fds fds = { go[0], tids[1] };
		pthread_t th;

		prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
		if (pthread_create(&th, NULL, execer_main, &fds))
			_exit(127);
		for (;;)
			pause();
	}
	close(go[0]);
	close(tids[1]);
	REQUIRE(read(tids[0], &c->execer, sizeof(c->execer)) == (ssize_t)sizeof(c->execer));
	close(tids[0]);
	c->go_fd = go[1];
}

static void kill_child(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
}

static void stop_execer_child(struct execer_child *c)
{
	kill_child(c->pid);
	close(c->go_fd);
}

static bool runs_sleep(pid_t pid)
{
	struct proc_stat st;

	return proc_read_stat(pid, 0, &st) == 0 && !strcmp(st.comm, "sleep");
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Seize the execer as tracer_batch_add() does, short of the interrupt (which
 * the exec would drop), then let it exec and wait until it runs the new
 * image as the leader, its exec stop queued for us.
 */
static void seize_then_exec(struct execer_child *c)
{
	if (ptrace(PTRACE_SEIZE, c->execer, 0, (void *)(long)PTRACE_O_TRACEEXEC) < 0) {
		int err = errno;

		stop_execer_child(c);
		if (err == EPERM)
			SKIP("ptrace is not permitted here, not even of a child");
		FAIL_MSG("PTRACE_SEIZE: %s", strerror(err));
		UNIT_END_CASE();
	}
	REQUIRE(write(c->go_fd, "x", 1) == 1);
	for (int i = 0; i < 500 && !runs_sleep(c->pid); i++)
		sleep_ms(10);
	REQUIRE(runs_sleep(c->pid));
	/* The premise: the seize followed the thread to its new tid. */
	REQUIRE_EQ_INT(proc_tracer(c->pid, c->pid), gettid());
}

static void run_in_thread(void *(*fn)(void *))
{
	sigset_t chld;
	pthread_t th;

	/* capture.h: SIGCHLD blocked in every thread, waited for by the tracer. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	REQUIRE(pthread_sigmask(SIG_BLOCK, &chld, NULL) == 0);
	REQUIRE(pthread_create(&th, NULL, fn, NULL) == 0);
	REQUIRE(pthread_join(th, NULL) == 0);
}

static void *exec_stop_in_batch(void *arg)
{
	struct execer_child c;
	struct tracer *t = tracer_new();
	static uint8_t buf[4096 + 128];
	struct snapshot snap;

	(void)arg;
	start_execer_child(&c);
	seize_then_exec(&c);
	/*
	 * Sampling the leader finds it ours already (EPERM from the seize) and
	 * meets its exec stop: no sample of an image whose maps are not read
	 * yet, and it is let go.
	 */
	CHECK_EQ_INT(tracer_sample(t, c.pid, c.pid, buf, 4096, NULL, &snap), -ESRCH);
	CHECK_EQ_INT(proc_tracer(c.pid, c.pid), 0);
	CHECK_EQ_INT(tracer_pending(t), 0);
	/* The next sample is an ordinary one. */
	CHECK_EQ_INT(tracer_sample(t, c.pid, c.pid, buf, 4096, NULL, &snap), 0);
	CHECK_EQ_INT(snap.tid, c.pid);
	CHECK_NE_U64(snap.regs.rsp, 0);
	CHECK_EQ_INT(proc_tracer(c.pid, c.pid), 0);
	tracer_free(t, 1000);
	stop_execer_child(&c);
	return NULL;
}

TEST(exec_stop_met_in_a_batch_lets_the_new_leader_go)
{
	run_in_thread(exec_stop_in_batch);
}

static void *exec_stop_between_ticks(void *arg)
{
	struct execer_child c;
	struct tracer *t = tracer_new();

	(void)arg;
	start_execer_child(&c);
	seize_then_exec(&c);
	for (int i = 0; i < 100 && proc_tracer(c.pid, c.pid) != 0; i++)
		tracer_wait_event(t, 20);
	CHECK_EQ_INT(proc_tracer(c.pid, c.pid), 0);
	CHECK_EQ_INT(tracer_pending(t), 0);
	CHECK(runs_sleep(c.pid));
	tracer_free(t, 1000);
	stop_execer_child(&c);
	return NULL;
}

TEST(exec_stop_between_ticks_lets_the_new_leader_go)
{
	run_in_thread(exec_stop_between_ticks);
}

/*
 * A process held in vfork() cannot stop until its child execs or exits:
 * here the child exits after `hold_ms`, and the parent then pauses.
 */
static pid_t start_vfork_holder(long hold_ms)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
		if (vfork() == 0) {
			struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
			_exit(0);
		}
		for (;;)
			pause();
	}
	return pid;
}

static void *sample_after_timeout(void *arg)
{
	static uint8_t buf[4096 + 128];
	struct tracer *t = tracer_new();
	struct snapshot snap;
	pid_t pid = start_vfork_holder(1500);
	int err;

	(void)arg;
	sleep_ms(100); /* into the vfork */
	tracer_set_stop_timeout(t, 50);
	err = tracer_sample(t, pid, pid, buf, 4096, NULL, &snap);
	if (err == -EPERM) {
		kill_child(pid);
		SKIP("ptrace is not permitted here, not even of a child");
	}
	REQUIRE_EQ_INT(err, -EAGAIN);
	CHECK_EQ_INT(tracer_pending(t), 1);
	/* Still seized from the timeout: tried again, it is an entry again. */
	CHECK_EQ_INT(tracer_sample(t, pid, pid, buf, 4096, NULL, &snap), -EAGAIN);
	CHECK_EQ_INT(tracer_pending(t), 1);
	tracer_set_stop_timeout(t, 5000);
	CHECK_EQ_INT(tracer_sample(t, pid, pid, buf, 4096, NULL, &snap), 0);
	CHECK_EQ_INT(snap.tid, pid);
	CHECK_EQ_INT(tracer_pending(t), 0);
	CHECK_EQ_INT(proc_tracer(pid, pid), 0);
	tracer_free(t, 1000);
	kill_child(pid);
	return NULL;
}

/* A thread whose stop timed out is sampled when tried again, not refused. */
TEST(thread_pending_after_timeout_is_sampled_when_tried_again)
{
	run_in_thread(sample_after_timeout);
}
