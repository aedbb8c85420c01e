// SPDX-License-Identifier: MIT
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "upload.h"
#include "xalloc.h"

#define DEFAULT_MAX_ITEMS	   16
#define DEFAULT_MAX_BYTES	   (64u << 20)
#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_TIMEOUT_MS	   30000
#define DEFAULT_BACKOFF_MIN_MS	   1000
#define DEFAULT_BACKOFF_MAX_MS	   60000
/* A server asking for more patience than this is treated as down. */
#define RETRY_AFTER_MAX_MS 300000

struct item {
	char *url;
	char *body;
	size_t len;
	unsigned int attempts; /* failed so far */
	uint64_t next_ns;      /* not before this (monotonic) */
};

struct uploader {
	struct upload_opts o;
	char *content_type, *user_agent, *user, *password;
	struct curl_slist *headers;
	CURL *curl;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Everything below is under lock. */
	struct item **q; /* oldest first */
	size_t n, cap, bytes;
	bool busy; /* q[0] is being sent */
	bool finishing;
	bool done; /* the thread has nothing left to do */
	uint64_t deadline_ns;
	unsigned int seed;
	struct upload_stats st;

	_Atomic uint64_t abort_ns; /* abort a transfer still running then; 0: never */
};

enum outcome { SENT, RETRY, REFUSED };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int upload_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void upload_global_cleanup(void)
{
	curl_global_cleanup();
}

static void item_free(struct item *it)
{
	if (!it)
		return;
	free(it->url);
	free(it->body);
	free(it);
}

/* Under lock. */
static void remove_at(struct uploader *u, size_t i)
{
	u->bytes -= u->q[i]->len;
	item_free(u->q[i]);
	memmove(&u->q[i], &u->q[i + 1], (u->n - i - 1) * sizeof(*u->q));
	u->n--;
	u->st.queued = u->n;
}

struct response {
	char buf[1024];
	size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct response *r = arg;
	size_t n = size * nmemb;
	size_t room = sizeof(r->buf) - 1 - r->len;
	size_t take = n < room ? n : room;

	/* Only the start of an error body is worth keeping for the message. */
	memcpy(r->buf + r->len, data, take);
	r->len += take;
	r->buf[r->len] = '\0';
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct uploader *u = arg;
	uint64_t at = atomic_load(&u->abort_ns);

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return at && mono_ns() >= at;
}

/* One line of printable text: server messages end up in our warnings. */
static void sanitize(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		unsigned char c = (unsigned char)*r;

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == ' ' && (w == s || w[-1] == ' '))
			continue;
		*w++ = (char)c;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* "HTTP 400: <message>"; Pyroscope answers errors with {"code", "message"}. */
static void describe_status(long status, struct response *r, char *err, size_t len)
{
	const char *msg = r->buf;
	cJSON *j = r->len ? cJSON_Parse(r->buf) : NULL;
	const cJSON *m = j ? cJSON_GetObjectItemCaseSensitive(j, "message") : NULL;
	char text[sizeof(r->buf)];

	if (cJSON_IsString(m) && m->valuestring)
		msg = m->valuestring;
	snprintf(text, sizeof(text), "%s", msg);
	cJSON_Delete(j);
	sanitize(text);
	if (strlen(text) > 200)
		strcpy(text + 197, "...");
	snprintf(err, len, "HTTP %ld%s%s", status, *text ? ": " : "", text);
}

/* Errors that another try cannot fix. */
static bool curl_error_is_final(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_LOGIN_DENIED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE: return true;
	default: return false;
	}
}

static bool status_is_transient(long status)
{
	return status == 408 || status == 425 || status == 429 || status >= 500;
}

