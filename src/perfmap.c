// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "perfmap.h"
#include "proc.h"
#include "xalloc.h"

/* How many earlier entries a lookup inspects for an overlapping newer one. */
#define OVERLAP_SCAN 64

struct pm_entry {
	uint64_t start, end;
	uint32_t seq; /* position in the file: larger is newer */
	char *name;
};

struct perfmap {
	char *path;
	long uid;
	off_t parsed;  /* bytes of the file consumed so far */
	char *partial; /* an incomplete last line, kept for the next read */
	struct pm_entry *v;
	size_t n, cap;
	size_t sorted; /* v[0..sorted) is sorted by start */
	uint32_t seq;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct pm_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void parse_line(struct perfmap *pm, const char *line)
{
	char *end;
	uint64_t start = strtoull(line, &end, 16);

	if (end == line || *end != ' ')
		return;
	const char *p = end + 1;
	uint64_t size = strtoull(p, &end, 16);

	if (end == p || *end != ' ' || !size || start + size < start)
		return;
	p = end + 1;
	if (!*p)
		return;
	struct pm_entry *e = VEC_PUSH(pm->v, pm->n, pm->cap);

	e->start = start;
	e->end = start + size;
	e->seq = pm->seq++;
	e->name = xstrdup(p);
}

static void refresh(struct perfmap *pm)
{
	struct stat st;
	int fd = open(pm->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (pm->uid >= 0 && st.st_uid != 0 && (long)st.st_uid != pm->uid) ||
	    st.st_size <= pm->parsed) {
		close(fd);
		return;
	}
	size_t len = (size_t)(st.st_size - pm->parsed);
	char *buf = xmalloc(len + 1);
	ssize_t got = pread(fd, buf, len, pm->parsed);

	close(fd);
	if (got <= 0) {
		free(buf);
		return;
	}
	buf[got] = '\0';
	pm->parsed += got;

	char *line = buf, *nl;
	size_t before = pm->n;

	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		if (pm->partial) {
			char *joined = xasprintf("%s%s", pm->partial, line);

			free(pm->partial);
			pm->partial = NULL;
			parse_line(pm, joined);
			free(joined);
		} else {
			parse_line(pm, line);
		}
		line = nl + 1;
	}
	if (*line) {
		char *rest = xasprintf("%s%s", pm->partial ? pm->partial : "", line);

		free(pm->partial);
		pm->partial = rest;
	}
	free(buf);
	if (pm->n != before || pm->sorted != pm->n) {
		qsort(pm->v, pm->n, sizeof(*pm->v), cmp_entry);
		pm->sorted = pm->n;
	}
}

struct perfmap *perfmap_open_path(const char *path, long uid)
{
	struct perfmap *pm = xcalloc(1, sizeof(*pm));

	pm->path = xstrdup(path);
	pm->uid = uid;
	refresh(pm);
	return pm;
}

struct perfmap *perfmap_open(pid_t pid)
{
	char path[128];
	struct perfmap *pm;

	snprintf(path, sizeof(path), "/proc/%d/root/tmp/perf-%d.map", pid, proc_nspid(pid));
	pm = perfmap_open_path(path, proc_uid(pid));
	return pm;
}

void perfmap_free(struct perfmap *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->n; i++)
		free(pm->v[i].name);
	free(pm->v);
	free(pm->partial);
	free(pm->path);
	free(pm);
}

static const struct pm_entry *find(const struct perfmap *pm, uint64_t pc)
{
	size_t lo = 0, hi = pm->sorted;
	const struct pm_entry *best = NULL;

	/* Rightmost entry starting at or below pc. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->v[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, k = 0; i > 0 && k < OVERLAP_SCAN; i--, k++) {
		const struct pm_entry *e = &pm->v[i - 1];

		if (pc < e->end && (!best || e->seq > best->seq))
			best = e;
	}
	return best;
}

const char *perfmap_lookup(struct perfmap *pm, uint64_t pc)
{
	const struct pm_entry *e;
	struct stat st;

	if (!pm)
		return NULL;
	/*
	 * Read what was appended since, whether or not pc has a name: a JIT may
	 * put new code where old code was, and the newest line names it.
	 */
	if (!stat(pm->path, &st) && st.st_size > pm->parsed)
		refresh(pm);
	e = find(pm, pc);
	return e ? e->name : NULL;
}
