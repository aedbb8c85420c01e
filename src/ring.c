// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)
#define REC_WRAP  0xffffffffu

int ring_init(struct ring *r, size_t size)
{
	memset(r, 0, sizeof(*r));
	size = ALIGN8(size);
	r->buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->buf == MAP_FAILED) {
		r->buf = NULL;
		return -errno;
	}
	r->size = size;
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->efd < 0) {
		int err = -errno;

		munmap(r->buf, size);
		r->buf = NULL;
		return err;
	}
	return 0;
}

void ring_release(struct ring *r)
{
	if (r->buf)
		munmap(r->buf, r->size);
	if (r->efd >= 0)
		close(r->efd);
	r->buf = NULL;
	r->efd = -1;
}

size_t ring_used(const struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

/*
 * Positions grow without bound; the offset in the buffer is pos % size.
 * A record never wraps: if it does not fit before the end, a WRAP marker
 * fills the rest and the record starts at offset 0.
 */
void *ring_reserve(struct ring *r, uint32_t type, size_t len)
{
	size_t need = ALIGN8(sizeof(struct ring_rec) + len);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t off = r->wpos % r->size;
	size_t to_end = r->size - off;
	size_t total = need;

	if (to_end < need)
		total += to_end; /* the skipped remainder */
	if (r->wpos + total - tail > r->size)
		return NULL;
	if (to_end < need) {
		if (to_end >= sizeof(struct ring_rec)) {
			struct ring_rec *w = (struct ring_rec *)(r->buf + off);

			w->type = REC_WRAP;
			w->len = 0;
		}
		r->wpos += to_end;
		off = 0;
	}
	struct ring_rec *rec = (struct ring_rec *)(r->buf + off);

	rec->type = type;
	rec->len = (uint32_t)len;
	return rec + 1;
}

void ring_commit(struct ring *r, void *payload, size_t len)
{
	struct ring_rec *rec = (struct ring_rec *)payload - 1;

	rec->len = (uint32_t)len;
	r->wpos += ALIGN8(sizeof(*rec) + len);
}

void ring_publish(struct ring *r)
{
	uint64_t one = 1;

	if (atomic_load_explicit(&r->head, memory_order_relaxed) == r->wpos)
		return;
	atomic_store_explicit(&r->head, r->wpos, memory_order_release);
	ssize_t n = write(r->efd, &one, sizeof(one));
	(void)n;
}

struct ring_rec *ring_peek(struct ring *r)
{
	for (;;) {
		size_t head = atomic_load_explicit(&r->head, memory_order_acquire);

		if (r->rpos == head)
			return NULL;
		size_t off = r->rpos % r->size;
		size_t to_end = r->size - off;

		if (to_end < sizeof(struct ring_rec)) {
			r->rpos += to_end;
			continue;
		}
		struct ring_rec *rec = (struct ring_rec *)(r->buf + off);

		if (rec->type == REC_WRAP) {
			r->rpos += to_end;
			continue;
		}
		r->rpos += ALIGN8(sizeof(*rec) + rec->len);
		return rec;
	}
}

void ring_consume(struct ring *r)
{
	atomic_store_explicit(&r->tail, r->rpos, memory_order_release);
}

void ring_wait(struct ring *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->efd, .events = POLLIN };
	uint64_t v;

	if (atomic_load_explicit(&r->head, memory_order_acquire) != r->rpos)
		return;
	if (poll(&pfd, 1, timeout_ms) > 0) {
		ssize_t n = read(r->efd, &v, sizeof(v));
		(void)n;
	}
}
