/*
 * test_matrix.c: the figures in memory: growth at either end keeps every
 * figure where it was, first receipts and latest periods, an area's slice
 * from its first to its latest period, and noted rejections.
 */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "matrix.h"

#define P0 (2026 * 12 + 9) /* 2026-10 */

static void
test_empty(void)
{
	struct matrix *mx = matrix_new(4, 3);
	int first = 1;
	size_t n = 1;

	CHECK(isnan(matrix_get(mx, 1, P0, 0)));
	CHECK(matrix_received(mx, 1, P0) == 0);
	CHECK(matrix_latest(mx, 1) == -1);
	CHECK(matrix_area(mx, 1, &first, &n) == NULL);
	CHECK(n == 0);
	CHECK(matrix_noted(mx, 1, P0) == 0);
	/* out of range asks are not figures */
	CHECK(isnan(matrix_get(mx, 9, P0, 0)));
	CHECK(matrix_latest(mx, -1) == -1);
	matrix_free(mx);
	matrix_free(NULL);
}

static void
test_grow_both_ends(void)
{
	struct matrix *mx = matrix_new(4, 3);
	int k;

	matrix_set(mx, 2, P0, 1, 10, 1000);
	/* ten years back and five ahead, one at a time and in jumps */
	for (k = 1; k <= 120; k++)
		matrix_set(mx, 2, P0 - k, 0, k, 2000 + k);
	matrix_set(mx, 3, P0 + 60, 2, 7.5, 3000);
	CHECK(matrix_get(mx, 2, P0, 1) == 10);
	for (k = 1; k <= 120; k++)
		if (matrix_get(mx, 2, P0 - k, 0) != k)
			break;
	CHECK(k == 121);
	CHECK(matrix_get(mx, 3, P0 + 60, 2) == 7.5);
	CHECK(isnan(matrix_get(mx, 2, P0 + 60, 2)));
	CHECK(isnan(matrix_get(mx, 2, P0, 0)));
	CHECK(matrix_latest(mx, 2) == P0);
	CHECK(matrix_latest(mx, 3) == P0 + 60);
	CHECK(matrix_latest(mx, 1) == -1);
	CHECK(matrix_received(mx, 2, P0 - 5) == 2005);
	matrix_free(mx);
}

static void
test_first_receipt_kept(void)
{
	struct matrix *mx = matrix_new(2, 2);

	matrix_set(mx, 1, P0, 0, 1, 500);
	matrix_set(mx, 1, P0, 1, 2, 900); /* a revision later */
	CHECK(matrix_received(mx, 1, P0) == 500);
	matrix_set(mx, 1, P0, 1, 3, 100); /* an import of an older receipt */
	CHECK(matrix_received(mx, 1, P0) == 100);
	CHECK(matrix_get(mx, 1, P0, 1) == 3);
	matrix_free(mx);
}

static void
test_area_slice(void)
{
	struct matrix *mx = matrix_new(3, 2);
	const double *v;
	int first;
	size_t n;

	matrix_set(mx, 0, P0 + 30, 0, 99, 1); /* stretches the range */
	matrix_set(mx, 1, P0 - 2, 0, 1, 1);
	matrix_set(mx, 1, P0, 1, 2, 1);
	v = matrix_area(mx, 1, &first, &n);
	CHECK(first == P0 - 2);
	CHECK(n == 3);
	CHECK(v != NULL && v[0] == 1 && isnan(v[1]));
	CHECK(v != NULL && isnan(v[2]) && isnan(v[3])); /* P0 - 1 unknown */
	CHECK(v != NULL && isnan(v[4]) && v[5] == 2);
	matrix_free(mx);
}

static void
test_noted(void)
{
	struct matrix *mx = matrix_new(2, 2);

	matrix_note(mx, 1, P0, 1);
	matrix_note(mx, 1, P0, (uint64_t)1 << 63);
	CHECK(matrix_noted(mx, 1, P0) == (1 | (uint64_t)1 << 63));
	CHECK(matrix_noted(mx, 1, P0 - 1) == 0);
	CHECK(matrix_noted(mx, 0, P0) == 0);
	/* noting is not reporting */
	CHECK(matrix_received(mx, 1, P0) == 0);
	CHECK(matrix_latest(mx, 1) == -1);
	matrix_free(mx);
}

int
main(void)
{
	RUN(test_empty);
	RUN(test_grow_both_ends);
	RUN(test_first_receipt_kept);
	RUN(test_area_slice);
	RUN(test_noted);
	return check_done();
}
