// SPDX-License-Identifier: MIT
/*
 * The shared libraries t-sym-dlswap loads: built twice by extra.mk, as
 * libsym-a.so with HOT=a_hot LEAF=a_leaf and as libsym-b.so with b_hot and
 * b_leaf. Names of equal length keep the two layouts identical, so the
 * same offset is a_leaf in one and b_leaf in the other: a profiler that
 * keeps using the first library's symbols after the swap names the wrong
 * function.
 */
#if !defined(HOT) || !defined(LEAF)
#error "build with -DHOT=name -DLEAF=name"
#endif

#define OPAQUE(x) __asm__ __volatile__("" : "+r"(x))

__attribute__((noinline)) unsigned long LEAF(unsigned long x, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		OPAQUE(x);
	}
	return x;
}

__attribute__((noinline)) unsigned long HOT(unsigned long x)
{
	x = LEAF(x, 20000);
	__asm__ __volatile__("" ::: "memory");
	return x ^ 1;
}
