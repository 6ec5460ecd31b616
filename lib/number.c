/*
 * number.c: shortest exact decimal text of a double. Pure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "number.h"

char *
number_format(double v, char *out, size_t size)
{
	int prec;

	out[0] = '\0';
	if (!isfinite(v))
		return out;
	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, size, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return out;
}
