/*
 * ctl_export.c: placeholder until `kuntamonctl export` is written.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_export(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fprintf(stderr, "kuntamonctl: export is not implemented yet\n");
	return 2;
}
