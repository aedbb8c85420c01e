/* SPDX-License-Identifier: MIT */
#ifndef CPROF_ASPACE_H
#define CPROF_ASPACE_H

/*
 * The address space of one target process as the unwinder and symbolizer
 * see it: its mappings, the ELF image behind each file mapping with its load
 * bias, a copy of the vDSO, and the libunwind address space whose register
 * state cache is only valid for this process image.
 *
 * The sampler thread notices changes (new mappings, exec) and sends a
 * maps_update; the consumer applies it before unwinding later samples.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps.h"

struct elfimg;
struct perfmap;

/* A file first seen by the sampler, pinned by an open descriptor. */
struct maps_file {
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	int fd;
};

struct maps_update {
	pid_t pid;
	bool exec; /* the process image was replaced: drop everything */
	struct maps maps;
	struct maps_file *files;
	size_t nfiles;
	uint8_t *vdso;
	size_t vdso_len;
};

void maps_update_free(struct maps_update *u);

/*
 * Images shared by every process of a session, keyed by device and inode and
 * deduplicated by build-id, so symbolizer indexes are built once per file.
 */
struct imgcache;

struct imgcache *imgcache_new(void);
void imgcache_free(struct imgcache *c);
size_t imgcache_count(const struct imgcache *c);

struct as_map {
	struct elfimg *img; /* NULL when the file could not be opened */
	uint64_t bias;
	bool bias_ok;
	bool is_vdso;
};

struct aspace {
	pid_t pid;
	unsigned int generation;
	struct maps maps;
	struct as_map *amap; /* parallel to maps.v */
	struct elfimg *vdso;
	void *unw;	     /* unw_addr_space_t */
	struct perfmap *jit; /* /tmp/perf-PID.map, loaded on demand */
	uint64_t exec_id;    /* bumped on every exec */
};

struct aspace *aspace_new(pid_t pid);
void aspace_free(struct aspace *as);
/* Apply an update; takes ownership of the descriptors in it. */
void aspace_apply(struct aspace *as, struct maps_update *upd, struct imgcache *cache);
/* The mapping containing addr, and its image entry (may be NULL). */
const struct mapping *aspace_find(const struct aspace *as, uint64_t addr,
				  const struct as_map **amap);

#endif
