// SPDX-License-Identifier: MIT
/*
 * t-sym-dlswap: code unloaded and other code loaded in its place (unwind.md
 * P4). Usage: t-sym-dlswap LIB_A LIB_B (libsym-a.so, libsym-b.so from
 * tests/targets/sym/dlhot.c).
 *
 *   phase a:  main → phase_a → a_hot → a_leaf, from LIB_A
 *   SIGUSR1:  dlclose(LIB_A), dlopen(LIB_B), usually at the same address
 *   phase b:  main → phase_b → b_hot → b_leaf, from LIB_B
 *
 * Prints "ready PID" in phase a, then "lib a ADDR" and, after the swap,
 * "lib b ADDR" (the load address of each library) and "swapped".
 */
#include <dlfcn.h>
#include <link.h>

#include "target.h"

typedef unsigned long (*hot_fn)(unsigned long);

static volatile sig_atomic_t swap;

static void on_usr1(int sig)
{
	(void)sig;
	swap = 1;
}

static void *load(const char *path, const char *sym, const char *tag, hot_fn *fn)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	struct link_map *lm = NULL;

	if (!h) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		exit(99);
	}
	*fn = (hot_fn)dlsym(h, sym);
	if (!*fn || dlinfo(h, RTLD_DI_LINKMAP, &lm) || !lm) {
		fprintf(stderr, "%s: no %s\n", path, sym);
		exit(99);
	}
	printf("lib %s %#lx\n", tag, (unsigned long)lm->l_addr);
	fflush(stdout);
	return h;
}

NOINLINE static unsigned long phase_a(hot_fn fn, unsigned long x)
{
	while (!swap)
		x = fn(x);
	BARRIER();
	return x;
}

NOINLINE static unsigned long phase_b(hot_fn fn, unsigned long x)
{
	for (;;)
		x = fn(x);
	BARRIER();
	return x;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	hot_fn fn;
	void *h;
	unsigned long x = 1;

	target_init();
	if (argc != 3) {
		fprintf(stderr, "usage: t-sym-dlswap LIB_A LIB_B\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		target_die("sigaction");
	h = load(argv[1], "a_hot", "a", &fn);
	x = fn(x);
	target_ready();
	x = phase_a(fn, x);
	if (dlclose(h)) {
		fprintf(stderr, "dlclose: %s\n", dlerror());
		return 99;
	}
	load(argv[2], "b_hot", "b", &fn);
	printf("swapped\n");
	fflush(stdout);
	x = phase_b(fn, x);
	return (int)(x & 1);
}
