// SPDX-License-Identifier: MIT
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demangle.h"
#include "elfimg.h"
#include "log.h"
#include "strtab.h"
#include "symbolize.h"
#include "xalloc.h"

/* A function from the symbol table, in module (Dwfl) addresses. */
struct fsym {
	uint64_t lo, hi;
	const char *name;
	int rank;    /* higher wins among symbols at one address */
	bool notype; /* an untyped label in code (assembly), not a function */
};

struct cu_range {
	uint64_t lo, hi; /* DWARF addresses */
	Dwarf_Off cu_off;
};

/* A subprogram or inlined subroutine DIE of one CU. */
struct sdie {
	Dwarf_Off off;
	int parent; /* enclosing inlined subroutine or subprogram, -1 at the top */
	int depth;
	int tag;
	size_t first_inl, n_inl; /* for subprograms: their inline ranges */
	const char *name;	 /* resolved lazily */
	const char *decl_file;
	int decl_line;
	bool named;
	bool bare; /* named by DW_AT_name alone, no linkage name */
};

struct srange {
	uint64_t lo, hi;
	int die;
	int sub; /* owning subprogram die (inline ranges) */
};

struct cuinfo {
	Dwarf_Off off;
	bool built, ok;
	Dwarf_Die cudie;
	const char *comp_dir;		  /* DW_AT_comp_dir, or NULL */
	const char *last_raw, *last_file; /* cu_file's last answer */
	Dwarf_Files *files;
	size_t nfiles;
	struct sdie *dies;
	size_t ndies, cap_dies;
	struct srange *subs;
	size_t nsubs, cap_subs;
	struct srange *inl;
	size_t ninl, cap_inl;
};

struct symmod {
	struct symbolizer *sym;
	struct elfimg *img;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	bool failed;
	uint64_t elfbias; /* module address = link vaddr + elfbias */
	bool symtab_built;
	struct fsym *funcs;
	size_t nfuncs;
	bool dwarf_built;
	Dwarf *dw;
	Dwarf_Addr dwbias; /* DWARF address = module address - dwbias */
	struct cu_range *cus;
	size_t ncus;
	struct cuinfo *cuinfos; /* sorted by CU offset */
	size_t ncuinfos;
	pid_t root_pid;
	const char *modname;
};

struct symbolizer {
	struct sym_opts opts;
	struct strtab *strings;
	char *debuginfo_path;
	Dwfl_Callbacks callbacks;
	char demangle_buf[4096];
};

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name);

struct symbolizer *symbolizer_new(const struct sym_opts *opts, struct strtab *strings)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	size_t len = 0, cap = 0;
	char *path = NULL;

	if (opts)
		s->opts = *opts;
	s->strings = strings;
	/* Empty element: the file's own directory; user directories come first. */
	path = xstrdup(":.debug");
	len = strlen(path);
	cap = len + 1;
	for (const char *const *d = s->opts.debug_dirs; d && *d; d++) {
		size_t dl = strlen(*d);

		path = xgrow(path, &cap, len + dl + 2, 1);
		path[len++] = ':';
		memcpy(path + len, *d, dl + 1);
		len += dl;
	}
	path = xgrow(path, &cap, len + 32, 1);
	strcpy(path + len, ":/usr/lib/debug");
	s->debuginfo_path = path;
	s->callbacks.find_elf = dwfl_build_id_find_elf;
	s->callbacks.find_debuginfo = find_debuginfo;
	s->callbacks.section_address = dwfl_offline_section_address;
	s->callbacks.debuginfo_path = &s->debuginfo_path;
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	free(s->debuginfo_path);
	free(s);
}

const char *symbolizer_module_name(struct symbolizer *s, const char *path)
{
	const char *slash = strrchr(path, '/');

	return strtab_intern(s->strings, slash ? slash + 1 : path);
}

static void symmod_free(void *p)
{
	struct symmod *m = p;

	if (!m)
		return;
	for (size_t i = 0; i < m->ncuinfos; i++) {
		free(m->cuinfos[i].dies);
		free(m->cuinfos[i].subs);
		free(m->cuinfos[i].inl);
	}
	free(m->cuinfos);
	free(m->cus);
	free(m->funcs);
	if (m->dwfl)
		dwfl_end(m->dwfl);
	free(m);
}

