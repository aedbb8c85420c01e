// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"

int launch_command(char *const *argv, pid_t *out, char *why, size_t len)
{
	int fds[2], child_errno = 0;
	ssize_t n;
	pid_t pid;

	/* The write end closes on a successful exec; an errno arrives otherwise. */
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(why, len, "cannot run '%s': %s", argv[0], strerror(errno));
		return -errno;
	}
	pid_t parent = getpid();

	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(fds[0]);
		close(fds[1]);
		snprintf(why, len, "cannot run '%s': %s", argv[0], strerror(err));
		return -err;
	}
	if (pid == 0) {
		/* Undo what cprof set up for itself before the program starts. */
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/*
		 * Should cprof die without cleaning up (a crash, kill -9), the
		 * command it launched is told too rather than left orphaned.
		 */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		close(fds[0]);
		execvp(argv[0], argv);
		child_errno = errno;
		n = write(fds[1], &child_errno, sizeof(child_errno));
		(void)n;
		_exit(127);
	}
	close(fds[1]);
	do {
		n = read(fds[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n == sizeof(child_errno)) {
		waitpid(pid, NULL, 0);
		snprintf(why, len, "cannot run '%s': %s", argv[0], strerror(child_errno));
		return -child_errno;
	}
	*out = pid;
	return 0;
}

static bool reaped(pid_t pid, int *wstatus)
{
	pid_t r = waitpid(pid, wstatus, WNOHANG);

	return r == pid || (r < 0 && errno == ECHILD);
}

int launch_terminate(pid_t pid, int grace_ms, int *wstatus)
{
	struct timespec ts = { 0, 10 * 1000000L };
	int st = -1;

	if (reaped(pid, &st))
		goto done;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < grace_ms; waited += 10) {
		if (reaped(pid, &st))
			goto done;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (wstatus)
		*wstatus = st;
	return 1;
done:
	if (wstatus)
		*wstatus = st;
	return 0;
}

void describe_wait_status(int wstatus, char *buf, size_t len)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, len, "was killed by signal %d (%s)%s", WTERMSIG(wstatus),
			 strsignal(WTERMSIG(wstatus)), WCOREDUMP(wstatus) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with wait status 0x%x", wstatus);
}
