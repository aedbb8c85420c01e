// SPDX-License-Identifier: MIT
/*
 * Folded stacks ("collapsed", flamegraph.pl input): one line per distinct
 * stack, frames root first joined by ';', one space, an integer count.
 * Lines are sorted so identical input gives identical output. Inlined
 * frames carry flamegraph.pl's "_[i]" annotation, JIT frames "_[j]".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "strtab.h"
#include "xalloc.h"

struct builder {
	char *buf;
	size_t len, cap;
	const struct profile *p;
	const struct render_opts *o;
};

static void append(struct builder *b, const char *s)
{
	size_t n = strlen(s);

	b->buf = xgrow(b->buf, &b->cap, b->len + n + 2, 1);
	if (b->len)
		b->buf[b->len++] = ';';
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		/* ';' separates frames; a newline would end the line. */
		b->buf[b->len++] = c == ';' ? ':' : (c == '\n' || c == '\r') ? ' ' : c;
	}
	b->buf[b->len] = '\0';
}

static void visit(const struct prof_line *l, const struct prof_loc *loc, void *arg)
{
	struct builder *b = arg;
	char label[1024];
	size_t n;

	frame_label(b->p, l, b->o, label, sizeof(label) - 8);
	n = strlen(label);
	if (l->inlined)
		memcpy(label + n, "_[i]", 5);
	else if (loc->kind == LOC_JIT)
		memcpy(label + n, "_[j]", 5);
	append(b, label);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct folded_line *)a)->text, ((const struct folded_line *)b)->text);
}

/* Counts per (thread or 0, stack), then merged by text: two stacks may print alike. */
struct key_count {
	uint32_t thread, stack;
	uint64_t count;
};

static int cmp_key(const void *a, const void *b)
{
	const struct key_count *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return (x->stack > y->stack) - (x->stack < y->stack);
}

int folded_collect(const struct profile *p, const struct render_opts *o, struct folded_line **out,
		   size_t *nout)
{
	struct key_count *keys = NULL;
	size_t nkeys = 0, cap = 0;
	struct prof_iter it;
	struct prof_sample s;
	struct strtab *texts = strtab_new();
	struct builder b = { .p = p, .o = o };
	struct folded_line *lines = NULL;
	size_t nlines = 0, lcap = 0;

	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s)) {
		if (!render_in_window(o, s.t_ns))
			continue;
		struct key_count *k = VEC_PUSH(keys, nkeys, cap);

		k->thread = (o->threads || o->processes) ? s.thread : 0;
		k->stack = s.stack;
		k->count = 1;
	}
	if (nkeys) /* qsort must not see NULL, even for no elements */
		qsort(keys, nkeys, sizeof(*keys), cmp_key);
	for (size_t i = 0; i < nkeys;) {
		size_t j = i;
		uint64_t count = 0;

		while (j < nkeys && keys[j].thread == keys[i].thread &&
		       keys[j].stack == keys[i].stack)
			count += keys[j++].count;
		b.len = 0;
		if (b.buf)
			b.buf[0] = '\0';
		char label[512];

		if (o->processes) {
			process_label(p, p->threads[keys[i].thread].pid, label, sizeof(label));
			append(&b, label);
		}
		if (o->threads) {
			thread_label(p, keys[i].thread, label, sizeof(label));
			append(&b, label);
		}
		stack_visit_root_first(p, keys[i].stack, visit, &b);
		if (!b.len)
			append(&b, "[empty]");
		struct folded_line *fl = VEC_PUSH(lines, nlines, lcap);

		fl->text = (char *)strtab_intern(texts, b.buf);
		fl->count = count;
		i = j;
	}
	free(keys);
	free(b.buf);
	if (nlines)
		qsort(lines, nlines, sizeof(*lines), cmp_line);
	/* Merge equal texts (pointer-equal after interning, adjacent after sorting). */
	size_t w = 0;

	for (size_t i = 0; i < nlines; i++) {
		if (w && lines[w - 1].text == lines[i].text)
			lines[w - 1].count += lines[i].count;
		else
			lines[w++] = lines[i];
	}
	/* The texts must outlive this call: copy them out before freeing the table. */
	for (size_t i = 0; i < w; i++)
		lines[i].text = xstrdup(lines[i].text);
	strtab_free(texts);
	*out = lines;
	*nout = w;
	return 0;
}

static int folded_write(FILE *f, const struct profile *p, const struct render_opts *o)
{
	struct folded_line *lines;
	size_t n;

	folded_collect(p, o, &lines, &n);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s %llu\n", lines[i].text, (unsigned long long)lines[i].count);
	}
	folded_lines_free(lines, n);
	return ferror(f) ? -EIO : 0;
}

void folded_lines_free(struct folded_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
}

static const char *const folded_suffixes[] = { ".folded", ".txt", ".collapsed", NULL };

const struct output_format output_folded = {
	.name = "folded",
	.suffixes = folded_suffixes,
	.description = "folded stacks for flamegraph.pl, inferno, speedscope",
	.write = folded_write,
};
