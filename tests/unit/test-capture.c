// SPDX-License-Identifier: MIT
/*
 * capture.c against live children, for what a functional test can only hit
 * by chance: a thread seized just before it execs from a thread other than
 * the leader. The exec gives it the leader's tid and it stays seized by us
 * under that tid, with no report for the old one. The tracer must neither
 * lose the process to that (a later PTRACE_SEIZE fails with EPERM) nor
 * leave it traced.
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

static void stop_execer_child(struct execer_child *c)
{
	int status;

	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &status, __WALL) < 0 && errno == EINTR)
		;
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
 * Seize the execer, as the sampler does just before its interrupt, then let
 * it exec and wait until it runs the new image as the leader.
 */
static void seize_then_exec(struct execer_child *c)
{
	if (ptrace(PTRACE_SEIZE, c->execer, 0, 0) < 0) {
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

static void *sample_new_leader(void *arg)
{
	struct execer_child c;
	struct tracer *t = tracer_new();
	static uint8_t buf[4096 + 128];
	struct snapshot snap;

	(void)arg;
	start_execer_child(&c);
	seize_then_exec(&c);
	/* Seizing what we hold already fails with EPERM: it is sampled anyway. */
	CHECK_EQ_INT(tracer_sample(t, c.pid, c.pid, buf, 4096, NULL, &snap), 0);
	CHECK_EQ_INT(snap.tid, c.pid);
	CHECK_NE_U64(snap.regs.rsp, 0);
	CHECK_EQ_INT(proc_tracer(c.pid, c.pid), 0);
	tracer_free(t, 1000);
	stop_execer_child(&c);
	return NULL;
}

/* A sample of the leader after the exec takes it and lets it go. */
TEST(execer_seized_across_exec_is_sampled_and_let_go)
{
	run_in_thread(sample_new_leader);
}

static void *reclaim_on_vanished_tid(void *arg)
{
	struct execer_child c;
	struct tracer *t = tracer_new();

	(void)arg;
	start_execer_child(&c);
	seize_then_exec(&c);
	/* The old tid is gone: the leader is found to be ours and let go. */
	CHECK_EQ_INT(tracer_batch_add(t, c.pid, c.execer, 4096, NULL), -ESRCH);
	for (int i = 0; i < 100 && proc_tracer(c.pid, c.pid) != 0; i++)
		tracer_wait_event(t, 20);
	CHECK_EQ_INT(proc_tracer(c.pid, c.pid), 0);
	CHECK_EQ_INT(tracer_pending(t), 0);
	CHECK(runs_sleep(c.pid));
	tracer_free(t, 1000);
	stop_execer_child(&c);
	return NULL;
}

/* The tid a capture found gone belonged to a thread that execed while ours. */
TEST(vanished_execer_tid_lets_the_new_leader_go)
{
	run_in_thread(reclaim_on_vanished_tid);
}

/* Control: a leader we do not trace is left alone when a tid vanishes. */
static void *untraced_leader_left_alone(void *arg)
{
	struct execer_child c;
	struct tracer *t = tracer_new();

	(void)arg;
	start_execer_child(&c);
	REQUIRE(write(c.go_fd, "x", 1) == 1);
	for (int i = 0; i < 500 && !runs_sleep(c.pid); i++)
		sleep_ms(10);
	REQUIRE(runs_sleep(c.pid));
	CHECK_EQ_INT(tracer_batch_add(t, c.pid, c.execer, 4096, NULL), -ESRCH);
	CHECK_EQ_INT(tracer_pending(t), 0);
	CHECK_EQ_INT(proc_tracer(c.pid, c.pid), 0);
	tracer_free(t, 1000);
	stop_execer_child(&c);
	return NULL;
}

TEST(vanished_tid_of_untraced_process_changes_nothing)
{
	run_in_thread(untraced_leader_left_alone);
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
	int err = 0, status;

	(void)arg;
	sleep_ms(100); /* into the vfork */
	tracer_set_stop_timeout(t, 50);
	err = tracer_sample(t, pid, pid, buf, 4096, NULL, &snap);
	if (err == -EPERM) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, __WALL);
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
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return NULL;
}

/* A thread whose stop timed out is sampled when tried again, not refused. */
TEST(thread_pending_after_timeout_is_sampled_when_tried_again)
{
	run_in_thread(sample_after_timeout);
}
