// SPDX-License-Identifier: MIT
/*
 * cprof dump: the stack of every thread of a process, once (eu-stack -p,
 * py-spy dump). Each thread is stopped only for its own capture.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aspace.h"
#include "capture.h"
#include "jsonw.h"
#include "cprof.h"
#include "log.h"
#include "mapwatch.h"
#include "options.h"
#include "proc.h"
#include "resolve.h"
#include "signals.h"
#include "strtab.h"
#include "symbolize.h"
#include "syscalls.h"
#include "target.h"
#include "thread_state.h"
#include "unwind.h"
#include "xalloc.h"

#define DUMP_STACK_CAP (512 * 1024)
/*
 * How long to wait for each thread to stop. The sampler's default (50 ms)
 * is too short for a one-shot dump on a busy machine: a runnable thread
 * that is not on a CPU stops only when it is next scheduled.
 */
#define DUMP_STOP_TIMEOUT_MS 1000

static const char usage[] =
	"usage: cprof dump --pid PID [options]\n"
	"\n"
	"Print the current stack of every thread of a running process.\n"
	"\n"
	"  -p, --pid PID          process to inspect\n"
	"  -j, --json             print one JSON document instead of text\n"
	"      --no-inline        do not expand inlined functions\n"
	"      --no-lines         do not print source file and line\n"
	"      --debug-dir DIR    also look for debug files in DIR (repeatable)\n"
	"  -v, --verbose          print debugging messages (repeat for more)\n"
	"  -h, --help             show this help\n";

struct thread_dump {
	pid_t tid;
	char name[PROC_COMM_MAX];
	char state;
	long syscall;
	int error; /* capture error, 0 if captured */
	bool truncated;
	struct unwind_result *uw;
};

struct dump_opts {
	pid_t pid;
	bool json;
	struct sym_opts sym;
	const char **debug_dirs;
	size_t ndebug_dirs;
};

static int parse_args(int argc, char **argv, struct dump_opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-inline", no_argument, NULL, 'I' },
		{ "no-lines", no_argument, NULL, 'L' },
		{ "debug-dir", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[256];
	size_t cap = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_pid(optarg, &o->pid, why, sizeof(why))) {
				error_msg("--pid: %s", why);
				return EXIT_USAGE;
			}
			break;
		case 'j': o->json = true; break;
		case 'I': o->sym.no_inline = true; break;
		case 'L': o->sym.no_lines = true; break;
		case 'D': *VEC_PUSH(o->debug_dirs, o->ndebug_dirs, cap) = optarg; break;
		case 'v': log_verbosity++; break;
		case 'h': fputs(usage, stdout); return -1;
		default: getopt_error("dump", c, argv); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		error_msg("dump: unexpected argument '%s' (try --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (!o->pid) {
		error_msg("dump: --pid is required (try --help)");
		return EXIT_USAGE;
	}
	if (o->ndebug_dirs) {
		*VEC_PUSH(o->debug_dirs, o->ndebug_dirs, cap) = NULL;
		o->sym.debug_dirs = o->debug_dirs;
	}
	return 0;
}

static void capture_all(pid_t pid, struct aspace *as, struct imgcache *cache,
			struct thread_dump **out, size_t *nout)
{
	struct tracer *tr = tracer_new();
	struct mapwatch mw;
	struct maps_update *upd = NULL;
	pid_t *tids = NULL;
	size_t ntids = 0;
	uint8_t *buf = xmalloc(DUMP_STACK_CAP + 256);
	struct thread_dump *v;

