// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

/* From libstdc++; libdw has no demangler of its own. */
extern char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

static bool is_rust_hash(const char *s, size_t len)
{
	/* "::h" followed by 16 hex digits ends a legacy Rust symbol. */
	if (len != 19 || s[0] != ':' || s[1] != ':' || s[2] != 'h')
		return false;
	for (size_t i = 3; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

const char *demangle(const char *name, char *buf, size_t size)
{
	int status = 0;
	char *out;

	if (!name || name[0] != '_' || name[1] != 'Z' || size == 0)
		return name;
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0 || !out) {
		free(out);
		return name;
	}
	size_t len = strlen(out);

	if (len > 19 && is_rust_hash(out + len - 19, 19))
		len -= 19;
	if (len >= size)
		len = size - 1;
	memcpy(buf, out, len);
	buf[len] = '\0';
	free(out);
	return buf;
}
