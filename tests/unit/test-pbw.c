// SPDX-License-Identifier: MIT
/*
 * The protobuf wire-format writer (src/pbw.h) against hand-encoded bytes,
 * and the pprof writer built on it: gzip framing, determinism and the
 * top-level layout of the profile, read back with a tiny decoder.
 */
#include <zlib.h>

#include "output.h"
#include "pbw.h"
#include "profile.h"
#include "unit.h"

#define CHECK_BYTES(w, ...)                                                                        \
	do {                                                                                       \
		static const uint8_t want_[] = {__VA_ARGS__};                                      \
		CHECK_EQ_INT((w)->len, sizeof(want_));                                             \
		if ((w)->len == sizeof(want_))                                                     \
			CHECK_MEMEQ((w)->buf, want_, sizeof(want_));                               \
	} while (0)

TEST(varints)
{
	static const struct {
		uint64_t v;
		uint8_t bytes[10];
		size_t n;
	} cases[] = {
		{0, {0x00}, 1},
		{1, {0x01}, 1},
		{127, {0x7f}, 1},
		{128, {0x80, 0x01}, 2},
		{300, {0xac, 0x02}, 2},
		{16383, {0xff, 0x7f}, 2},
		{16384, {0x80, 0x80, 0x01}, 3},
		{10000000, {0x80, 0xad, 0xe2, 0x04}, 4},
		{UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pbw w;

		pbw_init(&w);
		pbw_varint(&w, cases[i].v);
		CHECK_EQ_INT(pbw_varint_size(cases[i].v), cases[i].n);
		CHECK_EQ_INT(w.len, cases[i].n);
		if (w.len == cases[i].n && memcmp(w.buf, cases[i].bytes, cases[i].n))
			FAIL_MSG("varint %" PRIu64 " encoded wrongly", cases[i].v);
		pbw_release(&w);
	}
}

TEST(scalar_fields)
{
	struct pbw w;

	pbw_init(&w);
	pbw_uint64(&w, 1, 150);
	CHECK_BYTES(&w, 0x08, 0x96, 0x01);
	pbw_release(&w);

	/* int64 is two's complement, ten bytes for a negative number: no zigzag. */
	pbw_int64(&w, 2, -1);
	CHECK_BYTES(&w, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	pbw_release(&w);

	pbw_bool(&w, 7, true);
	pbw_bool(&w, 8, false);
	CHECK_BYTES(&w, 0x38, 0x01, 0x40, 0x00);
	pbw_release(&w);

	/* Field numbers above 15 need a two-byte key. */
	pbw_uint64(&w, 16, 1);
	CHECK_BYTES(&w, 0x80, 0x01, 0x01);
	pbw_release(&w);
}

TEST(length_delimited)
{
	struct pbw w;

	pbw_init(&w);
	/* profile.proto's string_table[0]: present even though empty. */
	pbw_string(&w, 6, "");
	pbw_string(&w, 6, "main");
	CHECK_BYTES(&w, 0x32, 0x00, 0x32, 0x04, 'm', 'a', 'i', 'n');
	pbw_release(&w);

	pbw_bytes(&w, 2, "\x00\x01", 2);
	CHECK_BYTES(&w, 0x12, 0x02, 0x00, 0x01);
	pbw_release(&w);
}

TEST(nested_messages)
{
	struct pbw w;
	size_t msg, arr;

	pbw_init(&w);
	/* A pprof ValueType {type: 1, unit: 2} in Profile.sample_type. */
	msg = pbw_begin(&w, 1);
	pbw_uint64(&w, 1, 1);
	pbw_uint64(&w, 2, 2);
	pbw_end(&w, msg);
	CHECK_BYTES(&w, 0x0a, 0x04, 0x08, 0x01, 0x10, 0x02);
	pbw_release(&w);

	/* A Sample with packed location_id [3,2,1] and value [1, 10000000]. */
	msg = pbw_begin(&w, 2);
	arr = pbw_begin(&w, 1);
	pbw_varint(&w, 3);
	pbw_varint(&w, 2);
	pbw_varint(&w, 1);
	pbw_end(&w, arr);
	arr = pbw_begin(&w, 2);
	pbw_varint(&w, 1);
	pbw_varint(&w, 10000000);
	pbw_end(&w, arr);
	pbw_end(&w, msg);
	CHECK_BYTES(&w, 0x12, 0x0c, 0x0a, 0x03, 0x03, 0x02, 0x01, 0x12, 0x05, 0x01, 0x80, 0xad,
		    0xe2, 0x04);
	pbw_release(&w);

	/* An empty submessage is a key and a zero length. */
	msg = pbw_begin(&w, 3);
	pbw_end(&w, msg);
	CHECK_BYTES(&w, 0x1a, 0x00);
	pbw_release(&w);
}

TEST(long_payload_widens_the_length)
{
	char s[300];
	struct pbw w;
	size_t outer, inner;

	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	pbw_init(&w);
	outer = pbw_begin(&w, 4);
	pbw_uint64(&w, 1, 5);
	inner = pbw_begin(&w, 2);
	pbw_string(&w, 1, s); /* 299 bytes: 0x0a, 0xab 0x02, payload */
	pbw_end(&w, inner);   /* 302 bytes: length 0xae 0x02 */
	pbw_uint64(&w, 3, 7);
	pbw_end(&w, outer); /* 2 + 3 + 302 + 2 = 309 bytes: 0xb5 0x02 */

	REQUIRE_EQ_INT(w.len, 3 + 309);
	static const uint8_t head[] = {0x22, 0xb5, 0x02, 0x08, 0x05, 0x12,
				       0xae, 0x02, 0x0a, 0xab, 0x02};
	CHECK_MEMEQ(w.buf, head, sizeof(head));
	CHECK(w.buf[sizeof(head)] == 'x' && w.buf[sizeof(head) + 298] == 'x');
	static const uint8_t tail[] = {0x18, 0x07};
	CHECK_MEMEQ(w.buf + w.len - 2, tail, 2);
	pbw_release(&w);
}

/* ---- the pprof writer ---- */

static struct profile *small_profile(void)
{
	struct profile *p = profile_new();
	uint32_t f_main = profile_add_func(p, "main", "/src/main.c", 10);
	uint32_t f_work = profile_add_func(p, "work", "/src/main.c", 20);
	uint32_t f_inl = profile_add_func(p, "helper", "/src/util.h", 3);
	/* Mapping ids are index + 1, as locations take them. */
	uint32_t m = profile_add_mapping(p, "/usr/bin/prog", "abcdef", 0x1000, 0x2000, 0);
	struct prof_line l_main = {.func = f_main, .line = 12, .file = "/src/main.c"};
	struct prof_line l_work[2] = {
		{.func = f_inl, .line = 4, .file = "/src/util.h", .inlined = true},
		{.func = f_work, .line = 22, .file = "/src/main.c"},
	};
	uint32_t locs[2];

	locs[1] = profile_add_loc(p, 0x1100, m, LOC_NATIVE, &l_main, 1);
	locs[0] = profile_add_loc(p, 0x1200, m, LOC_NATIVE, l_work, 2);

	uint32_t stack = profile_add_stack(p, locs, 2);
	uint32_t th = profile_add_thread(p, 42, 42, "prog");

	p->meta.rate_hz = 100;
	p->meta.start_unix_ns = 1700000000000000000ULL;
	p->meta.duration_ns = 50000000;
	p->meta.cmdline = "prog --fast";
	for (int i = 0; i < 5; i++) {
		struct prof_sample s = {
			.t_ns = (uint64_t)i * 10000000,
			.thread = th,
			.stack = stack,
			.state = 'R',
			.syscall = -1,
		};

		profile_add_sample(p, &s);
	}
	return p;
}

/* Render p as pprof into memory; returns the length, the bytes in *out. */
static size_t render(const struct profile *p, const struct render_opts *o, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);

	REQUIRE_NOT_NULL(f);
	REQUIRE_EQ_INT(output_pprof.write(f, p, o), 0);
	REQUIRE_EQ_INT(fclose(f), 0);
	return len;
}

static size_t gunzip(const char *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	REQUIRE_EQ_INT(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	REQUIRE_EQ_INT(inflate(&zs, Z_FINISH), Z_STREAM_END);
	size_t n = zs.total_out;

	inflateEnd(&zs);
	return n;
}

static uint64_t get_varint(const uint8_t *b, size_t len, size_t *off)
{
	uint64_t v = 0;

	for (int shift = 0; *off < len && shift < 64; shift += 7) {
		uint8_t c = b[(*off)++];

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	FAIL_MSG("truncated varint");
	UNIT_END_CASE();
}

TEST(pprof_is_deterministic_gzip)
{
	struct profile *p = small_profile();
	struct render_opts o = {0};
	char *a, *b;
	size_t na = render(p, &o, &a), nb = render(p, &o, &b);

	REQUIRE_GE_INT(na, 18);
	CHECK_EQ_INT(na, nb);
	if (na == nb)
		CHECK_MEMEQ(a, b, na);
	/* gzip magic, deflate, no flags, mtime 0, then OS "unknown". */
	static const uint8_t hdr[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0};
	CHECK_MEMEQ(a, hdr, sizeof(hdr));
	CHECK_EQ_INT((uint8_t)a[9], 0xff);
	free(a);
	free(b);
	profile_free(p);
}

/* The top level of a decoded profile: fields seen and a few values. */
struct top {
	int counts[16];
	bool first_string_empty;
	uint64_t time, duration, period;
};

static void decode_top(const struct profile *p, const struct render_opts *o, struct top *t)
{
	static uint8_t buf[1 << 16];
	char *gz;
	size_t ngz = render(p, o, &gz);
	size_t len = gunzip(gz, ngz, buf, sizeof(buf)), off = 0;

	memset(t, 0, sizeof(*t));
	while (off < len) {
		uint64_t key = get_varint(buf, len, &off);
		uint32_t field = (uint32_t)(key >> 3);

		if ((key & 7) == 2) {
			uint64_t n = get_varint(buf, len, &off);

			REQUIRE(off + n <= len);
			if (field == 6 && !t->counts[6])
				t->first_string_empty = n == 0;
			off += n;
		} else {
			REQUIRE_EQ_INT(key & 7, 0);
			uint64_t v = get_varint(buf, len, &off);

			if (field == 12)
				t->period = v;
			else if (field == 10)
				t->duration = v;
			else if (field == 9)
				t->time = v;
		}
		if (field < 16)
			t->counts[field]++;
	}
	CHECK_EQ_INT(off, len);
	free(gz);
}

TEST(pprof_layout)
{
	struct profile *p = small_profile();
	struct render_opts o = {0};
	struct top t;

	decode_top(p, &o, &t);
	CHECK_EQ_INT(t.counts[1], 2); /* samples/count, cpu/nanoseconds */
	CHECK_EQ_INT(t.counts[2], 1); /* five samples of one stack and thread */
	CHECK_EQ_INT(t.counts[3], 1);
	CHECK_EQ_INT(t.counts[4], 2);
	CHECK_EQ_INT(t.counts[5], 3);
	CHECK(t.first_string_empty);
	CHECK_EQ_INT(t.counts[9], 1); /* twice reads as concatenated profiles */
	CHECK_EQ_U64(t.time, 1700000000000000000ULL);
	CHECK_EQ_U64(t.duration, 50000000);
	CHECK_EQ_U64(t.period, 10000000);
	profile_free(p);
}

TEST(pprof_window_keeps_only_its_own)
{
	struct profile *p = small_profile();
	/* Samples are at 0, 10, ..., 40 ms. */
	struct render_opts part = {.t_from = 15000000, .t_until = 35000000};
	struct render_opts none = {.t_from = 1000000000, .t_until = 2000000000};
	struct top t;

	decode_top(p, &part, &t);
	CHECK_EQ_INT(t.counts[2], 1);
	CHECK_EQ_INT(t.counts[4], 2);
	CHECK_EQ_U64(t.time, 1700000000000000000ULL + 15000000);
	CHECK_EQ_U64(t.duration, 20000000);

	/* No samples: no locations, functions or mappings either. */
	decode_top(p, &none, &t);
	CHECK_EQ_INT(t.counts[1], 2);
	CHECK_EQ_INT(t.counts[2], 0);
	CHECK_EQ_INT(t.counts[3], 0);
	CHECK_EQ_INT(t.counts[4], 0);
	CHECK_EQ_INT(t.counts[5], 0);
	CHECK(t.first_string_empty);
	CHECK_EQ_U64(t.duration, 0);
	profile_free(p);
}

TEST(pprof_is_chosen_by_name_and_suffix)
{
	CHECK(output_find("pprof") == &output_pprof);
	CHECK_STREQ(output_pprof.name, "pprof");
	CHECK(output_for_path("out/profile.pb.gz") == &output_pprof);
	CHECK(output_for_path("PROFILE.PPROF") == &output_pprof);
}
