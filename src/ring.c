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

/*
 * Consumed pages go back to the kernel once this much has piled up: one
 * madvise() per batch, and the batch is all the slack that stays resident.
 */
#define RELEASE_BATCH (256u << 10)

int ring_init(struct ring *r, size_t size)
{
	long pg = sysconf(_SC_PAGESIZE);

	memset(r, 0, sizeof(*r));
	r->page = pg > 0 ? (size_t)pg : 4096;
	size = ALIGN8(size);
	r->buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->buf == MAP_FAILED) {
		r->buf = NULL;
		return -errno;
	}
	/*
	 * Transparent huge pages would make the first touch fault in 2 MiB at
	 * once and defeat handing back consumed pages; small pages it is.
	 */
	(void)madvise(r->buf, size, MADV_NOHUGEPAGE);
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
 * Fault in [off, off + len) now, in the producer, rather than in the middle
 * of a copy that is made while a target thread is stopped. A page already
 * resident costs one store. Only bytes of the reservation are written: the
 * page's earlier bytes may be a record the consumer is reading.
 */
static void prefault(struct ring *r, size_t off, size_t len)
{
	volatile uint8_t *b = r->buf;

	for (size_t o = off; o < off + len; o = (o | (r->page - 1)) + 1)
		b[o] = 0;
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

	prefault(r, off, need);
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

static void zap(struct ring *r, size_t from, size_t to)
{
	while (from < to) {
		size_t off = from % r->size;
		size_t n = to - from < r->size - off ? to - from : r->size - off;

		(void)madvise(r->buf + off, n, MADV_DONTNEED);
		from += n;
	}
}

/*
 * Hand the pages the consumer is done with back to the kernel. It is the
 * producer that does it, because only the producer knows how far it has
 * written: a consumed page may already hold new records of the next lap
 * (from wpos - size on), and those pages stay. The page the consumer's
 * tail is in stays too. Called between captures, never between a
 * reservation's prefault and its copy.
 */
static void release_consumed(struct ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t lim = tail - tail % r->page, from = r->released;

	if (r->size % r->page || lim < from || lim - from < RELEASE_BATCH)
		return;
	if (r->wpos > r->size && from < r->wpos - r->size) {
		from = r->wpos - r->size;
		from += (r->page - from % r->page) % r->page;
	}
	if (from < lim)
		zap(r, from, lim);
	r->released = lim;
}

void ring_publish(struct ring *r)
{
	uint64_t one = 1;

	release_consumed(r);
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
