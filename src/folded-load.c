// SPDX-License-Identifier: MIT
/*
 * Folded stacks into a profile (see folded-load.h for what is accepted).
 *
 * Each frame becomes a function of that name and a location of its own, so
 * equal frames share one location and equal lines one stack; a frame
 * annotated "_[i]" joins the location of the frame before it as inlined
 * code, the way the folded writer printed it. The input is never trusted:
 * lengths bound every scan (the data need not end in NUL), every count is
 * checked before it is added, and the sizes that cost memory are capped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folded-load.h"
#include "readall.h"
#include "recfile.h"
#include "strtab.h"
#include "xalloc.h"

/* profile_add_loc keeps at most this many lines per location. */
#define CHAIN_MAX 64

struct parser {
	struct profile *p;
	char *why;
	size_t whylen;
	size_t lineno;
	uint64_t total;
	/* The line being read. */
	uint32_t *locs; /* root first */
	size_t nlocs, cap_locs;
	struct prof_line chain[CHAIN_MAX]; /* the location being built, outermost first */
	size_t nchain;
	enum loc_kind chain_kind;
	char *name; /* a frame copied out, NUL-terminated */
	size_t cap_name;
	/* Samples without a thread root, made when first needed. */
	uint32_t no_thread;
	/* Processes seen (pid + 1 per slot), so each is added once. */
	uint32_t *pids;
	size_t npids, cap_pids;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* At most 40 bytes of s for a message, printable ASCII only. */
static const char *excerpt(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < n && i < 40 && o + 4 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (i < n && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

__attribute__((format(printf, 2, 3))) static int bad(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(ps->why, ps->whylen, "line %zu: ", ps->lineno);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < ps->whylen)
		vsnprintf(ps->why + n, ps->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return FOLDED_EBADFORMAT;
}

static const char *copy_name(struct parser *ps, const char *s, size_t n)
{
	ps->name = xgrow(ps->name, &ps->cap_name, n + 1, 1);
	memcpy(ps->name, s, n);
	ps->name[n] = '\0';
	return ps->name;
}

/*
 * A root frame "[WORD ID]" or "[WORD ID REST]", ID a positive number that
 * fits a pid. REST (possibly empty) is returned through rest/nrest.
 */
static bool parse_root(const char *f, size_t n, const char *word, pid_t *id, const char **rest,
		       size_t *nrest)
{
	size_t w = strlen(word), i = w + 2;
	long v = 0;

	if (n < w + 4 || f[0] != '[' || memcmp(f + 1, word, w) || f[w + 1] != ' ' ||
	    f[n - 1] != ']')
		return false;
	for (; i < n - 1 && is_digit(f[i]); i++) {
		v = v * 10 + (f[i] - '0');
		if (v > INT32_MAX)
			return false;
	}
	if (i == w + 2 || v == 0)
		return false;
	if (i == n - 1) {
		*rest = f + i;
		*nrest = 0;
	} else if (f[i] == ' ') {
		*rest = f + i + 1;
		*nrest = n - 1 - (i + 1);
	} else {
		return false;
	}
	*id = (pid_t)v;
	return true;
}

static void add_process(struct parser *ps, pid_t pid, const char *cmdline, size_t n)
{
	size_t mask, i;

	if (ps->npids * 2 >= ps->cap_pids) {
		size_t cap = ps->cap_pids ? ps->cap_pids * 2 : 64;
		uint32_t *slots = xcalloc(cap, sizeof(*slots));

		for (size_t j = 0; j < ps->cap_pids; j++) {
			if (!ps->pids[j])
				continue;
			for (i = hash_mix(5, ps->pids[j]) & (cap - 1); slots[i];
			     i = (i + 1) & (cap - 1))
				;
			slots[i] = ps->pids[j];
		}
		free(ps->pids);
		ps->pids = slots;
		ps->cap_pids = cap;
	}
	mask = ps->cap_pids - 1;
	for (i = hash_mix(5, (uint32_t)pid + 1) & mask; ps->pids[i]; i = (i + 1) & mask)
		if (ps->pids[i] == (uint32_t)pid + 1)
			return;
	ps->pids[i] = (uint32_t)pid + 1;
	ps->npids++;
	profile_add_process(ps->p, pid, copy_name(ps, cmdline, n));
}

/* Where the frame at s ends: at the next ';' or at end. */
static const char *frame_end(const char *s, const char *end)
{
	const char *semi = memchr(s, ';', (size_t)(end - s));

	return semi ? semi : end;
}

/*
 * The thread of a line from its root frames, which are skipped: *frames and
 * *nbytes are left on the rest, which is empty when the line is roots alone
 * (a sample without a stack, as the writer prints it).
 */
static uint32_t line_thread(struct parser *ps, const char **frames, size_t *nbytes)
{
	const char *s = *frames, *end = s + *nbytes, *fe, *rest = "";
	bool have_proc = false, have_thread = false;
	pid_t pid = 0, tid = 0;
	size_t nrest = 0;

	fe = frame_end(s, end);
	if (parse_root(s, (size_t)(fe - s), "process", &pid, &rest, &nrest)) {
		have_proc = true;
		add_process(ps, pid, rest, nrest);
		ps->p->meta.processes = true;
		s = fe < end ? fe + 1 : end;
		fe = frame_end(s, end);
	}
	if (s < end && parse_root(s, (size_t)(fe - s), "thread", &tid, &rest, &nrest)) {
		have_thread = true;
		ps->p->meta.threads = true;
		s = fe < end ? fe + 1 : end;
	}
	*nbytes = (size_t)(end - s);
	*frames = s;
	if (!have_proc && !have_thread) {
		if (ps->no_thread == UINT32_MAX)
			ps->no_thread = profile_add_thread(ps->p, 0, 0, "");
		return ps->no_thread;
	}
	if (!have_thread)
		tid = pid; /* the process alone: its main thread */
	uint32_t t = profile_find_thread(ps->p, pid, tid);

	if (t != UINT32_MAX)
		return t;
	return profile_add_thread(ps->p, pid, tid, have_thread ? copy_name(ps, rest, nrest) : "");
}

static void flush_chain(struct parser *ps)
{
	struct prof_line lines[CHAIN_MAX];

	if (!ps->nchain)
		return;
	/* Innermost first in a location. */
	for (size_t i = 0; i < ps->nchain; i++)
		lines[i] = ps->chain[ps->nchain - 1 - i];
	*VEC_PUSH(ps->locs, ps->nlocs, ps->cap_locs) =
		profile_add_loc(ps->p, 0, 0, ps->chain_kind, lines, ps->nchain);
	ps->nchain = 0;
}

static void add_frame(struct parser *ps, const char *f, size_t n)
{
	enum loc_kind kind = LOC_NATIVE;
	bool inlined = false;

	if (n > 4 && f[n - 4] == '_' && f[n - 3] == '[' && f[n - 1] == ']') {
		switch (f[n - 2]) {
		case 'i':
			inlined = true;
			n -= 4;
			break;
		case 'j':
			kind = LOC_JIT;
			n -= 4;
			break;
		case 'k':
		case 'w': n -= 4; break;
		default: break;
		}
	}
	const char *name = copy_name(ps, f, n);

	if (!strcmp(name, "[unknown]"))
		kind = LOC_UNKNOWN;
	else if (!strcmp(name, "[truncated]"))
		kind = LOC_TRUNCATED;

	struct prof_line l = { .func = profile_add_func(ps->p, name, NULL, 0), .inlined = inlined };

	/* Inlined code joins the location before it, while it has room. */
	if (!inlined || !ps->nchain || ps->nchain == CHAIN_MAX) {
		flush_chain(ps);
		ps->chain_kind = kind;
	}
	ps->chain[ps->nchain++] = l;
}

/* One line, without its line end. Returns 0 or FOLDED_EBADFORMAT. */
static int parse_line(struct parser *ps, const char *s, size_t n)
{
	char ex[64], ex2[64];
	size_t i, cstart, depth = 0;
	uint64_t count = 0;

	if (memchr(s, '\0', n))
		return bad(ps, "a NUL byte: not folded stacks (a binary file?)");
	while (n && is_blank(s[n - 1]))
		n--;
	for (i = 0; i < n && is_blank(s[i]); i++)
		;
	if (i == n)
		return 0; /* an empty line */
	/* The count: after the last white space. */
	for (cstart = n; cstart && !is_blank(s[cstart - 1]); cstart--)
		;
	if (!cstart)
		return bad(ps,
			   "no sample count after the stack (expected 'frame;frame;... COUNT')");
	for (i = cstart; i < n; i++) {
		if (!is_digit(s[i]))
			return bad(ps, "sample count '%s' is not a whole number",
				   excerpt(s + cstart, n - cstart, ex, sizeof(ex)));
		count = count * 10 + (uint64_t)(s[i] - '0');
		if (count > FOLDED_MAX_SAMPLES)
			return bad(ps, "sample count %s is too large (at most %llu in all)",
				   excerpt(s + cstart, n - cstart, ex, sizeof(ex)),
				   (unsigned long long)FOLDED_MAX_SAMPLES);
	}
	size_t cend = n;

	n = cstart;
	while (n && is_blank(s[n - 1]))
		n--;
	if (!n)
		return bad(ps, "no frames before the sample count");
	/* "stack COUNT COUNT" is a differential line, not one profile. */
	for (i = n; i && is_digit(s[i - 1]); i--)
		;
	if (i < n && i && is_blank(s[i - 1])) {
		size_t j = i - 1;

		while (j && is_blank(s[j - 1]))
			j--;
		if (j && s[j - 1] != ';')
			return bad(ps,
				   "two sample counts (%s and %s): the input of a differential "
				   "flame graph? cprof diff compares two ordinary profiles",
				   excerpt(s + i, n - i, ex, sizeof(ex)),
				   excerpt(s + cstart, cend - cstart, ex2, sizeof(ex2)));
	}
	if (ps->total + count > FOLDED_MAX_SAMPLES)
		return bad(ps, "the sample counts add up to more than %llu",
			   (unsigned long long)FOLDED_MAX_SAMPLES);

	const char *frames = s;
	size_t nbytes = n;
	uint32_t thread = line_thread(ps, &frames, &nbytes);

	ps->nlocs = 0;
	ps->nchain = 0;
	/* Roots alone, or "[empty]" after them, are a sample without frames. */
	if (frames > s && frames == s + n) {
		/* ... but roots then ';' and nothing is an empty frame. */
		if (s[n - 1] == ';')
			return bad(ps, "frame %zu is empty (in '%s')", (size_t)1,
				   excerpt(s, n, ex, sizeof(ex)));
	} else if (!(nbytes == 7 && !memcmp(frames, "[empty]", 7))) {
		const char *p = frames, *end = frames + nbytes;

		for (;;) {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			size_t len = semi ? (size_t)(semi - p) : (size_t)(end - p);

			if (!len)
				return bad(ps, "frame %zu is empty (in '%s')", depth + 1,
					   excerpt(s, n, ex, sizeof(ex)));
			if (++depth > FOLDED_MAX_DEPTH)
				return bad(ps, "more than %d frames", FOLDED_MAX_DEPTH);
			add_frame(ps, p, len);
			if (!semi)
				break;
			p = semi + 1;
		}
		flush_chain(ps);
	}
	/* Leaf first in a stack. */
	for (size_t a = 0, b = ps->nlocs; a + 1 < b; a++, b--) {
		uint32_t t = ps->locs[a];

		ps->locs[a] = ps->locs[b - 1];
		ps->locs[b - 1] = t;
	}
	uint32_t stack = profile_add_stack(ps->p, ps->locs, ps->nlocs);
	struct prof_sample smp = { .thread = thread, .stack = stack, .state = 'R', .syscall = -1 };

	for (uint64_t k = 0; k < count; k++)
		profile_add_sample(ps->p, &smp);
	ps->total += count;
	return 0;
}

int folded_parse(const char *data, size_t len, struct profile **out, char *why, size_t whylen)
{
	struct parser ps = { .why = why, .whylen = whylen, .no_thread = UINT32_MAX };
	size_t pos = 0;
	int err = 0;

	*out = NULL;
	if (whylen)
		why[0] = '\0';
	if (len > FOLDED_MAX_BYTES) {
		snprintf(why, whylen, "too large for folded stacks (%zu bytes, at most %llu)", len,
			 (unsigned long long)FOLDED_MAX_BYTES);
		return FOLDED_EBADFORMAT;
	}
	ps.p = profile_new();
	while (pos < len) {
		const char *s = data + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + (nl ? 1 : 0);
		ps.lineno++;
		if (n && s[n - 1] == '\r')
			n--;
		err = parse_line(&ps, s, n);
		if (err)
			break;
	}
	free(ps.locs);
	free(ps.name);
	free(ps.pids);
	if (err) {
		profile_free(ps.p);
		return err;
	}
	*out = ps.p;
	return 0;
}

static int load_path(const char *path, char **data, size_t *len, char *why, size_t whylen)
{
	int err = read_path(path, FOLDED_MAX_BYTES, data, len);

	if (err == -EFBIG)
		snprintf(why, whylen, "larger than %llu bytes",
			 (unsigned long long)FOLDED_MAX_BYTES);
	else if (err)
		snprintf(why, whylen, "%s", strerror(-err));
	return err;
}

int folded_load(const char *path, struct profile **out, char *why, size_t whylen)
{
	char *data;
	size_t len;
	int err;

	*out = NULL;
	err = load_path(path, &data, &len, why, whylen);
	if (err)
		return err;
	err = folded_parse(data, len, out, why, whylen);
	free(data);
	return err;
}

/* Other kinds of profile are the likely mistakes; name them. */
static const char *other_format(const char *d, size_t len)
{
	switch (file_kind_of(d, len)) {
	case FILE_GZIP: return "gzip-compressed data (a pprof profile?)";
	case FILE_SVG: return "an SVG file";
	case FILE_JSON: return "a JSON file";
	case FILE_UNKNOWN: break;
	}
	return NULL;
}

int profile_load_any(const char *path, struct profile **out, char *why, size_t whylen)
{
	/*
	 * The start of a recording's magic (recfile.h), before the CR LF that
	 * mangled transfers change: recfile_parse says what happened to those.
	 */
	static const char magic[] = "\x89"
				    "CPROF";
	size_t sig = sizeof(magic) - 1;
	const char *other;
	char *data;
	size_t len;
	int err;

	*out = NULL;
	err = load_path(path, &data, &len, why, whylen);
	if (err)
		return err;
	if (len && !memcmp(data, magic, len < sig ? len : sig)) {
		if (len <= sig + 2) {
			snprintf(why, whylen, "truncated recording (%zu bytes)", len);
			err = RECFILE_EBADFORMAT;
		} else if (memcmp(data + sig, "\r\n", 2)) {
			snprintf(why, whylen,
				 "damaged recording: its first line end was changed "
				 "(copied as text?)");
			err = RECFILE_EBADFORMAT;
		} else {
			err = recfile_parse((const uint8_t *)data, len, out, why, whylen);
			if (err && err != RECFILE_EBADFORMAT)
				snprintf(why, whylen, "%s", strerror(-err));
		}
	} else if ((other = other_format(data, len))) {
		snprintf(why, whylen, "neither a cprof recording nor folded stacks, but %s", other);
		err = FOLDED_EBADFORMAT;
	} else {
		err = folded_parse(data, len, out, why, whylen);
	}
	free(data);
	return err;
}
