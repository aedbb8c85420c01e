// SPDX-License-Identifier: MIT
/*
 * ELF files of the target (elfimg: program headers, build-id, the
 * .eh_frame_hdr check; symbolize: symbol tables, DWARF through libdw, our
 * own function and CU indexes): a target may map any file, so any bytes
 * must open or fail cleanly, and a few addresses must symbolize without a
 * crash, a leak or undefined behaviour in cprof's code. (A crash inside
 * libelf or libdw themselves shows here too; those are upstream bugs.)
 */
#include <string.h>

#include "elfimg.h"
#include "fuzz.h"
#include "strtab.h"
#include "symbolize.h"

static void lookup(struct symbolizer *s, struct elfimg *img, uint64_t vaddr)
{
	struct symresult r;

	symbolizer_lookup(s, img, vaddr, 0, &r);
	for (int i = 0; i < r.n; i++)
		if (!r.frames[i].func)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct sym_opts opts = { 0 };
	struct elfimg *img;
	struct strtab *strings;
	struct symbolizer *s;
	uint64_t tail = 0, word;

	if (!once) {
		debuginfod_disable(); /* never the network */
		once = 1;
	}
	if (!size || elfimg_from_memory(data, size, "fuzz.so", &img))
		return 0;
	strings = strtab_new();
	s = symbolizer_new(&opts, strings);
	if (size >= 8)
		memcpy(&tail, data + size - 8, 8);
	lookup(s, img, img->text_lo);
	lookup(s, img, img->text_lo + (img->text_hi - img->text_lo) / 2);
	lookup(s, img, img->text_hi ? img->text_hi - 1 : 0);
	for (size_t i = 0; i < img->nloads && i < 4; i++)
		lookup(s, img, img->loads[i].vaddr + img->loads[i].memsz / 3);
	lookup(s, img, tail);
	lookup(s, img, img->text_lo); /* again: from the indexes now built */
	elfimg_read_vaddr(img, tail, &word, sizeof(word));
	elfimg_read_vaddr(img, img->eh_hdr_vaddr, &word, sizeof(word));
	/* The image holds indexes of this symbolizer: release it first. */
	elfimg_put(img);
	symbolizer_free(s);
	strtab_free(strings);
	return 0;
}
