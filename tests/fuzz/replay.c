/*
 * tests/fuzz/replay.c — main() for fuzz targets built without libFuzzer.
 *
 * Every fuzz target defines LLVMFuzzerTestOneInput(). In an ordinary build
 * (-Dfuzzing=false) each target is linked with this file and registered as a
 * meson test in suite 'fuzz', so its seed corpus is replayed on every test
 * run, under ASan/UBSan in the sanitizer build (STYLE.md B13, B14).
 *
 * Usage: fuzz_<name> PATH...
 *   A directory is replayed file by file, in name order; it must exist and
 *   hold at least one regular file. A file (a crash artifact, say) is
 *   replayed on its own. Each input is copied into a buffer of exactly its
 *   size, so ASan sees a read past the end.
 *
 * Exit status: 0 when every input ran; 1 when a path is missing, empty or
 * unreadable. A target that finds a bug aborts, which fails the test.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Runs the target over one file. Returns 0, or -1 after printing why. */
static int
replay_file(const char *path)
{
	FILE *f = NULL;
	uint8_t *data = NULL;
	struct stat sb;
	size_t size;
	int rc = -1;

	f = fopen(path, "rb");
	if (f == NULL || fstat(fileno(f), &sb) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	size = (size_t)sb.st_size;
	/* malloc(0) may return NULL; one spare byte keeps that case simple and is never read. */
	data = malloc(size > 0 ? size : 1);
	if (data == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		goto out;
	}
	if (size > 0 && fread(data, 1, size, f) != size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		goto out;
	}
	(void)LLVMFuzzerTestOneInput(data, size);
	rc = 0;
out:
	free(data);
	if (f != NULL)
		fclose(f);
	return rc;
}

static int
name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays every regular file in dir. Returns the number replayed, or -1. */
static int
replay_dir(const char *dir)
{
	struct dirent **names = NULL;
	char path[4096];
	struct stat sb;
	int n, i, count = 0, rc = -1;

	n = scandir(dir, &names, NULL, name_order);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) >=
		    (int)sizeof path) {
			fprintf(stderr, "replay: %s/%s: path too long\n", dir, names[i]->d_name);
			goto out;
		}
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (replay_file(path) != 0)
			goto out;
		count++;
	}
	if (count == 0) {
		fprintf(stderr, "replay: %s: no inputs (an empty corpus tests nothing)\n", dir);
		goto out;
	}
	rc = count;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	int i, n, total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 1;
	}
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(sb.st_mode)) {
			n = replay_dir(argv[i]);
			if (n < 0)
				return 1;
			printf("replay: %d inputs from %s\n", n, argv[i]);
			total += n;
		} else {
			if (replay_file(argv[i]) != 0)
				return 1;
			total++;
		}
	}
	printf("replay: %d inputs, no failure\n", total);
	return 0;
}
