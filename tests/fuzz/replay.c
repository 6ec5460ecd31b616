/*
 * replay.c: runs a fuzz target over every file named on the command line
 * (the corpus), without libFuzzer, so `make check` replays corpora with any
 * compiler and sanitizer. Prints "ok fuzz_NAME/FILE" per input; a crash or
 * sanitizer report fails the run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *data = NULL;
		size_t size = 0, cap = 0, n;

		if (f == NULL) {
			printf("not ok %s (cannot open)\n", argv[i]);
			return 1;
		}
		do {
			if (cap - size < 4096) {
				cap = cap ? cap * 2 : 8192;
				data = realloc(data, cap);
				if (data == NULL)
					abort();
			}
			n = fread(data + size, 1, cap - size, f);
			size += n;
		} while (n > 0);
		fclose(f);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		printf("ok replay %s\n", argv[i]);
	}
	return 0;
}
