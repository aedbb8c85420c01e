// SPDX-License-Identifier: MIT
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"
#include "jsonw.h"
#include "profile.h"
#include "thread_state.h"

void crash_report_free(struct crash_report *c)
{
	free(c->threads);
	memset(c, 0, sizeof(*c));
}

const char *crash_signal_name(int signo)
{
	switch (signo) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGABRT: return "SIGABRT";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	default: return "signal";
	}
}

const char *crash_code_text(int signo, int code)
{
	if (code == SI_USER)
		return "sent by kill";
	if (code == SI_TKILL)
		return "sent by tkill";
	if (code == SI_QUEUE)
		return "sent by sigqueue";
	if (signo == SIGSEGV && code == SEGV_MAPERR)
		return "address not mapped to object";
	if (signo == SIGSEGV && code == SEGV_ACCERR)
		return "invalid permissions for mapped object";
	if (signo == SIGBUS && code == BUS_ADRALN)
		return "invalid address alignment";
	if (signo == SIGBUS && code == BUS_ADRERR)
		return "nonexistent physical address";
	if (signo == SIGBUS && code == BUS_OBJERR)
		return "object-specific hardware error";
	if (signo == SIGFPE && code == FPE_INTDIV)
		return "integer divide by zero";
	if (signo == SIGFPE && code == FPE_INTOVF)
		return "integer overflow";
	if (signo == SIGFPE && code == FPE_FLTDIV)
		return "floating-point divide by zero";
	if (signo == SIGILL && code == ILL_ILLOPC)
		return "illegal opcode";
	if (signo == SIGILL && code == ILL_PRVOPC)
		return "privileged opcode";
	return NULL;
}

/* Whether the signal carries a fault address (set by the kernel on a fault). */
static bool has_fault_address(const struct crash_report *c)
{
	return c->code > 0 && c->signo != SIGABRT;
}

struct reg_name {
	const char *name;
	size_t off;
};

#define REG(r)                                                                                     \
	{                                                                                          \
#r, offsetof(struct user_regs_struct, r)                                           \
	}
static const struct reg_name regs[] = {
	REG(rip), REG(rsp), REG(rbp), REG(rax), REG(rbx), REG(rcx), REG(rdx), REG(rsi), REG(rdi),
	REG(r8),  REG(r9),  REG(r10), REG(r11), REG(r12), REG(r13), REG(r14), REG(r15), REG(eflags),
};
#undef REG

static uint64_t reg_value(const struct user_regs_struct *r, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)r + off, sizeof(v));
	return v;
}

typedef void (*crash_frame_fn)(const struct profile *p, const struct prof_loc *loc,
			       const struct prof_line *l, void *arg);

/* Frames of a stack innermost first, inline chains innermost first. */
static void visit_frames(const struct profile *p, uint32_t stack, crash_frame_fn fn, void *arg)
{
	const uint32_t *locs = profile_stack_locs(p, stack);

	for (uint32_t i = 0; i < p->stacks[stack].n; i++) {
		const struct prof_loc *loc = &p->locs[locs[i]];
		const struct prof_line *lines = profile_loc_lines(p, locs[i]);

		for (uint16_t j = 0; j < loc->nlines; j++)
			fn(p, loc, &lines[j], arg);
	}
}

