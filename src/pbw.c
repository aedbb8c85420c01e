// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "pbw.h"
#include "xalloc.h"

void pbw_init(struct pbw *w)
{
	w->buf = NULL;
	w->len = 0;
	w->cap = 0;
}

void pbw_release(struct pbw *w)
{
	free(w->buf);
	pbw_init(w);
}

size_t pbw_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

void pbw_varint_slow(struct pbw *w, uint64_t v)
{
	w->buf = xgrow(w->buf, &w->cap, w->len + 10, 1);
	w->len += put_varint(w->buf + w->len, v);
}

void pbw_key(struct pbw *w, uint32_t field, enum pb_wire wire)
{
	pbw_varint(w, (uint64_t)field << 3 | (uint64_t)wire);
}

void pbw_uint64(struct pbw *w, uint32_t field, uint64_t v)
{
	pbw_key(w, field, PB_VARINT);
	pbw_varint(w, v);
}

void pbw_int64(struct pbw *w, uint32_t field, int64_t v)
{
	pbw_uint64(w, field, (uint64_t)v);
}

void pbw_bool(struct pbw *w, uint32_t field, bool v)
{
	pbw_uint64(w, field, v);
}

void pbw_bytes(struct pbw *w, uint32_t field, const void *data, size_t len)
{
	pbw_key(w, field, PB_LEN);
	pbw_varint(w, len);
	w->buf = xgrow(w->buf, &w->cap, w->len + len, 1);
	if (len)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
}

void pbw_string(struct pbw *w, uint32_t field, const char *s)
{
	pbw_bytes(w, field, s, strlen(s));
}

size_t pbw_begin(struct pbw *w, uint32_t field)
{
	pbw_key(w, field, PB_LEN);
	pbw_varint(w, 0);
	return w->len;
}

void pbw_end(struct pbw *w, size_t token)
{
	size_t payload = w->len - token;
	size_t extra = pbw_varint_size(payload) - 1;

	if (extra) {
		w->buf = xgrow(w->buf, &w->cap, w->len + extra, 1);
		memmove(w->buf + token + extra, w->buf + token, payload);
		w->len += extra;
	}
	put_varint(w->buf + token - 1, payload);
}
