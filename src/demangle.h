/* SPDX-License-Identifier: MIT */
#ifndef CPROF_DEMANGLE_H
#define CPROF_DEMANGLE_H

/*
 * Demangle a C++ (Itanium) or legacy Rust symbol into buf. Returns buf, or
 * `name` unchanged when it is not mangled or the demangler rejects it.
 */
#include <stddef.h>

const char *demangle(const char *name, char *buf, size_t size);

#endif
