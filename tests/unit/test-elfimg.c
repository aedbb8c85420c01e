// SPDX-License-Identifier: MIT
/*
 * ELF images (src/elfimg.h), checked against the running test binary
 * itself: what the loader mapped (dl_iterate_phdr) is the reference.
 */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>

#include "elfimg.h"
#include "maps.h"
#include "unit.h"

struct self_info {
	uint64_t bias;
	const ElfW(Phdr) *phdr;
	int phnum;
};

static int find_main(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_info *s = arg;

	(void)size;
	/* The main program comes first, with an empty name. */
	s->bias = info->dlpi_addr;
	s->phdr = info->dlpi_phdr;
	s->phnum = info->dlpi_phnum;
	return 1;
}

static struct self_info self(void)
{
	struct self_info s = { 0 };

	dl_iterate_phdr(find_main, &s);
	return s;
}

static struct elfimg *open_self(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct elfimg *img = NULL;

	if (fd < 0)
		return NULL;
	if (elfimg_open(fd, "/proc/self/exe", &img)) {
		close(fd);
		return NULL;
	}
	return img;
}

static __attribute__((noinline)) int known_function(int x)
{
	return x * 3 + 1;
}

/* The build-id note as the loader mapped it. */
static size_t mapped_build_id(const struct self_info *s, const uint8_t **out)
{
	for (int i = 0; i < s->phnum; i++) {
		const ElfW(Phdr) *ph = &s->phdr[i];
		const uint8_t *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const uint8_t *)(uintptr_t)(s->bias + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const uint8_t *name = p + sizeof(*nh);
			const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);

			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(name, "GNU", 4)) {
				*out = desc;
				return nh->n_descsz;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

TEST(build_id)
{
	struct self_info s = self();
	struct elfimg *img = open_self();
	const uint8_t *want = NULL;
	size_t len = mapped_build_id(&s, &want);
	char hex[129] = "";

	REQUIRE_NOT_NULL(img);
	REQUIRE_GE_INT(len, 8); /* gcc links with --build-id by default */
	CHECK_EQ_INT(img->build_id_len, len);
	CHECK_MEMEQ(img->build_id, want, len);
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", want[i]);
	CHECK_STREQ(img->build_id_hex, hex);
	elfimg_put(img);
}

TEST(loads_and_eh_frame_hdr)
{
	struct self_info s = self();
	struct elfimg *img = open_self();
	size_t nloads = 0;
	const ElfW(Phdr) *eh = NULL;

	REQUIRE_NOT_NULL(img);
	for (int i = 0; i < s.phnum; i++) {
		nloads += s.phdr[i].p_type == PT_LOAD;
		if (s.phdr[i].p_type == PT_GNU_EH_FRAME)
			eh = &s.phdr[i];
	}
	CHECK_EQ_INT(img->nloads, nloads);
	CHECK_EQ_INT(img->is_dyn, s.bias != 0);
	REQUIRE_NOT_NULL(eh);
	CHECK(img->eh_ok);
	CHECK_EQ_U64(img->eh_hdr_vaddr, eh->p_vaddr);
	/* fde_count is the third word of the header, as mapped. */
	const uint8_t *hdr = (const uint8_t *)(uintptr_t)(s.bias + eh->p_vaddr);
	uint32_t count;

	memcpy(&count, hdr + 8, 4);
	CHECK_GT_INT(count, 10);
	CHECK_EQ_U64(img->eh_fde_count, count);
	/* Our own code lies in the executable range. */
	uint64_t fn = (uint64_t)(uintptr_t)&known_function - s.bias;

	CHECK(fn >= img->text_lo && fn < img->text_hi);
	elfimg_put(img);
}

TEST(bias_and_code_bytes)
{
	struct self_info s = self();
	struct elfimg *img = open_self();
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	struct maps m;
	uint64_t bias = 1, pc = (uint64_t)(uintptr_t)&known_function;
	uint8_t bytes[32];

	REQUIRE_NOT_NULL(img);
	REQUIRE(fd >= 0);
	len = maps_read_raw(fd, &buf, &cap);
	close(fd);
	REQUIRE(len > 0);
	maps_parse(buf, (size_t)len, &m);

	const struct mapping *map = maps_find(&m, pc);

	REQUIRE_NOT_NULL(map);
	REQUIRE_EQ_INT(elfimg_bias(img, map, &bias), 0);
	CHECK_EQ_U64(bias, s.bias);
	/*
	 * Every mapping the loader made of the file gives the same bias,
	 * including the RELRO page that shares a file page with the
	 * read-only segment. (libelf's own mapping of the file lies
	 * elsewhere: only the image's address range counts.)
	 */
	uint64_t image_end = 0;

	for (int i = 0; i < s.phnum; i++)
		if (s.phdr[i].p_type == PT_LOAD)
			if (s.bias + s.phdr[i].p_vaddr + s.phdr[i].p_memsz > image_end)
				image_end = s.bias + s.phdr[i].p_vaddr + s.phdr[i].p_memsz;
	for (size_t i = 0; i < m.n; i++) {
		uint64_t b = 2;

		if (m.v[i].inode != map->inode || strcmp(m.v[i].path, map->path) ||
		    m.v[i].start < s.bias || m.v[i].start >= image_end)
			continue;
		if (elfimg_bias(img, &m.v[i], &b) == 0 && b != s.bias)
			FAIL_MSG("mapping %" PRIx64 "-%" PRIx64 " off %" PRIx64 " %s: bias %" PRIx64,
				 m.v[i].start, m.v[i].end, m.v[i].offset, m.v[i].path, b);
	}
	/* The file holds the code the CPU runs. */
	REQUIRE(elfimg_read_vaddr(img, pc - bias, bytes, sizeof(bytes)));
	CHECK_MEMEQ(bytes, (const void *)(uintptr_t)pc, sizeof(bytes));
	CHECK_EQ_INT(known_function(2), 7);
	/* Outside the file's segments: refused, not garbage. */
	CHECK(!elfimg_read_vaddr(img, 0x7fff00000000ULL, bytes, 4));
	CHECK(!elfimg_read_vaddr(img, pc - bias, bytes, (size_t)1 << 30));
	maps_release(&m);
	free(buf);
	elfimg_put(img);
}

/* A hand-made image with the given PT_LOADs (offset, vaddr, filesz, flags). */
static struct elfimg *fake_image(const uint64_t (*loads)[4], size_t n)
{
	static struct elf_load v[8];
	static struct elfimg img;

	memset(&img, 0, sizeof(img));
	for (size_t i = 0; i < n; i++)
		v[i] = (struct elf_load){ .offset = loads[i][0], .vaddr = loads[i][1],
					  .filesz = loads[i][2], .memsz = loads[i][2],
					  .flags = (unsigned int)loads[i][3] };
	img.loads = v;
	img.nloads = n;
	return &img;
}

static uint64_t bias_of(const struct elfimg *img, uint64_t start, uint64_t offset, unsigned perms)
{
	struct mapping m = { .start = start, .end = start + 0x1000, .offset = offset,
			     .perms = perms | MAP_PERM_P };
	uint64_t b = 0;

	if (elfimg_bias(img, &m, &b))
		return UINT64_MAX;
	return b;
}

TEST(bias_shared_file_pages)
{
	enum { R = MAP_PERM_R, W = MAP_PERM_W, X = MAP_PERM_X };
	/* ld.lld: segments packed into shared file pages, vaddr one page on. */
	static const uint64_t lld[][4] = {
		{ 0x0, 0x0, 0x1294, PF_R },
		{ 0x12a0, 0x22a0, 0xa30, PF_R | PF_X },
		{ 0x1cd0, 0x3cd0, 0x210, PF_R | PF_W },
		{ 0x1ee0, 0x4ee0, 0x118, PF_R | PF_W },
	};
	/* GNU ld with RELRO: the data segment's first page is made read-only. */
	static const uint64_t bfd[][4] = {
		{ 0x0, 0x0, 0x13a0, PF_R },
		{ 0x2000, 0x2000, 0x2e65, PF_R | PF_X },
		{ 0x5000, 0x5000, 0x100c, PF_R },
		{ 0x6d90, 0x7d90, 0x424, PF_R | PF_W },
	};
	const uint64_t base = 0x555555554000ULL;
	struct elfimg *img = fake_image(lld, 4);

	CHECK_EQ_U64(bias_of(img, base, 0, R), base);
	CHECK_EQ_U64(bias_of(img, base + 0x2000, 0x1000, R | X), base);
	CHECK_EQ_U64(bias_of(img, base + 0x3000, 0x1000, R), base);	   /* RELRO */
	/*
	 * Not checked: the rw- mapping of the second data segment, which
	 * starts in the same file page with the same permissions as the
	 * first. One mapping cannot tell them apart; only code mappings
	 * matter for unwinding and symbols.
	 */
	CHECK_EQ_U64(bias_of(img, base, 0x9000, R), UINT64_MAX); /* not in the file */
	img = fake_image(bfd, 4);
	CHECK_EQ_U64(bias_of(img, base, 0, R), base);
	CHECK_EQ_U64(bias_of(img, base + 0x2000, 0x2000, R | X), base);
	CHECK_EQ_U64(bias_of(img, base + 0x5000, 0x5000, R), base);
	CHECK_EQ_U64(bias_of(img, base + 0x7000, 0x6000, R), base);	   /* RELRO */
	CHECK_EQ_U64(bias_of(img, base + 0x8000, 0x7000, R | W), base);
	/* A mapping that starts inside a segment (split by mprotect). */
	CHECK_EQ_U64(bias_of(img, base + 0x3000, 0x3000, R | X), base);
}

TEST(refcount)
{
	struct elfimg *img = open_self();

	REQUIRE_NOT_NULL(img);
	CHECK(elfimg_get(img) == img);
	CHECK_EQ_INT(img->refs, 2);
	elfimg_put(img);
	CHECK_EQ_INT(img->refs, 1);
	elfimg_put(img);
	elfimg_put(NULL);
	CHECK_NULL(elfimg_get(NULL));
}

TEST(not_elf)
{
	char path[] = "/tmp/cprof-test-XXXXXX";
	int fd = mkstemp(path);
	struct elfimg *img = NULL;

	REQUIRE(fd >= 0);
	unlink(path);
	REQUIRE(write(fd, "#!/bin/sh\necho not elf\n", 23) == 23);
	CHECK_EQ_INT(elfimg_open(fd, "script", &img), -ENOEXEC);
	CHECK_NULL(img);
	close(fd);
	fd = open("/", O_RDONLY | O_DIRECTORY);
	REQUIRE(fd >= 0);
	CHECK_EQ_INT(elfimg_open(fd, "/", &img), -ENOEXEC);
	close(fd);
	/* Truncated ELF: a valid header only. */
	CHECK_NE_INT(elfimg_from_memory("\x7f" "ELF\x02\x01\x01", 7, "short", &img), 0);
	CHECK_NULL(img);
}

TEST(vdso_from_memory)
{
	const void *vdso = (const void *)getauxval(AT_SYSINFO_EHDR);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t cap = 0;
	struct maps m;
	struct elfimg *img = NULL;

	REQUIRE_NOT_NULL(vdso);
	REQUIRE(fd >= 0);
	ssize_t len = maps_read_raw(fd, &buf, &cap);

	close(fd);
	maps_parse(buf, (size_t)len, &m);
	const struct mapping *map = maps_find(&m, (uint64_t)(uintptr_t)vdso);

	REQUIRE_NOT_NULL(map);
	CHECK_STREQ(map->path, "[vdso]");
	REQUIRE_EQ_INT(elfimg_from_memory(vdso, map->end - map->start, "[vdso]", &img), 0);
	CHECK(img->is_dyn);
	CHECK(img->eh_ok); /* the vDSO has unwind tables: unwind.md U2 */
	CHECK_GT_INT(img->text_hi, img->text_lo);
	CHECK_STREQ(img->name, "[vdso]");
	elfimg_put(img);
	maps_release(&m);
	free(buf);
}
