// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cprof.h"
#include "proc.h"
#include "target.h"

/* The pid tracing one of pid's threads already, or 0. */
static pid_t current_tracer(pid_t pid, char *comm, size_t commlen)
{
	pid_t tracer = proc_tracer(pid, 0);
	struct proc_stat st;

	if (tracer <= 0 || tracer == getpid())
		return 0;
	snprintf(comm, commlen, "%s", proc_read_stat(tracer, 0, &st) == 0 ? st.comm : "?");
	return tracer;
}

void target_permission_hint(pid_t pid, char *buf, size_t len)
{
	int scope = proc_ptrace_scope();
	char comm[64];
	pid_t tracer = pid > 0 ? current_tracer(pid, comm, sizeof(comm)) : 0;

	if (tracer)
		snprintf(buf, len,
			 "it is already traced by pid %d (%s), and a process can have only one "
			 "tracer: detach the debugger, strace or profiler first",
			 tracer, comm);
	else if (scope >= 3)
		snprintf(buf, len, "kernel.yama.ptrace_scope = %d forbids all ptrace use", scope);
	else if (scope == 2)
		snprintf(buf, len,
			 "kernel.yama.ptrace_scope = 2 allows tracing only with CAP_SYS_PTRACE: "
			 "run cprof as root");
	else if (scope == 1 && geteuid() != 0)
		snprintf(buf, len,
			 "kernel.yama.ptrace_scope = 1 allows tracing only descendants: run cprof "
			 "as root or with CAP_SYS_PTRACE, or start the program under cprof (cprof "
			 "record -- CMD)");
	else if (geteuid() == 0)
		snprintf(buf, len,
			 "even root may not trace it here: in a container, grant CAP_SYS_PTRACE "
			 "(docker run --cap-add SYS_PTRACE) and allow ptrace in the seccomp "
			 "profile");
	else
		snprintf(buf, len,
			 "the process belongs to another user or is not dumpable: run cprof as "
			 "root or with CAP_SYS_PTRACE");
}

enum target_status target_check(pid_t *pidp, char *why, size_t whylen)
{
	pid_t pid = *pidp;
	struct proc_stat st;
	char path[64], buf[4096];
	int err;

	if (pid == getpid()) {
		snprintf(why, whylen, "cannot profile process %d: it is cprof itself", pid);
		return TARGET_SELF;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (proc_read_file(path, buf, sizeof(buf)) < 0) {
		snprintf(why, whylen, "no process with pid %d", pid);
		return TARGET_NOT_FOUND;
	}
	const char *tgid = strstr(buf, "\nTgid:");

	if (tgid) {
		pid_t group = (pid_t)strtol(tgid + 6, NULL, 10);

		if (group > 0 && group != pid) {
			pid = group;
			*pidp = pid;
		}
	}
	if (pid == getpid()) {
		snprintf(why, whylen, "cannot profile process %d: it is cprof itself", pid);
		return TARGET_SELF;
	}
	err = proc_read_stat(pid, 0, &st);
	if (err) {
		snprintf(why, whylen, "no process with pid %d", pid);
		return TARGET_NOT_FOUND;
	}
	if ((st.flags & PROC_PF_KTHREAD) || pid == 2 || st.ppid == 2) {
		snprintf(why, whylen, "cannot profile pid %d (%s): it is a kernel thread", pid,
			 st.comm);
		return TARGET_KERNEL_THREAD;
	}
	if (st.state == 'Z' && st.num_threads > 1) {
		/* /proc/PID/maps, exe and root are gone with the leader's mm. */
		snprintf(why, whylen,
			 "cannot profile pid %d (%s): its main thread has exited; the process "
			 "lives on in other threads, but without the main thread its memory map "
			 "cannot be read",
			 pid, st.comm);
		return TARGET_ZOMBIE;
	}
	if (st.state == 'Z' || st.state == 'X') {
		snprintf(why, whylen, "cannot profile pid %d (%s): the process has exited (zombie)",
			 pid, st.comm);
		return TARGET_ZOMBIE;
	}
	/* process_vm_readv makes the same PTRACE_MODE_ATTACH check as ptrace. */
	char byte;
	struct iovec local = { &byte, 1 }, remote = { NULL, 1 };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 && errno == EPERM) {
		char hint[512];

		target_permission_hint(pid, hint, sizeof(hint));
		snprintf(why, whylen, "cannot trace pid %d (%s): %s; %s", pid, st.comm,
			 strerror(EPERM), hint);
		return TARGET_PERMISSION;
	}
	return TARGET_OK;
}

int target_exit_code(enum target_status st)
{
	switch (st) {
	case TARGET_OK: return EXIT_OK;
	case TARGET_PERMISSION: return EXIT_PERMISSION;
	default: return EXIT_NO_TARGET;
	}
}
