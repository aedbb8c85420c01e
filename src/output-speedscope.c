// SPDX-License-Identifier: MIT
/*
 * speedscope JSON (https://www.speedscope.app/file-format-schema.json): one
 * "sampled" profile per thread, named like py-spy's ("Thread 1234 \"name\""),
 * stacks root first, weights in nanoseconds of sampling period. Frames are
 * shared across threads and carry the function's file and line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cprof.h"
#include "jsonw.h"
#include "output.h"
#include "strtab.h"
#include "xalloc.h"

/* A speedscope frame: identity is (label, file, line, inlined). */
struct ss_frame {
	const char *label;
	const char *file;
	int line;
	bool inlined;
};

struct ss_ctx {
	const struct profile *p;
	const struct render_opts *o;
	struct strtab *labels;
	struct ss_frame *frames;
	size_t nframes, cap_frames;
	/* frame index per (line entry): lines[] index -> frame + 1 */
	uint32_t *line_frame;
	/* hash of frames by identity: slot -> frame + 1 */
	uint32_t *slots;
	size_t nslots;
	/* current sample's frame indices */
	uint32_t *cur;
	size_t ncur, cap_cur;
};

static uint32_t frame_for_line(struct ss_ctx *c, const struct prof_line *l)
{
	size_t li = (size_t)(l - c->p->lines);

	if (c->line_frame[li])
		return c->line_frame[li] - 1;

	const struct prof_func *fn = &c->p->funcs[l->func];
	char label[1024];
	struct ss_frame key;

	frame_label(c->p, l, c->o, label, sizeof(label) - 12);
	if (l->inlined)
		strcat(label, " (inlined)");
	key.label = strtab_intern(c->labels, label);
	if (c->o->lines) {
		key.file = l->file;
		key.line = l->line;
	} else {
		key.file = fn->file ? fn->file : l->file;
		key.line = fn->file ? fn->start_line : 0;
	}
	key.inlined = l->inlined;
	uint64_t h = hash_mix(hash_mix(hash_mix(0, (uintptr_t)key.label), (uintptr_t)key.file),
			      (uint64_t)key.line);
	size_t slot = h & (c->nslots - 1);

	for (; c->slots[slot]; slot = (slot + 1) & (c->nslots - 1)) {
		const struct ss_frame *f = &c->frames[c->slots[slot] - 1];

		if (f->label == key.label && f->file == key.file && f->line == key.line) {
			c->line_frame[li] = c->slots[slot];
			return c->slots[slot] - 1;
		}
	}
	*VEC_PUSH(c->frames, c->nframes, c->cap_frames) = key;
	c->slots[slot] = (uint32_t)c->nframes;
	c->line_frame[li] = (uint32_t)c->nframes;
	return (uint32_t)(c->nframes - 1);
}

static void collect(const struct prof_line *l, const struct prof_loc *loc, void *arg)
{
	struct ss_ctx *c = arg;
	(void)loc;

	*VEC_PUSH(c->cur, c->ncur, c->cap_cur) = frame_for_line(c, l);
}

struct thread_order {
	uint32_t thread;
	pid_t pid, tid;
};

