/* SPDX-License-Identifier: MIT */
#ifndef CPROF_ELFIMG_H
#define CPROF_ELFIMG_H

/*
 * An ELF file of the target, opened locally. It is the unit that unwinding
 * and symbolization share: the unwinder reads .eh_frame_hdr/.eh_frame and code
 * bytes from it, the symbolizer hangs its per-module indexes off it.
 *
 * Files are identified by build-id when they have one, else by device and
 * inode, so the same library seen in several processes, or at a new address
 * after dlclose/dlopen, is opened and indexed once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mapping;

struct elf_load {
	uint64_t vaddr, memsz, offset, filesz;
	unsigned int flags; /* PF_R/PF_W/PF_X */
};

struct elfimg {
	int refs;
	int fd;
	struct Elf *elf;
	const uint8_t *data; /* the whole file, read-only */
	size_t size;
	dev_t dev;
	ino_t ino;
	char *name; /* path as the target sees it */
	uint8_t build_id[64];
	size_t build_id_len;
	char build_id_hex[129];
	bool is_dyn;
	struct elf_load *loads;
	size_t nloads;
	/* .eh_frame_hdr, validated for the encodings libunwind supports */
	bool eh_ok;
	uint64_t eh_hdr_vaddr;
	uint64_t eh_fde_count;
	uint64_t text_lo, text_hi; /* vaddr range of executable PT_LOADs */
	/* Owned by the symbolizer (symbolize.c); freed through the hook. */
	void *symstate;
	void (*symstate_free)(void *);
};

/*
 * Open an ELF image from fd. On success the image owns fd. `name` is the
 * path the target maps the file under (for display).
 */
int elfimg_open(int fd, const char *name, struct elfimg **out);
/* Build an image from bytes (the vDSO), through a memfd. */
int elfimg_from_memory(const void *data, size_t size, const char *name, struct elfimg **out);
struct elfimg *elfimg_get(struct elfimg *img);
void elfimg_put(struct elfimg *img);

/* Load bias of `img` as mapped by `m`: runtime address = vaddr + bias. */
int elfimg_bias(const struct elfimg *img, const struct mapping *m, uint64_t *bias);
/* Copy `len` bytes at link-time address `vaddr`; false if not in the file. */
bool elfimg_read_vaddr(const struct elfimg *img, uint64_t vaddr, void *out, size_t len);

#endif
