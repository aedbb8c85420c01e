// SPDX-License-Identifier: MIT
#include <libunwind.h>
#include <string.h>

#include "aspace.h"
#include "capture.h"
#include "elfimg.h"
#include "unwind.h"

/* Exported by libunwind-x86_64 but not declared in its public headers. */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
					      unw_dyn_info_t *di, unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

/* How far above the copy a failed read still means "the copy was too short". */
#define TRUNCATION_WINDOW (64 * 1024)

struct unwind_ctx {
	const struct aspace *as;
	const struct snapshot *s;
	bool missed_above_top;
};

static int find_proc_info(unw_addr_space_t unw, unw_word_t ip, unw_proc_info_t *pi,
			  int need_unwind_info, void *arg)
{
	struct unwind_ctx *ctx = arg;
	const struct as_map *a;
	const struct mapping *m = aspace_find(ctx->as, ip, &a);
	unw_dyn_info_t di;

	/*
	 * Only executable mappings of images with a sane .eh_frame_hdr: a lookup
	 * anywhere else is what poisons libunwind's own module cache, and odd
	 * table encodings make 1.6.2 abort().
	 */
	if (!m || !(m->perms & MAP_PERM_X) || !a->img || !a->bias_ok || !a->img->eh_ok)
		return -UNW_ENOINFO;
	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = a->bias + a->img->text_lo;
	di.end_ip = a->bias + a->img->text_hi;
	di.u.rti.segbase = a->bias + a->img->eh_hdr_vaddr;
	di.u.rti.table_data = di.u.rti.segbase + 12;
	di.u.rti.table_len = a->img->eh_fde_count * 8 / sizeof(unw_word_t);
	return _Ux86_64_dwarf_search_unwind_table(unw, ip, &di, pi, need_unwind_info, arg);
}

static void put_unwind_info(unw_addr_space_t unw, unw_proc_info_t *pi, void *arg)
{
	(void)unw;
	(void)pi;
	(void)arg;
}

static int get_dyn_info_list_addr(unw_addr_space_t unw, unw_word_t *addr, void *arg)
{
	(void)unw;
	(void)addr;
	(void)arg;
	return -UNW_ENOINFO;
}

static int access_mem(unw_addr_space_t unw, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct unwind_ctx *ctx = arg;
	const struct snapshot *s = ctx->s;
	const struct as_map *a;
	const struct mapping *m;
	(void)unw;

	if (write)
		return -UNW_EINVAL;
	if (addr >= s->stack_start && addr - s->stack_start + sizeof(*val) <= s->stack_len) {
		memcpy(val, s->stack + (addr - s->stack_start), sizeof(*val));
		return 0;
	}
	m = aspace_find(ctx->as, addr, &a);
	if (m && a->img && a->bias_ok && !(m->perms & MAP_PERM_W)) {
		if (elfimg_read_vaddr(a->img, addr - a->bias, val, sizeof(*val)))
			return 0;
	}
	if (m && !m->inode && (m->perms & MAP_PERM_X) && !a->is_vdso) {
		/*
		 * Anonymous code (a JIT): libunwind's fallbacks probe code bytes
		 * here; zeros make them give up cleanly instead of failing hard.
		 */
		*val = 0;
		return 0;
	}
	uint64_t top = s->stack_start + s->stack_len;

	if (addr >= top && addr - top < TRUNCATION_WINDOW)
		ctx->missed_above_top = true;
	return -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t unw, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	const struct user_regs_struct *r = &((struct unwind_ctx *)arg)->s->regs;
	(void)unw;

	if (write)
		return -UNW_EBADREG;
	switch (reg) {
	case UNW_X86_64_RAX: *val = r->rax; break;
	case UNW_X86_64_RDX: *val = r->rdx; break;
	case UNW_X86_64_RCX: *val = r->rcx; break;
	case UNW_X86_64_RBX: *val = r->rbx; break;
	case UNW_X86_64_RSI: *val = r->rsi; break;
	case UNW_X86_64_RDI: *val = r->rdi; break;
	case UNW_X86_64_RBP: *val = r->rbp; break;
	case UNW_X86_64_RSP: *val = r->rsp; break;
	case UNW_X86_64_R8: *val = r->r8; break;
	case UNW_X86_64_R9: *val = r->r9; break;
	case UNW_X86_64_R10: *val = r->r10; break;
	case UNW_X86_64_R11: *val = r->r11; break;
	case UNW_X86_64_R12: *val = r->r12; break;
	case UNW_X86_64_R13: *val = r->r13; break;
	case UNW_X86_64_R14: *val = r->r14; break;
	case UNW_X86_64_R15: *val = r->r15; break;
	case UNW_X86_64_RIP: *val = r->rip; break;
	default: return -UNW_EBADREG;
	}
	return 0;
}