/* ---- debug file lookup inside a container's root ---- */

static int try_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		debug_msg(2, "debuginfo candidate '%s'", path);
	return fd;
}

/*
 * Whether the process sees the files we see: the same root directory, and
 * the same mounts on it. A container may keep our root and mount its own
 * /usr/lib/debug (unshare -m), which only its mount namespace shows.
 */
static bool root_is_ours(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	if (!stat(path, &a) && !stat("/proc/self/ns/mnt", &b) &&
	    (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	if (stat(path, &a) || stat("/", &b))
		return true;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct symmod *m = *userdata;
	int fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
					      debuglink_file, debuglink_crc, debuginfo_file_name);

	if (fd >= 0 || !m || m->root_pid <= 0 || root_is_ours(m->root_pid))
		return fd;

	/* The target lives in another mount namespace: look inside its root. */
	char path[4096];
	const unsigned char *id;
	GElf_Addr id_vaddr;
	int idlen = dwfl_module_build_id(mod, &id, &id_vaddr);

	if (idlen > 1) {
		int n = snprintf(path, sizeof(path), "/proc/%d/root/usr/lib/debug/.build-id/%02x/",
				 m->root_pid, id[0]);

		for (int i = 1; i < idlen && n > 0 && (size_t)n + 3 < sizeof(path); i++)
			n += snprintf(path + n, sizeof(path) - (size_t)n, "%02x", id[i]);
		if (n > 0 && (size_t)n + 7 < sizeof(path)) {
			strcat(path, ".debug");
			fd = try_open(path);
			if (fd >= 0)
				goto found;
		}
	}
	if (debuglink_file && m->img && m->img->name[0] == '/') {
		char dir[2048];
		const char *slash = strrchr(m->img->name, '/');
		size_t dlen = (size_t)(slash - m->img->name);

		if (dlen >= sizeof(dir))
			return -1;
		memcpy(dir, m->img->name, dlen);
		dir[dlen] = '\0';
		const char *const fmts[] = { "/proc/%d/root/usr/lib/debug%s/%s",
					     "/proc/%d/root%s/.debug/%s", "/proc/%d/root%s/%s" };

		for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
			snprintf(path, sizeof(path), fmts[i], m->root_pid, dir, debuglink_file);
			if (i == 2 && !strcmp(debuglink_file, slash + 1))
				continue; /* the file itself */
			fd = try_open(path);
			if (fd >= 0)
				goto found;
		}
	}
	return -1;
found:
	*debuginfo_file_name = xstrdup(path);
	return fd;
}

/* ---- module set-up ---- */

static struct symmod *get_symmod(struct symbolizer *s, struct elfimg *img, pid_t root_pid)
{
	struct symmod *m = img->symstate;
	void **ud;

	if (m)
		return m;
	m = xcalloc(1, sizeof(*m));
	m->sym = s;
	m->img = img;
	m->root_pid = root_pid;
	m->modname = symbolizer_module_name(s, img->name);
	img->symstate = m;
	img->symstate_free = symmod_free;

	int fd = dup(img->fd);

	m->dwfl = dwfl_begin(&s->callbacks);
	if (fd < 0 || !m->dwfl) {
		if (fd >= 0)
			close(fd);
		m->failed = true;
		return m;
	}
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_elf(m->dwfl, img->name, img->name, fd, 0, true);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod) {
		debug_msg(1, "dwfl_report_elf '%s': %s", img->name, dwfl_errmsg(-1));
		m->failed = true;
		return m;
	}
	dwfl_module_info(m->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	*ud = m;
	GElf_Addr bias = 0;

	if (dwfl_module_getelf(m->mod, &bias))
		m->elfbias = bias;
	return m;
}

static int cmp_fsym(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (y->rank > x->rank) - (y->rank < x->rank); /* best first */
}

/* Whether section shndx of elf holds code. */
static bool in_code(Elf *elf, GElf_Word shndx)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf && shndx < SHN_LORESERVE ? elf_getscn(elf, shndx) : NULL;

	return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR);
}

