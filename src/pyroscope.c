// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cprof.h"
#include "pyroscope.h"
#include "xalloc.h"

/*
 * The server reads folded bodies with Go's bufio.Scanner, whose default
 * token limit is 64 KiB: one longer line fails the whole push.
 */
#define MAX_LINE  60000
#define TRUNCATED "[truncated]"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* ---- checks ---- */

static size_t scheme_len(const char *url)
{
	if (!strncasecmp(url, "http://", 7))
		return 7;
	if (!strncasecmp(url, "https://", 8))
		return 8;
	return 0;
}

int pyro_check_url(const char *url, char *why, size_t len)
{
	size_t sl = scheme_len(url);

	if (!sl) {
		snprintf(why, len, "'%s' is not an http:// or https:// URL", url);
		return -EINVAL;
	}
	if (has_ctl(url) || strpbrk(url, " \t")) {
		snprintf(why, len, "the URL contains spaces or control characters");
		return -EINVAL;
	}
	const char *host = url + sl;
	size_t alen = strcspn(host, "/?#");

	if (!alen) {
		snprintf(why, len, "'%s' has no host", url);
		return -EINVAL;
	}
	if (memchr(host, '@', alen)) {
		snprintf(why, len,
			 "credentials in the URL would be visible to every user through ps; set "
			 "PYROSCOPE_BASIC_AUTH_USER and PYROSCOPE_BASIC_AUTH_PASSWORD instead");
		return -EINVAL;
	}
	if (strpbrk(url, "?#")) {
		snprintf(why, len, "give the server's base URL, without '?' or '#'");
		return -EINVAL;
	}
	/* The port, if any, after the host or a bracketed IPv6 address. */
	const char *end = host + alen, *colon = NULL;

	if (*host == '[') {
		const char *rb = memchr(host, ']', alen);

		if (!rb || rb == host + 1) {
			snprintf(why, len, "'%s': bad IPv6 address (want [addr])", url);
			return -EINVAL;
		}
		if (rb + 1 < end) {
			if (rb[1] != ':') {
				snprintf(why, len, "'%s': unexpected text after ']'", url);
				return -EINVAL;
			}
			colon = rb + 1;
		}
	} else {
		colon = memchr(host, ':', alen);
		if (colon == host) {
			snprintf(why, len, "'%s' has no host", url);
			return -EINVAL;
		}
	}
	if (colon) {
		unsigned long port = 0;
		const char *d = colon + 1;

		if (d == end) {
			snprintf(why, len, "'%s': no port after ':'", url);
			return -EINVAL;
		}
		for (; d < end; d++) {
			if (*d < '0' || *d > '9' || port > 65535) {
				port = 0;
				break;
			}
			port = port * 10 + (unsigned long)(*d - '0');
		}
		if (!port || port > 65535) {
			snprintf(why, len, "'%s': bad port", url);
			return -EINVAL;
		}
	}
	return 0;
}

bool pyro_url_insecure(const char *url)
{
	static const char *const local[] = { "localhost", "127.", "[::1]" };
	const char *host;

	if (strncasecmp(url, "http://", 7))
		return false;
	host = url + 7;
	for (size_t i = 0; i < ARRAY_SIZE(local); i++) {
		size_t n = strlen(local[i]);

		/* "localhost" must be the whole host, "127." only its start. */
		if (!strncasecmp(host, local[i], n) &&
		    (local[i][n - 1] == '.' || strchr(":/", host[n]) || !host[n]))
			return false;
	}
	return true;
}

int pyro_check_app(const char *app, char *why, size_t len)
{
	if (!*app) {
		snprintf(why, len, "the application name is empty");
		return -EINVAL;
	}
	for (const char *c = app; *c; c++) {
		unsigned char u = (unsigned char)*c;

		if (is_alnum(*c) || strchr("_.-/", *c))
			continue;
		if (u < 0x20 || u >= 0x7f)
			snprintf(why, len, "'%s': only letters, digits and _ . - / are allowed",
				 app);
		else
			snprintf(why, len, "'%s': '%c' is not allowed (letters, digits, _ . - /)",
				 app, *c);
		return -EINVAL;
	}
	if (app[strlen(app) - 1] == '.' || strstr(app, "..") || *app == '.') {
		snprintf(why, len, "'%s': dots separate parts of the name; no empty part", app);
		return -EINVAL;
	}
	return 0;
}

