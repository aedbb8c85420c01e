/* SPDX-License-Identifier: MIT */
#ifndef CPROF_SESSION_H
#define CPROF_SESSION_H

/*
 * A sampling session, shared by `record` and `top`: the options that select
 * and sample a target, launching a command, the sampler thread, the ring,
 * and the collector that fills a profile.
 */
#include <getopt.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect.h"
#include "ring.h"
#include "sampler.h"

struct profile;

enum {
	OPT_TID = 1000,
	OPT_THREAD_NAME,
	OPT_DEBUG_DIR,
	OPT_DEBUGINFOD,
	OPT_NO_INLINE,
	OPT_MAX_DEPTH,
	OPT_STACK_SIZE,
	OPT_SUBPROCESSES,
	OPT_SESSION_LAST,
};

/* Long options every sampling command accepts (to splice into its table). */
#define SESSION_LONGOPTS                                                                           \
	{ "pid", required_argument, NULL, 'p' }, { "rate", required_argument, NULL, 'r' },         \
		{ "idle", no_argument, NULL, 'i' }, { "tid", required_argument, NULL, OPT_TID },   \
		{ "thread-name", required_argument, NULL, OPT_THREAD_NAME },                       \
		{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },                           \
		{ "debuginfod", no_argument, NULL, OPT_DEBUGINFOD },                               \
		{ "no-inline", no_argument, NULL, OPT_NO_INLINE },                                 \
		{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },                           \
		{ "stack-size", required_argument, NULL, OPT_STACK_SIZE },                         \
		{ "subprocesses", no_argument, NULL, OPT_SUBPROCESSES },                           \
	{                                                                                          \
		"verbose", no_argument, NULL, 'v'                                                  \
	}
#define SESSION_SHORTOPTS "p:r:iv"

#define SESSION_HELP                                                                               \
	"  -p, --pid PID            profile this running process\n"                                \
	"  -r, --rate HZ            samples per second (default 100)\n"                            \
	"  -i, --idle               also sample sleeping threads (wall-clock profile);\n"          \
	"                           blocked threads are then stopped, see the manual\n"            \
	"      --tid LIST           only these threads (e.g. 1234,1240-1245)\n"                    \
	"      --thread-name REGEX  only threads whose name matches (extended regex)\n"            \
	"      --subprocesses       also profile child processes as they appear\n"                 \
	"      --no-inline          do not expand inlined functions\n"                             \
	"      --max-depth N        frames kept per stack (default 512)\n"                         \
	"      --stack-size BYTES   stack bytes copied per sample at first (default 32K;\n"        \
	"                           grows by itself for deep stacks)\n"                            \
	"      --debug-dir DIR      also look for debug files in DIR (repeatable)\n"               \
	"      --debuginfod         fetch missing debug files from DEBUGINFOD_URLS\n"              \
	"  -v, --verbose            print debugging messages (repeat for more)\n"

struct session_opts {
	pid_t pid;
	char **argv; /* launch mode */
	unsigned int rate_hz;
	uint64_t duration_ns;
	bool idle;
	bool subprocesses;
	bool on_crash; /* stay attached to capture a fatal signal (record --on-crash) */
	pid_t *tids;
	size_t ntids;
	regex_t name_re;
	bool have_name_re;
	const char **debug_dirs;
	size_t ndebug_dirs, cap_debug_dirs;
	bool no_inline;
	bool debuginfod;
	int max_depth;
	uint32_t stack_size;
	int watchdog_ms;
	/*
	 * For top, which keeps stdout to itself: a launched command's stdout
	 * goes to our stderr, and with launch_off_tty whichever of its stdin,
	 * stdout and stderr is a terminal (the full-screen view's) /dev/null.
	 */
	bool launch_stdout_to_stderr;
	bool launch_off_tty;
};

void session_opts_init(struct session_opts *o);
void session_opts_release(struct session_opts *o);
/*
 * Handle option `c` if it is a session option: returns 1 if consumed, 0 if
 * not a session option, or an exit code (> 1) after printing an error.
 */
int session_parse_opt(struct session_opts *o, int c, const char *arg);
/* After getopt: take a command after "--", check that a target is given. */
int session_finish_opts(struct session_opts *o, const char *cmd, int argc, char **argv,
			int optind_);

struct session {
	struct session_opts *o;
	struct profile *prof;
	struct ring ring;
	_Atomic uint32_t cap_hints[CAP_HINTS];
	struct sampler *sampler;
	struct collector *coll;
	pid_t pid;
	bool launched;
	bool child_reaped;
	bool terminated; /* the launched command was ended by us */
	int terminated_status;
	uint64_t start_real_ns;
	uint64_t end_ns;
};

/* Check or launch the target and start sampling. Returns an exit code. */
int session_start(struct session *s, struct session_opts *o, struct profile *p);
/* Wait up to timeout_ms for samples and add them to the profile. */
size_t session_poll(struct session *s, int timeout_ms);
bool session_finished(const struct session *s);
/* Stop sampling, release the target, take the last samples. */
void session_stop(struct session *s);
/* Fill the profile's metadata and statistics. */
void session_fill_meta(struct session *s);
/* Terminate a launched command still running, free everything. */
void session_release(struct session *s);

#endif