static int access_fpreg(unw_addr_space_t unw, unw_regnum_t reg, unw_fpreg_t *val, int write,
			void *arg)
{
	(void)unw;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t unw, unw_cursor_t *c, void *arg)
{
	(void)unw;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t unw, unw_word_t ip, char *buf, size_t len,
			 unw_word_t *off, void *arg)
{
	(void)unw;
	(void)ip;
	(void)buf;
	(void)len;
	(void)off;
	(void)arg;
	return -UNW_ENOINFO;
}

static unw_accessors_t snapshot_accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

void *unwind_addr_space_new(void)
{
	unw_addr_space_t unw = unw_create_addr_space(&snapshot_accessors, 0);

	if (!unw)
		return NULL;
	unw_set_caching_policy(unw, UNW_CACHE_GLOBAL);
	unw_set_cache_size(unw, 1 << 14, 0);
	return unw;
}

void unwind_addr_space_free(void *unw)
{
	if (unw)
		unw_destroy_addr_space(unw);
}

void unwind_flush(void *unw)
{
	if (unw)
		unw_flush_cache(unw, 0, 0);
}

static bool is_code(const struct aspace *as, uint64_t pc)
{
	const struct as_map *a;
	const struct mapping *m = aspace_find(as, pc, &a);

	return m && (m->perms & MAP_PERM_X);
}

enum leaf_fallback {
	LEAF_HAS_CFI,	 /* nothing to add to what libunwind found */
	LEAF_RETRY,	 /* walk again from the caller found at SP */
	LEAF_NEW_THREAD, /* the first instruction of a new thread: no caller */
	LEAF_UNKNOWN,	 /* no idea */
};

/*
 * The innermost frame has no CFI: code that ends its FDE early on purpose,
 * as glibc's clone3 and clone do around the system call (in the child the
 * stack is new), or hand-written code without any. If libunwind's own
 * fallback (the frame-pointer chain) finds no caller, take the word at SP
 * as the return address, as for a leaf function that pushed nothing: it
 * counts only if it points into code. Sets up *retry for a new walk from
 * that caller. Otherwise a system call that returned 0 there is a new
 * thread coming out of clone: its stack holds no frames yet.
 */
static enum leaf_fallback leaf_return(struct unwind_ctx *ctx, struct snapshot *retry)
{
	const struct snapshot *s = ctx->s;
	unw_proc_info_t pi;
	uint64_t sp = s->regs.rsp, ra = 0;

	if (find_proc_info(ctx->as->unw, s->regs.rip, &pi, 0, ctx) != -UNW_ENOINFO)
		return LEAF_HAS_CFI;
	if (sp >= s->stack_start && sp - s->stack_start + sizeof(ra) <= s->stack_len)
		memcpy(&ra, s->stack + (sp - s->stack_start), sizeof(ra));
	if (ra && is_code(ctx->as, ra - 1)) {
		*retry = *s;
		retry->regs.rip = ra;
		retry->regs.rsp = sp + sizeof(ra);
		ctx->s = retry;
		return LEAF_RETRY;
	}
	return s->regs.rax == 0 ? LEAF_NEW_THREAD : LEAF_UNKNOWN;
}

