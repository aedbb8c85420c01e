// SPDX-License-Identifier: MIT
/* The sampler → consumer ring (src/ring.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "ring.h"
#include "unit.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *put(struct ring *r, uint32_t type, size_t len, int fill)
{
	uint8_t *p = ring_reserve(r, type, len);

	if (p) {
		memset(p, fill, len);
		ring_commit(r, p, len);
	}
	return p;
}

TEST(records_in_order)
{
	struct ring r;
	struct ring_rec *rec;

	REQUIRE_EQ_INT(ring_init(&r, 4096), 0);
	CHECK_EQ_INT(ring_used(&r), 0);
	CHECK_NULL(ring_peek(&r));
	REQUIRE_NOT_NULL(put(&r, 1, 10, 'a'));
	REQUIRE_NOT_NULL(put(&r, 2, 0, 0));
	REQUIRE_NOT_NULL(put(&r, 3, 33, 'c'));
	/* Nothing is visible before publish. */
	CHECK_NULL(ring_peek(&r));
	CHECK_EQ_INT(ring_used(&r), 0);
	ring_publish(&r);
	CHECK_EQ_INT(ring_used(&r), 24 + 8 + 48);

	rec = ring_peek(&r);
	REQUIRE_NOT_NULL(rec);
	CHECK_EQ_INT(rec->type, 1);
	CHECK_EQ_INT(rec->len, 10);
	CHECK_MEMEQ(ring_payload(rec), "aaaaaaaaaa", 10);
	rec = ring_peek(&r);
	REQUIRE_NOT_NULL(rec);
	CHECK_EQ_INT(rec->type, 2);
	CHECK_EQ_INT(rec->len, 0);
	rec = ring_peek(&r);
	REQUIRE_NOT_NULL(rec);
	CHECK_EQ_INT(rec->type, 3);
	CHECK_EQ_INT(rec->len, 33);
	CHECK_EQ_INT(((uint8_t *)ring_payload(rec))[32], 'c');
	CHECK_NULL(ring_peek(&r));
	/* Peeked but not consumed: still in use. */
	CHECK_EQ_INT(ring_used(&r), 80);
	ring_consume(&r);
	CHECK_EQ_INT(ring_used(&r), 0);
	ring_release(&r);
}

TEST(commit_shrinks)
{
	struct ring r;
	struct ring_rec *rec;

	REQUIRE_EQ_INT(ring_init(&r, 1024), 0);
	uint8_t *p = ring_reserve(&r, 7, 512);

	REQUIRE_NOT_NULL(p);
	memcpy(p, "stack", 5);
	ring_commit(&r, p, 5);
	REQUIRE_NOT_NULL(put(&r, 8, 4, 'z'));
	ring_publish(&r);
	CHECK_EQ_INT(ring_used(&r), 16 + 16);
	rec = ring_peek(&r);
	REQUIRE_NOT_NULL(rec);
	CHECK_EQ_INT(rec->len, 5);
	CHECK_MEMEQ(ring_payload(rec), "stack", 5);
	rec = ring_peek(&r);
	REQUIRE_NOT_NULL(rec);
	CHECK_EQ_INT(rec->type, 8);
	ring_release(&r);
}

TEST(full_ring_refuses)
{
	struct ring r;

	REQUIRE_EQ_INT(ring_init(&r, 256), 0);
	CHECK_NULL(ring_reserve(&r, 1, 300)); /* larger than the ring */
	REQUIRE_NOT_NULL(put(&r, 1, 100, 1)); /* 112 bytes each */
	REQUIRE_NOT_NULL(put(&r, 2, 100, 2));
	CHECK_NULL(ring_reserve(&r, 3, 100));
	CHECK_NULL(ring_reserve(&r, 3, 40));
	REQUIRE_NOT_NULL(put(&r, 3, 24, 3)); /* exactly the 32 bytes left */
	CHECK_NULL(ring_reserve(&r, 4, 0));
	ring_publish(&r);
	CHECK_EQ_INT(ring_used(&r), 256);
	/* Freeing the first record makes room again, at the start. */
	REQUIRE_NOT_NULL(ring_peek(&r));
	ring_consume(&r);
	CHECK_EQ_INT(ring_used(&r), 144);
	uint8_t *p = put(&r, 5, 100, 5);

	REQUIRE_NOT_NULL(p);
	CHECK(p == r.buf + 8);
	ring_release(&r);
}

TEST(records_wrap_around)
{
	struct ring r;
	struct ring_rec *rec;

	REQUIRE_EQ_INT(ring_init(&r, 256), 0);
	for (int round = 0; round < 50; round++) {
		/* 112 bytes do not divide 256: every third record wraps. */
		uint8_t *p = put(&r, (uint32_t)round, 100, round);

		REQUIRE_NOT_NULL(p);
		CHECK((size_t)(p - r.buf) + 100 <= r.size); /* never split */
		ring_publish(&r);
		rec = ring_peek(&r);
		REQUIRE_NOT_NULL(rec);
		CHECK_EQ_INT(rec->type, round);
		CHECK_EQ_INT(rec->len, 100);
		CHECK_EQ_INT(((uint8_t *)ring_payload(rec))[99], round);
		CHECK_NULL(ring_peek(&r));
		ring_consume(&r);
		CHECK_EQ_INT(ring_used(&r), 0);
	}
	ring_release(&r);
}

