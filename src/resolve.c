// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aspace.h"
#include "elfimg.h"
#include "perfmap.h"
#include "resolve.h"
#include "strtab.h"
#include "xalloc.h"

/*
 * Names come from the target (its binaries, its perf map): control
 * characters in them would reach the user's terminal through the text
 * outputs (dump, report, top) as escape sequences. They become '?'.
 */
static const char *printable(struct strtab *strings, const char *s)
{
	char *copy;
	const char *clean;

	if (!s)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			goto dirty;
	}
	return s;
dirty:
	copy = xstrdup(s);
	for (unsigned char *p = (unsigned char *)copy; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	clean = strtab_intern(strings, copy);
	free(copy);
	return clean;
}

static void printable_frames(struct strtab *strings, struct symresult *r)
{
	for (int i = 0; i < r->n; i++) {
		r->frames[i].func = printable(strings, r->frames[i].func);
		r->frames[i].file = printable(strings, r->frames[i].file);
		r->frames[i].decl_file = printable(strings, r->frames[i].decl_file);
	}
}

static void single(struct resolved *out, const char *func)
{
	out->sym.n = 1;
	out->sym.frames[0].func = func;
}

void resolve_pc(struct symbolizer *sym, struct strtab *strings, struct aspace *as, uint64_t pc,
		struct resolved *out)
{
	const struct as_map *a;
	const struct mapping *m = aspace_find(as, pc, &a);
	char buf[512];

	memset(out, 0, sizeof(*out));
	out->kind = RESOLVED_UNKNOWN;
	if (!m) {
		single(out, strtab_intern(strings, "[unknown]"));
		return;
	}
	out->map_start = m->start;
	out->map_end = m->end;
	out->map_offset = m->offset;
	if (m->path[0])
		out->module_path = strtab_intern(strings, m->path);
	if (a->img && a->bias_ok) {
		out->kind = RESOLVED_MODULE;
		out->img = a->img;
		out->vaddr = pc - a->bias;
		out->module = symbolizer_module_name(sym, m->path[0] ? m->path : a->img->name);
		symbolizer_lookup(sym, a->img, out->vaddr, as->pid, &out->sym);
		printable_frames(strings, &out->sym);
		return;
	}
	if (!m->inode && (m->perms & MAP_PERM_X) && strcmp(m->path, "[vdso]")) {
		if (!as->jit)
			as->jit = perfmap_open(as->pid);
		const char *name = perfmap_lookup(as->jit, pc);

		if (name) {
			out->kind = RESOLVED_JIT;
			out->module = strtab_intern(strings, "[jit]");
			single(out, printable(strings, strtab_intern(strings, name)));
			out->sym.has_symbol = true;
			return;
		}
	}
	if (m->path[0] == '/') {
		/* A file we could not open: say where, as a file offset. */
		out->module = symbolizer_module_name(sym, m->path);
		out->vaddr = pc - m->start + m->offset;
		snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, out->module, out->vaddr);
		single(out, strtab_intern(strings, buf));
		return;
	}
	single(out, strtab_intern(strings, "[unknown]"));
}
