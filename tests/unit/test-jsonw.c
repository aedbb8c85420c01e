// SPDX-License-Identifier: MIT
/* JSON string escaping (src/jsonw.h), including invalid UTF-8. */
#include <cjson/cJSON.h>

#include "jsonw.h"
#include "unit.h"

/* json_string(s) as a malloc'ed C string. */
static char *escape(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	json_string(f, s);
	fclose(f);
	return buf;
}

#define CHECK_ESCAPE(in, want)                 \
	do {                                   \
		char *got_ = escape(in);       \
		CHECK_STREQ(got_, want);       \
		free(got_);                    \
	} while (0)

/* The escaped text parses as a JSON string that decodes to `want`. */
#define CHECK_DECODES(in, want)                                                   \
	do {                                                                      \
		char *got_ = escape(in);                                          \
		cJSON *j_ = got_ ? cJSON_Parse(got_) : NULL;                      \
		if (!j_ || !cJSON_IsString(j_))                                   \
			FAIL_MSG("not a JSON string: %s", got_ ? got_ : "(null)"); \
		else                                                              \
			CHECK_STREQ(cJSON_GetStringValue(j_), want);              \
		cJSON_Delete(j_);                                                 \
		free(got_);                                                       \
	} while (0)

TEST(plain_ascii)
{
	CHECK_ESCAPE("main", "\"main\"");
	CHECK_ESCAPE("", "\"\"");
	CHECK_ESCAPE(NULL, "\"\"");
	CHECK_ESCAPE("std::vector<int>::push_back(int const&)",
		     "\"std::vector<int>::push_back(int const&)\"");
	CHECK_ESCAPE("a/b", "\"a/b\"");
}

TEST(quotes_and_backslashes)
{
	CHECK_ESCAPE("say \"hi\"", "\"say \\\"hi\\\"\"");
	CHECK_ESCAPE("C:\\path", "\"C:\\\\path\"");
	CHECK_ESCAPE("\\\"", "\"\\\\\\\"\"");
	CHECK_DECODES("say \"hi\" \\ there", "say \"hi\" \\ there");
}

TEST(control_characters)
{
	CHECK_ESCAPE("a\nb", "\"a\\nb\"");
	CHECK_ESCAPE("a\tb\r", "\"a\\tb\\r\"");
	CHECK_ESCAPE("\x01", "\"\\u0001\"");
	CHECK_ESCAPE("\x1f", "\"\\u001f\"");
	CHECK_ESCAPE("\x7f", "\"\x7f\""); /* DEL is legal JSON */
	CHECK_DECODES("x\x01y\bz\f", "x\x01y\bz\f");
}

TEST(valid_utf8_passes_through)
{
	CHECK_ESCAPE("caf\xc3\xa9", "\"caf\xc3\xa9\"");		      /* é, 2 bytes */
	CHECK_ESCAPE("\xe2\x82\xac", "\"\xe2\x82\xac\"");		      /* €, 3 bytes */
	CHECK_ESCAPE("\xf0\x9f\x94\xa5", "\"\xf0\x9f\x94\xa5\"");	      /* 🔥, 4 bytes */
	CHECK_ESCAPE("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");	      /* U+10FFFF */
	CHECK_ESCAPE("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");		      /* U+FFFD itself */
	CHECK_DECODES("\xce\xbb::f", "\xce\xbb::f");
}

TEST(invalid_utf8_becomes_replacement)
{
	CHECK_ESCAPE("\x80", "\"\\ufffd\"");			  /* lone continuation */
	CHECK_ESCAPE("\xff", "\"\\ufffd\"");			  /* never valid */
	CHECK_ESCAPE("a\xc3", "\"a\\ufffd\"");			  /* truncated at the end */
	CHECK_ESCAPE("\xe2\x82", "\"\\ufffd\\ufffd\"");		  /* truncated 3-byte */
	CHECK_ESCAPE("\xc3(", "\"\\ufffd(\"");			  /* bad continuation */
	CHECK_ESCAPE("\xc0\xaf", "\"\\ufffd\\ufffd\"");		  /* overlong '/' */
	CHECK_ESCAPE("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""); /* overlong, 3 bytes */
	CHECK_ESCAPE("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* UTF-16 surrogate */
	CHECK_ESCAPE("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	CHECK_ESCAPE("\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Good text around bad bytes is kept. */
	CHECK_ESCAPE("f\xfe" "oo\xc3\xa9", "\"f\\ufffdoo\xc3\xa9\"");
	CHECK_DECODES("x\xff" "y", "x\xef\xbf\xbdy");
}