static void build_symtab(struct symbolizer *s, struct symmod *m)
{
	size_t cap = 0;
	int n;

	m->symtab_built = true;
	if (m->failed)
		return;
	n = dwfl_module_getsymtab(m->mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		Elf *elf = NULL;
		const char *name =
			dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, &elf, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		int bind = GELF_ST_BIND(sym.st_info);

		if (!name || !*name || shndx == SHN_UNDEF || !addr)
			continue;
		/*
		 * Functions; and untyped labels in code, such as the entry point
		 * of ld.so (_start, written in assembly), but only where no
		 * function is (see symtab_find).
		 */
		if (type != STT_FUNC && type != STT_GNU_IFUNC &&
		    (type != STT_NOTYPE || !in_code(elf, shndx)))
			continue;
		struct fsym *f = VEC_PUSH(m->funcs, m->nfuncs, cap);

		f->lo = addr;
		f->hi = addr + sym.st_size;
		f->name = strtab_intern(s->strings,
					demangle(name, s->demangle_buf, sizeof(s->demangle_buf)));
		f->notype = type == STT_NOTYPE;
		f->rank = (sym.st_size ? 4 : 0) + (bind == STB_GLOBAL ? 2 : 0) +
			  (bind == STB_WEAK ? 1 : 0);
		if (f->notype)
			f->rank = -1;
	}
	if (m->nfuncs) /* m->funcs is NULL without symbols */
		qsort(m->funcs, m->nfuncs, sizeof(*m->funcs), cmp_fsym);
	/* Keep the best symbol per address. */
	size_t w = 0;

	for (size_t i = 0; i < m->nfuncs; i++)
		if (!w || m->funcs[w - 1].lo != m->funcs[i].lo)
			m->funcs[w++] = m->funcs[i];
	m->nfuncs = w;
	debug_msg(2, "%s: %zu functions in the symbol table", m->modname, m->nfuncs);
}

