/*
 * registry.c: the table of compiled-in collectors. Adding a collector is a
 * file in collectors/ and a line here.
 */
#include <string.h>

#include "collector.h"
#include "http_json.h"

static const struct collector *const collectors[] = {
	&http_json_collector,
};

const struct collector *
collector_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++)
		if (strcmp(collectors[i]->name, name) == 0)
			return collectors[i];
	return NULL;
}
