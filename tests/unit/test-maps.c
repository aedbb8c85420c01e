// SPDX-License-Identifier: MIT
/* /proc/PID/maps parsing (src/maps.h). */
#include <fcntl.h>

#include "maps.h"
#include "unit.h"

static const char canned[] =
	"55d1c0a00000-55d1c0a02000 r--p 00000000 08:01 1234567                    /usr/bin/t-threads\n"
	"55d1c0a02000-55d1c0a03000 r-xp 00002000 08:01 1234567                    /usr/bin/t-threads\n"
	"7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
	"7f0000001000-7f0000002000 r-xp 00000000 fd:02 42                         /tmp/my lib/lib with spaces.so\n"
	"7f0000002000-7f0000003000 r-xs 00001000 fd:02 43                         /tmp/gone.so (deleted)\n"
	"7f0000003000-7f0000004000 rw-p 00000000 00:01 1025                       /memfd:jit code (deleted)\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd000ff000-7ffd00101000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

static void parse_canned(struct maps *m)
{
	REQUIRE_EQ_INT(maps_parse(canned, strlen(canned), m), 0);
	REQUIRE_EQ_INT(m->n, 9);
}

TEST(fields)
{
	struct maps m;

	parse_canned(&m);
	const struct mapping *t = &m.v[1];

	CHECK_EQ_U64(t->start, 0x55d1c0a02000ULL);
	CHECK_EQ_U64(t->end, 0x55d1c0a03000ULL);
	CHECK_EQ_U64(t->offset, 0x2000);
	CHECK_EQ_INT(t->perms, MAP_PERM_R | MAP_PERM_X | MAP_PERM_P);
	CHECK_EQ_INT(t->dev_major, 8);
	CHECK_EQ_INT(t->dev_minor, 1);
	CHECK_EQ_U64(t->inode, 1234567);
	CHECK_STREQ(t->path, "/usr/bin/t-threads");
	CHECK(!t->deleted);
	CHECK(mapping_is_file(t));
	CHECK_EQ_INT(m.v[0].perms, MAP_PERM_R | MAP_PERM_P);
	CHECK_EQ_INT(m.v[4].perms, MAP_PERM_R | MAP_PERM_X); /* shared: no P */
	CHECK_EQ_INT(m.v[3].dev_major, 0xfd);
	CHECK_EQ_INT(m.v[3].dev_minor, 2);
	CHECK_EQ_U64(m.v[8].start, 0xffffffffff600000ULL);
	CHECK_EQ_INT(m.v[8].perms, MAP_PERM_X | MAP_PERM_P);
	maps_release(&m);
	CHECK_EQ_INT(m.n, 0);
	CHECK_NULL(m.v);
}

TEST(paths)
{
	struct maps m;

	parse_canned(&m);
	CHECK_STREQ(m.v[2].path, ""); /* anonymous, trailing space */
	CHECK(!mapping_is_file(&m.v[2]));
	CHECK_STREQ(m.v[3].path, "/tmp/my lib/lib with spaces.so");
	CHECK(!m.v[3].deleted);
	CHECK_STREQ(m.v[4].path, "/tmp/gone.so");
	CHECK(m.v[4].deleted);
	CHECK_STREQ(m.v[5].path, "/memfd:jit code");
	CHECK(m.v[5].deleted);
	CHECK_STREQ(m.v[6].path, "[stack]");
	CHECK(!mapping_is_file(&m.v[6]));
	CHECK_STREQ(m.v[7].path, "[vdso]");
	CHECK_STREQ(m.v[8].path, "[vsyscall]"); /* last line, no newline */
	maps_release(&m);
}

