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
	/*
	 * Per p->lines entry, its label as append() writes it, made on first
	 * use: a stack shares most frames with the others, and formatting and
	 * cleaning each frame of every stack again was most of the time here.
	 */
	struct strtab *labels;
	const char **line_label;
};

/* s with ';' (the frame separator) and line ends (the line separator) replaced. */
static void put_clean(char *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		w[i] = c == ';' ? ':' : (c == '\n' || c == '\r') ? ' ' : c;
	}
}

static void append_len(struct builder *b, const char *s, size_t n, bool clean)
{
	b->buf = xgrow(b->buf, &b->cap, b->len + n + 2, 1);
	if (b->len)
		b->buf[b->len++] = ';';
	if (clean)
		put_clean(b->buf + b->len, s, n);
	else
		memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void append(struct builder *b, const char *s)
{
	append_len(b, s, strlen(s), true);
}

static void visit(const struct prof_line *l, const struct prof_loc *loc, void *arg)
{
	struct builder *b = arg;
	const char **cached = &b->line_label[l - b->p->lines];
	const char *suffix = l->inlined ? "_[i]" : loc->kind == LOC_JIT ? "_[j]" : "";

	if (!*cached) {
		char label[1024];
		size_t n;

		frame_label(b->p, l, b->o, label, sizeof(label) - 8);
		n = strlen(label);
		put_clean(label, label, n);
		*cached = strtab_intern_len(b->labels, label, n);
	}
	/* The suffixes hold nothing append() would replace. */
	size_t n = strlen(*cached), ns = strlen(suffix);

	append_len(b, *cached, n, false);
	if (ns) {
		b->buf = xgrow(b->buf, &b->cap, b->len + ns + 1, 1);
		memcpy(b->buf + b->len, suffix, ns + 1);
		b->len += ns;
	}
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct folded_line *)a)->text, ((const struct folded_line *)b)->text);
}

int folded_collect(const struct profile *p, const struct render_opts *o, struct folded_line **out,
		   size_t *nout)
{
	struct stack_count *keys;
	size_t nkeys;
	struct strtab *texts = strtab_new();
	struct builder b = { .p = p, .o = o };
	struct folded_line *lines = NULL;
	size_t nlines = 0, lcap = 0;

	b.labels = strtab_new();
	b.line_label = xcalloc(p->nlines ? p->nlines : 1, sizeof(*b.line_label));
	/* Counts per (thread or 0, stack), then merged by text: two stacks may print alike. */
	nkeys = stack_counts(p, o, o->threads || o->processes, &keys);
	for (size_t i = 0; i < nkeys; i++) {
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

		fl->text = (char *)strtab_intern_len(texts, b.buf, b.len);
		fl->count = keys[i].count;
	}
	free(keys);
	free(b.buf);
	free(b.line_label);
	strtab_free(b.labels);
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

	struct obuf ob;

	folded_collect(p, o, &lines, &n);
	ob_init(&ob, f);
	for (size_t i = 0; i < n; i++) {
		ob_puts(&ob, lines[i].text);
		ob_putc(&ob, ' ');
		ob_u64(&ob, lines[i].count);
		ob_putc(&ob, '\n');
	}
	ob_release(&ob);
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