/* After the first step found no caller: try the fallback, true to go on. */
static bool retry_leaf(struct unwind_ctx *ctx, struct snapshot *retry, unw_cursor_t *cursor,
		       struct unwind_result *r)
{
	switch (leaf_return(ctx, retry)) {
	case LEAF_RETRY:
		if (unw_init_remote(cursor, ctx->as->unw, ctx) == 0) {
			r->error = 0;
			return true;
		}
		break;
	case LEAF_NEW_THREAD: r->error = 0; break;
	default: break;
	}
	return false;
}

int unwind_snapshot(const struct aspace *as, const struct snapshot *s, int max_frames,
		    struct unwind_result *r)
{
	struct unwind_ctx ctx = { .as = as, .s = s };
	struct snapshot retry;
	unw_cursor_t cursor;
	unw_word_t prev_sp = 0;
	bool after_signal = false;
	int ret;

	r->n = 0;
	r->truncated = false;
	r->error = 0;
	if (max_frames <= 0 || max_frames > UNWIND_MAX_FRAMES)
		max_frames = UNWIND_MAX_FRAMES;
	if (!as->unw)
		return -1;
	ret = unw_init_remote(&cursor, as->unw, &ctx);
	if (ret < 0) {
		r->pc[0] = s->regs.rip;
		r->kind[0] = FRAME_EXACT;
		r->n = 1;
		r->error = ret;
		return 0;
	}
	for (;;) {
		unw_word_t ip = 0, sp = 0;

		unw_get_reg(&cursor, UNW_REG_IP, &ip);
		unw_get_reg(&cursor, UNW_REG_SP, &sp);
		if (r->n > 0) {
			/*
			 * A return address outside any code is not one: the words
			 * of a stack not set up yet (a new thread still in clone3,
			 * on a reused stack), or what the frame-pointer fallback
			 * read from them. Every frame above it would be as false.
			 */
			bool bogus = ip && !is_code(as, after_signal ? ip : ip - 1);

			if (bogus || !ip) {
				r->error = bogus ? -UNW_EBADFRAME : 0;
				if (r->n == 1 && ctx.s == s &&
				    retry_leaf(&ctx, &retry, &cursor, r)) {
					after_signal = false;
					continue;
				}
				break;
			}
			/*
			 * Frames must move up the stack, except across a signal
			 * frame. That alone guarantees progress: a repeated IP is
			 * just recursion and must not end the walk.
			 */
			if (sp <= prev_sp && !after_signal) {
				r->error = -UNW_EBADFRAME;
				break;
			}
		}
		if (r->n == max_frames) {
			r->truncated = true;
			break;
		}
		r->pc[r->n] = ip;
		r->kind[r->n] = (r->n == 0 || after_signal) ? FRAME_EXACT : FRAME_RETURN;
		r->n++;
		prev_sp = sp;
		ret = unw_step(&cursor);
		/*
		 * libunwind tells whether the frame it has just stepped from was a
		 * signal trampoline. Its pc is exact, not a return address: the
		 * handler returns to the first instruction of __restore_rt, and
		 * pc - 1 lies before the function. So is the pc of the interrupted
		 * frame above it, saved by the kernel.
		 */
		after_signal = ret > 0 && unw_is_signal_frame(&cursor) > 0;
		if (after_signal)
			r->kind[r->n - 1] = FRAME_EXACT;
		if (ret <= 0) {
			r->error = ret < 0 ? ret : 0;
			if (r->n == 1 && ctx.s == s && retry_leaf(&ctx, &retry, &cursor, r))
				continue;
			break;
		}
	}
	if (ctx.missed_above_top && (s->flags & SNAP_CAP_HIT))
		r->truncated = true;
	return 0;
}