static int cmp_thread(const void *a, const void *b)
{
	const struct thread_order *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* A stack's samples array entry, "[0,1,2]", rendered once: where it is in the arena. */
struct stack_text {
	size_t off, len; /* len 0: not seen yet */
};

static void render_stack(struct ss_ctx *c, uint32_t stack, struct stack_text *st, char **arena,
			 size_t *alen, size_t *acap)
{
	c->ncur = 0;
	stack_visit_root_first(c->p, stack, collect, c);
	/* '[', ']', and at most 10 digits and a comma per frame */
	*arena = xgrow(*arena, acap, *alen + 2 + 11 * c->ncur, 1);

	char *w = *arena + *alen;
	size_t n = 0;

	w[n++] = '[';
	for (size_t k = 0; k < c->ncur; k++) {
		if (k)
			w[n++] = ',';
		n += fmt_u64(w + n, c->cur[k]);
	}
	w[n++] = ']';
	st->off = *alen;
	st->len = n;
	*alen += n;
}

static int speedscope_write(FILE *f, const struct profile *p, const struct render_opts *o)
{
	struct ss_ctx c = { .p = p, .o = o };
	struct prof_iter it;
	struct prof_sample s;
	uint64_t period = p->meta.rate_hz ? 1000000000ULL / p->meta.rate_hz : 10000000ULL;
	uint64_t *per_thread = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*per_thread));
	struct stack_text *texts = xcalloc(p->nstacks ? p->nstacks : 1, sizeof(*texts));
	char *arena = NULL;
	size_t alen = 0, acap = 0;
	char title[1024];
	struct obuf ob;

	c.labels = strtab_new();
	c.line_frame = xcalloc(p->nlines ? p->nlines : 1, sizeof(*c.line_frame));
	/* At most one frame per line entry: twice that many slots never fill. */
	c.nslots = 16;
	while (c.nslots < 2 * p->nlines + 2)
		c.nslots *= 2;
	c.slots = xcalloc(c.nslots, sizeof(*c.slots));

	/*
	 * Pass 1: frames in first-seen order of a time-ordered walk. A stack
	 * seen before has no new frames to give, so each distinct stack is
	 * walked once, and its samples entry is rendered then: its frames'
	 * indices are final from the moment they are made.
	 */
	size_t total = 0;

	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s)) {
		if (!render_in_window(o, s.t_ns))
			continue;
		per_thread[s.thread]++;
		total++;
		if (!texts[s.stack].len)
			render_stack(&c, s.stack, &texts[s.stack], &arena, &alen, &acap);
	}

	/*
	 * Each thread's stacks in time order, bucketed in one more walk, so
	 * writing a thread's profile does not walk every sample again.
	 */
	size_t *next = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*next));
	uint32_t *bucket = xmalloc((total ? total : 1) * sizeof(*bucket));

	for (size_t i = 0, sum = 0; i < p->nthreads; i++) {
		next[i] = sum;
		sum += per_thread[i];
	}
	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s))
		if (render_in_window(o, s.t_ns))
			bucket[next[s.thread]++] = s.stack;

	struct thread_order *order = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*order));
	size_t norder = 0, active = 0;
	uint64_t most = 0;

	for (uint32_t i = 0; i < p->nthreads; i++) {
		if (!per_thread[i])
			continue;
		order[norder].thread = i;
		order[norder].pid = p->threads[i].pid;
		order[norder].tid = p->threads[i].tid;
		norder++;
	}
	qsort(order, norder, sizeof(*order), cmp_thread);
	for (size_t i = 0; i < norder; i++) {
		if (per_thread[order[i].thread] > most) {
			most = per_thread[order[i].thread];
			active = i;
		}
	}

	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",", f);
	fputs("\"name\":", f);
	json_string(f, render_title(p, o, title, sizeof(title)));
	fprintf(f, ",\"exporter\":\"cprof@%s\",\"activeProfileIndex\":%zu,", CPROF_VERSION, active);
	fputs("\"shared\":{\"frames\":[", f);
	for (size_t i = 0; i < c.nframes; i++) {
		const struct ss_frame *fr = &c.frames[i];

		fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
		json_string(f, fr->label);
		if (fr->file) {
			fputs(",\"file\":", f);
			json_string(f, fr->file);
		}
		if (fr->line > 0)
			fprintf(f, ",\"line\":%d", fr->line);
		fputc('}', f);
	}
	fputs("]},\"profiles\":[", f);

	/* ",<period>", the weight of every sample */
	char weight[24];
	size_t wlen = 0;

	weight[wlen++] = ',';
	wlen += fmt_u64(weight + wlen, period);
	ob_init(&ob, f);
	for (size_t i = 0; i < norder; i++) {
		uint32_t th = order[i].thread;
		const struct prof_thread *t = &p->threads[th];
		char name[512];
		uint64_t n = per_thread[th];
		const uint32_t *stacks = bucket + next[th] - n;

		if (p->nprocs > 1)
			snprintf(name, sizeof(name), "Process %d Thread %d \"%s\"", t->pid, t->tid,
				 t->name ? t->name : "");
		else
			snprintf(name, sizeof(name), "Thread %d \"%s\"", t->tid,
				 t->name ? t->name : "");
		ob_puts(&ob, i ? ",\n{\"type\":\"sampled\",\"name\":"
			       : "\n{\"type\":\"sampled\",\"name\":");
		/* Names are few: straight to the stream, after what is gathered. */
		ob_flush(&ob);
		json_string(f, name);
		ob_puts(&ob, ",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":");
		ob_u64(&ob, n * period);
		ob_puts(&ob, ",\"samples\":[");
		for (uint64_t k = 0; k < n; k++) {
			const struct stack_text *st = &texts[stacks[k]];

			if (k)
				ob_putc(&ob, ',');
			ob_write(&ob, arena + st->off, st->len);
		}
		ob_puts(&ob, "],\"weights\":[");
		for (uint64_t k = 0; k < n; k++)
			ob_write(&ob, k ? weight : weight + 1, k ? wlen : wlen - 1);
		ob_puts(&ob, "]}");
	}
	ob_puts(&ob, "]}\n");
	ob_release(&ob);

	free(order);
	free(next);
	free(bucket);
	free(texts);
	free(arena);
	free(per_thread);
	free(c.frames);
	free(c.cur);
	free(c.line_frame);
	free(c.slots);
	strtab_free(c.labels);
	return ferror(f) ? -EIO : 0;
}

static const char *const speedscope_suffixes[] = { ".json", ".speedscope.json", NULL };

const struct output_format output_speedscope = {
	.name = "speedscope",
	.suffixes = speedscope_suffixes,
	.description = "speedscope JSON, one profile per thread",
	.write = speedscope_write,
};
