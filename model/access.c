/*
 * access.c: the read rules of SPEC §7 as two pure predicates.
 */
#include <string.h>

#include "access.h"

bool
access_is_unsuppressed(const struct principal *p, const char *area)
{
	if (p->role == ROLE_MINISTRY)
		return true;
	return p->role == ROLE_MUNICIPALITY && strcmp(p->area, area) == 0;
}

bool
access_may_read(const struct principal *p, bool is_public)
{
	return is_public || p->role != ROLE_PUBLIC;
}
