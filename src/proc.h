/* SPDX-License-Identifier: MIT */
#ifndef CPROF_PROC_H
#define CPROF_PROC_H

/* Readers for /proc. All return 0 (or a length) on success, -errno on failure. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_COMM_MAX 64

/* The fields of /proc/PID[/task/TID]/stat that cprof uses. */
struct proc_stat {
	char state;
	char comm[PROC_COMM_MAX];
	pid_t ppid;
	unsigned long flags;
	uint64_t minflt, majflt; /* page faults */
	uint64_t utime, stime;	 /* clock ticks */
	uint64_t starttime;	 /* clock ticks after boot */
	long num_threads;
	uint64_t vsize;
	int64_t rss_pages;
	uint64_t startcode, startstack;
	int processor;
};

/* PF_KTHREAD from include/linux/sched.h. */
#define PROC_PF_KTHREAD 0x00200000UL

ssize_t proc_read_file(const char *path, char *buf, size_t size);
ssize_t proc_pread_fd(int fd, char *buf, size_t size);
int proc_parse_stat(const char *buf, struct proc_stat *st);
int proc_read_stat(pid_t pid, pid_t tid, struct proc_stat *st);

/* Sorted list of the thread ids of `pid`; caller frees *tids. */
int proc_list_tasks(pid_t pid, pid_t **tids, size_t *n);
/* The command line with arguments joined by spaces. */
int proc_cmdline(pid_t pid, char *buf, size_t size);
/* The innermost NSpid of a process (the pid it has in its own namespace). */
pid_t proc_nspid(pid_t pid);
/*
 * The thread tracing a thread (tid 0: the process's leader), 0 when none,
 * or -errno. It names the tracing thread, not its process.
 */
pid_t proc_tracer(pid_t pid, pid_t tid);
/* Real uid of a process, or -errno. */
long proc_uid(pid_t pid);
/* Yama ptrace_scope, or -1 when Yama is not present. */
int proc_ptrace_scope(void);
/* Total runtime in ns from /proc/PID/task/TID/schedstat. */
int proc_parse_schedstat(const char *buf, uint64_t *runtime_ns);
/* Number of clock ticks per second for utime/stime. */
long proc_clock_ticks(void);
/* Child pids listed in /proc/PID/task/TID/children for every thread. */
int proc_children(pid_t pid, pid_t **kids, size_t *n);

#endif
