// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <strings.h>

#include "log.h"
#include "options.h"
#include "xalloc.h"

int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out, char *why,
	       size_t whylen)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)s[0])) {
		snprintf(why, whylen, "'%s' is not a number", s ? s : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end) {
		snprintf(why, whylen, "'%s' is not a number", s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(why, whylen, "%s is out of range (%lu..%lu)", s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int parse_pid(const char *s, pid_t *out, char *why, size_t whylen)
{
	unsigned long v;

	if (s && s[0] == '-') {
		snprintf(why, whylen, "'%s' is not a valid pid (must be a positive number)", s);
		return -EINVAL;
	}
	if (parse_uint(s, 0, INT_MAX, &v, why, whylen))
		return -EINVAL;
	if (v == 0) {
		snprintf(why, whylen, "0 is not a valid pid (must be a positive number)");
		return -EINVAL;
	}
	*out = (pid_t)v;
	return 0;
}

int parse_double(const char *s, double min, double max, double *out, char *why, size_t whylen)
{
	char *end;
	double v;

	if (!s || !*s) {
		snprintf(why, whylen, "empty value");
		return -EINVAL;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(v)) {
		snprintf(why, whylen, "'%s' is not a number", s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(why, whylen, "%s is out of range (%g..%g)", s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int parse_duration(const char *s, uint64_t *ns, char *why, size_t whylen)
{
	char *end;
	double v, scale = 1e9;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.')) {
		snprintf(why, whylen, "'%s' is not a duration (e.g. 30, 1.5, 500ms, 2m)",
			 s ? s : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v)) {
		snprintf(why, whylen, "'%s' is not a duration (e.g. 30, 1.5, 500ms, 2m)", s);
		return -EINVAL;
	}
	if (!strcmp(end, "") || !strcmp(end, "s"))
		scale = 1e9;
	else if (!strcmp(end, "ms"))
		scale = 1e6;
	else if (!strcmp(end, "m"))
		scale = 60e9;
	else if (!strcmp(end, "h"))
		scale = 3600e9;
	else {
		snprintf(why, whylen, "'%s' is not a duration (e.g. 30, 1.5, 500ms, 2m)", s);
		return -EINVAL;
	}
	v *= scale;
	if (v < 1e6) {
		snprintf(why, whylen, "'%s' is too short (at least 1ms)", s);
		return -EINVAL;
	}
	if (v > 366.0 * 24 * 3600e9) {
		snprintf(why, whylen, "'%s' is too long (at most a year)", s);
		return -EINVAL;
	}
	*ns = (uint64_t)v;
	return 0;
}

int parse_rate(const char *s, unsigned int max, unsigned int *out, char *why, size_t whylen)
{
	unsigned long v;

	if (parse_uint(s, 1, max, &v, why, whylen))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int parse_tid_list(const char *s, pid_t **out, size_t *n, char *why, size_t whylen)
{
	pid_t *v = NULL;
	size_t len = 0, cap = 0;
	const char *p = s;

	if (!s || !*s) {
		snprintf(why, whylen, "empty thread list");
		return -EINVAL;
	}
	while (*p) {
		char *end;
		long a, b;

		if (!isdigit((unsigned char)*p))
			goto bad;
		a = strtol(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			b = strtol(p, &end, 10);
			p = end;
		}
		if (a <= 0 || b < a || b > INT_MAX || b - a > 100000)
			goto bad;
		for (long t = a; t <= b; t++)
			*VEC_PUSH(v, len, cap) = (pid_t)t;
		if (*p == ',') {
			if (!*++p)
				goto bad; /* a trailing comma */
		} else if (*p) {
			goto bad;
		}
	}
	qsort(v, len, sizeof(*v), cmp_pid);
	*out = v;
	*n = len;
	return 0;
bad:
	free(v);
	snprintf(why, whylen, "'%s' is not a list of thread ids (e.g. 1234,1240-1245)", s);
	return -EINVAL;
}

bool tid_list_has(const pid_t *list, size_t n, pid_t tid)
{
	return n && bsearch(&tid, list, n, sizeof(*list), cmp_pid) != NULL;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why, size_t whylen)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !isdigit((unsigned char)s[0])) {
		snprintf(why, whylen, "'%s' is not a size (e.g. 65536, 64K, 1M)", s ? s : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno) {
		snprintf(why, whylen, "'%s' is not a size (e.g. 65536, 64K, 1M)", s);
		return -EINVAL;
	}
	if (!strcasecmp(end, "k") || !strcasecmp(end, "kb") || !strcasecmp(end, "kib"))
		mult = 1024;
	else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb") || !strcasecmp(end, "mib"))
		mult = 1024 * 1024;
	else if (*end) {
		snprintf(why, whylen, "'%s' is not a size (e.g. 65536, 64K, 1M)", s);
		return -EINVAL;
	}
	if (v > UINT64_MAX / mult || v * mult < min || v * mult > max) {
		snprintf(why, whylen, "%s is out of range (%llu..%llu bytes)", s,
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v * mult;
	return 0;
}

void getopt_error(const char *cmd, int c, char *const *argv)
{
	/* A long option is named by its argv word, a short one by optopt. */
	const char *word = optind > 0 ? argv[optind - 1] : "";
	char name[64];

	if (word && !strncmp(word, "--", 2))
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(word, "="), word);
	else if (optopt)
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%s", word ? word : "");
	if (c == ':')
		error_msg("%s: option '%s' requires an argument (try --help)", cmd, name);
	else if (optopt && word && !strncmp(word, "--", 2) && strchr(word, '='))
		error_msg("%s: option '%s' takes no argument (try --help)", cmd, name);
	else
		error_msg("%s: unknown option '%s' (try --help)", cmd, name);
}
