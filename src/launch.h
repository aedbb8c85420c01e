/* SPDX-License-Identifier: MIT */
#ifndef CPROF_LAUNCH_H
#define CPROF_LAUNCH_H

/*
 * Launch mode (cprof record -- CMD): run a command as our child, so it can
 * be traced even where Yama only allows tracing descendants.
 */
#include <stddef.h>
#include <sys/types.h>

/*
 * A launch held just before the exec, until launch_release(): --on-crash
 * must be attached before the program runs its first instruction.
 */
struct launch_hold {
	int go_fd, err_fd;
	pid_t pid;
	char argv0[256];
};

/*
 * Fork and exec argv. Returns once the exec has succeeded, so sampling can
 * start at the new program's first instructions, or -errno (with a message
 * in why) if the command could not be run. With `hold`, returns once the
 * command has been found, with the child waiting to exec.
 */
int launch_command(char *const *argv, struct launch_hold *hold, pid_t *pid, char *why, size_t len);
/* Let a held command exec. -errno (and why) if the exec failed. */
int launch_release(struct launch_hold *hold, char *why, size_t len);
/*
 * End a launched command that is still running: SIGTERM, then SIGKILL after
 * grace_ms. Returns 1 if it had to be killed. *wstatus (may be NULL) gets
 * its wait status, or -1 if someone else reaped it.
 */
int launch_terminate(pid_t pid, int grace_ms, int *wstatus);
/* "exited with status 3" / "was killed by signal 9 (Killed)" */
void describe_wait_status(int wstatus, char *buf, size_t len);

#endif
