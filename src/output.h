/* SPDX-License-Identifier: MIT */
#ifndef CPROF_OUTPUT_H
#define CPROF_OUTPUT_H

/*
 * Output formats. Each is an ops struct whose write() renders a profile to
 * a stream, depending on nothing but the profile and the render options.
 * Files are written to a temporary name and renamed into place, so a failure
 * never leaves a half-written file where a good one was.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "profile.h"

struct render_opts {
	const char *title;	    /* NULL: the recording's title, else a default */
	double minwidth;	    /* SVG: hide frames narrower than this (pixels) */
	bool threads;		    /* a root frame per thread */
	bool processes;		    /* a root frame per process */
	bool lines;		    /* label frames "function (file:line)" */
	int width;		    /* SVG width in pixels; 0 = default */
	uint64_t t_from;	    /* only samples with t_from <= t < t_until ... */
	uint64_t t_until;	    /* ... when t_until > 0 */
	const struct profile *base; /* differential SVG: the baseline */
};

struct output_format {
	const char *name;
	const char *const *suffixes; /* NULL-terminated, matched case-insensitively */
	const char *description;
	int (*write)(FILE *f, const struct profile *p, const struct render_opts *o);
};

extern const struct output_format output_folded;
extern const struct output_format output_speedscope;
extern const struct output_format output_pprof;
extern const struct output_format output_svg;
extern const struct output_format output_cprof;

const struct output_format *output_find(const char *name);
const struct output_format *output_for_path(const char *path);
/* "svg, speedscope, folded, ..." for messages */
const char *output_names(void);
/*
 * Write `path` through a temporary file in the same directory, renamed into
 * place only when `write` succeeded. Returns 0 or -errno.
 */
int write_file_atomic(const char *path, int (*write)(FILE *f, void *arg), void *arg);
/* Render into `path` atomically. Returns 0 or -errno. */
int output_write_file(const char *path, const struct output_format *fmt, const struct profile *p,
		      const struct render_opts *o);
/* Fill unset render options from the recording's metadata. */
void render_opts_from_meta(struct render_opts *o, const struct profile *p);

/* ---- helpers shared by the writers ---- */

/*
 * A writer's output gathered into large blocks. The writers emit hundreds of
 * thousands of small pieces (a frame index, a comma); through stdio each was
 * a locked call and fprintf a format parse on top, which was most of the time
 * it took to write a profile. Errors show in ferror(f) as before, once
 * ob_flush has run.
 */
struct obuf {
	FILE *f;
	char *buf;
	size_t len;
};

#define OBUF_SIZE ((size_t)64 * 1024)

void ob_init(struct obuf *b, FILE *f);
/* Hand what is gathered to the stream. */
void ob_flush(struct obuf *b);
/* ob_flush, then release the buffer. */
void ob_release(struct obuf *b);
void ob_write_slow(struct obuf *b, const void *s, size_t n);

static inline void ob_write(struct obuf *b, const void *s, size_t n)
{
	if (n <= OBUF_SIZE - b->len) {
		memcpy(b->buf + b->len, s, n);
		b->len += n;
	} else {
		ob_write_slow(b, s, n);
	}
}

static inline void ob_puts(struct obuf *b, const char *s)
{
	ob_write(b, s, strlen(s));
}

static inline void ob_putc(struct obuf *b, char c)
{
	if (b->len == OBUF_SIZE)
		ob_flush(b);
	b->buf[b->len++] = c;
}

/* printf into the buffer, for the pieces written once. */
ATTR_PRINTF(2, 3) void ob_printf(struct obuf *b, const char *fmt, ...);
/* v as printf's "%.<prec>f" writes it; see fmt_fixed. */
void ob_fixed(struct obuf *b, double v, int prec);
/* v in decimal, as printf's %" PRIu64 " writes it. */
void ob_u64(struct obuf *b, uint64_t v);
/* The same into out (at least 21 bytes), not terminated; returns the length. */
size_t fmt_u64(char *out, uint64_t v);
/*
 * v as printf's "%.<prec>f" writes it (prec 0..2), correctly rounded from
 * the exact binary value, ties to even; the same bytes as printf.
 */
size_t fmt_fixed(char *out, size_t len, double v, int prec);

/* Folded lines as the folded writer prints them, sorted; caller frees texts. */
struct folded_line {
	char *text;
	uint64_t count;
};

int folded_collect(const struct profile *p, const struct render_opts *o, struct folded_line **out,
		   size_t *nout);
void folded_lines_free(struct folded_line *lines, size_t n);

/*
 * Samples inside the window of o counted per distinct (thread, stack), the
 * thread 0 unless by_thread; sorted by thread, then stack. Returns how many.
 */
struct stack_count {
	uint32_t thread, stack;
	uint64_t count;
};

size_t stack_counts(const struct profile *p, const struct render_opts *o, bool by_thread,
		    struct stack_count **out);

/* Whether sample s falls inside the window of o. */
static inline bool render_in_window(const struct render_opts *o, uint64_t t)
{
	return t >= o->t_from && (!o->t_until || t < o->t_until);
}

/* The default title: "cprof: <command line>". Written into buf. */
const char *render_title(const struct profile *p, const struct render_opts *o, char *buf,
			 size_t len);

/*
 * The label of one frame as the writers print it: the function name, or
 * with o->lines "name (file:line)" using the file's base name.
 */
void frame_label(const struct profile *p, const struct prof_line *l, const struct render_opts *o,
		 char *buf, size_t len);
/* Root frames for --threads / --processes. */
void thread_label(const struct profile *p, uint32_t thread, char *buf, size_t len);
void process_label(const struct profile *p, pid_t pid, char *buf, size_t len);

/*
 * Visit the frames of a stack root first: locations from outermost to the
 * leaf, and within a location the function first, then what was inlined
 * into it. Returns the number of frames visited.
 */
typedef void (*frame_visit_fn)(const struct prof_line *l, const struct prof_loc *loc, void *arg);
size_t stack_visit_root_first(const struct profile *p, uint32_t stack, frame_visit_fn fn,
			      void *arg);

#endif
