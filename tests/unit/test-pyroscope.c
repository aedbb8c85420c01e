// SPDX-License-Identifier: MIT
/* Pyroscope pushes (src/pyroscope.c) and rotated names (src/periodic.c), offline. */
#include "output.h"
#include "periodic.h"
#include "profile.h"
#include "pyroscope.h"
#include "unit.h"

static char why[512];

#define URL_OK(u) CHECK_EQ_INT(pyro_check_url(u, why, sizeof(why)), 0)
#define URL_BAD(u, msg)                                                                            \
	do {                                                                                       \
		CHECK_EQ_INT(pyro_check_url(u, why, sizeof(why)), -EINVAL);                        \
		CHECK_STRSTR(why, msg);                                                            \
	} while (0)

TEST(url_checks)
{
	URL_OK("http://localhost:4040");
	URL_OK("HTTPS://profiles-prod-001.grafana.net");
	URL_OK("http://[::1]:4040/");
	URL_OK("http://host/pyroscope/");
	URL_BAD("localhost:4040", "not an http:// or https:// URL");
	URL_BAD("ftp://host", "not an http:// or https:// URL");
	URL_BAD("http://", "has no host");
	URL_BAD("http://:4040", "has no host");
	URL_BAD("http://user:pw@host", "credentials in the URL");
	URL_BAD("http://host/?a=1", "without '?' or '#'");
	URL_BAD("http://host#x", "without '?' or '#'");
	URL_BAD("http://host:", "no port after ':'");
	URL_BAD("http://host:0", "bad port");
	URL_BAD("http://host:65536", "bad port");
	URL_BAD("http://host:12a", "bad port");
	URL_BAD("http://[::1", "bad IPv6 address");
	URL_BAD("http://[::1]x", "unexpected text after ']'");
	URL_BAD("http://a b", "spaces or control characters");
}

TEST(url_insecure)
{
	CHECK(!pyro_url_insecure("http://localhost:4040"));
	CHECK(!pyro_url_insecure("http://localhost"));
	CHECK(!pyro_url_insecure("http://127.0.0.1:4040/"));
	CHECK(!pyro_url_insecure("http://[::1]:4040"));
	CHECK(!pyro_url_insecure("https://example.com"));
	CHECK(pyro_url_insecure("http://localhost.example.com"));
	CHECK(pyro_url_insecure("http://10.1.2.3:4040"));
}

