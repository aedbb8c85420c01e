// SPDX-License-Identifier: MIT
/*
 * t-sym-jit: code generated at run time, named only by a perf map
 * (/tmp/perf-PID.map, perf's jit-interface.txt format), as JITs do.
 *
 *   main → jit_loop → [anonymous RWX memory: "JIT hot loop [tier 2]"]
 *
 * The code is a small function copied into an anonymous read-write-execute
 * mapping; it keeps a frame pointer, which is all an unwinder has there.
 * The map names the code twice: first "JIT stale name", then, later in the
 * file and so newer, "JIT hot loop [tier 2]" (the name under test, with
 * spaces). An entry elsewhere in the mapping names code that never runs.
 *
 * SIGUSR1 copies other code to the same address and appends "JIT hot loop
 * [tier 3]": the code there changed, and so did its newest name. "swapped"
 * is printed after that. SIGTERM removes the map.
 */
#include <sys/mman.h>

#include "target.h"

/*
 * unsigned long fn(unsigned long n): spin n times, return n.
 *	push %rbp; mov %rsp,%rbp; mov %rdi,%rcx
 *   1: dec %rcx; jnz 1b
 *	mov %rdi,%rax; pop %rbp; ret
 * Tier 3 is the same after 24 nops, so the pcs of its loop were never
 * pcs of tier 2's: a profiler cannot have remembered a name for them, but
 * the older entries cover them too (all entries have size JIT_SIZE).
 */
#define JIT_SIZE 64
#define TIER2 0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf9, \
	0x48, 0xff, 0xc9, 0x75, 0xfb, \
	0x48, 0x89, 0xf8, 0x5d, 0xc3
#define NOP8 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90
static const unsigned char tier2[] = { TIER2 };
static const unsigned char tier3[] = { NOP8, NOP8, NOP8, TIER2 };

typedef unsigned long (*jit_fn)(unsigned long);

static char map_path[64];
static unsigned char *code;
static volatile sig_atomic_t swap;

static void on_term(int sig)
{
	(void)sig;
	unlink(map_path);
	_exit(0);
}

static void on_usr1(int sig)
{
	(void)sig;
	swap = 1;
}

static void map_add(unsigned long start, unsigned long size, const char *name)
{
	FILE *f = fopen(map_path, "a");

	if (!f)
		target_die(map_path);
	fprintf(f, "%lx %lx %s\n", start, size, name);
	if (fclose(f))
		target_die(map_path);
}

NOINLINE static unsigned long jit_loop(unsigned long x)
{
	for (;;) {
		x += ((jit_fn)(void *)code)(1 << 20);
		if (swap == 1) {
			memcpy(code, tier3, sizeof(tier3));
			__builtin___clear_cache((char *)code, (char *)code + sizeof(tier3));
			map_add((unsigned long)code, JIT_SIZE, "JIT hot loop [tier 3]");
			swap = 2;
			printf("swapped\n");
			fflush(stdout);
		}
		BARRIER();
	}
	return x;
}

int main(void)
{
	struct sigaction sa;

	target_init();
	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", (int)getpid());
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (code == MAP_FAILED)
		target_die("mmap");
	memcpy(code, tier2, sizeof(tier2));
	__builtin___clear_cache((char *)code, (char *)code + sizeof(tier2));
	unlink(map_path);
	map_add((unsigned long)code, JIT_SIZE, "JIT stale name");
	map_add((unsigned long)code + 2048, JIT_SIZE, "JIT never runs");
	map_add((unsigned long)code, JIT_SIZE, "JIT hot loop [tier 2]");
	((jit_fn)(void *)code)(1);
	target_ready();
	return (int)(jit_loop(1) & 1);
}
