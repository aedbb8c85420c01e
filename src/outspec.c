// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "outspec.h"
#include "xalloc.h"

void outspecs_add(struct outspecs *o, const char *path)
{
	struct outspec *s = VEC_PUSH(o->v, o->n, o->cap);

	s->path = path;
	s->fmt = NULL;
}

int outspecs_force(struct outspecs *o, const char *name, char *why, size_t len)
{
	o->forced = output_find(name);
	if (!o->forced) {
		snprintf(why, len, "unknown format '%s' (known: %s)", name, output_names());
		return -EINVAL;
	}
	return 0;
}

int output_path_check(const char *opt, const char *path, char *why, size_t len)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char *dir;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s '%s': is a directory", opt, path);
		return -EINVAL;
	}
	dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	if (!*dir) {
		free(dir);
		dir = xstrdup("/");
	}
	int serr = stat(dir, &st) ? errno : 0;

	if (serr && serr != ENOENT && serr != ENOTDIR) {
		/* EACCES: a directory on the way may not be searched. */
		snprintf(why, len, "%s '%s': cannot reach directory '%s': %s", opt, path, dir,
			 strerror(serr));
		free(dir);
		return -EINVAL;
	}
	if (serr || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s '%s': directory '%s' does not exist", opt, path, dir);
		free(dir);
		return -EINVAL;
	}
	if (access(dir, W_OK | X_OK)) {
		snprintf(why, len, "%s '%s': cannot write in directory '%s': %s", opt, path, dir,
			 strerror(errno));
		free(dir);
		return -EINVAL;
	}
	free(dir);
	return 0;
}

int outspecs_check(struct outspecs *o, char *why, size_t len)
{
	for (size_t i = 0; i < o->n; i++) {
		struct outspec *s = &o->v[i];

		if (!*s->path) {
			snprintf(why, len, "-o: empty file name");
			return -EINVAL;
		}
		s->fmt = o->forced ? o->forced : output_for_path(s->path);
		if (!s->fmt) {
			/* The extension of the file's name, not of a directory's. */
			const char *base = strrchr(s->path, '/');
			const char *dot = strrchr(base ? base + 1 : s->path, '.');

			snprintf(why, len,
				 "-o '%s': cannot tell the format from %s%s%s (use .svg, .json, "
				 ".folded, .txt, or --format: %s)",
				 s->path, dot ? "the extension '" : "a name without extension",
				 dot ? dot : "", dot ? "'" : "", output_names());
			return -EINVAL;
		}
		int err = output_path_check("-o", s->path, why, len);

		if (err)
			return err;
	}
	return 0;
}

int outspecs_write(const struct outspecs *o, const struct profile *p, const struct render_opts *ro,
		   char *written, size_t wlen)
{
	int failures = 0;
	size_t used = 0;

	if (wlen)
		written[0] = '\0';
	for (size_t i = 0; i < o->n; i++) {
		const struct outspec *s = &o->v[i];
		int err = output_write_file(s->path, s->fmt, p, ro);

		if (err) {
			error_msg("cannot write '%s': %s", s->path, strerror(-err));
			failures++;
			continue;
		}
		if (used < wlen) {
			int n = snprintf(written + used, wlen - used, "%s%s", used ? ", " : "",
					 s->path);

			if (n > 0)
				used += (size_t)n;
		}
	}
	return failures;
}

void outspecs_release(struct outspecs *o)
{
	free(o->v);
	memset(o, 0, sizeof(*o));
}