static const struct fsym *symtab_find(const struct symmod *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nfuncs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->funcs[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct fsym *f = &m->funcs[lo - 1];

	/* A label inside a function does not name it: the function does. */
	for (size_t i = lo - 1, k = 0; f->notype && i > 0 && k < 16; i--, k++) {
		const struct fsym *g = &m->funcs[i - 1];

		if (!g->notype && addr >= g->lo && addr < g->hi)
			return g;
	}
	if (f->hi > f->lo)
		return addr < f->hi ? f : NULL;
	/* A sizeless symbol covers up to the next one, within reason. */
	if (addr - f->lo < 0x10000 && (lo == m->nfuncs || addr < m->funcs[lo].lo))
		return f;
	return NULL;
}

static int cmp_cu(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static int cmp_off(const void *a, const void *b)
{
	const struct cuinfo *x = a, *y = b;

	return (x->off > y->off) - (x->off < y->off);
}

static void build_cu_map(struct symmod *m)
{
	size_t cap = 0, icap = 0;
	Dwarf_Off off = 0, next;
	size_t hsize;

	m->dwarf_built = true;
	if (m->failed)
		return;
	m->dw = dwfl_module_getdwarf(m->mod, &m->dwbias);
	if (!m->dw)
		return;
	/*
	 * The CU DIEs' own ranges, rather than .debug_aranges, which clang,
	 * rustc and others do not emit and libdw 0.188 then cannot search.
	 */
	while (dwarf_nextcu(m->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		Dwarf_Addr base, start, end;
		ptrdiff_t r = 0;

		if (dwarf_offdie(m->dw, off + hsize, &cu) &&
		    dwarf_tag(&cu) == DW_TAG_compile_unit) {
			bool any = false;

			while ((r = dwarf_ranges(&cu, r, &base, &start, &end)) > 0) {
				if (end <= start)
					continue;
				struct cu_range *c = VEC_PUSH(m->cus, m->ncus, cap);

				c->lo = start;
				c->hi = end;
				c->cu_off = off + hsize;
				any = true;
			}
			if (any) {
				struct cuinfo *ci = VEC_PUSH(m->cuinfos, m->ncuinfos, icap);

				memset(ci, 0, sizeof(*ci));
				ci->off = off + hsize;
			}
		}
		off = next;
	}
	if (m->ncus) /* the arrays are NULL without DWARF */
		qsort(m->cus, m->ncus, sizeof(*m->cus), cmp_cu);
	if (m->ncuinfos)
		qsort(m->cuinfos, m->ncuinfos, sizeof(*m->cuinfos), cmp_off);
	debug_msg(2, "%s: %zu compile units, %zu ranges", m->modname, m->ncuinfos, m->ncus);
}

static struct cuinfo *cuinfo_for(struct symmod *m, Dwarf_Off off)
{
	size_t lo = 0, hi = m->ncuinfos;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->cuinfos[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->ncuinfos && m->cuinfos[lo].off == off ? &m->cuinfos[lo] : NULL;
}

static int add_die(struct cuinfo *ci, Dwarf_Die *die, int parent, int depth, int tag)
{
	struct sdie *d = VEC_PUSH(ci->dies, ci->ndies, ci->cap_dies);

	memset(d, 0, sizeof(*d));
	d->off = dwarf_dieoffset(die);
	d->parent = parent;
	d->depth = depth;
	d->tag = tag;
	return (int)(ci->ndies - 1);
}

static bool add_ranges(Dwarf_Die *die, struct srange **v, size_t *n, size_t *cap, int idx, int sub)
{
	Dwarf_Addr base, start, end;
	ptrdiff_t r = 0;
	bool any = false;

	while ((r = dwarf_ranges(die, r, &base, &start, &end)) > 0) {
		if (end <= start)
			continue;
		struct srange *s = VEC_PUSH(*v, *n, *cap);

		s->lo = start;
		s->hi = end;
		s->die = idx;
		s->sub = sub;
		any = true;
	}
	return any;
}

#define MAX_SCOPE_DEPTH 256

static void walk_scopes(struct cuinfo *ci, Dwarf_Die *parent_die, int scope, int sub, int depth)
{
	Dwarf_Die child;

	if (depth > MAX_SCOPE_DEPTH || dwarf_child(parent_die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		int next_scope = scope, next_sub = sub;

		if (tag == DW_TAG_subprogram) {
			int idx = add_die(ci, &child, -1, 0, tag);

			if (add_ranges(&child, &ci->subs, &ci->nsubs, &ci->cap_subs, idx, idx)) {
				next_scope = idx;
				next_sub = idx;
			} else {
				ci->ndies--; /* a declaration or abstract instance */
				next_scope = -1;
				next_sub = -1;
			}
		} else if (tag == DW_TAG_inlined_subroutine && sub >= 0) {
			int idx = add_die(ci, &child, scope, ci->dies[scope].depth + 1, tag);

			if (add_ranges(&child, &ci->inl, &ci->ninl, &ci->cap_inl, idx, sub))
				next_scope = idx;
			else
				ci->ndies--;
		}
		if (dwarf_haschildren(&child))
			walk_scopes(ci, &child, next_scope, next_sub, depth + 1);
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int cmp_srange(const void *a, const void *b)
{
	const struct srange *x = a, *y = b;

	if (x->sub != y->sub)
		return x->sub - y->sub;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

static int cmp_sub(const void *a, const void *b)
{
	const struct srange *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static void build_cuinfo(struct symmod *m, struct cuinfo *ci)
{
	ci->built = true;
	if (!dwarf_offdie(m->dw, ci->off, &ci->cudie))
		return;
	if (dwarf_getsrcfiles(&ci->cudie, &ci->files, &ci->nfiles))
		ci->files = NULL;
	Dwarf_Attribute attr;

	ci->comp_dir = dwarf_formstring(dwarf_attr(&ci->cudie, DW_AT_comp_dir, &attr));
	walk_scopes(ci, &ci->cudie, -1, -1, 0);
	/* qsort's arrays must not be NULL, even when empty. */
	if (ci->nsubs)
		qsort(ci->subs, ci->nsubs, sizeof(*ci->subs), cmp_sub);
	if (ci->ninl)
		qsort(ci->inl, ci->ninl, sizeof(*ci->inl), cmp_srange);
	for (size_t i = 0; i < ci->ninl;) {
		size_t j = i;

		while (j < ci->ninl && ci->inl[j].sub == ci->inl[i].sub)
			j++;
		ci->dies[ci->inl[i].sub].first_inl = i;
		ci->dies[ci->inl[i].sub].n_inl = j - i;
		i = j;
	}
	ci->ok = true;
}

static const struct cu_range *cu_find(const struct symmod *m, uint64_t addr)
{
	size_t lo = 0, hi = m->ncus;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->cus[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Ranges of different CUs do not overlap in sane DWARF; look back a little. */
	for (size_t i = lo, k = 0; i > 0 && k < 4; i--, k++)
		if (addr >= m->cus[i - 1].lo && addr < m->cus[i - 1].hi)
			return &m->cus[i - 1];
	return NULL;
}

static int sub_find(const struct cuinfo *ci, uint64_t addr)
{
	size_t lo = 0, hi = ci->nsubs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ci->subs[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, k = 0; i > 0 && k < 8; i--, k++)
		if (addr >= ci->subs[i - 1].lo && addr < ci->subs[i - 1].hi)
			return ci->subs[i - 1].die;
	return -1;
}

static const char *die_name(struct symbolizer *s, Dwarf_Die *die, bool *bare)
{
	Dwarf_Attribute attr;
	const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));

	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	*bare = !name;
	if (name)
		return demangle(name, s->demangle_buf, sizeof(s->demangle_buf));
	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

/*
 * GCC gives C++ functions with internal linkage (in an anonymous namespace)
 * no linkage name: DWARF calls Acc<int>::run just "run". The symbol table
 * has the full name; use it when it is the same function, without the
 * clone suffix (" [clone .constprop.0]"), as DWARF names clones after
 * their function.
 */
static const char *qualified_name(struct symbolizer *s, const char *dw, const char *sym)
{
	char buf[1024];
	const char *clone = strstr(sym, " [clone ");
	size_t n = clone ? (size_t)(clone - sym) : strlen(sym);
	size_t dl = strlen(dw);

	if (!dl || n >= sizeof(buf))
		return dw;
	memcpy(buf, sym, n);
	buf[n] = '\0';
	for (const char *p = strstr(buf, dw); p; p = strstr(p + 1, dw))
		if (p - buf >= 2 && p[-1] == ':' && p[-2] == ':' && (p[dl] == '(' || p[dl] == '\0'))
			return strtab_intern(s->strings, buf);
	return dw;
}

/*
 * A source file name of a CU, interned. GCC names files relative to the
 * compilation directory, clang with absolute paths: make relative names
 * absolute, as addr2line does, so both builds of a source read the same.
 */
static const char *cu_file(struct symmod *m, struct cuinfo *ci, const char *raw)
{
	char buf[4096];
	const char *f = raw;

	if (!raw)
		return NULL;
	if (raw == ci->last_raw)
		return ci->last_file;
	if (raw[0] != '/' && ci->comp_dir && ci->comp_dir[0] &&
	    (size_t)snprintf(buf, sizeof(buf), "%s/%s", ci->comp_dir, raw) < sizeof(buf))
		f = buf;
	ci->last_raw = raw;
	ci->last_file = strtab_intern(m->sym->strings, f);
	return ci->last_file;
}

static void resolve_die(struct symmod *m, struct cuinfo *ci, struct sdie *d)
{
	Dwarf_Die die;

	d->named = true;
	if (!dwarf_offdie(m->dw, d->off, &die))
		return;
	const char *name = die_name(m->sym, &die, &d->bare);

	if (name)
		d->name = strtab_intern(m->sym->strings, name);
	d->decl_file = cu_file(m, ci, dwarf_decl_file(&die));
	dwarf_decl_line(&die, &d->decl_line);
}

static const char *call_file(struct symmod *m, struct cuinfo *ci, Dwarf_Die *die, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word file = 0, ln = 0;

	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &ln) == 0)
		*line = (int)ln;
	if (!ci->files || dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &file) != 0 ||
	    file >= ci->nfiles)
		return NULL;
	return cu_file(m, ci, dwarf_filesrc(ci->files, file, NULL, NULL));
}

/*
 * Fill frames from DWARF. Returns false when DWARF does not cover addr.
 * *bare: the outermost frame has no linkage name.
 */
static bool lookup_dwarf(struct symmod *m, uint64_t modaddr, struct symresult *out, bool *bare)
{
	uint64_t addr = modaddr - m->dwbias;
	const struct cu_range *cr;
	struct cuinfo *ci;

	if (!m->dwarf_built)
		build_cu_map(m);
	if (!m->dw || !(cr = cu_find(m, addr)) || !(ci = cuinfo_for(m, cr->cu_off)))
		return false;
	if (!ci->built)
		build_cuinfo(m, ci);
	if (!ci->ok)
		return false;

	/* Innermost source position from the line table. */
	const char *file = NULL;
	int line = 0;
	Dwarf_Line *dl = dwarf_getsrc_die(&ci->cudie, addr);

	if (dl) {
		file = cu_file(m, ci, dwarf_linesrc(dl, NULL, NULL));
		dwarf_lineno(dl, &line);
	}

	int sub = sub_find(ci, addr);

	if (sub < 0) {
		/* No subprogram DIE (assembly, say): lines only, names from symtab. */
		out->frames[0].file = file;
		out->frames[0].line = line;
		return false;
	}
	int deepest = sub;

	if (!m->sym->opts.no_inline) {
		struct sdie *sd = &ci->dies[sub];

		for (size_t i = sd->first_inl; i < sd->first_inl + sd->n_inl; i++) {
			const struct srange *r = &ci->inl[i];

			if (r->lo > addr)
				break;
			if (addr < r->hi && ci->dies[r->die].depth > ci->dies[deepest].depth)
				deepest = r->die;
		}
	}
	out->n = 0;
	for (int d = deepest; d >= 0 && out->n < SYM_MAX_INLINE; d = ci->dies[d].parent) {
		struct sdie *sd = &ci->dies[d];
		struct symframe *f = &out->frames[out->n++];

		if (!sd->named)
			resolve_die(m, ci, sd);
		f->func = sd->name;
		f->file = file;
		f->line = line;
		f->decl_file = sd->decl_file;
		f->decl_line = sd->decl_line;
		f->inlined = sd->tag == DW_TAG_inlined_subroutine;
		if (f->inlined) {
			/* The caller's position is this inlined instance's call site. */
			Dwarf_Die die;

			if (dwarf_offdie(m->dw, sd->off, &die))
				file = call_file(m, ci, &die, &line);
			else
				file = NULL, line = 0;
		}
		if (d == sub) {
			*bare = sd->bare;
			break;
		}
	}
	return out->n > 0;
}

void symbolizer_lookup(struct symbolizer *s, struct elfimg *img, uint64_t vaddr, pid_t root_pid,
		       struct symresult *out)
{
	struct symmod *m = get_symmod(s, img, root_pid);
	uint64_t modaddr = vaddr + m->elfbias;
	const struct fsym *f;
	char buf[256];
	bool bare = false;

	memset(out, 0, sizeof(*out));
	out->n = 1;
	if (!m->symtab_built)
		build_symtab(s, m);
	f = symtab_find(m, modaddr);
	if (!m->failed && lookup_dwarf(m, modaddr, out, &bare)) {
		struct symframe *outer = &out->frames[out->n - 1];

		out->has_symbol = true;
		out->has_debuginfo = true;
		if (bare && f && outer->func)
			outer->func = qualified_name(s, outer->func, f->name);
		/* DWARF without a name (rare): fall back on the symbol. */
		for (int i = 0; i < out->n; i++)
			if (!out->frames[i].func)
				out->frames[i].func = f && i == out->n - 1
							      ? f->name
							      : strtab_intern(s->strings, "??");
		goto done;
	}
	if (f) {
		out->frames[0].func = f->name;
		out->has_symbol = true;
	} else {
		snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, m->modname, vaddr);
		out->frames[0].func = strtab_intern(s->strings, buf);
	}
done:
	if (s->opts.no_lines) {
		for (int i = 0; i < out->n; i++) {
			out->frames[i].file = NULL;
			out->frames[i].line = 0;
		}
	}
}

static char *saved_debuginfod_urls;

void debuginfod_disable(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	if (urls && !saved_debuginfod_urls)
		saved_debuginfod_urls = xstrdup(urls);
	unsetenv("DEBUGINFOD_URLS");
}

void debuginfod_restore(void)
{
	if (saved_debuginfod_urls)
		setenv("DEBUGINFOD_URLS", saved_debuginfod_urls, 1);
}
