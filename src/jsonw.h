/* SPDX-License-Identifier: MIT */
#ifndef CPROF_JSONW_H
#define CPROF_JSONW_H

/*
 * Streaming JSON output for large documents (speedscope, NDJSON), where
 * building a cJSON tree per sample would cost gigabytes. Strings are escaped
 * and invalid UTF-8 (symbol names are arbitrary bytes) becomes U+FFFD.
 */
#include <stdint.h>
#include <stdio.h>

void json_string(FILE *f, const char *s);

/*
 * The code point of the UTF-8 sequence at s and its length in bytes (1 for
 * ASCII), or 0 if the bytes there are not valid UTF-8 (overlong forms and
 * surrogates included).
 */
int utf8_decode(const unsigned char *s, uint32_t *cp);
/* A copy of s with each invalid UTF-8 byte replaced by U+FFFD; caller frees. */
char *utf8_repair(const char *s);

/*
 * Add a string that came from the target (symbol, file or thread names are
 * arbitrary bytes) to a cJSON object as valid UTF-8; NULL adds null.
 */
struct cJSON;
void cjson_add_text(struct cJSON *o, const char *key, const char *s);
/*
 * Write a whole document, indented, and a newline to f, then free it.
 * Returns 0, -ENOMEM, or -EIO if f has had a write error.
 */
int cjson_write(FILE *f, struct cJSON *doc);

#endif
