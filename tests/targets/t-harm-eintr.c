// SPDX-License-Identifier: MIT
/*
 * t-harm-eintr: threads blocked for good in the system calls that a ptrace
 * stop interrupts with EINTR (signal(7), "Interruption of system calls and
 * library functions by stop signals"; unwind.md P9), and in some that it
 * does not, each counting the EINTR returns it sees:
 *
 *   epoll     epoll_wait(-1) on a pipe that never gets data   (EINTR on stop)
 *   sigwait   sigwaitinfo(SIGUSR2), never sent                (EINTR on stop)
 *   semop     semop() decrementing a System V semaphore at 0  (EINTR on stop)
 *   recv      recv() on a socket with SO_RCVTIMEO of an hour  (EINTR on stop)
 *   poll      poll(-1)                                        (restarted)
 *   nanosleep nanosleep() of a day                            (restarted)
 *   read      read() of a pipe                                (restarted)
 *
 * None of them ever returns on its own. Main spins in eintr_spin, so that
 * an on-CPU profile has something to sample. "ready" comes once every
 * blocker is asleep; on SIGTERM main prints
 *   eintr epoll=N sigwait=N semop=N recv=N poll=N nanosleep=N read=N other=N
 * and exits 0 ("other" counts any other unexpected return).
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/socket.h>

#include "target.h"

enum { EPOLL, SIGWAIT, SEMOP, RECV, POLL, NANOSLEEP, READ, NBLOCKERS };

static const char *const names[NBLOCKERS] = { "epoll",	"sigwait",   "semop", "recv",
					      "poll",	"nanosleep", "read" };
static volatile int eintr[NBLOCKERS];
static volatile int other;
static volatile pid_t tids[NBLOCKERS];
static volatile sig_atomic_t stop;
static int epfd, pipefd[2], socks[2], semid;
static sigset_t usr2;

/* One step of blocking: 1 on EINTR, 0 for any other return. */
static int block_once(int kind)
{
	char c;
	int r = 0;

	switch (kind) {
	case EPOLL: {
		struct epoll_event ev;

		r = epoll_wait(epfd, &ev, 1, -1);
		break;
	}
	case SIGWAIT:
		r = sigwaitinfo(&usr2, NULL);
		break;
	case SEMOP: {
		struct sembuf op = { 0, -1, 0 };

		r = semop(semid, &op, 1);
		break;
	}
	case RECV:
		r = (int)recv(socks[0], &c, 1, 0);
		break;
	case POLL: {
		struct pollfd pfd = { pipefd[0], POLLIN, 0 };

		r = poll(&pfd, 1, -1);
		break;
	}
	case NANOSLEEP: {
		struct timespec ts = { 86400, 0 };

		r = nanosleep(&ts, NULL);
		break;
	}
	case READ:
		r = (int)read(pipefd[0], &c, 1);
		break;
	}
	return r < 0 && errno == EINTR;
}

NOINLINE static void *blocker(void *arg)
{
	int kind = (int)(long)arg;
	char name[16];

	snprintf(name, sizeof(name), "b_%s", names[kind]);
	target_name_thread(name);
	tids[kind] = target_gettid();
	for (;;) {
		if (block_once(kind))
			__atomic_add_fetch(&eintr[kind], 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&other, 1, __ATOMIC_RELAXED);
		BARRIER();
	}
	return NULL;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

NOINLINE static unsigned long eintr_spin(unsigned long x)
{
	while (!stop) {
		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005UL + 5;
			OPAQUE(x);
		}
	}
	return x;
}

int main(void)
{
	struct timeval hour = { 3600, 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t all;
	pthread_t th;
	unsigned long x;

	target_init();
	if (pipe(pipefd) || socketpair(AF_UNIX, SOCK_STREAM, 0, socks))
		target_die("pipe");
	if (setsockopt(socks[0], SOL_SOCKET, SO_RCVTIMEO, &hour, sizeof(hour)))
		target_die("SO_RCVTIMEO");
	epfd = epoll_create1(0);
	ev.data.fd = pipefd[0];
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, pipefd[0], &ev))
		target_die("epoll");
	semid = semget(IPC_PRIVATE, 1, 0600);
	if (semid < 0)
		target_die("semget");
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	/* Blockers take no signals at all; main takes SIGTERM. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (long k = 0; k < NBLOCKERS; k++)
		if (pthread_create(&th, NULL, blocker, (void *)k))
			target_die("pthread_create");
	for (int k = 0; k < NBLOCKERS; k++) {
		while (!__atomic_load_n(&tids[k], __ATOMIC_ACQUIRE))
			sched_yield();
		target_wait_blocked(tids[k]);
	}
	signal(SIGTERM, on_term);
	sigdelset(&all, SIGTERM);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	target_ready();
	x = eintr_spin(1);
	OPAQUE(x);
	printf("eintr");
	for (int k = 0; k < NBLOCKERS; k++)
		printf(" %s=%d", names[k], eintr[k]);
	printf(" other=%d\n", other);
	fflush(stdout);
	/* The semop thread sees EIDRM now: exit before it counts anything. */
	semctl(semid, 0, IPC_RMID);
	_exit(0);
}