TEST(app_checks)
{
	CHECK_EQ_INT(pyro_check_app("my-app", why, sizeof(why)), 0);
	CHECK_EQ_INT(pyro_check_app("team/svc_1.backend", why, sizeof(why)), 0);
	CHECK_EQ_INT(pyro_check_app("", why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_app("a b", why, sizeof(why)), -EINVAL);
	CHECK_STRSTR(why, "' ' is not allowed");
	CHECK_EQ_INT(pyro_check_app("a{b}", why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_app("caf\xc3\xa9", why, sizeof(why)), -EINVAL);
	CHECK_STRSTR(why, "only letters, digits");
	CHECK_EQ_INT(pyro_check_app("app.", why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_app(".app", why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_app("a..b", why, sizeof(why)), -EINVAL);
}

TEST(tag_checks)
{
	const char *prev[] = { "env=prod", "region=eu-1" };

	CHECK_EQ_INT(pyro_check_tag("env=prod", NULL, 0, why, sizeof(why)), 0);
	CHECK_EQ_INT(pyro_check_tag("k.x_1=a=b c", NULL, 0, why, sizeof(why)), 0);
	CHECK_EQ_INT(pyro_check_tag("envx=1", prev, 2, why, sizeof(why)), 0);
	CHECK_EQ_INT(pyro_check_tag("env=dev", prev, 2, why, sizeof(why)), -EINVAL);
	CHECK_STREQ(why, "'env' is given twice");
	CHECK_EQ_INT(pyro_check_tag("env", NULL, 0, why, sizeof(why)), -EINVAL);
	CHECK_STRSTR(why, "has no '='");
	CHECK_EQ_INT(pyro_check_tag("=v", NULL, 0, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_tag("k-1=v", NULL, 0, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_tag("__name__=v", NULL, 0, why, sizeof(why)), -EINVAL);
	CHECK_STRSTR(why, "reserved");
	CHECK_EQ_INT(pyro_check_tag("k=", NULL, 0, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_tag("k=a,b", NULL, 0, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_tag("k=a}", NULL, 0, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_tag("k=a\nb", NULL, 0, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(pyro_check_tag("k= a", NULL, 0, why, sizeof(why)), -EINVAL);
}

TEST(series_name)
{
	const char *tags[] = { "env=prod", "region=eu-1" };
	char *s;

	s = pyro_series_name("app", false, NULL, 0);
	CHECK_STREQ(s, "app.cpu");
	free(s);
	s = pyro_series_name("app", true, NULL, 0);
	CHECK_STREQ(s, "app.wall");
	free(s);
	/* An explicit type is kept; any other last part is part of the name. */
	s = pyro_series_name("app.cpu", true, NULL, 0);
	CHECK_STREQ(s, "app.cpu");
	free(s);
	s = pyro_series_name("my.app", false, tags, 2);
	CHECK_STREQ(s, "my.app.cpu{env=prod,region=eu-1}");
	free(s);
}

TEST(ingest_url)
{
	char *e = url_encode("a.cpu{env=prod,x=a b/c~}");
	char *u;

	CHECK_STREQ(e, "a.cpu%7Benv%3Dprod%2Cx%3Da%20b%2Fc~%7D");
	free(e);
	u = pyro_ingest_url("http://h:4040/", "a.cpu", 10, 20, 99);
	CHECK_STREQ(u, "http://h:4040/ingest?name=a.cpu&from=10&until=20&sampleRate=99"
		       "&spyName=cprof&units=samples&aggregationType=sum&format=folded");
	free(u);
	u = pyro_ingest_url("https://h/pyroscope", "a.cpu", 1, 2, 100);
	CHECK_STRSTR(u, "https://h/pyroscope/ingest?name=");
	free(u);
	u = pyro_ingest_url("http://h/ingest/", "a.cpu", 1, 2, 100);
	CHECK_STRSTR(u, "http://h/ingest?name=");
	free(u);
}

TEST(rotated_names)
{
	const char *st = "20261123T174501Z";
	char *s;

	s = rotated_path("profile.svg", &output_svg, st);
	CHECK_STREQ(s, "profile-20261123T174501Z.svg");
	free(s);
	s = rotated_path("out/cpu.pb.gz", &output_pprof, st);
	CHECK_STREQ(s, "out/cpu-20261123T174501Z.pb.gz");
	free(s);
	s = rotated_path("x.SPEEDSCOPE.JSON", &output_speedscope, st);
	CHECK_STREQ(s, "x-20261123T174501Z.SPEEDSCOPE.JSON");
	free(s);
	/* --format: the name need not end in the format's suffix. */
	s = rotated_path("run.d/profile", &output_folded, st);
	CHECK_STREQ(s, "run.d/profile-20261123T174501Z");
	free(s);
	s = rotated_path("stacks.out", &output_folded, st);
	CHECK_STREQ(s, "stacks-20261123T174501Z.out");
	free(s);
	s = rotated_path(".hidden", &output_folded, st);
	CHECK_STREQ(s, ".hidden-20261123T174501Z");
	free(s);
}

/* A stack far deeper than one line of the server's reader takes. */
TEST(folded_body_long_lines)
{
	struct profile *p = profile_new();
	uint32_t locs[2000];
	char name[64];
	size_t len;

	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "function_number_%04d_with_a_long_name", i);
		struct prof_line l = { .func = profile_add_func(p, name, NULL, 0) };

		locs[i] = profile_add_loc(p, 0x1000 + (uint64_t)i, 0, LOC_NATIVE, &l, 1);
	}
	uint32_t deep = profile_add_stack(p, locs, 2000);
	uint32_t shallow = profile_add_stack(p, locs, 1);
	uint32_t t = profile_add_thread(p, 1, 1, "main");
	struct prof_sample s = { .thread = t, .stack = deep, .state = 'R', .syscall = -1 };

	profile_add_sample(p, &s);
	s.stack = shallow;
	s.t_ns = 1;
	profile_add_sample(p, &s);

	struct render_opts o = { 0 };
	char *body = pyro_folded_body(p, &o, &len);

	REQUIRE_NOT_NULL(body);
	/* Sorted by the full stacks: the shallow one first. */
	const char *first = "function_number_0000_with_a_long_name 1\n";

	REQUIRE_EQ_INT(strncmp(body, first, strlen(first)), 0);
	const char *deep_line = body + strlen(first);
	const char *nl = strchr(deep_line, '\n');

	REQUIRE_NOT_NULL(nl);
	CHECK_EQ_INT(nl[1], '\0');
	CHECK_LT_INT(nl - deep_line, 60000 + 24);
	CHECK(!strncmp(deep_line, "[truncated];function_number_", 28));
	/* The leaf end survives. */
	CHECK_STRSTR(deep_line, "function_number_0001_with_a_long_name;"
				"function_number_0000_with_a_long_name 1\n");
	free(body);

	/* An empty window has an empty body. */
	o.t_from = 5;
	body = pyro_folded_body(p, &o, &len);
	CHECK_EQ_INT((int)len, 0);
	free(body);
	profile_free(p);
}

static void clear_env(void)
{
	unsetenv("PYROSCOPE_AUTH_TOKEN");
	unsetenv("PYROSCOPE_BASIC_AUTH_USER");
	unsetenv("PYROSCOPE_BASIC_AUTH_PASSWORD");
	unsetenv("PYROSCOPE_TENANT_ID");
}

TEST(auth_from_env)
{
	struct pyro_auth a;

	clear_env();
	CHECK_EQ_INT(pyro_auth_from_env(&a, why, sizeof(why)), 0);
	CHECK_NULL(a.headers[0]);
	CHECK(!pyro_auth_any(&a));
	pyro_auth_release(&a);

	setenv("PYROSCOPE_AUTH_TOKEN", "tok", 1);
	setenv("PYROSCOPE_TENANT_ID", "t1", 1);
	CHECK_EQ_INT(pyro_auth_from_env(&a, why, sizeof(why)), 0);
	CHECK_STREQ(a.headers[0], "Authorization: Bearer tok");
	CHECK_STREQ(a.headers[1], "X-Scope-OrgID: t1");
	CHECK_NULL(a.headers[2]);
	CHECK(pyro_auth_any(&a));
	pyro_auth_release(&a);

	/* The tenant alone is no credential. */
	unsetenv("PYROSCOPE_AUTH_TOKEN");
	CHECK_EQ_INT(pyro_auth_from_env(&a, why, sizeof(why)), 0);
	CHECK(!pyro_auth_any(&a));
	pyro_auth_release(&a);

	setenv("PYROSCOPE_BASIC_AUTH_USER", "123", 1);
	CHECK_EQ_INT(pyro_auth_from_env(&a, why, sizeof(why)), -EINVAL);
	CHECK_STREQ(why,
		    "PYROSCOPE_BASIC_AUTH_USER is set but PYROSCOPE_BASIC_AUTH_PASSWORD is not");
	setenv("PYROSCOPE_BASIC_AUTH_PASSWORD", "pw:x", 1);
	CHECK_EQ_INT(pyro_auth_from_env(&a, why, sizeof(why)), 0);
	CHECK_STREQ(a.user, "123");
	CHECK_STREQ(a.password, "pw:x");
	pyro_auth_release(&a);

	setenv("PYROSCOPE_AUTH_TOKEN", "tok", 1);
	CHECK_EQ_INT(pyro_auth_from_env(&a, why, sizeof(why)), -EINVAL);
	CHECK_STRSTR(why, "not both");

	clear_env();
	setenv("PYROSCOPE_TENANT_ID", "a\r\nX-Evil: 1", 1);
	CHECK_EQ_INT(pyro_auth_from_env(&a, why, sizeof(why)), -EINVAL);
	CHECK_STREQ(why, "PYROSCOPE_TENANT_ID contains control characters");
	/* Empty counts as unset. */
	setenv("PYROSCOPE_TENANT_ID", "", 1);
	CHECK_EQ_INT(pyro_auth_from_env(&a, why, sizeof(why)), 0);
	CHECK_NULL(a.headers[0]);
	pyro_auth_release(&a);
}
