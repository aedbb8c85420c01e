// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "xalloc.h"

ssize_t proc_pread_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return -EINVAL;
	while (len < size - 1) {
		ssize_t n = pread(fd, buf + len, size - 1 - len, (off_t)len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t proc_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = proc_pread_fd(fd, buf, size);
	close(fd);
	return n;
}

int proc_parse_stat(const char *buf, struct proc_stat *st)
{
	/* comm may contain spaces and parentheses: it ends at the last ')'. */
	const char *open = strchr(buf, '(');
	const char *close = strrchr(buf, ')');
	unsigned long long f[40];
	const char *p;
	int nf = 0;

	if (!open || !close || close < open || close[1] != ' ')
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	size_t clen = (size_t)(close - open - 1);

	if (clen >= sizeof(st->comm))
		clen = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, clen);
	st->comm[clen] = '\0';
	/* A thread names itself (PR_SET_NAME): no escape sequences for terminals. */
	for (char *c = st->comm; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	p = close + 2;
	if (!*p)
		return -EINVAL;
	st->state = *p++;
	/* Fields from ppid (4) on; f[i] holds field i + 4. */
	while (*p && nf < (int)ARRAY_SIZE(f)) {
		char *end;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		if (*p == '-') {
			f[nf++] = (unsigned long long)strtoll(p, &end, 10);
		} else {
			f[nf++] = strtoull(p, &end, 10);
		}
		if (end == p)
			return -EINVAL;
		p = end;
	}
	if (nf < 25)
		return -EINVAL;
	st->ppid = (pid_t)f[0];
	st->flags = (unsigned long)f[5];
	st->minflt = f[6];
	st->majflt = f[8];
	st->utime = f[10];
	st->stime = f[11];
	st->num_threads = (long)f[16];
	st->starttime = f[18];
	st->vsize = f[19];
	st->rss_pages = (int64_t)f[20];
	st->startcode = f[22];
	st->startstack = f[24];
	st->processor = nf > 35 ? (int)f[35] : -1;
	return 0;
}

int proc_read_stat(pid_t pid, pid_t tid, struct proc_stat *st)
{
	char path[64], buf[1024];
	ssize_t n;

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = proc_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return proc_parse_stat(buf, st);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int proc_list_tasks(pid_t pid, pid_t **tids, size_t *n)
{
	char path[64];
	DIR *dir;
	struct dirent *de;
	pid_t *v = NULL;
	size_t len = 0, cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		*VEC_PUSH(v, len, cap) = (pid_t)atoi(de->d_name);
	}
	closedir(dir);
	qsort(v, len, sizeof(*v), cmp_pid);
	*tids = v;
	*n = len;
	return 0;
}

int proc_cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = proc_read_file(path, buf, size);
	if (n < 0)
		return (int)n;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0' || buf[i] == '\n')
			buf[i] = ' ';
	buf[n] = '\0';
	return 0;
}

static const char *status_field(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return p + klen + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

pid_t proc_nspid(pid_t pid)
{
	char path[64], buf[4096];
	const char *f;
	pid_t last = pid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (proc_read_file(path, buf, sizeof(buf)) < 0)
		return pid;
	f = status_field(buf, "NSpid");
	while (f && *f && *f != '\n') {
		char *end;
		long v = strtol(f, &end, 10);

		if (end == f)
			break;
		last = (pid_t)v;
		f = end;
	}
	return last;
}

pid_t proc_tracer(pid_t pid, pid_t tid)
{
	char path[96], buf[4096];
	const char *f;

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	ssize_t n = proc_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return (pid_t)n;
	f = status_field(buf, "TracerPid");
	if (!f)
		return -EINVAL;
	return (pid_t)strtol(f, NULL, 10);
}

long proc_uid(pid_t pid)
{
	char path[64], buf[4096];
	const char *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	ssize_t n = proc_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	f = status_field(buf, "Uid");
	if (!f)
		return -EINVAL;
	return strtol(f, NULL, 10);
}

int proc_ptrace_scope(void)
{
	char buf[16];

	if (proc_read_file("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf)) < 0)
		return -1;
	return atoi(buf);
}

int proc_parse_schedstat(const char *buf, uint64_t *runtime_ns)
{
	char *end;
	unsigned long long v = strtoull(buf, &end, 10);

	if (end == buf)
		return -EINVAL;
	*runtime_ns = v;
	return 0;
}

long proc_clock_ticks(void)
{
	static long ticks;

	if (!ticks) {
		ticks = sysconf(_SC_CLK_TCK);
		if (ticks <= 0)
			ticks = 100;
	}
	return ticks;
}

int proc_children(pid_t pid, pid_t **kids, size_t *n)
{
	pid_t *tids = NULL, *v = NULL;
	size_t ntids = 0, len = 0, cap = 0;
	int err = proc_list_tasks(pid, &tids, &ntids);

	if (err)
		return err;
	for (size_t i = 0; i < ntids; i++) {
		char path[96], buf[4096];
		const char *p = buf;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tids[i]);
		if (proc_read_file(path, buf, sizeof(buf)) < 0)
			continue;
		while (*p) {
			char *end;
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			*VEC_PUSH(v, len, cap) = (pid_t)c;
			p = end;
		}
	}
	free(tids);
	*kids = v;
	*n = len;
	return 0;
}