	if (mapwatch_init(&mw, pid) == 0 && mapwatch_poll(&mw, true, &upd) == 0 && upd)
		aspace_apply(as, upd, cache);
	maps_update_free(upd);
	proc_list_tasks(pid, &tids, &ntids);
	v = xcalloc(ntids ? ntids : 1, sizeof(*v));
	tracer_set_stop_timeout(tr, DUMP_STOP_TIMEOUT_MS);
	for (size_t i = 0; i < ntids && !stop_signal; i++) {
		struct thread_dump *t = &v[i];
		struct proc_stat st;
		struct snapshot snap;

		t->tid = tids[i];
		t->syscall = -1;
		if (proc_read_stat(pid, t->tid, &st)) {
			t->error = -ESRCH;
			continue;
		}
		snprintf(t->name, sizeof(t->name), "%s", st.comm);
		t->state = st.state;
		if (st.state == 'Z' || st.state == 'X') {
			t->error = -ESRCH;
			continue;
		}
		t->error = tracer_sample(tr, pid, t->tid, buf, DUMP_STACK_CAP, &as->maps, &snap);
		if (t->error)
			continue;
		if (st.state != 'R')
			t->syscall = (long)snap.regs.orig_rax;
		t->uw = xmalloc(sizeof(*t->uw));
		/* New mappings since the first read (a thread just dlopen'ed)? */
		if (!aspace_find(as, snap.regs.rip, NULL) && mapwatch_poll(&mw, false, &upd) == 0 &&
		    upd) {
			aspace_apply(as, upd, cache);
			maps_update_free(upd);
			upd = NULL;
		}
		unwind_snapshot(as, &snap, UNWIND_MAX_FRAMES, t->uw);
		t->truncated = t->uw->truncated;
	}
	*out = v;
	*nout = ntids;
	mapwatch_release(&mw);
	tracer_free(tr, 1000);
	free(buf);
	free(tids);
}

static void print_text(pid_t pid, struct thread_dump *v, size_t n, struct symbolizer *sym,
		       struct strtab *strings, struct aspace *as)
{
	char cmdline[4096] = "";

	proc_cmdline(pid, cmdline, sizeof(cmdline));
	printf("Process %d: %s\n", pid, cmdline[0] ? cmdline : "?");
	for (size_t i = 0; i < n; i++) {
		struct thread_dump *t = &v[i];
		const char *sc = t->syscall >= 0 ? syscall_name(t->syscall) : NULL;

		printf("\nThread %d \"%s\" (%s", t->tid, t->name, thread_state_name(t->state));
		if (sc)
			printf(" in %s", sc);
		printf(")\n");
		if (t->error) {
			printf("    <%s>\n", t->error == -ESRCH	   ? "thread exited"
					     : t->error == -EAGAIN ? "did not stop in time"
								   : strerror(-t->error));
			continue;
		}
		int k = 0;

		for (int f = 0; f < t->uw->n; f++) {
			struct resolved r;

			resolve_pc(sym, strings, as, unwind_lookup_pc(t->uw, f), &r);
			for (int j = 0; j < r.sym.n; j++) {
				const struct symframe *sf = &r.sym.frames[j];

				printf("  #%-3d 0x%016" PRIx64 " %s%s", k++, t->uw->pc[f], sf->func,
				       sf->inlined ? " (inlined)" : "");
				if (sf->file)
					printf(" at %s:%d", sf->file, sf->line);
				if (r.module)
					printf(" [%s]", r.module);
				putchar('\n');
			}
		}
		if (t->truncated)
			printf("  ... (stack truncated)\n");
	}
}

static cJSON *frame_json(const struct unwind_result *uw, int f, const struct resolved *r, int j)
{
	const struct symframe *sf = &r->sym.frames[j];
	cJSON *o = cJSON_CreateObject();
	char addr[32];

	snprintf(addr, sizeof(addr), "0x%" PRIx64, uw->pc[f]);
	cJSON_AddStringToObject(o, "address", addr);
	cjson_add_text(o, "function", sf->func);
	if (sf->file) {
		cjson_add_text(o, "file", sf->file);
		cJSON_AddNumberToObject(o, "line", sf->line);
	}
	cJSON_AddBoolToObject(o, "inlined", sf->inlined);
	if (r->module_path)
		cjson_add_text(o, "module", r->module_path);
	if (r->kind == RESOLVED_MODULE) {
		snprintf(addr, sizeof(addr), "0x%" PRIx64, r->vaddr);
		cJSON_AddStringToObject(o, "offset", addr);
	}
	cJSON_AddStringToObject(o, "kind",
				r->kind == RESOLVED_JIT	      ? "jit"
				: r->kind == RESOLVED_UNKNOWN ? "unknown"
							      : "native");
	return o;
}

