/* SPDX-License-Identifier: MIT */
#ifndef CPROF_JSONW_H
#define CPROF_JSONW_H

/*
 * Streaming JSON output for large documents (speedscope, NDJSON), where
 * building a cJSON tree per sample would cost gigabytes. Strings are escaped
 * and invalid UTF-8 (symbol names are arbitrary bytes) becomes U+FFFD.
 */
#include <stdio.h>

void json_string(FILE *f, const char *s);

#endif
