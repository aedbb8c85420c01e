// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"

/*
 * Whether execvp() would find something to run: the checks it makes that
 * fail before the program starts, so that a held launch can report "no such
 * command" at once rather than after sampling has begun.
 */
static int exec_lookup(const char *file)
{
	const char *path = getenv("PATH");
	char buf[4096];
	int err = ENOENT;

	if (!*file)
		return ENOENT;
	if (strchr(file, '/'))
		return access(file, X_OK) ? errno : 0;
	if (!path)
		path = "/bin:/usr/bin";
	while (*path) {
		const char *end = strchrnul(path, ':');
		int n = (int)(end - path);

		if (snprintf(buf, sizeof(buf), "%.*s%s%s", n, n ? path : ".", n ? "/" : "", file) <
		    (int)sizeof(buf)) {
			if (access(buf, X_OK) == 0)
				return 0;
			if (errno == EACCES)
				err = EACCES;
		}
		path = *end ? end + 1 : end;
	}
	return err;
}

static int read_errno(int fd, int *child_errno)
{
	ssize_t n;

	do {
		n = read(fd, child_errno, sizeof(*child_errno));
	} while (n < 0 && errno == EINTR);
	return n == sizeof(*child_errno);
}

int launch_command(char *const *argv, struct launch_hold *hold, pid_t *out, char *why, size_t len)
{
	int fds[2], go[2] = { -1, -1 }, child_errno = 0;
	ssize_t n;
	pid_t pid;

	/* The write end closes on a successful exec; an errno arrives otherwise. */
	if (pipe2(fds, O_CLOEXEC) || (hold && pipe2(go, O_CLOEXEC))) {
		int err = errno;

		snprintf(why, len, "cannot run '%s': %s", argv[0], strerror(err));
		return -err;
	}
	pid_t parent = getpid();

	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(fds[0]);
		close(fds[1]);
		if (hold) {
			close(go[0]);
			close(go[1]);
		}
		snprintf(why, len, "cannot run '%s': %s", argv[0], strerror(err));
		return -err;
	}
	if (pid == 0) {
		/* Undo what cprof set up for itself before the program starts. */
		sigset_t none;
		char byte;

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
		if (hold) {
			/* 0: found, now waiting; then run only on the go byte. */
			close(go[1]);
			child_errno = exec_lookup(argv[0]);
			n = write(fds[1], &child_errno, sizeof(child_errno));
			if (child_errno || read(go[0], &byte, 1) != 1)
				_exit(127);
		}
		execvp(argv[0], argv);
		child_errno = errno;
		n = write(fds[1], &child_errno, sizeof(child_errno));
		(void)n;
		_exit(127);
	}
	close(fds[1]);
	if (hold) {
		close(go[0]);
		hold->go_fd = go[1];
		hold->err_fd = fds[0];
		hold->pid = pid;
		snprintf(hold->argv0, sizeof(hold->argv0), "%s", argv[0]);
		if (read_errno(fds[0], &child_errno) && child_errno == 0) {
			*out = pid;
			return 0;
		}
		close(go[1]);
		hold->go_fd = -1;
		hold->err_fd = -1;
		if (!child_errno)
			child_errno = ECHILD;
	} else if (!read_errno(fds[0], &child_errno)) {
		close(fds[0]);
		*out = pid;
		return 0;
	}
	close(fds[0]);
	waitpid(pid, NULL, 0);
	snprintf(why, len, "cannot run '%s': %s", argv[0], strerror(child_errno));
	return -child_errno;
}

int launch_release(struct launch_hold *hold, char *why, size_t len)
{
	int child_errno = 0;
	ssize_t n = write(hold->go_fd, "g", 1);

	close(hold->go_fd);
	hold->go_fd = -1;
	if (n != 1)
		child_errno = errno;
	else if (!read_errno(hold->err_fd, &child_errno))
		child_errno = 0;
	close(hold->err_fd);
	hold->err_fd = -1;
	if (!child_errno)
		return 0;
	snprintf(why, len, "cannot run '%s': %s", hold->argv0, strerror(child_errno));
	return -child_errno;
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