static int print_json(pid_t pid, struct thread_dump *v, size_t n, struct symbolizer *sym,
		      struct strtab *strings, struct aspace *as)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *threads;
	char cmdline[4096] = "";

	proc_cmdline(pid, cmdline, sizeof(cmdline));
	cJSON_AddNumberToObject(root, "pid", pid);
	cjson_add_text(root, "cmdline", cmdline);
	threads = cJSON_AddArrayToObject(root, "threads");
	for (size_t i = 0; i < n; i++) {
		struct thread_dump *t = &v[i];
		cJSON *th = cJSON_CreateObject();
		char code[2] = { t->state ? t->state : '?', 0 };
		const char *sc = t->syscall >= 0 ? syscall_name(t->syscall) : NULL;

		cJSON_AddNumberToObject(th, "tid", t->tid);
		cjson_add_text(th, "name", t->name);
		cJSON_AddStringToObject(th, "state", thread_state_name(t->state));
		cJSON_AddStringToObject(th, "state_code", code);
		if (sc)
			cJSON_AddStringToObject(th, "syscall", sc);
		else
			cJSON_AddNullToObject(th, "syscall");
		if (t->error) {
			cJSON_AddStringToObject(th, "error",
						t->error == -ESRCH    ? "thread exited"
						: t->error == -EAGAIN ? "did not stop in time"
								      : strerror(-t->error));
			cJSON_AddArrayToObject(th, "frames");
			cJSON_AddItemToArray(threads, th);
			continue;
		}
		cJSON_AddBoolToObject(th, "truncated", t->truncated);
		cJSON *frames = cJSON_AddArrayToObject(th, "frames");

		for (int f = 0; f < t->uw->n; f++) {
			struct resolved r;

			resolve_pc(sym, strings, as, unwind_lookup_pc(t->uw, f), &r);
			for (int j = 0; j < r.sym.n; j++)
				cJSON_AddItemToArray(frames, frame_json(t->uw, f, &r, j));
		}
		cJSON_AddItemToArray(threads, th);
	}
	return cjson_write(stdout, root);
}

int cmd_dump(int argc, char **argv)
{
	struct dump_opts o = { 0 };
	struct thread_dump *threads = NULL;
	size_t nthreads = 0, captured = 0;
	char why[1024];
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;

	enum target_status ts = target_check(&o.pid, why, sizeof(why));

	if (ts != TARGET_OK) {
		error_msg("%s", why);
		free(o.debug_dirs);
		return target_exit_code(ts);
	}
	struct strtab *strings = strtab_new();
	struct symbolizer *sym = symbolizer_new(&o.sym, strings);
	struct imgcache *cache = imgcache_new();
	struct aspace *as = aspace_new(o.pid);

	capture_all(o.pid, as, cache, &threads, &nthreads);
	for (size_t i = 0; i < nthreads; i++) {
		if (!threads[i].error)
			captured++;
		if (threads[i].error == -EPERM) {
			target_permission_hint(o.pid, why, sizeof(why));
			error_msg("cannot trace thread %d: %s; %s", threads[i].tid, strerror(EPERM),
				  why);
			rc = EXIT_PERMISSION;
			goto out;
		}
	}
	if (stop_signal) {
		error_msg("dump: interrupted");
		rc = EXIT_ERROR;
		goto out;
	}
	if (!captured) {
		bool late = false;

		for (size_t i = 0; i < nthreads; i++)
			late = late || threads[i].error == -EAGAIN;
		/* On a machine too busy to run them, threads may just be slow to stop. */
		if (late && kill(o.pid, 0) == 0) {
			error_msg(
				"no thread of pid %d stopped within %d ms: the machine may be too "
				"busy; try again",
				o.pid, DUMP_STOP_TIMEOUT_MS);
			rc = EXIT_ERROR;
			goto out;
		}
		error_msg("no thread of pid %d could be captured: the process exited", o.pid);
		rc = EXIT_NO_TARGET;
		goto out;
	}
	if (o.json)
		print_json(o.pid, threads, nthreads, sym, strings, as);
	else
		print_text(o.pid, threads, nthreads, sym, strings, as);
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < nthreads; i++)
		free(threads[i].uw);
	free(threads);
	aspace_free(as);
	imgcache_free(cache);
	symbolizer_free(sym);
	strtab_free(strings);
	free(o.debug_dirs);
	return rc;
}
