/* SPDX-License-Identifier: MIT */
#ifndef CPROF_TOPVIEW_H
#define CPROF_TOPVIEW_H

/*
 * The model and the screens of `cprof top`: a running count of the samples
 * of a session by (thread, stack), folded into a table of functions (or
 * source lines) at each refresh, and rendered as a full-screen ANSI view, a
 * plain-text snapshot or one NDJSON object. Also the terminal handling the
 * full-screen view needs. No ncurses: a handful of escape sequences do.
 *
 * Percentages are shares of the samples of the last refresh window (what is
 * hot now); times are cumulative since the start or the last reset.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <termios.h>

struct session;

enum top_sort {
	TOP_SORT_OWN_PCT,
	TOP_SORT_TOTAL_PCT,
	TOP_SORT_OWN_TIME,
	TOP_SORT_TOTAL_TIME,
};

/* What the view shows; the keys change it. */
struct top_viewopts {
	enum top_sort sort;
	bool lines;	 /* aggregate by source line instead of function */
	pid_t thread;	 /* only this thread (tid), or 0 for all */
	bool paused;	 /* the display is frozen; sampling goes on */
	bool help;	 /* the help overlay is up */
	size_t max_rows; /* text and JSON snapshots: 0 = all */
};

/* "%Own", ... and the --sort spellings. */
const char *top_sort_name(enum top_sort s);
int top_sort_parse(const char *s, enum top_sort *out);

struct topview;

/* Aggregate the samples of a session (installs the collector hook). */
struct topview *topview_new(struct session *s, const struct top_viewopts *o);
void topview_free(struct topview *v);
struct top_viewopts *topview_opts(struct topview *v);

/*
 * End a refresh window: its samples become the percentages shown, and the
 * header's rates (CPU, cprof's own CPU) are taken over it.
 */
void topview_roll(struct topview *v);
/* Samples since the last roll (whether a final snapshot has news). */
uint64_t topview_pending(const struct topview *v);
/* Forget every count (key r). */
void topview_reset(struct topview *v);
/* Step the thread filter to the next (dir > 0) or previous sampled thread. */
void topview_cycle_thread(struct topview *v, int dir);
/* One line for the end: "pid 123 exited" / "command exited with status 0". */
void topview_exit_line(const struct topview *v, char *buf, size_t len);

enum top_action {
	TOP_NONE,
	TOP_REDRAW,
	TOP_QUIT,
};

/* Apply a key of the full-screen view (ASCII, or one of TOP_KEY_*). */
enum top_action topview_key(struct topview *v, int key);

/* A growable byte buffer the renderers write into. */
struct top_buf {
	char *p;
	size_t len, cap;
};

void top_buf_release(struct top_buf *b);

/* The full-screen view: exactly `height` lines of at most `width` columns. */
void topview_render_screen(struct topview *v, int width, int height, struct top_buf *out);
/* A plain-text snapshot (no escapes, long lines kept), ending with a blank line. */
void topview_render_text(struct topview *v, struct top_buf *out);
/* One JSON object and a newline. `final` marks the last one of a run. */
int topview_render_json(struct topview *v, bool final, struct top_buf *out);

/*
 * The terminal in full-screen mode: raw input, alternate screen, hidden
 * cursor, and cprof's own stderr held back (it would scribble over the
 * screen) and replayed on leaving. top_term_leave() runs on every way out:
 * it is called explicitly, from atexit, and from fatal signals.
 */
enum {
	TOP_KEY_UP = 0x100,
	TOP_KEY_DOWN,
	TOP_KEY_PGUP,
	TOP_KEY_PGDN,
	TOP_KEY_ESC,
};

struct top_term {
	int in, out; /* the terminal: stdin and stdout */
	struct termios saved;
	bool active;
	int saved_err; /* the real stderr while it is held back */
	int held_err;  /* where stderr goes meanwhile */
};

int top_term_enter(struct top_term *t);
void top_term_leave(struct top_term *t);
/* Columns and rows; 80x24 when unknown. */
void top_term_size(const struct top_term *t, int *width, int *height);
/* Read what is typed; up to max keys into keys. Returns the count or -errno. */
int top_term_read_keys(struct top_term *t, int *keys, int max);

#endif
