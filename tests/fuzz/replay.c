// SPDX-License-Identifier: MIT
/*
 * Replay a fuzzing corpus without libFuzzer: every file named, and every
 * file in every directory named, goes through the harness it is linked
 * with. Built by `make build-tests` (B/fuzz/replay-NAME) and run by
 * tests/func/input-fuzz.sh, so the corpus is a regression test under the
 * normal build and under SAN=address,undefined alike.
 *
 *   replay-NAME FILE|DIR...      prints "N inputs", exits 0 (a crash does not)
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static unsigned long replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf) {
				fclose(f);
				return -1;
			}
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (!n)
			break;
		len += n;
	}
	fclose(f);
	/* An exact-size copy, so reads past the end are caught as in libFuzzer. */
	uint8_t *exact = malloc(len ? len : 1);

	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	replayed++;
	return 0;
}

static int replay(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, err = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char *sub = malloc(strlen(path) + strlen(names[i]->d_name) + 2);

			if (sub) {
				sprintf(sub, "%s/%s", path, names[i]->d_name);
				if (replay(sub))
					err = -1;
				free(sub);
			}
		}
		free(names[i]);
	}
	free(names);
	return err;
}

int main(int argc, char **argv)
{
	int err = 0;

	for (int i = 1; i < argc; i++)
		if (replay(argv[i]))
			err = 1;
	printf("%lu inputs\n", replayed);
	return err;
}
