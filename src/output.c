// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "xalloc.h"

static const struct output_format *const formats[] = {
	&output_svg, &output_speedscope, &output_pprof, &output_folded, &output_cprof,
};

const struct output_format *output_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (!strcasecmp(formats[i]->name, name))
			return formats[i];
	/* Aliases people use for these formats. */
	if (!strcasecmp(name, "flamegraph"))
		return &output_svg;
	if (!strcasecmp(name, "collapsed") || !strcasecmp(name, "raw"))
		return &output_folded;
	return NULL;
}

const struct output_format *output_for_path(const char *path)
{
	size_t plen = strlen(path);
	const struct output_format *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		for (const char *const *s = formats[i]->suffixes; s && *s; s++) {
			size_t slen = strlen(*s);

			if (plen > slen && slen > best_len && !strcasecmp(path + plen - slen, *s)) {
				best = formats[i];
				best_len = slen;
			}
		}
	}
	return best;
}

const char *output_names(void)
{
	static char buf[256];

	if (!buf[0]) {
		for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
			if (i)
				strcat(buf, ", ");
			strcat(buf, formats[i]->name);
		}
	}
	return buf;
}

int write_file_atomic(const char *path, int (*write)(FILE *f, void *arg), void *arg)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	int err = 0;
	FILE *f;

	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	/* mkstemp creates 0600; outputs are ordinary files. */
	mode_t mask = umask(0);

	umask(mask);
	fchmod(fd, 0666 & ~mask);
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail;
	}
	errno = 0;
	err = write(f, arg);
	/*
	 * Writers report a stream error as -EIO; the write(2) that failed
	 * left the reason (ENOSPC, EDQUOT) in errno, which says more.
	 */
	if (err == -EIO && ferror(f) && errno && errno != EIO)
		err = -errno;
	if (fflush(f) && !err)
		err = -errno;
	if (ferror(f) && !err)
		err = -EIO;
	if (!err && fsync(fileno(f)) && errno != EINVAL)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		goto fail;
	if (rename(tmp, path)) {
		err = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return err;
}

struct format_job {
	const struct output_format *fmt;
	const struct profile *p;
	const struct render_opts *o;
};

static int write_format(FILE *f, void *arg)
{
	const struct format_job *job = arg;

	return job->fmt->write(f, job->p, job->o);
}

int output_write_file(const char *path, const struct output_format *fmt, const struct profile *p,
		      const struct render_opts *o)
{
	struct format_job job = { fmt, p, o };

	return write_file_atomic(path, write_format, &job);
}

void render_opts_from_meta(struct render_opts *o, const struct profile *p)
{
	if (!o->title)
		o->title = p->meta.title;
	if (o->minwidth <= 0)
		o->minwidth = p->meta.minwidth > 0 ? p->meta.minwidth : 0.1;
	o->threads = o->threads || p->meta.threads;
	o->processes = o->processes || p->meta.processes;
	o->lines = o->lines || p->meta.lines;
}

const char *render_title(const struct profile *p, const struct render_opts *o, char *buf,
			 size_t len)
{
	if (o->title && *o->title) {
		snprintf(buf, len, "%s", o->title);
		return buf;
	}
	if (p->meta.cmdline && *p->meta.cmdline)
		snprintf(buf, len, "cprof: %s", p->meta.cmdline);
	else if (p->meta.pid)
		snprintf(buf, len, "cprof: pid %d", p->meta.pid);
	else
		snprintf(buf, len, "cprof profile");
	return buf;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

void frame_label(const struct profile *p, const struct prof_line *l, const struct render_opts *o,
		 char *buf, size_t len)
{
	const char *name = p->funcs[l->func].name;

	if (o->lines && l->file && l->line > 0)
		snprintf(buf, len, "%s (%s:%d)", name, base_name(l->file), l->line);
	else if (o->lines && l->file)
		snprintf(buf, len, "%s (%s)", name, base_name(l->file));
	else
		snprintf(buf, len, "%s", name);
}

void thread_label(const struct profile *p, uint32_t thread, char *buf, size_t len)
{
	const struct prof_thread *t = &p->threads[thread];

	if (t->name && *t->name)
		snprintf(buf, len, "[thread %d %s]", t->tid, t->name);
	else
		snprintf(buf, len, "[thread %d]", t->tid);
}

void process_label(const struct profile *p, pid_t pid, char *buf, size_t len)
{
	for (size_t i = 0; i < p->nprocs; i++) {
		if (p->procs[i].pid == pid && p->procs[i].cmdline && *p->procs[i].cmdline) {
			snprintf(buf, len, "[process %d %.80s]", pid, p->procs[i].cmdline);
			return;
		}
	}
	snprintf(buf, len, "[process %d]", pid);
}

size_t stack_visit_root_first(const struct profile *p, uint32_t stack, frame_visit_fn fn, void *arg)
{
	const struct prof_stack *s = &p->stacks[stack];
	/* An empty stack may have no table behind it at all (NULL). */
	const uint32_t *locs = s->n ? &p->stack_locs[s->first] : NULL;
	size_t n = 0;

	for (uint32_t i = s->n; i-- > 0;) {
		const struct prof_loc *loc = &p->locs[locs[i]];
		const struct prof_line *lines = &p->lines[loc->first_line];

		for (uint16_t j = loc->nlines; j-- > 0;) {
			fn(&lines[j], loc, arg);
			n++;
		}
	}
	return n;
}

void ob_init(struct obuf *b, FILE *f)
{
	b->f = f;
	b->buf = xmalloc(OBUF_SIZE);
	b->len = 0;
}

void ob_flush(struct obuf *b)
{
	/* A short write leaves the stream's error flag set, which the writer reports. */
	if (b->len)
		fwrite(b->buf, 1, b->len, b->f);
	b->len = 0;
}

void ob_release(struct obuf *b)
{
	ob_flush(b);
	free(b->buf);
	b->buf = NULL;
}

void ob_write_slow(struct obuf *b, const void *s, size_t n)
{
	ob_flush(b);
	if (n > OBUF_SIZE) {
		fwrite(s, 1, n, b->f);
		return;
	}
	memcpy(b->buf, s, n);
	b->len = n;
}

size_t fmt_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

void ob_u64(struct obuf *b, uint64_t v)
{
	if (OBUF_SIZE - b->len < 20)
		ob_flush(b);
	b->len += fmt_u64(b->buf + b->len, v);
}

void ob_printf(struct obuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, OBUF_SIZE - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < OBUF_SIZE - b->len) {
		b->len += (size_t)n;
		return;
	}
	/* Did not fit: format it again where it does. */
	char *tmp = xmalloc((size_t)n + 1);

	va_start(ap, fmt);
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ob_write(b, tmp, (size_t)n);
	free(tmp);
}

