/* SPDX-License-Identifier: MIT */
#ifndef CPROF_RING_H
#define CPROF_RING_H

/*
 * A single-producer, single-consumer ring of variable-size records between
 * the sampler thread and the consumer. The sampler reserves space, copies a
 * stack straight into it while the thread is stopped, commits, and publishes
 * a whole tick at once. When the ring is full the sampler skips the capture
 * altogether: a sample we cannot keep costs the target nothing.
 *
 * The ring is large, for bursts when the consumer falls behind, but only
 * its backlog stays resident: ring_reserve() faults the reserved pages in
 * before it returns (so a copy made while the target is stopped takes no
 * page faults), and ring_publish() hands consumed pages back to the kernel
 * in batches.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring_rec {
	uint32_t type;
	uint32_t len; /* payload bytes */
};

struct ring {
	uint8_t *buf;
	size_t size;
	_Atomic size_t head; /* published write position */
	_Atomic size_t tail; /* consumer position */
	size_t wpos;	     /* producer's unpublished position */
	size_t rpos;	     /* consumer's peek position */
	size_t released;     /* producer: pages below this were handed back */
	size_t page;
	int efd; /* eventfd: signalled on publish */
};

int ring_init(struct ring *r, size_t size);
void ring_release(struct ring *r);

/* Producer. Returns a pointer to `len` payload bytes, or NULL when full. */
void *ring_reserve(struct ring *r, uint32_t type, size_t len);
/* Commit the reserved record with its final length (<= reserved). */
void ring_commit(struct ring *r, void *payload, size_t len);
void ring_publish(struct ring *r);

/* Consumer. Next published record after the peek position, or NULL. */
struct ring_rec *ring_peek(struct ring *r);
/* Free everything peeked so far. */
void ring_consume(struct ring *r);
/* Wait until something is published or timeout_ms passes (-1: forever). */
void ring_wait(struct ring *r, int timeout_ms);
size_t ring_used(const struct ring *r);

/* Whether the consumer has seen everything published. */
static inline bool ring_drained(struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) == r->rpos;
}

static inline void *ring_payload(struct ring_rec *rec)
{
	return rec + 1;
}

#endif
