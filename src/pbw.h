/* SPDX-License-Identifier: MIT */
#ifndef CPROF_PBW_H
#define CPROF_PBW_H

/*
 * A minimal protocol-buffers wire-format writer, enough for profile.proto:
 * varint scalars and length-delimited fields (strings, sub-messages, packed
 * repeated scalars), appended to one growing buffer.
 *
 * A length-delimited field's length precedes its payload but is only known
 * after it, so pbw_begin() reserves one byte and pbw_end() widens the
 * length in place when the payload turned out longer than 127 bytes. The
 * moved payloads are single submessages, which are small in a profile, and
 * the encoding stays canonical (minimal varints), so equal input gives
 * equal bytes. Begin/end pairs nest.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_wire {
	PB_VARINT = 0,
	PB_FIXED64 = 1,
	PB_LEN = 2,
	PB_FIXED32 = 5,
};

struct pbw {
	uint8_t *buf;
	size_t len, cap;
};

void pbw_init(struct pbw *w);
void pbw_release(struct pbw *w);

void pbw_varint_slow(struct pbw *w, uint64_t v);

/*
 * A bare varint, e.g. one element of a packed field. Inline: a profile's
 * location ids are most of its varints, one call each was a tenth of the
 * writer's time outside zlib.
 */
static inline void pbw_varint(struct pbw *w, uint64_t v)
{
	if (w->cap - w->len < 10) {
		pbw_varint_slow(w, v);
		return;
	}
	while (v >= 0x80) {
		w->buf[w->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	w->buf[w->len++] = (uint8_t)v;
}
void pbw_key(struct pbw *w, uint32_t field, enum pb_wire wire);

/* Field + value. int64 is two's complement, not zigzag (proto int64). */
void pbw_uint64(struct pbw *w, uint32_t field, uint64_t v);
void pbw_int64(struct pbw *w, uint32_t field, int64_t v);
void pbw_bool(struct pbw *w, uint32_t field, bool v);
void pbw_bytes(struct pbw *w, uint32_t field, const void *data, size_t len);
void pbw_string(struct pbw *w, uint32_t field, const char *s);

/*
 * Open a length-delimited field (a submessage or a packed array); returns a
 * token for the matching pbw_end().
 */
size_t pbw_begin(struct pbw *w, uint32_t field);
void pbw_end(struct pbw *w, size_t token);

/* Bytes a varint of v takes. */
size_t pbw_varint_size(uint64_t v);

#endif
