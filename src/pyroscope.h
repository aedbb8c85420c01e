/* SPDX-License-Identifier: MIT */
#ifndef CPROF_PYROSCOPE_H
#define CPROF_PYROSCOPE_H

/*
 * Pushing profiles to a Grafana Pyroscope server through its /ingest API,
 * one push per interval of a recording: the folded stacks of the interval,
 * named `app.cpu{key=value,...}`. The URL, name and labels are checked
 * before anything runs, because the server rejects a bad name with a 400
 * on every push, which nobody would notice for hours. Credentials come
 * from the environment only: a command line is visible to every user
 * through ps.
 *
 *   PYROSCOPE_AUTH_TOKEN                 Authorization: Bearer TOKEN
 *   PYROSCOPE_BASIC_AUTH_USER/_PASSWORD  HTTP Basic auth (Grafana Cloud)
 *   PYROSCOPE_TENANT_ID                  X-Scope-OrgID: TENANT
 *
 * The network work happens in the upload thread (upload.h).
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "upload.h"

struct pyro_opts {
	const char *url;   /* --pyroscope: the server's base URL; NULL: no pushes */
	const char *app;   /* --app */
	const char **tags; /* --tag KEY=VALUE, checked */
	size_t ntags, cap_tags;
	uint64_t interval_ns; /* --upload-interval */
};

/* Checks for the options; each returns 0 or -EINVAL with the reason in why. */
int pyro_check_url(const char *url, char *why, size_t len);
int pyro_check_app(const char *app, char *why, size_t len);
/* `tag` against the rules and the tags given before it. */
int pyro_check_tag(const char *tag, const char *const *tags, size_t ntags, char *why, size_t len);
/* Plain http to a host other than this one: credentials would travel in clear. */
bool pyro_url_insecure(const char *url);

/*
 * The ingest `name`: the application with a profile type suffix (Pyroscope
 * takes the type from the last dot-separated part: `.cpu`, or `.wall` for
 * a wall-clock profile, unless the name already ends in one) and the tags.
 */
char *pyro_series_name(const char *app, bool wall_clock, const char *const *tags, size_t ntags);
/* BASE/ingest?name=...&from=...&until=...: the URL of one push. */
char *pyro_ingest_url(const char *base, const char *name, uint64_t from_s, uint64_t until_s,
		      unsigned int rate_hz);
/* Percent-encoding of everything but RFC 3986's unreserved characters. */
char *url_encode(const char *s);

/* Folded stacks of a profile (window), one line per stack, each line short
 * enough for the server's line reader. *len is 0 when there is no sample. */
char *pyro_folded_body(const struct profile *p, const struct render_opts *o, size_t *len);

struct pyro_auth {
	char *headers[3]; /* "Authorization: Bearer ...", "X-Scope-OrgID: ...", NULL */
	char *user, *password;
};

/* Read the PYROSCOPE_* variables. Returns 0 or -EINVAL with why. */
int pyro_auth_from_env(struct pyro_auth *a, char *why, size_t len);
bool pyro_auth_any(const struct pyro_auth *a);
void pyro_auth_release(struct pyro_auth *a);

/* A pusher: the series of one recording and its upload thread. */
struct pyroscope;

/* Check everything and prepare; no thread yet. Returns 0 or -EINVAL with why. */
int pyroscope_new(const struct pyro_opts *o, unsigned int rate_hz, bool wall_clock,
		  struct pyroscope **out, char *why, size_t len);
/* Start the upload thread. Returns 0 or -errno. */
int pyroscope_start(struct pyroscope *py);
/*
 * Queue the profile of a window (o->t_from..o->t_until of p) that covers
 * [from_unix_ns, until_unix_ns). Returns 1 if queued, 0 if the window had
 * no samples (nothing is sent for it).
 */
int pyroscope_push(struct pyroscope *py, const struct profile *p, const struct render_opts *o,
		   uint64_t from_unix_ns, uint64_t until_unix_ns);
void pyroscope_stats(struct pyroscope *py, struct upload_stats *st);
/* Send what is queued within flush_ms; stop early if `stop` is set. */
void pyroscope_finish(struct pyroscope *py, unsigned int flush_ms, volatile sig_atomic_t *stop);
const char *pyroscope_name(const struct pyroscope *py);
/* Whether credentials would travel in clear to another host. */
bool pyroscope_insecure(const struct pyroscope *py);
void pyroscope_free(struct pyroscope *py);

#endif
