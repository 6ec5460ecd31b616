/*
 * number.h: a double as the shortest decimal text that reads back as the
 * same double: what every JSON and CSV answer prints, so that the same
 * figure is the same bytes on every route (cJSON's own printing settles
 * for 15 digits that only approximately read back).
 */
#ifndef KUNTAMON_NUMBER_H
#define KUNTAMON_NUMBER_H

#include <stddef.h>

#define NUMBER_TEXT_MAX 32

/* The shortest of %.15g..%.17g that reads back as v, into out (size at
 * least NUMBER_TEXT_MAX); "" if v is not finite. Returns out. */
char *number_format(double v, char *out, size_t size);

#endif
