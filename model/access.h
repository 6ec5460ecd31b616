/*
 * access.h: who is asking, and what they may see unsuppressed (SPEC §7).
 * Pure.
 */
#ifndef KUNTAMON_ACCESS_H
#define KUNTAMON_ACCESS_H

#include <stdbool.h>

#include "catalog.h"

enum role { ROLE_PUBLIC, ROLE_MUNICIPALITY, ROLE_MINISTRY };

struct principal {
	enum role role;
	long long token_id;       /* 0 for the public */
	char area[AREA_CODE_MAX]; /* a municipal token's municipality */
};

/* Whether p reads area's figures unsuppressed: a ministry token reads
 * everything, a municipal token its own municipality; the public nothing. */
bool access_is_unsuppressed(const struct principal *p, const char *area);

/* Whether p may read at all, given [server] public. */
bool access_may_read(const struct principal *p, bool is_public);

#endif