static const char *module_of(const struct profile *p, const struct prof_loc *loc)
{
	const char *path, *slash;

	if (!loc->mapping)
		return NULL;
	path = p->mappings[loc->mapping - 1].path;
	if (!path)
		return NULL;
	slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

struct text_state {
	FILE *f;
	int n;
};

static void text_frame(const struct profile *p, const struct prof_loc *loc,
		       const struct prof_line *l, void *arg)
{
	struct text_state *ts = arg;
	const char *module = module_of(p, loc);

	fprintf(ts->f, "  #%-3d 0x%016" PRIx64 " %s%s", ts->n++, loc->address,
		p->funcs[l->func].name, l->inlined ? " (inlined)" : "");
	if (l->file)
		fprintf(ts->f, " at %s:%d", l->file, l->line);
	if (module)
		fprintf(ts->f, " [%s]", module);
	fputc('\n', ts->f);
}

int crash_write_text(FILE *f, const struct profile *p, const struct crash_report *c)
{
	const char *why = crash_code_text(c->signo, c->code);

	fprintf(f, "Process %d (%s) received %s", c->pid, p->meta.cmdline ? p->meta.cmdline : "?",
		crash_signal_name(c->signo));
	if (why)
		fprintf(f, " (%s)", why);
	fprintf(f, " in thread %d", c->tid);
	if (has_fault_address(c))
		fprintf(f, " at address 0x%" PRIx64, c->addr);
	else if (c->sender)
		fprintf(f, " from pid %d", c->sender);
	fprintf(f, ", %.3f s into the recording\n", (double)c->t_ns / 1e9);
	for (size_t i = 0; i < c->nthreads; i++) {
		const struct crash_thread *t = &c->threads[i];
		struct text_state ts = { f, 0 };

		fprintf(f, "\nThread %d \"%s\" (%s)%s\n", t->tid, t->name,
			t->faulting ? crash_signal_name(c->signo) : thread_state_name(t->state),
			t->faulting ? " <- crashed here" : "");
		visit_frames(p, t->stack, text_frame, &ts);
		if (t->truncated)
			fprintf(f, "  ... (stack truncated)\n");
		if (!t->faulting)
			continue;
		fprintf(f, "\n  Registers:\n");
		for (size_t r = 0; r < sizeof(regs) / sizeof(regs[0]); r++)
			fprintf(f, "  %-6s 0x%016" PRIx64 "%s", regs[r].name,
				reg_value(&t->regs, regs[r].off), r % 3 == 2 ? "\n" : "");
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static void json_frame(const struct profile *p, const struct prof_loc *loc,
		       const struct prof_line *l, void *arg)
{
	cJSON *frames = arg, *o = cJSON_CreateObject();
	char addr[32];
	const char *module = loc->mapping ? p->mappings[loc->mapping - 1].path : NULL;

	snprintf(addr, sizeof(addr), "0x%" PRIx64, loc->address);
	cJSON_AddStringToObject(o, "address", addr);
	cjson_add_text(o, "function", p->funcs[l->func].name);
	if (l->file) {
		cjson_add_text(o, "file", l->file);
		cJSON_AddNumberToObject(o, "line", l->line);
	}
	cJSON_AddBoolToObject(o, "inlined", l->inlined);
	if (module)
		cjson_add_text(o, "module", module);
	cJSON_AddItemToArray(frames, o);
}

int crash_write_json(FILE *f, const struct profile *p, const struct crash_report *c)
{
	cJSON *root = cJSON_CreateObject(), *threads;
	const char *why = crash_code_text(c->signo, c->code);
	char buf[32];

	cJSON_AddNumberToObject(root, "pid", c->pid);
	cjson_add_text(root, "cmdline", p->meta.cmdline ? p->meta.cmdline : "");
	cJSON_AddNumberToObject(root, "tid", c->tid);
	cJSON_AddStringToObject(root, "signal", crash_signal_name(c->signo));
	cJSON_AddNumberToObject(root, "signo", c->signo);
	cJSON_AddNumberToObject(root, "code", c->code);
	if (why)
		cJSON_AddStringToObject(root, "reason", why);
	if (has_fault_address(c)) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, c->addr);
		cJSON_AddStringToObject(root, "address", buf);
	} else {
		cJSON_AddNullToObject(root, "address");
	}
	if (c->sender)
		cJSON_AddNumberToObject(root, "sender_pid", c->sender);
	cJSON_AddNumberToObject(root, "time_s", (double)c->t_ns / 1e9);
	threads = cJSON_AddArrayToObject(root, "threads");
	for (size_t i = 0; i < c->nthreads; i++) {
		const struct crash_thread *t = &c->threads[i];
		cJSON *th = cJSON_CreateObject();
		char code[2] = { t->state ? t->state : '?', 0 };

		cJSON_AddNumberToObject(th, "tid", t->tid);
		cjson_add_text(th, "name", t->name);
		cJSON_AddStringToObject(th, "state_code", code);
		cJSON_AddBoolToObject(th, "faulting", t->faulting);
		cJSON_AddBoolToObject(th, "truncated", t->truncated);
		visit_frames(p, t->stack, json_frame, cJSON_AddArrayToObject(th, "frames"));
		if (t->faulting) {
			cJSON *rj = cJSON_AddObjectToObject(th, "registers");

			for (size_t r = 0; r < sizeof(regs) / sizeof(regs[0]); r++) {
				snprintf(buf, sizeof(buf), "0x%" PRIx64,
					 reg_value(&t->regs, regs[r].off));
				cJSON_AddStringToObject(rj, regs[r].name, buf);
			}
		}
		cJSON_AddItemToArray(threads, th);
	}
	return cjson_write(f, root);
}
