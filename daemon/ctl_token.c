/*
 * ctl_token.c: placeholder until `kuntamonctl token` is written.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_token(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fprintf(stderr, "kuntamonctl: token is not implemented yet\n");
	return 2;
}
