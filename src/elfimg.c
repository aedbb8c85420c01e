// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfimg.h"
#include "maps.h"
#include "xalloc.h"

/* .eh_frame_hdr encodings: the only layout libunwind 1.6.2 handles safely. */
#define EH_PE_udata4  0x03
#define EH_PE_sdata4  0x0b
#define EH_PE_pcrel   0x10
#define EH_PE_datarel 0x30

static void read_build_id(struct elfimg *img)
{
	size_t nphdr;

	if (elf_getphdrnum(img->elf, &nphdr))
		return;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getphdr(img->elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(img->elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + name_off, "GNU", 4))
				continue;
			size_t len = MIN(nh.n_descsz, sizeof(img->build_id));

			memcpy(img->build_id, (char *)d->d_buf + desc_off, len);
			img->build_id_len = len;
			for (size_t k = 0; k < len; k++)
				snprintf(img->build_id_hex + 2 * k, 3, "%02x", img->build_id[k]);
			return;
		}
	}
}

static void read_eh_frame_hdr(struct elfimg *img, const GElf_Phdr *ph)
{
	uint8_t hdr[12];
	uint32_t count;

	if (ph->p_filesz < sizeof(hdr) || ph->p_offset > img->size ||
	    img->size - ph->p_offset < sizeof(hdr))
		return;
	memcpy(hdr, img->data + ph->p_offset, sizeof(hdr));
	if (hdr[0] != 1 || hdr[1] != (EH_PE_pcrel | EH_PE_sdata4) || hdr[2] != EH_PE_udata4 ||
	    hdr[3] != (EH_PE_datarel | EH_PE_sdata4))
		return;
	memcpy(&count, hdr + 8, sizeof(count));
	/* The table must lie inside the segment, or libunwind reads past it. */
	if ((uint64_t)count * 8 > ph->p_filesz - sizeof(hdr))
		return;
	img->eh_hdr_vaddr = ph->p_vaddr;
	img->eh_fde_count = count;
	img->eh_ok = count > 0;
}

static int parse(struct elfimg *img)
{
	GElf_Ehdr eh;
	size_t nphdr;
	size_t cap = 0;

	if (elf_kind(img->elf) != ELF_K_ELF || !gelf_getehdr(img->elf, &eh))
		return -ENOEXEC;
	if (gelf_getclass(img->elf) != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return -ENOEXEC;
	img->is_dyn = eh.e_type == ET_DYN;
	if (elf_getphdrnum(img->elf, &nphdr))
		return -ENOEXEC;
	img->text_lo = UINT64_MAX;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(img->elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD) {
			struct elf_load *l = VEC_PUSH(img->loads, img->nloads, cap);

			l->vaddr = ph.p_vaddr;
			l->memsz = ph.p_memsz;
			l->offset = ph.p_offset;
			l->filesz = ph.p_filesz;
			l->flags = ph.p_flags;
			if (ph.p_flags & PF_X) {
				img->text_lo = MIN(img->text_lo, ph.p_vaddr);
				img->text_hi = MAX(img->text_hi, ph.p_vaddr + ph.p_memsz);
			}
		} else if (ph.p_type == PT_GNU_EH_FRAME) {
			read_eh_frame_hdr(img, &ph);
		}
	}
	if (!img->nloads)
		return -ENOEXEC;
	if (img->text_lo == UINT64_MAX)
		img->text_lo = img->text_hi = 0;
	read_build_id(img);
	return 0;
}

int elfimg_open(int fd, const char *name, struct elfimg **out)
{
	struct elfimg *img;
	struct stat st;
	size_t size;
	int err;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOEXEC;
	elf_version(EV_CURRENT);
	img = xcalloc(1, sizeof(*img));
	img->refs = 1;
	img->fd = -1;
	img->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!img->elf) {
		free(img);
		return -ENOEXEC;
	}
	img->data = (const uint8_t *)elf_rawfile(img->elf, &size);
	img->size = size;
	img->dev = st.st_dev;
	img->ino = st.st_ino;
	img->name = xstrdup(name);
	if (!img->data) {
		err = -ENOEXEC;
		goto fail;
	}
	err = parse(img);
	if (err)
		goto fail;
	img->fd = fd;
	*out = img;
	return 0;
fail:
	elf_end(img->elf);
	free(img->loads);
	free(img->name);
	free(img);
	return err;
}

int elfimg_from_memory(const void *data, size_t size, const char *name, struct elfimg **out)
{
	int fd = memfd_create("cprof-image", MFD_CLOEXEC);
	const char *p = data;
	size_t left = size;
	int err;

	if (fd < 0)
		return -errno;
	while (left) {
		ssize_t n = write(fd, p, left);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			return err;
		}
		p += n;
		left -= (size_t)n;
	}
	err = elfimg_open(fd, name, out);
	if (err)
		close(fd);
	return err;
}

struct elfimg *elfimg_get(struct elfimg *img)
{
	if (img)
		img->refs++;
	return img;
}

void elfimg_put(struct elfimg *img)
{
	if (!img || --img->refs > 0)
		return;
	if (img->symstate_free)
		img->symstate_free(img->symstate);
	elf_end(img->elf);
	if (img->fd >= 0)
		close(img->fd);
	free(img->loads);
	free(img->name);
	free(img);
}

int elfimg_bias(const struct elfimg *img, const struct mapping *m, uint64_t *bias)
{
	/*
	 * The PT_LOAD holding the mapping's file offset gives the link address
	 * of the mapping start. Segments can share a file page: lld puts the
	 * end of the read-only segment and the start of the code in one page,
	 * and the RELRO part of the data segment is mapped read-only. So among
	 * the segments holding the offset, prefer the one whose execute
	 * permission matches, then one that starts at this mapping, then one
	 * whose write permission matches.
	 */
	const struct elf_load *best = NULL;
	int best_score = -1;

	for (size_t i = 0; i < img->nloads; i++) {
		const struct elf_load *l = &img->loads[i];
		uint64_t seg_start = l->offset & ~0xfffULL;
		int score;

		if (m->offset < seg_start || m->offset >= l->offset + MAX(l->filesz, 1))
			continue;
		score = (!(l->flags & PF_X) == !(m->perms & MAP_PERM_X)) * 4 +
			(seg_start == m->offset) * 2 +
			(!(l->flags & PF_W) == !(m->perms & MAP_PERM_W));
		if (score > best_score) {
			best = l;
			best_score = score;
		}
	}
	if (!best)
		return -ENOENT;
	*bias = m->start - m->offset - (best->vaddr - best->offset);
	return 0;
}

bool elfimg_read_vaddr(const struct elfimg *img, uint64_t vaddr, void *out, size_t len)
{
	for (size_t i = 0; i < img->nloads; i++) {
		const struct elf_load *l = &img->loads[i];

		if (vaddr < l->vaddr || vaddr - l->vaddr >= l->filesz)
			continue;
		uint64_t rel = vaddr - l->vaddr;

		if (len > l->filesz - rel)
			return false;
		uint64_t off = l->offset + rel;

		if (off > img->size || len > img->size - off)
			return false;
		memcpy(out, img->data + off, len);
		return true;
	}
	return false;
}
