// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "aspace.h"
#include "capture.h"
#include "log.h"
#include "mapwatch.h"
#include "xalloc.h"

#define REREAD_ANYWAY_NS (1000 * 1000000ULL)

static int open_maps(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

int mapwatch_init(struct mapwatch *w, pid_t pid)
{
	char path[64];

	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->stat_fd = -1;
	w->fd = open_maps(pid);
	if (w->fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	w->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	return 0;
}

/* Page faults taken by the whole process so far, or false if unknown. */
static bool read_faults(const struct mapwatch *w, uint64_t *faults)
{
	char buf[1024];
	unsigned long long minflt, majflt;
	ssize_t n;
	const char *p;

	if (w->stat_fd < 0)
		return false;
	n = pread(w->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields follow the last ')'. */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %llu %*u %llu", &minflt, &majflt) != 2)
		return false;
	*faults = minflt + majflt;
	return true;
}

void mapwatch_release(struct mapwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->stat_fd >= 0)
		close(w->stat_fd);
	free(w->raw);
	free(w->prev);
	free(w->known);
	maps_release(&w->cur);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->stat_fd = -1;
}

bool mapwatch_due(struct mapwatch *w, uint64_t now_ns, bool sampled_faulted)
{
	uint64_t since = now_ns - w->last_read_ns;
	uint64_t faults;
	char c;

	/*
	 * A safety net only, since new code shows itself by faults (below):
	 * re-reading after 100*C whatever happened cost 1% of a core for
	 * nothing, more than all the rest of the sampler with one thread.
	 */
	if (since >= MAX(w->read_cost_ns * 100, REREAD_ANYWAY_NS))
		return true;
	/*
	 * After an exec our descriptor reads the old, dead mm: nothing. A
	 * thread stopped right after the exec is already in the new image.
	 */
	if (w->fd >= 0 && pread(w->fd, &c, 1, 0) == 0)
		return true;
	/*
	 * Code mapped since the last read (dlopen, even at the address of a
	 * library just dlclose'd) cannot run before its pages are faulted in.
	 * Without new faults, the last read still describes every pc sampled;
	 * with them, samples may be in new code, and the maps are read again
	 * after 10*C, so that a process that keeps faulting costs at most ~10%.
	 * A sampled thread that faulted (the usual case: the thread that loads
	 * code runs it) says so at once; the process-wide count, which the
	 * kernel sums over every thread, is read at most 0.1% of the time.
	 */
	if (since < w->read_cost_ns * 10)
		return false;
	if (sampled_faulted)
		return true;
	if (now_ns - w->last_fault_check_ns < w->fault_cost_ns * 1000)
		return false;
	bool ok = read_faults(w, &faults);
	uint64_t cost;

	w->last_fault_check_ns = monotonic_ns();
	cost = w->last_fault_check_ns - now_ns;
	/* Each read counted at most twice the average: one read during which
	 * this thread was preempted must not put the next one far away. */
	w->fault_cost_ns = w->fault_cost_ns
				   ? (7 * w->fault_cost_ns + MIN(cost, 2 * w->fault_cost_ns)) / 8
				   : cost;
	return ok && faults != w->faults;
}

static bool known(const struct mapwatch *w, const struct mapping *m)
{
	for (size_t i = 0; i < w->nknown; i++) {
		const struct file_key *k = &w->known[i];

		if (k->inode == m->inode && k->dev_major == m->dev_major &&
		    k->dev_minor == m->dev_minor)
			return true;
	}
	return false;
}

static int open_mapped_file(pid_t pid, const struct mapping *m)
{
	char path[4200];
	int fd;

	/* The exact inode, even if deleted; needs CAP_CHECKPOINT_RESTORE. */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, m->start,
		 m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (!m->deleted) {
		snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	/* A deleted main executable is still reachable through exe. */
	char exe[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		size_t plen = strlen(m->path);

		if (!strncmp(exe, m->path, plen) && (exe[plen] == '\0' || exe[plen] == ' '))
			return open(path, O_RDONLY | O_CLOEXEC);
	}
	return -1;
}

/* A new process image: reopen the maps (ours show the old, dead mm). */
static void forget_image(struct mapwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = open_maps(w->pid);
	w->nknown = 0;
	w->vdso_sent = false;
	w->prev_len = 0;
}

static void copy_vdso(pid_t pid, const struct mapping *m, struct maps_update *u)
{
	size_t len = (size_t)(m->end - m->start);
	struct iovec local, remote;

	if (len > (1 << 20))
		return;
	u->vdso = xmalloc(len);
	local.iov_base = u->vdso;
	local.iov_len = len;
	remote.iov_base = (void *)(uintptr_t)m->start;
	remote.iov_len = len;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)len) {
		free(u->vdso);
		u->vdso = NULL;
		return;
	}
	u->vdso_len = len;
}

int mapwatch_poll(struct mapwatch *w, bool exec, struct maps_update **out)
{
	uint64_t t0 = monotonic_ns();
	ssize_t len;
	struct maps_update *u;

	*out = NULL;
	if (exec)
		forget_image(w);
	if (w->fd < 0)
		return -ESRCH;
	/* Before the read: a fault during it shows up as a change next time. */
	if (!read_faults(w, &w->faults))
		w->faults = 0;
	len = maps_read_raw(w->fd, &w->raw, &w->raw_cap);
	if (len == 0 && !exec) {
		/*
		 * Exited, or exec'd since our descriptor was opened: it reads
		 * the old, dead mm. Samples taken after the exec need the new
		 * maps now, before they are unwound, not at the next check.
		 */
		exec = true;
		forget_image(w);
		if (w->fd < 0)
			return -ESRCH;
		len = maps_read_raw(w->fd, &w->raw, &w->raw_cap);
	}
	w->last_read_ns = monotonic_ns();
	w->read_cost_ns = w->last_read_ns - t0;
	w->reads++;
	if (len < 0)
		return (int)len;
	if (len == 0)
		return -ESRCH; /* exited */
	if (!exec && (size_t)len == w->prev_len && !memcmp(w->raw, w->prev, (size_t)len))
		return 0;
	w->changes++;
	w->prev = xgrow(w->prev, &w->prev_cap, (size_t)len + 1, 1);
	memcpy(w->prev, w->raw, (size_t)len + 1);
	w->prev_len = (size_t)len;

	u = xcalloc(1, sizeof(*u));
	u->pid = w->pid;
	u->exec = exec;
	maps_parse(w->raw, (size_t)len, &u->maps);
	maps_release(&w->cur);
	maps_copy(&w->cur, &u->maps);

	size_t cap = 0;

	for (size_t i = 0; i < u->maps.n; i++) {
		const struct mapping *m = &u->maps.v[i];

		if (!strcmp(m->path, "[vdso]") && !w->vdso_sent) {
			copy_vdso(w->pid, m, u);
			w->vdso_sent = true;
			continue;
		}
		if (!mapping_is_file(m) || !(m->perms & MAP_PERM_X) || known(w, m))
			continue;
		struct file_key *k = VEC_PUSH(w->known, w->nknown, w->cap_known);

		k->dev_major = m->dev_major;
		k->dev_minor = m->dev_minor;
		k->inode = m->inode;
		struct maps_file *f = VEC_PUSH(u->files, u->nfiles, cap);

		f->dev_major = m->dev_major;
		f->dev_minor = m->dev_minor;
		f->inode = m->inode;
		f->fd = open_mapped_file(w->pid, m);
		if (f->fd < 0)
			debug_msg(1, "pid %d: cannot open '%s': %s", w->pid, m->path,
				  strerror(errno));
	}
	*out = u;
	return 0;
}
