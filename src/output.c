// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
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
