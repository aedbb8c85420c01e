// SPDX-License-Identifier: MIT
/*
 * t-harm-jit: "JIT" functions with hostile names, to check that every
 * output keeps function names as text. Main copies a counting loop twice
 * into anonymous executable memory, describes the copies in
 * /tmp/perf-PID.map (perf's JIT map format: "START SIZE name", hex without
 * 0x) under the names
 *
 *   <script>alert("x&y")</script> & 'q' ]]> -->
 *   ctl\x01\x1b[31m tab\there bad-utf8 \xff\xfe\xc3 end
 *
 * (markup; then control characters, a tab and bytes that are not UTF-8)
 * and calls them in turn from jit_caller. The map file is removed on
 * SIGTERM; "ready" comes once it is written and the code runs.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "target.h"

#define JIT_NAME "<script>alert(\"x&y\")</script> & 'q' ]]> -->"
#define JIT_NAME2 "ctl\x01\x1b[31m tab\there bad-utf8 \xff\xfe\xc3 end"

static char map_path[64];
static volatile int running;

static void on_term(int sig)
{
	(void)sig;
	unlink(map_path);
	_exit(0);
}

typedef unsigned long (*jit_fn)(unsigned long);

NOINLINE static unsigned long jit_caller(jit_fn fn, jit_fn fn2)
{
	unsigned long x = 0;

	for (;;) {
		x += fn(100000);
		x += fn2(100000);
		target_set_flag(&running);
		BARRIER();
	}
	return x;
}

/* Says "ready" once the JIT code has run, then stays blocked. */
static void *announce(void *arg)
{
	(void)arg;
	target_name_thread("announce");
	target_wait_flag(&running);
	target_ready();
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	/* mov %rdi,%rax; 1: dec %rax; jnz 1b; ret */
	static const unsigned char code[] = { 0x48, 0x89, 0xf8, 0x48, 0xff, 0xc8,
					      0x75, 0xfb, 0xc3 };
	unsigned char *mem;
	unsigned long x;
	pthread_t th;
	FILE *f;

	target_init();
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		target_die("mmap");
	memcpy(mem, code, sizeof(code));
	memcpy(mem + 64, code, sizeof(code));
	if (mprotect(mem, 4096, PROT_READ | PROT_EXEC))
		target_die("mprotect");
	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", (int)getpid());
	signal(SIGTERM, on_term);
	f = fopen(map_path, "w");
	if (!f)
		target_die(map_path);
	fprintf(f, "%lx %zx %s\n", (unsigned long)(uintptr_t)mem, sizeof(code), JIT_NAME);
	fprintf(f, "%lx %zx %s\n", (unsigned long)(uintptr_t)(mem + 64), sizeof(code), JIT_NAME2);
	if (fclose(f))
		target_die(map_path);
	printf("jit %lx\n", (unsigned long)(uintptr_t)mem);
	fflush(stdout);
	if (pthread_create(&th, NULL, announce, NULL))
		target_die("pthread_create");
	x = jit_caller((jit_fn)(void *)mem, (jit_fn)(void *)(mem + 64));
	OPAQUE(x);
	return 0;
}
