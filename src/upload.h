/* SPDX-License-Identifier: MIT */
#ifndef CPROF_UPLOAD_H
#define CPROF_UPLOAD_H

/*
 * Background HTTP uploads. A thread of its own POSTs queued bodies oldest
 * first and retries transient failures (no connection, timeouts, 5xx, 429)
 * with exponential backoff. The queue is bounded in entries and bytes: a long
 * outage costs the oldest data, never unbounded memory, and upload_push()
 * never waits for the network, so whoever produces the data (the consumer
 * thread of a recording) is never slowed down by a slow or absent server.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct upload_opts {
	const char *content_type;
	const char *user_agent;
	const char *const *headers; /* "Name: value", NULL-terminated, or NULL */
	const char *user;	    /* HTTP Basic auth when set */
	const char *password;
	size_t max_items;		 /* queued bodies kept; 0: 16 */
	size_t max_bytes;		 /* queued bytes kept; 0: 64 MiB */
	unsigned int connect_timeout_ms; /* 0: 5 s */
	unsigned int timeout_ms;	 /* whole request; 0: 30 s */
	unsigned int backoff_min_ms;	 /* first retry delay; 0: 1 s */
	unsigned int backoff_max_ms;	 /* 0: 60 s */
};

struct upload_stats {
	uint64_t ok;	   /* bodies the server accepted */
	uint64_t failed;   /* given up: refused by the server, or unsent at the end */
	uint64_t dropped;  /* pushed out of a full queue before they could be sent */
	uint64_t attempts; /* requests made, retries included */
	uint64_t errors;   /* requests that failed */
	size_t queued;
	bool failing;  /* the latest request failed */
	int last_kind; /* of the last error: HTTP status, or -(libcurl error) */
	char last_error[256];
};

struct uploader;

/* Global set-up of the HTTP library; call before any thread exists. */
int upload_global_init(void);
void upload_global_cleanup(void);

/* Start the upload thread. Returns 0 or -errno. */
int upload_start(const struct upload_opts *o, struct uploader **out);
/* Queue a POST of body to url; takes both (malloc'd). Never blocks on I/O. */
void upload_push(struct uploader *u, char *url, char *body, size_t len);
void upload_get_stats(struct uploader *u, struct upload_stats *st);
/*
 * Stop accepting work and give each queued body one last attempt, all
 * within flush_ms; whatever is left then counts as failed.
 */
void upload_close(struct uploader *u, unsigned int flush_ms);
/* After upload_close: wait up to timeout_ms; true once all is done. */
bool upload_wait(struct uploader *u, unsigned int timeout_ms);
/* After upload_close: give up now, on the transfer in flight too. */
void upload_abort(struct uploader *u);
/* upload_close, wait, and join the thread. */
void upload_finish(struct uploader *u, unsigned int flush_ms);
void upload_free(struct uploader *u);

#endif