void ob_fixed(struct obuf *b, double v, int prec)
{
	/* Room for any double at prec <= 2 (DBL_MAX has 309 digits). */
	char tmp[400];

	ob_write(b, tmp, fmt_fixed(tmp, sizeof(tmp), v, prec));
}

size_t fmt_fixed(char *out, size_t len, double v, int prec)
{
	static const uint64_t scale[] = { 1, 10, 100 };
	int e;
	double m = frexp(fabs(v), &e);
	/* fabs(v) = mant * 2^e exactly, mant a 53-bit integer. */
	uint64_t mant = (uint64_t)ldexp(m, 53), q;
	size_t n = 0;

	e -= 53;
	/*
	 * printf rounds the exact binary value, ties to even. Scaled by 10^prec
	 * (at most 100 < 2^7) the mantissa still fits 64 bits, so integer
	 * arithmetic finds the same digits. Whatever does not fit goes to printf.
	 */
	if (prec < 0 || prec > 2 || !isfinite(v) || e > 0 || len < 32) {
		int r = snprintf(out, len, "%.*f", prec, v);

		return r < 0 ? 0 : MIN((size_t)r, len ? len - 1 : 0);
	}
	mant *= scale[prec];
	if (!mant) {
		q = 0;
	} else if (e == 0) {
		q = mant;
	} else if (-e >= 64) {
		q = 0; /* below 2^60 / 2^64: under a half */
	} else {
		unsigned int k = (unsigned int)-e;
		uint64_t r = mant & ((UINT64_C(1) << k) - 1), half = UINT64_C(1) << (k - 1);

		q = mant >> k;
		if (r > half || (r == half && (q & 1)))
			q++;
	}
	if (signbit(v))
		out[n++] = '-';
	n += fmt_u64(out + n, q / scale[prec]);
	if (prec) {
		uint64_t frac = q % scale[prec];

		out[n++] = '.';
		if (prec == 2)
			out[n++] = (char)('0' + frac / 10);
		out[n++] = (char)('0' + frac % 10);
	}
	out[n] = '\0';
	return n;
}

static int cmp_stack_count(const void *a, const void *b)
{
	const struct stack_count *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return (x->stack > y->stack) - (x->stack < y->stack);
}

size_t stack_counts(const struct profile *p, const struct render_opts *o, bool by_thread,
		    struct stack_count **out)
{
	struct stack_count *keys = NULL;
	size_t n = 0, cap = 0, w = 0;
	struct prof_iter it;
	struct prof_sample s;

	if (!by_thread) {
		/* One counter per stack: no sort of every sample, already in order. */
		uint64_t *counts = xcalloc(p->nstacks ? p->nstacks : 1, sizeof(*counts));

		profile_iter_init(&it);
		while (profile_iter_next(p, &it, &s))
			if (render_in_window(o, s.t_ns) && s.stack < p->nstacks)
				counts[s.stack]++;
		for (uint32_t i = 0; i < p->nstacks; i++)
			if (counts[i])
				*VEC_PUSH(keys, n, cap) = (struct stack_count){ 0, i, counts[i] };
		free(counts);
		*out = keys;
		return n;
	}
	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s)) {
		if (!render_in_window(o, s.t_ns) || s.stack >= p->nstacks)
			continue;
		/* Consecutive samples often repeat a stack: merge them at once. */
		if (n && keys[n - 1].thread == s.thread && keys[n - 1].stack == s.stack) {
			keys[n - 1].count++;
			continue;
		}
		*VEC_PUSH(keys, n, cap) = (struct stack_count){ s.thread, s.stack, 1 };
	}
	if (n) /* qsort must not see NULL, even for no elements */
		qsort(keys, n, sizeof(*keys), cmp_stack_count);
	for (size_t i = 0; i < n; i++) {
		if (w && keys[w - 1].thread == keys[i].thread && keys[w - 1].stack == keys[i].stack)
			keys[w - 1].count += keys[i].count;
		else
			keys[w++] = keys[i];
	}
	*out = keys;
	return w;
}
