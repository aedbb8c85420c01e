// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "xalloc.h"

static const char deleted_suffix[] = " (deleted)";

static int parse_line(const char *line, size_t len, struct mapping *m)
{
	/* "start-end perms offset major:minor inode   path" */
	char *end;
	const char *p = line, *lim = line + len;
	unsigned long long v;

	memset(m, 0, sizeof(*m));
	v = strtoull(p, &end, 16);
	if (end == p || *end != '-')
		return -EINVAL;
	m->start = v;
	p = end + 1;
	v = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return -EINVAL;
	m->end = v;
	p = end + 1;
	if (lim - p < 5)
		return -EINVAL;
	m->perms = (p[0] == 'r' ? MAP_PERM_R : 0) | (p[1] == 'w' ? MAP_PERM_W : 0) |
		   (p[2] == 'x' ? MAP_PERM_X : 0) | (p[3] == 'p' ? MAP_PERM_P : 0);
	p += 4;
	if (*p++ != ' ')
		return -EINVAL;
	v = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return -EINVAL;
	m->offset = v;
	p = end + 1;
	v = strtoull(p, &end, 16);
	if (end == p || *end != ':')
		return -EINVAL;
	m->dev_major = (unsigned int)v;
	p = end + 1;
	v = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return -EINVAL;
	m->dev_minor = (unsigned int)v;
	p = end + 1;
	v = strtoull(p, &end, 10);
	if (end == p)
		return -EINVAL;
	m->inode = v;
	p = end;
	while (p < lim && *p == ' ')
		p++;
	size_t plen = (size_t)(lim - p);
	size_t slen = sizeof(deleted_suffix) - 1;

	if (plen > slen && !memcmp(lim - slen, deleted_suffix, slen)) {
		m->deleted = true;
		plen -= slen;
	}
	if (m->end <= m->start)
		return -EINVAL;
	m->path = xstrndup(p, plen);
	return 0;
}

int maps_parse(const char *text, size_t len, struct maps *out)
{
	const char *p = text, *lim = text + len;
	size_t cap = 0;

	out->v = NULL;
	out->n = 0;
	while (p < lim) {
		const char *nl = memchr(p, '\n', (size_t)(lim - p));
		size_t llen = nl ? (size_t)(nl - p) : (size_t)(lim - p);
		struct mapping m;

		if (llen && parse_line(p, llen, &m) == 0)
			*VEC_PUSH(out->v, out->n, cap) = m;
		p += llen + 1;
	}
	return 0;
}

void maps_release(struct maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

void maps_copy(struct maps *dst, const struct maps *src)
{
	dst->n = src->n;
	dst->v = xcalloc(src->n, sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i] = src->v[i];
		dst->v[i].path = xstrdup(src->v[i].path);
	}
}

const struct mapping *maps_find(const struct maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

ssize_t maps_read_raw(int fd, char **buf, size_t *cap)
{
	size_t len = 0;

	for (;;) {
		if (len + 4096 > *cap)
			*buf = xgrow(*buf, cap, len + 4096 + 1, 1);
		ssize_t n = pread(fd, *buf + len, *cap - len - 1, (off_t)len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(*buf)[len] = '\0';
	return (ssize_t)len;
}
