// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aspace.h"
#include "elfimg.h"
#include "perfmap.h"
#include "resolve.h"
#include "strtab.h"

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
		return;
	}
	if (!m->inode && (m->perms & MAP_PERM_X) && strcmp(m->path, "[vdso]")) {
		if (!as->jit)
			as->jit = perfmap_open(as->pid);
		const char *name = perfmap_lookup(as->jit, pc);

		if (name) {
			out->kind = RESOLVED_JIT;
			out->module = strtab_intern(strings, "[jit]");
			single(out, strtab_intern(strings, name));
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
