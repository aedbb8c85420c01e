// SPDX-License-Identifier: MIT
#include <errno.h>
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aspace.h"
#include "elfimg.h"
#include "log.h"
#include "perfmap.h"
#include "unwind.h"
#include "xalloc.h"

struct img_entry {
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	struct elfimg *img;
};

struct imgcache {
	struct img_entry *v;
	size_t n, cap;
};

struct imgcache *imgcache_new(void)
{
	return xcalloc(1, sizeof(struct imgcache));
}

void imgcache_free(struct imgcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		elfimg_put(c->v[i].img);
	free(c->v);
	free(c);
}

size_t imgcache_count(const struct imgcache *c)
{
	return c->n;
}

static struct elfimg *imgcache_find(struct imgcache *c, unsigned int maj, unsigned int min,
				    uint64_t ino)
{
	for (size_t i = 0; i < c->n; i++) {
		struct img_entry *e = &c->v[i];

		if (e->inode == ino && e->dev_major == maj && e->dev_minor == min)
			return e->img;
	}
	return NULL;
}

/*
 * Add an image under a device/inode key. A file we already know by build-id
 * (a copy, or the vDSO of another process) shares the existing image, and
 * so its symbol indexes. Consumes the caller's reference to img.
 */
static struct elfimg *imgcache_intern(struct imgcache *c, unsigned int maj, unsigned int min,
				      uint64_t ino, struct elfimg *img)
{
	if (img->build_id_len) {
		for (size_t i = 0; i < c->n; i++) {
			struct elfimg *o = c->v[i].img;

			if (o->build_id_len == img->build_id_len &&
			    !memcmp(o->build_id, img->build_id, img->build_id_len) &&
			    o->size == img->size) {
				elfimg_put(img);
				img = elfimg_get(o);
				break;
			}
		}
	}
	struct img_entry *e = VEC_PUSH(c->v, c->n, c->cap);

	e->dev_major = maj;
	e->dev_minor = min;
	e->inode = ino;
	e->img = img;
	return img;
}

void maps_update_free(struct maps_update *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nfiles; i++)
		if (u->files[i].fd >= 0)
			close(u->files[i].fd);
	free(u->files);
	maps_release(&u->maps);
	free(u->vdso);
	free(u);
}

struct aspace *aspace_new(pid_t pid)
{
	struct aspace *as = xcalloc(1, sizeof(*as));

	as->pid = pid;
	as->unw = unwind_addr_space_new();
	return as;
}

static void drop_image(struct aspace *as)
{
	maps_release(&as->maps);
	free(as->amap);
	as->amap = NULL;
	elfimg_put(as->vdso);
	as->vdso = NULL;
	perfmap_free(as->jit);
	as->jit = NULL;
}

void aspace_free(struct aspace *as)
{
	if (!as)
		return;
	drop_image(as);
	unwind_addr_space_free(as->unw);
	free(as);
}

static bool exec_mappings_changed(const struct maps *old, const struct maps *new)
{
	/* A removed or replaced executable mapping invalidates cached CFI. */
	for (size_t i = 0; i < old->n; i++) {
		const struct mapping *o = &old->v[i];
		const struct mapping *n;

		if (!(o->perms & MAP_PERM_X))
			continue;
		n = maps_find(new, o->start);
		if (!n || n->start != o->start || n->end != o->end || n->inode != o->inode ||
		    n->offset != o->offset || !(n->perms & MAP_PERM_X))
			return true;
	}
	return false;
}

void aspace_apply(struct aspace *as, struct maps_update *upd, struct imgcache *cache)
{
	bool flush = false;

	if (upd->exec) {
		drop_image(as);
		as->exec_id++;
		flush = true;
	} else if (as->maps.n) {
		flush = exec_mappings_changed(&as->maps, &upd->maps);
	}
	if (upd->vdso && upd->vdso_len) {
		struct elfimg *v = NULL;

		if (elfimg_from_memory(upd->vdso, upd->vdso_len, "[vdso]", &v) == 0) {
			/* The cache keeps one reference, the address space another. */
			v = imgcache_intern(cache, 0, 0, 0, v);
			elfimg_put(as->vdso);
			as->vdso = elfimg_get(v);
		}
	}
	/* Register newly pinned files before resolving mappings. */
	for (size_t i = 0; i < upd->nfiles; i++) {
		struct maps_file *f = &upd->files[i];

		if (f->fd < 0 || imgcache_find(cache, f->dev_major, f->dev_minor, f->inode))
			continue;
		const char *name = "?";

		for (size_t k = 0; k < upd->maps.n; k++) {
			const struct mapping *m = &upd->maps.v[k];

			if (m->inode == f->inode && m->dev_major == f->dev_major &&
			    m->dev_minor == f->dev_minor) {
				name = m->path;
				break;
			}
		}
		struct elfimg *img = NULL;
		int err = elfimg_open(f->fd, name, &img);

		if (err) {
			debug_msg(1, "cannot read '%s' as ELF: %s", name, strerror(-err));
			continue;
		}
		f->fd = -1; /* owned by the image now */
		imgcache_intern(cache, f->dev_major, f->dev_minor, f->inode, img);
	}

	maps_release(&as->maps);
	free(as->amap);
	as->maps = upd->maps;
	upd->maps.v = NULL;
	upd->maps.n = 0;
	as->amap = xcalloc(as->maps.n ? as->maps.n : 1, sizeof(*as->amap));
	for (size_t i = 0; i < as->maps.n; i++) {
		const struct mapping *m = &as->maps.v[i];
		struct as_map *a = &as->amap[i];

		if (!strcmp(m->path, "[vdso]")) {
			a->img = as->vdso;
			a->is_vdso = true;
		} else if (mapping_is_file(m)) {
			a->img = imgcache_find(cache, m->dev_major, m->dev_minor, m->inode);
		}
		if (a->img)
			a->bias_ok = elfimg_bias(a->img, m, &a->bias) == 0;
	}
	as->generation++;
	if (flush)
		unwind_flush(as->unw);
}

const struct mapping *aspace_find(const struct aspace *as, uint64_t addr,
				  const struct as_map **amap)
{
	const struct mapping *m = maps_find(&as->maps, addr);

	if (amap)
		*amap = m ? &as->amap[m - as->maps.v] : NULL;
	return m;
}