int pyro_check_tag(const char *tag, const char *const *tags, size_t ntags, char *why, size_t len)
{
	const char *eq = strchr(tag, '=');

	if (!eq) {
		snprintf(why, len, "'%s' has no '=': give KEY=VALUE", tag);
		return -EINVAL;
	}
	size_t klen = (size_t)(eq - tag);
	const char *v = eq + 1;

	if (!klen) {
		snprintf(why, len, "'%s': empty key", tag);
		return -EINVAL;
	}
	for (size_t i = 0; i < klen; i++) {
		if (!is_alnum(tag[i]) && tag[i] != '_' && tag[i] != '.') {
			snprintf(why, len, "'%.*s': keys may have letters, digits, _ and . only",
				 (int)klen, tag);
			return -EINVAL;
		}
	}
	if (klen >= 2 && tag[0] == '_' && tag[1] == '_') {
		snprintf(why, len, "'%.*s': keys starting with __ are reserved by Pyroscope",
			 (int)klen, tag);
		return -EINVAL;
	}
	if (!*v) {
		snprintf(why, len, "'%s': empty value", tag);
		return -EINVAL;
	}
	/* The server splits the name at these and has no escape for them. */
	if (strpbrk(v, ",{}") || has_ctl(v)) {
		snprintf(why, len,
			 "'%s': values cannot contain ',', '{', '}' or control characters", tag);
		return -EINVAL;
	}
	if (*v == ' ' || v[strlen(v) - 1] == ' ') {
		snprintf(why, len, "'%s': the server would strip the spaces around the value", tag);
		return -EINVAL;
	}
	for (size_t i = 0; i < ntags; i++) {
		if (!strncmp(tags[i], tag, klen) && tags[i][klen] == '=') {
			snprintf(why, len, "'%.*s' is given twice", (int)klen, tag);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- names and URLs ---- */

char *pyro_series_name(const char *app, bool wall_clock, const char *const *tags, size_t ntags)
{
	static const char *const types[] = { "cpu", "wall", "itimer" };
	const char *dot = strrchr(app, '.');
	const char *suffix = wall_clock ? ".wall" : ".cpu";
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);

	if (!f)
		return NULL;
	for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
		if (!strcmp(dot + 1, types[i]))
			suffix = "";
	fprintf(f, "%s%s", app, suffix);
	if (ntags) {
		fputc('{', f);
		for (size_t i = 0; i < ntags; i++)
			fprintf(f, "%s%s", i ? "," : "", tags[i]);
		fputc('}', f);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *w = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (is_alnum((char)c) || strchr("-._~", c)) {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	*w = '\0';
	return out;
}

char *pyro_ingest_url(const char *base, const char *name, uint64_t from_s, uint64_t until_s,
		      unsigned int rate_hz)
{
	size_t n = strlen(base);
	char *ename = url_encode(name), *url;
	static const char ingest[] = "/ingest";

	while (n > scheme_len(base) && base[n - 1] == '/')
		n--;
	/* A URL that already names the endpoint is taken as it is. */
	bool has_ingest = n >= sizeof(ingest) - 1 &&
			  !strncmp(base + n - (sizeof(ingest) - 1), ingest, sizeof(ingest) - 1);

	url = xasprintf("%.*s%s?name=%s&from=%llu&until=%llu&sampleRate=%u&spyName=cprof"
			"&units=samples&aggregationType=sum&format=folded",
			(int)n, base, has_ingest ? "" : ingest, ename, (unsigned long long)from_s,
			(unsigned long long)until_s, rate_hz);
	free(ename);
	return url;
}

/* ---- body ---- */

char *pyro_folded_body(const struct profile *p, const struct render_opts *o, size_t *len)
{
	struct folded_line *lines;
	size_t n;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	folded_collect(p, o, &lines, &n);
	for (size_t i = 0; i < n; i++) {
		const char *t = lines[i].text;
		size_t tl = strlen(t);

		/*
		 * Keep the leaf end of an overlong stack, as cprof does with
		 * stacks deeper than --max-depth, and mark the cut the same way.
		 */
		if (tl > MAX_LINE) {
			const char *cut = t + tl - (MAX_LINE - sizeof(TRUNCATED));
			const char *semi = strchr(cut, ';');

			t = semi ? semi + 1 : cut;
			fputs(TRUNCATED ";", f);
		}
		fprintf(f, "%s %llu\n", t, (unsigned long long)lines[i].count);
	}
	folded_lines_free(lines, n);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- credentials ---- */

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int pyro_auth_from_env(struct pyro_auth *a, char *why, size_t len)
{
	const char *token = env("PYROSCOPE_AUTH_TOKEN");
	const char *user = env("PYROSCOPE_BASIC_AUTH_USER");
	const char *password = env("PYROSCOPE_BASIC_AUTH_PASSWORD");
	const char *tenant = env("PYROSCOPE_TENANT_ID");
	const struct {
		const char *name, *value;
	} vars[] = {
		{ "PYROSCOPE_AUTH_TOKEN", token },
		{ "PYROSCOPE_BASIC_AUTH_USER", user },
		{ "PYROSCOPE_BASIC_AUTH_PASSWORD", password },
		{ "PYROSCOPE_TENANT_ID", tenant },
	};
	size_t nh = 0;

	memset(a, 0, sizeof(*a));
	/* A line break would end the header and start another. */
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		if (vars[i].value && has_ctl(vars[i].value)) {
			snprintf(why, len, "%s contains control characters", vars[i].name);
			return -EINVAL;
		}
	}
	if (!user != !password) {
		snprintf(why, len, "%s is set but %s is not", user ? vars[1].name : vars[2].name,
			 user ? vars[2].name : vars[1].name);
		return -EINVAL;
	}
	if (user && strchr(user, ':')) {
		snprintf(why, len, "PYROSCOPE_BASIC_AUTH_USER cannot contain ':'");
		return -EINVAL;
	}
	if (token && user) {
		snprintf(why, len,
			 "set either PYROSCOPE_AUTH_TOKEN or PYROSCOPE_BASIC_AUTH_USER and "
			 "_PASSWORD, not both");
		return -EINVAL;
	}
	if (token)
		a->headers[nh++] = xasprintf("Authorization: Bearer %s", token);
	if (tenant)
		a->headers[nh++] = xasprintf("X-Scope-OrgID: %s", tenant);
	if (user) {
		a->user = xstrdup(user);
		a->password = xstrdup(password);
	}
	return 0;
}

bool pyro_auth_any(const struct pyro_auth *a)
{
	return a->user || (a->headers[0] && !strncmp(a->headers[0], "Authorization:", 14));
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void pyro_auth_release(struct pyro_auth *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(a->headers); i++)
		free_secret(a->headers[i]);
	free_secret(a->user);
	free_secret(a->password);
	memset(a, 0, sizeof(*a));
}

/* ---- the pusher ---- */

struct pyroscope {
	char *base;
	char *name;
	unsigned int rate_hz;
	struct pyro_auth auth;
	struct uploader *up;
};

int pyroscope_new(const struct pyro_opts *o, unsigned int rate_hz, bool wall_clock,
		  struct pyroscope **out, char *why, size_t len)
{
	struct pyroscope *py;
	int err;

	err = pyro_check_url(o->url, why, len);
	if (!err && o->app)
		err = pyro_check_app(o->app, why, len);
	if (err)
		return err;
	if (!o->app) {
		snprintf(why, len, "--pyroscope needs --app NAME");
		return -EINVAL;
	}
	py = xcalloc(1, sizeof(*py));
	err = pyro_auth_from_env(&py->auth, why, len);
	if (err) {
		free(py);
		return err;
	}
	py->base = xstrdup(o->url);
	py->name = pyro_series_name(o->app, wall_clock, o->tags, o->ntags);
	if (!py->name) {
		pyroscope_free(py);
		snprintf(why, len, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	py->rate_hz = rate_hz;
	*out = py;
	return 0;
}

int pyroscope_start(struct pyroscope *py)
{
	struct upload_opts uo = {
		.content_type = "text/plain; charset=utf-8",
		.user_agent = "cprof/" CPROF_VERSION,
		.headers = (const char *const *)py->auth.headers,
		.user = py->auth.user,
		.password = py->auth.password,
	};
	/* Tests shrink the backlog to see it overflow in seconds, not minutes. */
	const char *backlog = getenv("CPROF_TEST_UPLOAD_BACKLOG");

	if (backlog)
		uo.max_items = strtoul(backlog, NULL, 10);
	return upload_start(&uo, &py->up);
}

int pyroscope_push(struct pyroscope *py, const struct profile *p, const struct render_opts *o,
		   uint64_t from_unix_ns, uint64_t until_unix_ns)
{
	size_t len = 0;
	char *body = pyro_folded_body(p, o, &len);

	if (!body || !len) {
		free(body);
		return 0;
	}
	/* Whole seconds that cover the window; never an empty range. */
	uint64_t from = from_unix_ns / 1000000000ULL;
	uint64_t until = (until_unix_ns + 999999999ULL) / 1000000000ULL;

	if (until <= from)
		until = from + 1;
	upload_push(py->up, pyro_ingest_url(py->base, py->name, from, until, py->rate_hz), body,
		    len);
	return 1;
}

void pyroscope_stats(struct pyroscope *py, struct upload_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (py->up)
		upload_get_stats(py->up, st);
}

void pyroscope_finish(struct pyroscope *py, unsigned int flush_ms, volatile sig_atomic_t *stop)
{
	if (!py->up)
		return;
	upload_close(py->up, flush_ms);
	while (!upload_wait(py->up, 100)) {
		if (stop && *stop)
			upload_abort(py->up);
	}
	upload_finish(py->up, 0);
}

const char *pyroscope_name(const struct pyroscope *py)
{
	return py->name;
}

bool pyroscope_insecure(const struct pyroscope *py)
{
	return pyro_auth_any(&py->auth) && pyro_url_insecure(py->base);
}

void pyroscope_free(struct pyroscope *py)
{
	if (!py)
		return;
	upload_free(py->up);
	pyro_auth_release(&py->auth);
	free(py->base);
	free(py->name);
	free(py);
}
