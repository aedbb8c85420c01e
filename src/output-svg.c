// SPDX-License-Identifier: MIT
/*
 * Interactive SVG flame graph in the style of flamegraph.pl: root at the
 * bottom, one row per stack depth, widths proportional to samples, children
 * in name order. The document is self-contained: its own style sheet and
 * script give hover details, click-to-zoom and regex search, and the frames
 * are plain <rect>s so it still reads as a picture where scripts don't run.
 *
 * Each frame is a <g> whose first child is a <title> (the tooltip) and whose
 * fl:s / fl:n / fl:d attributes give its start and width in samples and its
 * depth, so the script lays out zoomed views exactly instead of scaling
 * rounded pixel positions.
 *
 * Colours come from a hash of the frame's name and kind, never from chance,
 * so the same profile always renders to the same bytes. In differential
 * mode (o->base) they show instead how each frame's share of the samples
 * changed from the baseline.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "jsonw.h"
#include "output.h"
#include "strtab.h"
#include "xalloc.h"

#define XPAD	       10 /* left and right margin */
#define FRAME_H	       16 /* row pitch; the box is a pixel shorter */
#define TOP	       60 /* title and subtitle */
#define BOTTOM	       34 /* details line */
#define FONT_SIZE      12
#define TITLE_SIZE     17
#define GLYPH	       0.59 /* average glyph width over font size, Verdana-like fonts */
#define CHAR_W	       (FONT_SIZE * GLYPH)
#define DEFAULT_WIDTH  1200
#define MIN_WIDTH      200
#define NAME_MAX_BYTES 4096
#define DIFF_FLOOR     0.01 /* diff colours saturate at this change of share at the least */
#define NS_FLAME       "urn:x-cprof:flame"

struct rgb {
	unsigned int r, g, b;
};

struct svg {
	struct obuf *ob;
	const struct profile *p;
	const struct render_opts *o;
	const struct flame *fl;
	const struct flame *base; /* differential mode, else NULL */
	uint32_t *base_match;	  /* node -> base node or FLAME_NONE */
	double width;		  /* image width */
	double height;
	double px_per_sample;
	double diff_scale;
	uint32_t max_depth; /* of the frames drawn */
	uint32_t *order;    /* frames drawn, pre-order */
	size_t norder;
};

/* ---- text ---- */

/*
 * Copy a symbol name (arbitrary bytes) into out as text XML accepts:
 * control characters dropped, invalid UTF-8 and the non-characters
 * U+FFFE/U+FFFF replaced by U+FFFD. Escaping happens when it is written.
 * Returns the number of characters, which is what labels are fitted by.
 */
static size_t clean_text(const char *in, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t o = 0, chars = 0;

	while (*s && o + 5 <= len) {
		uint32_t cp;
		int n = utf8_decode(s, &cp);

		if (!n) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			s++;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			s += n;
			continue;
		} else if (cp == 0xfffe || cp == 0xffff) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			s += n;
		} else {
			memcpy(out + o, s, (size_t)n);
			o += (size_t)n;
			s += n;
		}
		chars++;
	}
	out[o] = '\0';
	return chars;
}

/* Write clean text escaped for XML, at most max_chars characters of it. */
static void xml_put(struct obuf *f, const char *s, size_t max_chars)
{
	size_t chars = 0;

	for (; *s; s++) {
		/* A character starts at every byte that is not a continuation byte. */
		if (((unsigned char)*s & 0xc0) != 0x80 && chars++ == max_chars)
			break;
		switch (*s) {
		case '&': ob_puts(f, "&amp;"); break;
		case '<': ob_puts(f, "&lt;"); break;
		case '>': ob_puts(f, "&gt;"); break;
		case '"': ob_puts(f, "&quot;"); break;
		case '\'': ob_puts(f, "&#39;"); break;
		default: ob_putc(f, *s); break;
		}
	}
}

/* Write clean text cut to fit `px` pixels at glyph width `cw`, ".." marking a cut. */
static void put_fitted(struct obuf *f, const char *s, size_t chars, double px, double cw)
{
	double fit = floor(px / cw);

	if (fit < 3)
		return;
	if ((double)chars <= fit) {
		xml_put(f, s, SIZE_MAX);
	} else {
		xml_put(f, s, (size_t)fit - 2);
		ob_puts(f, "..");
	}
}

