/*
 * api_openapi.c: GET /api/v1/openapi.json, the OpenAPI 3 description of
 * every route of routes_table. The document is dashboard/assets/
 * openapi.json, embedded with the dashboard's files but served only here
 * (pages.c leaves it out of /assets/), so it has one URL.
 *
 * It is written by hand beside the route table and kept true by tests:
 * test_openapi checks that every route is in it with its access and that
 * it has no route the table lacks; tests/integration/77_openapi.sh
 * validates it with swagger-parser and asks the running daemon what it
 * describes.
 *
 * The route is ROUTE_OPEN, answered even with public = no: the document
 * describes the interface (the same for every daemon built from this
 * tree, and public in its source) and discloses no figure, area or token;
 * a client of a closed daemon needs it to learn how to authenticate.
 */
#include <stdio.h>
#include <string.h>

#include "assets.h"
#include "respond.h"
#include "routes.h"

void
api_openapi_get(const struct request *req, struct response *resp)
{
	const struct asset *a = NULL;
	char etag[32];
	size_t i;

	(void)req;
	for (i = 0; i < assets_n && a == NULL; i++)
		if (strcmp(assets_table[i].name, API_OPENAPI_ASSET) == 0)
			a = &assets_table[i];
	if (a == NULL) { /* a build without it: test_openapi fails there */
		respond_error(resp, 404, "no OpenAPI document in this build");
		return;
	}
	respond_blob(resp, a->content_type, a->data, a->len);
	/* the bytes' hash, as for every embedded file: it changes only with
	 * a new build that changes the document */
	snprintf(etag, sizeof(etag), "\"%s\"", a->hash);
	(void)respond_header(resp, "ETag", etag);
	(void)respond_header(resp, "Cache-Control", "public, no-cache");
}