TEST(garbage_lines_are_skipped)
{
	static const char text[] =
		"\n"
		"garbage\n"
		"1000-2000 r-xp 00000000 08:01 5 /ok/one\n"
		"3000-2000 r-xp 00000000 08:01 5 /end/before/start\n"
		"3000-3000 r-xp 00000000 08:01 5 /empty\n"
		"4000 r-xp 00000000 08:01 5 /no/end\n"
		"4000-5000 r-xp\n"
		"4000-5000 r-xp zz 08:01 5 /bad/offset\n"
		"4000-5000 r-xp 00000000 0801 5 /bad/dev\n"
		"4000-5000 r-xp 00000000 08:01 x /bad/inode\n"
		"6000-7000 rw-p 00000000 00:00 0\n";
	struct maps m;

	REQUIRE_EQ_INT(maps_parse(text, strlen(text), &m), 0);
	REQUIRE_EQ_INT(m.n, 2);
	CHECK_STREQ(m.v[0].path, "/ok/one");
	CHECK_EQ_U64(m.v[1].start, 0x6000);
	CHECK_STREQ(m.v[1].path, "");
	maps_release(&m);
	REQUIRE_EQ_INT(maps_parse("", 0, &m), 0);
	CHECK_EQ_INT(m.n, 0);
	maps_release(&m);
}

TEST(parse_honours_length)
{
	/* Only the first line is inside len; the rest must not be read. */
	struct maps m;
	size_t len = strchr(canned, '\n') - canned;

	REQUIRE_EQ_INT(maps_parse(canned, len, &m), 0);
	REQUIRE_EQ_INT(m.n, 1);
	CHECK_STREQ(m.v[0].path, "/usr/bin/t-threads");
	maps_release(&m);
}

TEST(find)
{
	struct maps m;

	parse_canned(&m);
	CHECK_NULL(maps_find(&m, 0));
	CHECK_NULL(maps_find(&m, 0x55d1c09fffffULL));
	CHECK(maps_find(&m, 0x55d1c0a00000ULL) == &m.v[0]);
	CHECK(maps_find(&m, 0x55d1c0a01fffULL) == &m.v[0]);
	CHECK(maps_find(&m, 0x55d1c0a02000ULL) == &m.v[1]); /* end is exclusive */
	CHECK_NULL(maps_find(&m, 0x55d1c0a03000ULL));	     /* a gap */
	CHECK(maps_find(&m, 0x7f0000002800ULL) == &m.v[4]);
	CHECK(maps_find(&m, 0x7ffd00100fffULL) == &m.v[7]);
	CHECK(maps_find(&m, 0xffffffffff600123ULL) == &m.v[8]);
	CHECK_NULL(maps_find(&m, 0xffffffffff601000ULL));
	CHECK_NULL(maps_find(&m, UINT64_MAX));
	maps_release(&m);
	CHECK_NULL(maps_find(&m, 0x1000)); /* empty */
}

TEST(copy_is_deep)
{
	struct maps m, c;

	parse_canned(&m);
	maps_copy(&c, &m);
	REQUIRE_EQ_INT(c.n, m.n);
	for (size_t i = 0; i < m.n; i++) {
		CHECK(c.v[i].path != m.v[i].path);
		CHECK_STREQ(c.v[i].path, m.v[i].path);
		CHECK_EQ_U64(c.v[i].start, m.v[i].start);
		CHECK_EQ_INT(c.v[i].deleted, m.v[i].deleted);
	}
	maps_release(&m);
	CHECK_STREQ(c.v[3].path, "/tmp/my lib/lib with spaces.so");
	maps_release(&c);
}

static int __attribute__((noinline)) here(void)
{
	return 42;
}

TEST(own_maps)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	struct maps m;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	REQUIRE(fd >= 0);
	REQUIRE(n > 0);
	exe[n] = '\0';
	len = maps_read_raw(fd, &buf, &cap);
	close(fd);
	REQUIRE(len > 0);
	CHECK_EQ_INT(strlen(buf), len);
	REQUIRE_EQ_INT(maps_parse(buf, (size_t)len, &m), 0);
	CHECK_GE_INT(m.n, 5);
	for (size_t i = 1; i < m.n; i++)
		if (m.v[i].start < m.v[i - 1].end)
			FAIL_MSG("mapping %zu overlaps or is out of order", i);

	const struct mapping *code = maps_find(&m, (uint64_t)(uintptr_t)&here);
	const struct mapping *stack = maps_find(&m, (uint64_t)(uintptr_t)&fd);

	REQUIRE_NOT_NULL(code);
	CHECK_STREQ(code->path, exe);
	CHECK(code->perms & MAP_PERM_X);
	CHECK(mapping_is_file(code));
	REQUIRE_NOT_NULL(stack);
	CHECK_STREQ(stack->path, "[stack]");
	CHECK_EQ_INT(here(), 42);
	maps_release(&m);
	free(buf);
}
