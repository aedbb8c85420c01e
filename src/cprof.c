// SPDX-License-Identifier: MIT
/*
 * cprof: a sampling profiler for native Linux processes.
 * main() finds the command and runs it; everything else lives in cmd-*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cprof.h"
#include "log.h"
#include "signals.h"
#include "symbolize.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "record", cmd_record, "sample a process and write a flame graph or profile" },
	{ "report", cmd_report, "summarize a .cprof recording or render it again" },
	{ "top", cmd_top, "show the hottest functions of a process, live" },
	{ "diff", cmd_diff, "compare two profiles; fail on a regression" },
	{ "dump", cmd_dump, "print the stack of every thread once" },
};

static void print_usage(FILE *f)
{
	fprintf(f, "usage: cprof [--version] [--help] <command> [<args>]\n\n"
		   "A sampling profiler for native Linux processes.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'cprof <command> --help' for the options of a command.\n"
		   "Exit status: 0 ok, 1 error, 2 usage, 3 no such target, 4 permission denied, "
		   "5 regression (diff).\n");
}

static void raise_fd_limit(void)
{
	/* Every mapped library of the target is held open while profiling. */
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int check_stdout(int status)
{
	/*
	 * A full disk or I/O error on stdout must not pass silently. Pipes
	 * closed by the reader (cprof dump | head) are not an error.
	 */
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return status;
	if (fflush(stdout) || ferror(stdout)) {
		error_msg("write error on standard output: %s", strerror(errno));
		return status ? status : EXIT_ERROR;
	}
	if (fclose(stdout)) {
		error_msg("close failed on standard output: %s", strerror(errno));
		return status ? status : EXIT_ERROR;
	}
	return status;
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		print_usage(stdout);
		return check_stdout(EXIT_OK);
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("cprof %s\n", CPROF_VERSION);
		return check_stdout(EXIT_OK);
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(name, commands[i].name))
			continue;
		/* Debug files are fetched over the network only when asked for. */
		debuginfod_disable();
		raise_fd_limit();
		signals_setup();
		return check_stdout(commands[i].fn(argc - 1, argv + 1));
	}
	error_msg("'%s' is not a cprof command (see 'cprof --help')", name);
	return EXIT_USAGE;
}