TEST(wait_times_out_and_wakes)
{
	struct ring r;
	uint64_t t0;

	REQUIRE_EQ_INT(ring_init(&r, 1024), 0);
	t0 = now_ms();
	ring_wait(&r, 50);
	CHECK_GE_INT(now_ms() - t0, 45);
	put(&r, 1, 8, 0);
	ring_publish(&r);
	t0 = now_ms();
	ring_wait(&r, 5000);
	CHECK_LT_INT(now_ms() - t0, 1000);
	REQUIRE_NOT_NULL(ring_peek(&r));
	ring_consume(&r);
	/* A stale wake-up may end one wait early, never two. */
	ring_wait(&r, 50);
	t0 = now_ms();
	ring_wait(&r, 50);
	CHECK_GE_INT(now_ms() - t0, 45);
	ring_release(&r);
}

#define STRESS_RECORDS 200000

static void *producer(void *arg)
{
	struct ring *r = arg;

	for (uint32_t seq = 0; seq < STRESS_RECORDS; seq++) {
		size_t len = 4 + (seq * 7919) % 300;
		uint8_t *p;

		while (!(p = ring_reserve(r, seq, len))) {
			ring_publish(r);
			sched_yield();
		}
		memcpy(p, &seq, 4);
		memset(p + 4, (int)(seq & 0xff), len - 4);
		ring_commit(r, p, len);
		if (seq % 16 == 0)
			ring_publish(r);
	}
	ring_publish(r);
	return NULL;
}

TEST(two_threads)
{
	struct ring r;
	pthread_t th;
	uint32_t want = 0;
	int bad = 0;

	REQUIRE_EQ_INT(ring_init(&r, 8192), 0);
	REQUIRE_EQ_INT(pthread_create(&th, NULL, producer, &r), 0);
	while (want < STRESS_RECORDS) {
		struct ring_rec *rec;

		ring_wait(&r, 100);
		while ((rec = ring_peek(&r))) {
			const uint8_t *p = ring_payload(rec);
			uint32_t seq;

			memcpy(&seq, p, 4);
			if ((rec->type != want || seq != want || rec->len != 4 + (want * 7919) % 300 ||
			     p[rec->len - 1] != (rec->len > 4 ? want & 0xff : want >> 24)) &&
			    bad++ < 5) {
				FAIL_MSG("record %u: type %u seq %u len %u", want, rec->type, seq,
					 rec->len);
			}
			want++;
		}
		ring_consume(&r);
	}
	pthread_join(th, NULL);
	CHECK_EQ_INT(want, STRESS_RECORDS);
	CHECK_NULL(ring_peek(&r));
	ring_release(&r);
}

static size_t resident_bytes(const struct ring *r)
{
	size_t pages = (r->size + r->page - 1) / r->page, n = 0;
	unsigned char *vec = calloc(pages, 1);

	if (!vec || mincore(r->buf, r->size, vec)) {
		free(vec);
		return SIZE_MAX;
	}
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n * r->page;
}

/* Only the backlog stays resident, and handing pages back loses nothing. */
TEST(consumed_pages_are_released)
{
	struct ring r;
	uint32_t next = 0, want = 0;

	REQUIRE_EQ_INT(ring_init(&r, 4u << 20), 0);
	CHECK_LT_INT(resident_bytes(&r), 64 * 1024);
	/* Three laps, a backlog of about 1 MiB all along. */
	while (want < 3 * (4u << 20) / 4104) {
		uint8_t *p;

		while (next - want < 256 && (p = ring_reserve(&r, next, 4096))) {
			memset(p, (int)(next & 0xff), 4096);
			ring_commit(&r, p, 4096);
			next++;
		}
		ring_publish(&r);
		for (int i = 0; i < 64; i++) {
			struct ring_rec *rec = ring_peek(&r);

			REQUIRE_NOT_NULL(rec);
			CHECK_EQ_INT(rec->type, want);
			CHECK_EQ_INT(((uint8_t *)ring_payload(rec))[0], want & 0xff);
			CHECK_EQ_INT(((uint8_t *)ring_payload(rec))[4095], want & 0xff);
			want++;
		}
		ring_consume(&r);
	}
	CHECK_LT_INT(resident_bytes(&r), (1u << 20) + 2 * 256 * 1024);

	/* Nearly full: the consumed pages that already hold the next lap stay. */
	while ((r.wpos - atomic_load(&r.tail)) + 8192 < r.size) {
		uint8_t *p = ring_reserve(&r, next, 4000);

		REQUIRE_NOT_NULL(p);
		memset(p, (int)(next & 0xff), 4000);
		ring_commit(&r, p, 4000);
		next++;
	}
	ring_publish(&r);
	while (want < next) {
		struct ring_rec *rec = ring_peek(&r);

		REQUIRE_NOT_NULL(rec);
		CHECK_EQ_INT(rec->type, want);
		CHECK_EQ_INT(((uint8_t *)ring_payload(rec))[rec->len - 1], want & 0xff);
		want++;
		if (want % 100 == 0) {
			ring_consume(&r);
			/* The producer releases, then writes a little more. */
			ring_publish(&r);
			uint8_t *p = ring_reserve(&r, next, 100);

			if (p) {
				memset(p, (int)(next & 0xff), 100);
				ring_commit(&r, p, 100);
				next++;
				ring_publish(&r);
			}
		}
	}
	ring_consume(&r);
	CHECK_NULL(ring_peek(&r));
	ring_release(&r);
}