static enum outcome post(struct uploader *u, const struct item *it, char *err, size_t errlen,
			 int *kind, uint64_t *retry_after_ms)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct response r = { .len = 0 };
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(u->curl, CURLOPT_URL, it->url);
	curl_easy_setopt(u->curl, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(u->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->len);
	curl_easy_setopt(u->curl, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(u->curl, CURLOPT_WRITEDATA, &r);
	rc = curl_easy_perform(u->curl);
	curl_easy_setopt(u->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(u->curl, CURLOPT_WRITEDATA, NULL);
	if (rc != CURLE_OK) {
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			snprintf(err, errlen, "no answer before the time to send ran out");
		else
			snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		*kind = -(int)rc;
		sanitize(err);
		return curl_error_is_final(rc) ? REFUSED : RETRY;
	}
	curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return SENT;
	describe_status(status, &r, err, errlen);
	*kind = (int)status;
#if LIBCURL_VERSION_NUM >= 0x074200
	curl_off_t ra = 0;

	if (curl_easy_getinfo(u->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		*retry_after_ms = (uint64_t)ra * 1000;
#endif
	return status_is_transient(status) ? RETRY : REFUSED;
}

static uint64_t backoff_ms(struct uploader *u, unsigned int failures)
{
	uint64_t d = u->o.backoff_min_ms;

	for (unsigned int i = 1; i < failures && d < u->o.backoff_max_ms; i++)
		d *= 2;
	if (d > u->o.backoff_max_ms)
		d = u->o.backoff_max_ms;
	/* Jitter, so that many profilers cut off by one outage do not retry in step. */
	return d * (75 + (uint64_t)(rand_r(&u->seed) % 51)) / 100;
}

static void wait_until(struct uploader *u, uint64_t at_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(at_ns / 1000000000ULL),
		.tv_nsec = (long)(at_ns % 1000000000ULL),
	};

	pthread_cond_timedwait(&u->cond, &u->lock, &ts);
}

static void *upload_thread(void *arg)
{
	struct uploader *u = arg;

	pthread_mutex_lock(&u->lock);
	for (;;) {
		if (!u->n) {
			if (u->finishing)
				break;
			pthread_cond_wait(&u->cond, &u->lock);
			continue;
		}
		struct item *it = u->q[0];
		uint64_t now = mono_ns();

		if (u->finishing) {
			if (now >= u->deadline_ns)
				break;
		} else if (it->next_ns > now) {
			wait_until(u, it->next_ns);
			continue;
		}
		u->busy = true;
		u->st.attempts++;
		pthread_mutex_unlock(&u->lock);

		char err[sizeof(u->st.last_error)] = "";
		uint64_t retry_after = 0;
		int kind = 0;
		enum outcome r = post(u, it, err, sizeof(err), &kind, &retry_after);

		/* Not under the lock: stderr may be a pipe that blocks. */
		if (r != SENT)
			debug_msg(1, "upload: %s (attempt %u)", err, it->attempts + 1);
		pthread_mutex_lock(&u->lock);
		u->busy = false;
		/* upload_push never drops the body in flight: q[0] is still `it`. */
		if (r == SENT) {
			u->st.ok++;
			u->st.failing = false;
			remove_at(u, 0);
			continue;
		}
		u->st.errors++;
		u->st.failing = true;
		memcpy(u->st.last_error, err, sizeof(err));
		u->st.last_kind = kind;
		if (r == REFUSED || u->finishing) {
			u->st.failed++;
			remove_at(u, 0);
			continue;
		}
		it->attempts++;
		uint64_t d = backoff_ms(u, it->attempts);

		if (retry_after > d)
			d = retry_after < RETRY_AFTER_MAX_MS ? retry_after : RETRY_AFTER_MAX_MS;
		it->next_ns = mono_ns() + d * 1000000ULL;
	}
	/* Out of time: what is left was never delivered. */
	u->st.failed += u->n;
	while (u->n)
		remove_at(u, u->n - 1);
	u->done = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

static int setup_curl(struct uploader *u)
{
	CURL *h = curl_easy_init();

	if (!h)
		return -ENOMEM;
	u->curl = h;
	/* Threads and signals: libcurl must not use alarm() for DNS timeouts. */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)u->o.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)u->o.timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, u);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (u->user_agent)
		curl_easy_setopt(h, CURLOPT_USERAGENT, u->user_agent);
	if (u->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, u->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, u->password ? u->password : "");
	}
	/* "Expect: 100-continue" would cost a round trip (or a second) per body. */
	u->headers = curl_slist_append(u->headers, "Expect:");
	if (u->content_type) {
		char *ct = xasprintf("Content-Type: %s", u->content_type);

		u->headers = curl_slist_append(u->headers, ct);
		free(ct);
	}
	for (const char *const *hd = u->o.headers; hd && *hd; hd++)
		u->headers = curl_slist_append(u->headers, *hd);
	if (!u->headers)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, u->headers);
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int upload_start(const struct upload_opts *o, struct uploader **out)
{
	struct uploader *u = xcalloc(1, sizeof(*u));
	pthread_condattr_t ca;
	sigset_t all, old;
	int err;

	u->o = *o;
	u->o.headers = NULL; /* copied into the curl list, not kept */
	if (!u->o.max_items)
		u->o.max_items = DEFAULT_MAX_ITEMS;
	if (!u->o.max_bytes)
		u->o.max_bytes = DEFAULT_MAX_BYTES;
	if (!u->o.connect_timeout_ms)
		u->o.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (!u->o.timeout_ms)
		u->o.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (!u->o.backoff_min_ms)
		u->o.backoff_min_ms = DEFAULT_BACKOFF_MIN_MS;
	if (!u->o.backoff_max_ms)
		u->o.backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
	u->content_type = dup_or_null(o->content_type);
	u->user_agent = dup_or_null(o->user_agent);
	u->user = dup_or_null(o->user);
	u->password = dup_or_null(o->password);
	u->seed = (unsigned int)mono_ns() ^ (unsigned int)getpid();
	pthread_mutex_init(&u->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cond, &ca);
	pthread_condattr_destroy(&ca);
	u->o.headers = o->headers;
	err = setup_curl(u);
	u->o.headers = NULL;
	if (err) {
		upload_free(u);
		return err;
	}

	/* Signals are for the main thread; the new thread inherits a full mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&u->thread, NULL, upload_thread, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		upload_free(u);
		return -err;
	}
	u->started = true;
	*out = u;
	return 0;
}

void upload_push(struct uploader *u, char *url, char *body, size_t len)
{
	struct item *it = xcalloc(1, sizeof(*it));

	it->url = url;
	it->body = body;
	it->len = len;
	pthread_mutex_lock(&u->lock);
	if (u->finishing) {
		u->st.failed++;
		pthread_mutex_unlock(&u->lock);
		item_free(it);
		return;
	}
	size_t keep = u->busy ? 1 : 0;

	/* Make room by forgetting the oldest: recent data is what people look at. */
	while (u->n > keep && (u->n >= u->o.max_items || u->bytes + len > u->o.max_bytes)) {
		remove_at(u, keep);
		u->st.dropped++;
	}
	*VEC_PUSH(u->q, u->n, u->cap) = it;
	u->bytes += len;
	u->st.queued = u->n;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

void upload_get_stats(struct uploader *u, struct upload_stats *st)
{
	pthread_mutex_lock(&u->lock);
	*st = u->st;
	pthread_mutex_unlock(&u->lock);
}

static void set_deadline(struct uploader *u, uint64_t at_ns)
{
	pthread_mutex_lock(&u->lock);
	if (!u->finishing || at_ns < u->deadline_ns) {
		u->deadline_ns = at_ns;
		atomic_store(&u->abort_ns, at_ns);
	}
	u->finishing = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

void upload_close(struct uploader *u, unsigned int flush_ms)
{
	if (u->started)
		set_deadline(u, mono_ns() + (uint64_t)flush_ms * 1000000ULL);
}

void upload_abort(struct uploader *u)
{
	if (u->started)
		set_deadline(u, mono_ns());
}

bool upload_wait(struct uploader *u, unsigned int timeout_ms)
{
	uint64_t until = mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
	bool done;

	if (!u->started)
		return true;
	pthread_mutex_lock(&u->lock);
	while (!u->done && mono_ns() < until)
		wait_until(u, until);
	done = u->done;
	pthread_mutex_unlock(&u->lock);
	return done;
}

void upload_finish(struct uploader *u, unsigned int flush_ms)
{
	if (!u->started)
		return;
	upload_close(u, flush_ms);
	pthread_join(u->thread, NULL);
	u->started = false;
}

void upload_free(struct uploader *u)
{
	if (!u)
		return;
	upload_finish(u, 0);
	while (u->n)
		remove_at(u, u->n - 1);
	free(u->q);
	if (u->curl)
		curl_easy_cleanup(u->curl);
	curl_slist_free_all(u->headers);
	free(u->content_type);
	free(u->user_agent);
	free(u->user);
	if (u->password) {
		explicit_bzero(u->password, strlen(u->password));
		free(u->password);
	}
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->cond);
	free(u);
}