/* 1234567 -> "1,234,567" */
static const char *thousands(uint64_t v, char *buf, size_t len)
{
	char digits[32];
	size_t n = fmt_u64(digits, v), o = 0;

	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* ---- colours ---- */

/* FNV-1a spreads poorly into the low bits of short names: finish the mixing. */
static uint64_t name_hash(const char *name)
{
	uint64_t h = hash_bytes(name, strlen(name));

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Three independent values in [0, 1] from one hash. */
static double part(uint64_t h, int i)
{
	return (double)((h >> (i * 20)) & 0xfffff) / (double)0xfffff;
}

static unsigned int span(double lo, double hi, double t)
{
	return (unsigned int)lround(lo + (hi - lo) * t);
}

static struct rgb kind_colour(const struct flame_node *n)
{
	uint64_t h = name_hash(n->name);
	double a = part(h, 0), b = part(h, 1), c = part(h, 2);

	switch (n->kind) {
	case FLAME_INLINE: /* aqua */
		return (struct rgb){ span(50, 110, a), span(165, 215, b), span(180, 225, c) };
	case FLAME_JIT: /* green */
		return (struct rgb){ span(50, 110, a), span(190, 235, b), span(50, 110, c) };
	case FLAME_UNKNOWN: { /* grey */
		unsigned int v = span(170, 205, a);

		return (struct rgb){ v, v, v };
	}
	case FLAME_TRUNCATED: /* violet: the graph is incomplete here */
		return (struct rgb){ 190, 150, 235 };
	case FLAME_THREAD: /* pale sand: a container, not code */
		return (struct rgb){ span(220, 235, a), span(205, 220, b), span(160, 180, c) };
	case FLAME_PROCESS: /* steel blue */
		return (struct rgb){ span(105, 125, a), span(140, 160, b), span(205, 220, c) };
	default: /* hot: reds through yellows, the flame-graph default */
		return (struct rgb){ span(205, 255, a), span(0, 230, b), span(0, 55, c) };
	}
}

/* Share of the samples in this frame now minus its share in the baseline. */
static double frame_delta(const struct svg *s, uint32_t node)
{
	uint64_t total = s->fl->nodes[0].count, btotal = s->base->nodes[0].count;
	uint32_t b = s->base_match[node];
	double now = total ? (double)s->fl->nodes[node].count / (double)total : 0;
	double before =
		b != FLAME_NONE && btotal ? (double)s->base->nodes[b].count / (double)btotal : 0;

	return now - before;
}

static struct rgb diff_colour(double delta, double scale)
{
	double t = fmin(fabs(delta) / scale, 1);
	/* Pale for no change, saturating with the size of the change. */
	unsigned int v = span(235, 60, t);

	if (delta > 0)
		return (struct rgb){ 255, v, v };
	if (delta < 0)
		return (struct rgb){ v, v, 255 };
	return (struct rgb){ 235, 235, 235 };
}

/* ---- layout ---- */

/* The frames wide enough to draw, in pre-order; narrow ones take their subtrees. */
static void choose_frames(struct svg *s, double minwidth)
{
	const struct flame *fl = s->fl;
	size_t cap = 0;

	for (uint32_t n = 0; n != FLAME_NONE;) {
		if (n && (double)fl->nodes[n].count * s->px_per_sample < minwidth) {
			n = flame_next(fl, n, true);
			continue;
		}
		*VEC_PUSH(s->order, s->norder, cap) = n;
		if (fl->nodes[n].depth > s->max_depth)
			s->max_depth = fl->nodes[n].depth;
		n = flame_next(fl, n, false);
	}
}

/* Each drawn frame's counterpart in the baseline, and the colour scale. */
static void match_base(struct svg *s)
{
	const struct flame *fl = s->fl;
	double most = 0;

	s->base_match = xmalloc(fl->nnodes * sizeof(*s->base_match));
	for (size_t i = 0; i < s->norder; i++) {
		uint32_t n = s->order[i];
		const struct flame_node *node = &fl->nodes[n];

		/* Pre-order: a frame's parent is matched before the frame. */
		if (!n)
			s->base_match[n] = 0;
		else
			s->base_match[n] = flame_child(s->base, s->base_match[node->parent],
						       node->name, node->kind);
		most = fmax(most, fabs(frame_delta(s, n)));
	}
	s->diff_scale = fmax(most, DIFF_FLOOR);
}

/* ---- document ---- */

static const char style[] =
	"text { font-family: Verdana, \"DejaVu Sans\", sans-serif; font-size: 12px;\n"
	"\tfill: rgb(0,0,0); }\n"
	"#title { font-size: 17px; text-anchor: middle; }\n"
	"#subtitle { text-anchor: middle; fill: rgb(80,80,80); }\n"
	"#search, #matched { text-anchor: end; }\n"
	"#empty { font-size: 17px; text-anchor: middle; fill: rgb(80,80,80); }\n"
	".button { cursor: pointer; fill: rgb(40,40,140); }\n"
	".button:hover { text-decoration: underline; }\n"
	"#frames > g { cursor: pointer; }\n"
	"#frames > g:hover > rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
	".hide { display: none; }\n"
	".parent { opacity: 0.5; }\n";

/*
 * The behaviour. Frames are read back from the document, so the script
 * holds no data of its own; every view is computed from a frame's sample
 * range, which makes zooming exact and zooming out lossless.
 */
static const char script[] =
	"(function () {\n"
	"\t\"use strict\";\n"
	"\tvar NS = \"" NS_FLAME "\", MATCH = \"rgb(230,0,230)\";\n"
	"\tvar svg = document.documentElement, W = +svg.getAttribute(\"width\");\n"
	"\tvar details = document.getElementById(\"details\");\n"
	"\tvar matched = document.getElementById(\"matched\");\n"
	"\tvar unzoomButton = document.getElementById(\"unzoom\");\n"
	"\tvar searchButton = document.getElementById(\"search\");\n"
	"\tvar box = document.getElementById(\"frames\");\n"
	"\tvar frames = [], total = 0, pattern = null;\n"
	"\n"
	"\tfor (var g = box.firstElementChild; g; g = g.nextElementSibling) {\n"
	"\t\tvar info = g.firstElementChild.textContent;\n"
	"\t\t/* The tooltip is \"name (statistics)\"; the name may hold parentheses too. */\n"
	"\t\tvar name = info.replace(/ \\([^()]*\\)$/, \"\");\n"
	"\t\tvar f = {\n"
	"\t\t\tg: g, info: info, name: name, chars: Array.from(name),\n"
	"\t\t\trect: g.getElementsByTagName(\"rect\")[0],\n"
	"\t\t\ttext: g.getElementsByTagName(\"text\")[0],\n"
	"\t\t\ts: +g.getAttributeNS(NS, \"s\"), n: +g.getAttributeNS(NS, \"n\"),\n"
	"\t\t\td: +g.getAttributeNS(NS, \"d\")\n"
	"\t\t};\n"
	"\t\tf.fill = f.rect.getAttribute(\"fill\");\n"
	"\t\tg.cprofFrame = f;\n"
	"\t\tframes.push(f);\n"
	"\t}\n"
	"\tif (!frames.length)\n"
	"\t\treturn;\n"
	"\ttotal = frames[0].n;\n"
	"\n"
	"\tfunction frameOf(el) {\n"
	"\t\tfor (; el && el !== box; el = el.parentNode)\n"
	"\t\t\tif (el.cprofFrame)\n"
	"\t\t\t\treturn el.cprofFrame;\n"
	"\t\treturn null;\n"
	"\t}\n"
	"\n"
	"\t/* Same rule as the writer: whole characters, \"..\" marking a cut. */\n"
	"\tfunction label(f, w) {\n"
	"\t\tvar fit = Math.floor((w - 6) / CHAR_W);\n"
	"\t\tif (fit < 3)\n"
	"\t\t\treturn \"\";\n"
	"\t\tif (f.chars.length <= fit)\n"
	"\t\t\treturn f.name;\n"
	"\t\treturn f.chars.slice(0, fit - 2).join(\"\") + \"..\";\n"
	"\t}\n"
	"\n"
	"\tfunction place(f, x, w, parent) {\n"
	"\t\tf.g.classList.remove(\"hide\");\n"
	"\t\tf.g.classList.toggle(\"parent\", parent);\n"
	"\t\tf.rect.setAttribute(\"x\", x.toFixed(1));\n"
	"\t\tf.rect.setAttribute(\"width\", w.toFixed(1));\n"
	"\t\tf.text.setAttribute(\"x\", (x + 3).toFixed(2));\n"
	"\t\tf.text.textContent = label(f, w);\n"
	"\t}\n"
	"\n"
	"\t/*\n"
	"\t * Show z at full width: its ancestors stretched and faded, its\n"
	"\t * descendants rescaled, everything else hidden. Sample ranges nest,\n"
	"\t * so ancestry is range containment at a lower depth.\n"
	"\t */\n"
	"\tfunction zoom(z) {\n"
	"\t\tif (!z)\n"
	"\t\t\tz = frames[0];\n"
	"\t\tvar end = z.s + z.n, scale = (W - 2 * PAD) / z.n;\n"
	"\t\tframes.forEach(function (f) {\n"
	"\t\t\tif (f.d < z.d && f.s <= z.s && f.s + f.n >= end)\n"
	"\t\t\t\tplace(f, PAD, W - 2 * PAD, true);\n"
	"\t\t\telse if (f.d >= z.d && f.s >= z.s && f.s + f.n <= end)\n"
	"\t\t\t\tplace(f, PAD + (f.s - z.s) * scale, f.n * scale, false);\n"
	"\t\t\telse\n"
	"\t\t\t\tf.g.classList.add(\"hide\");\n"
	"\t\t});\n"
	"\t\tunzoomButton.classList.toggle(\"hide\", z === frames[0]);\n"
	"\t}\n"
	"\n"
	"\tfunction search(re) {\n"
	"\t\tvar hits = [], sum = 0, end = 0;\n"
	"\t\tpattern = re;\n"
	"\t\tframes.forEach(function (f) {\n"
	"\t\t\tvar hit = re.test(f.name);\n"
	"\t\t\tf.rect.setAttribute(\"fill\", hit ? MATCH : f.fill);\n"
	"\t\t\tif (hit)\n"
	"\t\t\t\thits.push(f);\n"
	"\t\t});\n"
	"\t\t/* A match inside another match is already counted by the outer one. */\n"
	"\t\thits.sort(function (a, b) { return a.s - b.s || b.n - a.n; });\n"
	"\t\thits.forEach(function (f) {\n"
	"\t\t\tif (f.s >= end) {\n"
	"\t\t\t\tsum += f.n;\n"
	"\t\t\t\tend = f.s + f.n;\n"
	"\t\t\t}\n"
	"\t\t});\n"
	"\t\tmatched.textContent = \"Matched: \" + (100 * sum / total).toFixed(1) + \"% (\" +\n"
	"\t\t\tsum.toLocaleString(\"en-US\") + \" of \" +\n"
	"\t\t\ttotal.toLocaleString(\"en-US\") + \")\";\n"
	"\t\tsearchButton.textContent = \"Reset Search\";\n"
	"\t}\n"
	"\n"
	"\tfunction resetSearch() {\n"
	"\t\tpattern = null;\n"
	"\t\tframes.forEach(function (f) { f.rect.setAttribute(\"fill\", f.fill); });\n"
	"\t\tmatched.textContent = \" \";\n"
	"\t\tsearchButton.textContent = \"Search\";\n"
	"\t}\n"
	"\n"
	"\tfunction askSearch() {\n"
	"\t\tvar term = window.prompt(\"Search for (regular expression):\",\n"
	"\t\t\t\t\t pattern ? pattern.source : \"\");\n"
	"\t\tif (term === null || term === \"\")\n"
	"\t\t\treturn;\n"
	"\t\ttry {\n"
	"\t\t\tsearch(new RegExp(term));\n"
	"\t\t} catch (e) {\n"
	"\t\t\tdetails.textContent = \"Invalid regular expression: \" + term;\n"
	"\t\t}\n"
	"\t}\n"
	"\n"
	"\tbox.addEventListener(\"mouseover\", function (e) {\n"
	"\t\tvar f = frameOf(e.target);\n"
	"\t\tif (f)\n"
	"\t\t\tdetails.textContent = f.info;\n"
	"\t});\n"
	"\tbox.addEventListener(\"mouseout\", function () { details.textContent = \" \"; });\n"
	"\tbox.addEventListener(\"click\", function (e) {\n"
	"\t\tvar f = frameOf(e.target);\n"
	"\t\tif (f)\n"
	"\t\t\tzoom(f);\n"
	"\t});\n"
	"\tunzoomButton.addEventListener(\"click\", function () { zoom(null); });\n"
	"\tsearchButton.addEventListener(\"click\", function () {\n"
	"\t\tif (pattern)\n"
	"\t\t\tresetSearch();\n"
	"\t\telse\n"
	"\t\t\taskSearch();\n"
	"\t});\n"
	"\tdocument.addEventListener(\"keydown\", function (e) {\n"
	"\t\tvar find = (e.ctrlKey || e.metaKey) && (e.key === \"f\" || e.key === \"F\");\n"
	"\t\tif (find || e.key === \"F3\") {\n"
	"\t\t\te.preventDefault();\n"
	"\t\t\taskSearch();\n"
	"\t\t} else if (e.key === \"Escape\") {\n"
	"\t\t\tresetSearch();\n"
	"\t\t}\n"
	"\t});\n"
	"})();\n";

/* Append printf output to a fixed buffer, silently cutting at its end. */
ATTR_PRINTF(3, 4) static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* "ls -l (pid 12) · 2.00 s · 1,234 samples at 99 Hz · on-CPU" */
static void subtitle(const struct svg *s, char *buf, size_t len)
{
	const struct prof_meta *m = &s->p->meta;
	const struct render_opts *o = s->o;
	char num[32], cmd[512];
	const char *sep = "";

	buf[0] = '\0';
	if (m->cmdline && *m->cmdline) {
		size_t chars = clean_text(m->cmdline, cmd, sizeof(cmd));

		/* Leave room for the numbers after a long command line. */
		if (chars > 60) {
			char *p = cmd;

			for (size_t c = 0; c < 58; p++)
				if ((*p & 0xc0) != 0x80)
					c++;
			while ((*p & 0xc0) == 0x80)
				p++;
			strcpy(p, "..");
		}
		append(buf, len, "%s", cmd);
		if (m->pid)
			append(buf, len, " (pid %d)", m->pid);
		sep = " \xc2\xb7 ";
	} else if (m->pid) {
		append(buf, len, "pid %d", m->pid);
		sep = " \xc2\xb7 ";
	}
	if (m->duration_ns) {
		uint64_t from = o->t_from, until = m->duration_ns;

		if (o->t_until && o->t_until < until)
			until = o->t_until;
		if (from || o->t_until)
			append(buf, len, "%s%.2f\xe2\x80\x93%.2f s", sep, (double)from / 1e9,
			       (double)until / 1e9);
		else
			append(buf, len, "%s%.2f s", sep, (double)until / 1e9);
		sep = " \xc2\xb7 ";
	}
	thousands(s->fl->nodes[0].count, num, sizeof(num));
	append(buf, len, "%s%s sample%s", sep, num, s->fl->nodes[0].count == 1 ? "" : "s");
	if (m->rate_hz)
		append(buf, len, " at %u Hz", m->rate_hz);
	append(buf, len, " \xc2\xb7 %s", m->wall_clock ? "wall-clock" : "on-CPU");
	if (s->base) {
		thousands(s->base->nodes[0].count, num, sizeof(num));
		append(buf, len, " \xc2\xb7 vs base of %s: red grew, blue shrank", num);
	}
}

static void write_head(const struct svg *s)
{
	struct obuf *f = s->ob;
	char title[1024], clean[NAME_MAX_BYTES], sub[1024];
	size_t chars;

	ob_printf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
	ob_printf(f,
		  "<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		  "xmlns=\"http://www.w3.org/2000/svg\" xmlns:fl=\"" NS_FLAME "\">\n",
		  s->width, s->height, s->width, s->height);
	render_title(s->p, s->o, title, sizeof(title));
	chars = clean_text(title, clean, sizeof(clean));
	ob_puts(f, "<title>");
	xml_put(f, clean, SIZE_MAX);
	ob_puts(f, "</title>\n");
	ob_puts(f, "<!-- Flame graph by cprof. Hover for details, click to zoom, Ctrl-F to search. "
		   "-->\n");
	ob_puts(f, "<defs><linearGradient id=\"background\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
		   "<stop offset=\"5%\" stop-color=\"#eeeeee\"/><stop offset=\"95%\" "
		   "stop-color=\"#eeeeb0\"/></linearGradient></defs>\n");
	ob_printf(f, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", style);
	ob_printf(f,
		  "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" "
		  "fill=\"url(#background)\"/>\n",
		  s->width, s->height);
	/* Keep clear of the buttons in the corners. */
	ob_printf(f, "<text id=\"title\" x=\"%.1f\" y=\"24\">", s->width / 2);
	put_fitted(f, clean, chars, s->width - 2 * 110, TITLE_SIZE * GLYPH);
	ob_puts(f, "</text>\n");
	subtitle(s, sub, sizeof(sub));
	chars = clean_text(sub, clean, sizeof(clean));
	ob_printf(f, "<text id=\"subtitle\" x=\"%.1f\" y=\"44\">", s->width / 2);
	put_fitted(f, clean, chars, s->width - 2 * XPAD, CHAR_W);
	ob_puts(f, "</text>\n");
}

static void write_empty(const struct svg *s)
{
	ob_printf(s->ob, "<text id=\"empty\" x=\"%.1f\" y=\"%.1f\">No samples collected</text>\n",
		  s->width / 2, (double)TOP + (s->height - TOP - BOTTOM) / 2);
	ob_puts(s->ob, "</svg>\n");
}

static void write_frame(const struct svg *s, uint32_t idx)
{
	const struct flame_node *n = &s->fl->nodes[idx];
	struct obuf *f = s->ob;
	char clean[NAME_MAX_BYTES], num[32];
	size_t chars = clean_text(n->name, clean, sizeof(clean));
	double x = XPAD + (double)n->start * s->px_per_sample;
	double w = (double)n->count * s->px_per_sample;
	double y = s->height - BOTTOM - (double)(n->depth + 1) * FRAME_H + 1;
	uint64_t total = s->fl->nodes[0].count;
	const char *what = "";
	struct rgb c;

	switch (n->kind) {
	case FLAME_INLINE: what = "inlined, "; break;
	case FLAME_JIT: what = "JIT, "; break;
	case FLAME_UNKNOWN: what = "no symbol, "; break;
	default: break;
	}
	/*
	 * Every frame is written this way, so no format strings here: parsing
	 * them and printf's float conversion were most of the time the graph
	 * took. The bytes are what printf made of the same formats.
	 */
	ob_puts(f, "<g fl:s=\"");
	ob_u64(f, n->start);
	ob_puts(f, "\" fl:n=\"");
	ob_u64(f, n->count);
	ob_puts(f, "\" fl:d=\"");
	ob_u64(f, n->depth);
	ob_puts(f, "\"><title>");
	xml_put(f, clean, SIZE_MAX);
	ob_puts(f, " (");
	ob_puts(f, what);
	ob_puts(f, thousands(n->count, num, sizeof(num)));
	ob_puts(f, n->count == 1 ? " sample, " : " samples, ");
	ob_fixed(f, 100.0 * (double)n->count / (double)total, 2);
	ob_putc(f, '%');
	if (s->base) {
		double delta = frame_delta(s, idx);
		uint32_t b = s->base_match[idx];
		uint64_t btotal = s->base->nodes[0].count;
		double before = b != FLAME_NONE && btotal
					? 100.0 * (double)s->base->nodes[b].count / (double)btotal
					: 0;

		ob_printf(f, "; base %.2f%%, %+.2f%%", before, 100 * delta);
		c = diff_colour(delta, s->diff_scale);
	} else {
		c = kind_colour(n);
	}
	ob_puts(f, ")</title><rect x=\"");
	ob_fixed(f, x, 1);
	ob_puts(f, "\" y=\"");
	ob_fixed(f, y, 1);
	ob_puts(f, "\" width=\"");
	ob_fixed(f, w, 1);
	ob_puts(f, "\" height=\"");
	ob_u64(f, FRAME_H - 1);
	ob_puts(f, "\" fill=\"rgb(");
	ob_u64(f, c.r);
	ob_putc(f, ',');
	ob_u64(f, c.g);
	ob_putc(f, ',');
	ob_u64(f, c.b);
	ob_puts(f, ")\" rx=\"2\" ry=\"2\"/><text x=\"");
	ob_fixed(f, x + 3, 2);
	ob_puts(f, "\" y=\"");
	ob_fixed(f, y + 11.5, 1);
	ob_puts(f, "\">");
	put_fitted(f, clean, chars, w - 6, CHAR_W);
	ob_puts(f, "</text></g>\n");
}

static void write_graph(const struct svg *s)
{
	struct obuf *f = s->ob;

	ob_printf(f,
		  "<text id=\"unzoom\" class=\"button hide\" x=\"%d\" y=\"24\">Reset Zoom</text>\n",
		  XPAD);
	ob_printf(f, "<text id=\"search\" class=\"button\" x=\"%.0f\" y=\"24\">Search</text>\n",
		  s->width - XPAD);
	ob_printf(f, "<text id=\"details\" x=\"%d\" y=\"%.0f\"> </text>\n", XPAD, s->height - 12);
	ob_printf(f, "<text id=\"matched\" x=\"%.0f\" y=\"%.0f\"> </text>\n", s->width - XPAD,
		  s->height - 12);
	ob_puts(f, "<g id=\"frames\">\n");
	for (size_t i = 0; i < s->norder; i++)
		write_frame(s, s->order[i]);
	ob_puts(f, "</g>\n");
	/* Last, so the frames it reads are already in the document. */
	ob_printf(f, "<script type=\"text/ecmascript\"><![CDATA[\n");
	/* The layout constants the script shares with the writer. */
	ob_printf(f, "var PAD = %d, CHAR_W = %.2f;\n%s]]></script>\n", XPAD, CHAR_W, script);
	ob_puts(f, "</svg>\n");
}

static int svg_write(FILE *f, const struct profile *p, const struct render_opts *o)
{
	struct flame fl, base = { 0 };
	struct obuf ob;
	struct svg s = { .ob = &ob, .p = p, .o = o, .fl = &fl };
	double minwidth = o->minwidth > 0 ? o->minwidth : 0.1;
	int err;

	ob_init(&ob, f);
	s.width = o->width > 0 ? (o->width < MIN_WIDTH ? MIN_WIDTH : o->width) : DEFAULT_WIDTH;
	err = flame_build(&fl, p, o);
	if (err)
		goto out;
	if (o->base) {
		/* The window is a time range of this recording, not of the baseline. */
		struct render_opts bo = *o;

		bo.t_from = 0;
		bo.t_until = 0;
		bo.base = NULL;
		err = flame_build(&base, o->base, &bo);
		if (err)
			goto out;
		s.base = &base;
	}
	if (!fl.nodes[0].count) {
		s.height = TOP + 3 * FRAME_H + BOTTOM;
		write_head(&s);
		write_empty(&s);
		goto out;
	}
	s.px_per_sample = (s.width - 2 * XPAD) / (double)fl.nodes[0].count;
	choose_frames(&s, minwidth);
	if (s.base)
		match_base(&s);
	s.height = TOP + (double)(s.max_depth + 1) * FRAME_H + BOTTOM;
	write_head(&s);
	write_graph(&s);
out:
	ob_release(&ob);
	free(s.order);
	free(s.base_match);
	flame_release(&fl);
	flame_release(&base);
	if (!err && ferror(f))
		err = -EIO;
	return err;
}

static const char *const svg_suffixes[] = { ".svg", NULL };

const struct output_format output_svg = {
	.name = "svg",
	.suffixes = svg_suffixes,
	.description = "interactive flame graph (SVG): hover, click to zoom, Ctrl-F to search",
	.write = svg_write,
};
