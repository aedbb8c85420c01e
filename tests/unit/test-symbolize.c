// SPDX-License-Identifier: MIT
/*
 * Symbolization (src/symbolize.h): function names, file:line and inline
 * chains from DWARF, on this test binary itself and on the t-inline target.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <link.h>

#include "elfimg.h"
#include "strtab.h"
#include "symbolize.h"
#include "unit.h"

/* ---- a known inline chain in this file ---- */

static __attribute__((noinline, noclone)) uintptr_t return_address(void)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);

	__asm__ __volatile__("" : "+r"(ra));
	return ra;
}

static int line_inner, line_outer, line_caller;

static inline __attribute__((always_inline)) uintptr_t inl_inner(void)
{
	line_inner = __LINE__ + 1;
	return return_address();
}

static inline __attribute__((always_inline)) uintptr_t inl_outer(void)
{
	line_outer = __LINE__ + 1;
	return inl_inner();
}

enum { line_caller_decl = __LINE__ + 1 };
static __attribute__((noinline, noclone, used)) uintptr_t sym_caller(void)
{
	uintptr_t r;

	line_caller = __LINE__ + 1;
	r = inl_outer();
	__asm__ __volatile__("" ::: "memory");
	return r;
}

static uint64_t self_bias(void)
{
	struct link_map *lm = _r_debug.r_map; /* the main program first */

	return lm ? lm->l_addr : 0;
}

static struct elfimg *open_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct elfimg *img = NULL;

	if (fd < 0)
		return NULL;
	if (elfimg_open(fd, path, &img)) {
		close(fd);
		return NULL;
	}
	return img;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);

	return s && a >= b && !strcmp(s + a - b, suffix);
}

#define CHECK_FILE(f, base)                                                            \
	do {                                                                           \
		if (!ends_with((f), (base)))                                           \
			FAIL_MSG("file \"%s\" does not end with %s", unit_str(f), base); \
	} while (0)

/*
 * Symbolize vaddr of the binary at path with a symbolizer of its own (an
 * image is bound to the first symbolizer that looks it up), and copy the
 * names out of the string table before it goes.
 */
static void lookup(const struct sym_opts *o, const char *path, uint64_t vaddr,
		   struct symresult *r)
{
	static char names[SYM_MAX_INLINE][256], files[SYM_MAX_INLINE][512];
	struct strtab *st = strtab_new();
	struct symbolizer *s = symbolizer_new(o, st);
	struct elfimg *img = open_path(path);

	REQUIRE_NOT_NULL(img);
	symbolizer_lookup(s, img, vaddr, 0, r);
	for (int i = 0; i < r->n; i++) {
		snprintf(names[i], sizeof(names[i]), "%s", unit_str(r->frames[i].func));
		r->frames[i].func = names[i];
		if (r->frames[i].file) {
			snprintf(files[i], sizeof(files[i]), "%s", r->frames[i].file);
			r->frames[i].file = files[i];
		}
		r->frames[i].decl_file = NULL;
	}
	elfimg_put(img);
	symbolizer_free(s);
	strtab_free(st);
}

TEST(inline_chain_with_lines)
{
	struct sym_opts o = { 0 };
	struct symresult r;
	uint64_t pc = sym_caller();

	/* pc is a return address: the call is at pc - 1. */
	lookup(&o, "/proc/self/exe", pc - 1 - self_bias(), &r);
	CHECK(r.has_symbol);
	CHECK(r.has_debuginfo);
	REQUIRE_EQ_INT(r.n, 3);
	CHECK_STREQ(r.frames[0].func, "inl_inner");
	CHECK(r.frames[0].inlined);
	CHECK_EQ_INT(r.frames[0].line, line_inner);
	CHECK_FILE(r.frames[0].file, "test-symbolize.c");
	CHECK_STREQ(r.frames[1].func, "inl_outer");
	CHECK(r.frames[1].inlined);
	CHECK_EQ_INT(r.frames[1].line, line_outer);
	CHECK_FILE(r.frames[1].file, "test-symbolize.c");
	CHECK_STREQ(r.frames[2].func, "sym_caller");
	CHECK(!r.frames[2].inlined);
	CHECK_EQ_INT(r.frames[2].line, line_caller);
	CHECK_FILE(r.frames[2].file, "test-symbolize.c");
}

