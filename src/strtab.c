// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "strtab.h"
#include "xalloc.h"

#define CHUNK_SIZE (64 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

struct strtab {
	const char **slots;
	uint64_t *hashes;
	size_t nslots, count;
	struct chunk *chunks;
};

uint64_t hash_bytes(const void *p, size_t len)
{
	/* FNV-1a: stable across runs, which keeps outputs deterministic. */
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct strtab *strtab_new(void)
{
	struct strtab *t = xcalloc(1, sizeof(*t));

	t->nslots = 1024;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	t->hashes = xcalloc(t->nslots, sizeof(*t->hashes));
	return t;
}

void strtab_free(struct strtab *t)
{
	if (!t)
		return;
	while (t->chunks) {
		struct chunk *c = t->chunks;

		t->chunks = c->next;
		free(c);
	}
	free(t->slots);
	free(t->hashes);
	free(t);
}

size_t strtab_count(const struct strtab *t)
{
	return t->count;
}

static char *store(struct strtab *t, const char *s, size_t len)
{
	struct chunk *c = t->chunks;

	if (!c || c->size - c->used < len + 1) {
		size_t size = MAX((size_t)CHUNK_SIZE, len + 1);

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = t->chunks;
		t->chunks = c;
	}
	char *p = c->data + c->used;

	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static void grow(struct strtab *t)
{
	size_t n = t->nslots * 2;
	const char **slots = xcalloc(n, sizeof(*slots));
	uint64_t *hashes = xcalloc(n, sizeof(*hashes));

	for (size_t i = 0; i < t->nslots; i++) {
		if (!t->slots[i])
			continue;
		size_t j = t->hashes[i] & (n - 1);

		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = t->slots[i];
		hashes[j] = t->hashes[i];
	}
	free(t->slots);
	free(t->hashes);
	t->slots = slots;
	t->hashes = hashes;
	t->nslots = n;
}

const char *strtab_intern_len(struct strtab *t, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len);
	size_t i = h & (t->nslots - 1);

	while (t->slots[i]) {
		if (t->hashes[i] == h && !strncmp(t->slots[i], s, len) && t->slots[i][len] == '\0')
			return t->slots[i];
		i = (i + 1) & (t->nslots - 1);
	}
	t->slots[i] = store(t, s, len);
	t->hashes[i] = h;
	t->count++;
	const char *r = t->slots[i];

	if (t->count * 2 > t->nslots)
		grow(t);
	return r;
}

const char *strtab_intern(struct strtab *t, const char *s)
{
	return strtab_intern_len(t, s, strlen(s));
}
