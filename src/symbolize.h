/* SPDX-License-Identifier: MIT */
#ifndef CPROF_SYMBOLIZE_H
#define CPROF_SYMBOLIZE_H

/*
 * Symbolization of module-relative addresses with elfutils (unwind.md §4).
 *
 * libdwfl finds the symbol table and debug information (separate debug
 * files by build-id or .gnu_debuglink, compressed sections), but its lookups
 * scan linearly and depend on .debug_aranges, so every module gets its own
 * indexes, built lazily on first use:
 *   - a sorted function table from the best symbol table available;
 *   - a CU address map built from the CU DIEs (clang emits no aranges);
 *   - per CU, on first touch, an index of subprogram and inlined-subroutine
 *     address ranges, which gives inline chains without dwarf_getscopes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct elfimg;
struct strtab;

struct symframe {
	const char *func;      /* demangled, interned */
	const char *file;      /* source file or NULL */
	int line;	       /* 0 when unknown */
	const char *decl_file; /* where the function is defined, or NULL */
	int decl_line;
	bool inlined; /* this frame was inlined into the next one */
};

#define SYM_MAX_INLINE 32

struct symresult {
	struct symframe frames[SYM_MAX_INLINE]; /* innermost first */
	int n;
	bool has_symbol; /* false: frames[0].func is "module+0xoff" */
	bool has_debuginfo;
};

struct sym_opts {
	bool no_inline;
	bool no_lines;
	const char *const *debug_dirs; /* NULL-terminated, may be NULL */
};

struct symbolizer;

struct symbolizer *symbolizer_new(const struct sym_opts *opts, struct strtab *strings);
void symbolizer_free(struct symbolizer *s);

/*
 * Symbolize `vaddr`, a link-time address of `img`. `root_pid`, if positive,
 * is a process whose root directory also holds debug files for this image
 * (a container). Always fills `out` with at least one frame.
 *
 * The image keeps indexes bound to the first symbolizer that looks it up
 * (its options and string table): it must not be used with another one,
 * and must be released before that symbolizer is freed.
 */
void symbolizer_lookup(struct symbolizer *s, struct elfimg *img, uint64_t vaddr, pid_t root_pid,
		       struct symresult *out);

/* Basename of a module path, interned. */
const char *symbolizer_module_name(struct symbolizer *s, const char *path);

/*
 * libdw fetches missing debug files from DEBUGINFOD_URLS, a blocking network
 * request. cprof disables that at start-up; --debuginfod turns it back on.
 */
void debuginfod_disable(void);
void debuginfod_restore(void);

#endif
