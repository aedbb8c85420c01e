// SPDX-License-Identifier: MIT
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "xalloc.h"

int utf8_decode(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned char c = s[0];
	int n;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static int utf8_len(const unsigned char *s)
{
	uint32_t cp;

	return utf8_decode(s, &cp);
}

char *utf8_repair(const char *str)
{
	const unsigned char *u = (const unsigned char *)(str ? str : "");
	char *clean = xmalloc(3 * strlen((const char *)u) + 1), *w = clean;

	while (*u) {
		int n = utf8_len(u);

		if (n) {
			memcpy(w, u, (size_t)n);
			w += n;
			u += n;
		} else {
			memcpy(w, "\xef\xbf\xbd", 3);
			w += 3;
			u++;
		}
	}
	*w = '\0';
	return clean;
}

void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	putc('"', f);
	while (*s) {
		unsigned char c = *s;
		size_t run = 0;

		/* Most names need no escaping: hand stdio whole runs, not bytes. */
		while (s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run) {
			fwrite(s, 1, run, f);
			s += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc(c, f);
			s++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\t': fputs("\\t", f); break;
			case '\r': fputs("\\r", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			s++;
		} else {
			int n = utf8_len(s);

			if (n) {
				fwrite(s, 1, (size_t)n, f);
				s += n;
			} else {
				fputs("\\ufffd", f);
				s++;
			}
		}
	}
	putc('"', f);
}

int cjson_write(FILE *f, cJSON *doc)
{
	char *text = cJSON_Print(doc);
	int err = 0;

	cJSON_Delete(doc);
	if (!text)
		return -ENOMEM;
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || ferror(f))
		err = -EIO;
	free(text);
	return err;
}

void cjson_add_text(cJSON *o, const char *key, const char *s)
{
	char *clean;

	if (!s) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	clean = utf8_repair(s);
	cJSON_AddStringToObject(o, key, clean);
	free(clean);
}