TEST(no_inline_and_no_lines)
{
	struct sym_opts o = { .no_inline = true };
	struct symresult r;
	uint64_t vaddr = sym_caller() - 1 - self_bias();

	lookup(&o, "/proc/self/exe", vaddr, &r);
	REQUIRE_EQ_INT(r.n, 1);
	CHECK_STREQ(r.frames[0].func, "sym_caller");
	CHECK(!r.frames[0].inlined);
	/* The innermost line is still the one executing. */
	CHECK_EQ_INT(r.frames[0].line, line_inner);
	o = (struct sym_opts){ .no_lines = true };
	lookup(&o, "/proc/self/exe", vaddr, &r);
	REQUIRE_EQ_INT(r.n, 3);
	for (int i = 0; i < 3; i++) {
		CHECK_NULL(r.frames[i].file);
		CHECK_EQ_INT(r.frames[i].line, 0);
	}
	CHECK_STREQ(r.frames[0].func, "inl_inner");
}

TEST(function_entry)
{
	struct sym_opts o = { 0 };
	struct symresult r;

	lookup(&o, "/proc/self/exe", (uint64_t)(uintptr_t)&sym_caller - self_bias(), &r);
	REQUIRE_EQ_INT(r.n, 1);
	CHECK_STREQ(r.frames[0].func, "sym_caller");
	/* At -O2 the entry may belong to any early line of the body. */
	CHECK_GE_INT(r.frames[0].line, line_caller_decl);
	CHECK_LE_INT(r.frames[0].line, line_caller_decl + 8);
	CHECK_FILE(r.frames[0].file, "test-symbolize.c");
	lookup(&o, "/proc/self/exe", (uint64_t)(uintptr_t)&return_address - self_bias(), &r);
	CHECK_STREQ(r.frames[0].func, "return_address");
}

TEST(no_symbol)
{
	struct sym_opts o = { 0 };
	struct symresult r;

	/* Far past the image: no symbol, a module+offset name. */
	lookup(&o, "/proc/self/exe", 0x7000000, &r);
	REQUIRE_EQ_INT(r.n, 1);
	CHECK(!r.has_symbol);
	CHECK_STRSTR(r.frames[0].func, "+0x7000000");
	CHECK_NULL(r.frames[0].file);
}

/* ---- the t-inline target, built next to this binary ---- */

static bool target_path(const char *name, char *buf, size_t len)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	/* $B/tests/unit/test-symbolize → $B/targets/O2/NAME */
	snprintf(buf, len, "%s/../../targets/O2/%s", dirname(exe), name);
	return access(buf, R_OK) == 0;
}

/* Value and size of a function symbol, from .symtab. */
static bool find_symbol(const char *path, const char *name, uint64_t *addr, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	bool found = false;

	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && !found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			n = elf_strptr(e, sh.sh_link, sym.st_name);
			if (n && !strcmp(n, name)) {
				*addr = sym.st_value;
				*size = sym.st_size;
				found = true;
				break;
			}
		}
	}
	elf_end(e);
	close(fd);
	return found;
}

TEST(target_inline_chain)
{
	char path[4096];
	uint64_t addr = 0, size = 0;
	struct elfimg *img;
	struct strtab *st = strtab_new();
	struct sym_opts o = { 0 };
	struct symbolizer *s = symbolizer_new(&o, st);
	int chains = 0;

	if (!target_path("t-inline", path, sizeof(path))) {
		FAIL_MSG("%s not built (make build-tests)", path);
		return;
	}
	REQUIRE(find_symbol(path, "inl_caller", &addr, &size));
	REQUIRE(size > 0);
	img = open_path(path);
	REQUIRE_NOT_NULL(img);
	/*
	 * Every address of inl_caller ends in inl_caller; the spin loop's
	 * addresses have the whole chain inl_leaf ← inl_middle ← inl_caller.
	 */
	for (uint64_t a = addr; a < addr + size; a++) {
		struct symresult r;

		symbolizer_lookup(s, img, a, 0, &r);
		if (r.n < 1 || strcmp(r.frames[r.n - 1].func, "inl_caller")) {
			FAIL_MSG("0x%" PRIx64 ": outermost frame %s", a,
				 r.n ? unit_str(r.frames[r.n - 1].func) : "none");
			break;
		}
		if (r.n == 3 && !strcmp(r.frames[0].func, "inl_leaf") &&
		    !strcmp(r.frames[1].func, "inl_middle") && r.frames[0].inlined &&
		    r.frames[1].inlined && !r.frames[2].inlined) {
			chains++;
			CHECK_FILE(r.frames[0].file, "t-inline.c");
			CHECK_GT_INT(r.frames[1].line, 0);
			CHECK_GT_INT(r.frames[2].line, r.frames[1].line);
		}
	}
	CHECK_GT_INT(chains, 0);
	elfimg_put(img);
	symbolizer_free(s);
	strtab_free(st);
}
