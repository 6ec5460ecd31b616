/*
 * api_health.c: placeholder until its family of routes is written; answers
 * 404 so the route table links.
 */
#include "routes.h"

void
api_health_get(const struct request *req, struct response *resp)
{
	(void)req;
	respond_error(resp, 404, "not implemented yet");
}
