/* SPDX-License-Identifier: MIT */
#ifndef CPROF_FUZZ_H
#define CPROF_FUZZ_H

/*
 * The entry point of every harness in tests/fuzz: libFuzzer calls it with
 * each input (make fuzz), replay.c with each file of a corpus (make check,
 * tests/func/input-fuzz.sh). Returns 0.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct profile;

/* Render a profile that loaded in every output format, to nowhere. */
void fuzz_render_all(const struct profile *p);

#endif
