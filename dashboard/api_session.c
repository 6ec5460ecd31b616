/*
 * api_session.c: /api/v1/session (SPEC §8): signing in with a token
 * (POST), who is signed in (GET) and signing out (DELETE).
 *
 * Sign-in is an open route: the token it is given is judged by
 * auth_sign_in as a bearer token would be (a bad one counts against the
 * address's failed attempts, 429 past them), and a good one starts a
 * session (daemon/session.c) whose cookie is HttpOnly (no script reads
 * it), SameSite=Strict (no other site's page sends it), Path=/ and, under
 * TLS, Secure. The CSRF value comes in the JSON instead, for the page's
 * script to send back in X-CSRF-Token with every change (auth.c checks
 * it). GET tells the page whether it is signed in and whether the data
 * is public (so whether to offer sign-in or demand it), and gives the
 * CSRF value again after a reload; it reads the cookie itself, as an
 * open route gets no principal from auth.c. DELETE is a session's own
 * write: auth.c has checked its cookie and CSRF value.
 *
 * Answers are about this browser's session: never stored by a cache.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "auth.h"
#include "clock.h"
#include "lang.h"
#include "log.h"
#include "respond.h"
#include "routes.h"
#include "session.h"
#include "token.h"

#define NO_STORE "private, no-store"
/* Set-Cookie's attributes after the value; "; Secure" is added under
 * TLS. */
#define COOKIE_ATTRIBUTES "HttpOnly; SameSite=Strict; Path=/"

/* Copies a token's text from the body into out; 0, or 400 with err. */
static int
copy_text(const char *text, char *out, size_t out_size, struct error *err)
{
	size_t len = strlen(text);

	if (len >= out_size) {
		error_set(err, 0,
		          "malformed token (expected km_ and 43 base64url "
		          "characters)");
		return 400;
	}
	memcpy(out, text, len + 1);
	return 0;
}

int
api_session_parse_signin(const char *content_type, const char *body, size_t len,
                         char *out, size_t out_size, struct error *err)
{
	const cJSON *token;
	struct query q;
	cJSON *json;
	int status;

	out[0] = '\0';
	if (query_media_type_is(content_type, "application/json")) {
		json = cJSON_ParseWithLength(body, len);
		if (!cJSON_IsObject(json)) {
			cJSON_Delete(json);
			error_set(err, 0, "the body is not a JSON object");
			return 400;
		}
		token = cJSON_GetObjectItemCaseSensitive(json, "token");
		if (!cJSON_IsString(token)) {
			cJSON_Delete(json);
			error_set(err, 0,
			          "the body needs \"token\": \"km_...\"");
			return 400;
		}
		status = copy_text(token->valuestring, out, out_size, err);
		cJSON_Delete(json);
		return status;
	}
	if (query_media_type_is(content_type,
	                        "application/x-www-form-urlencoded")) {
		if (query_parse(body, len, &q, err) < 0)
			return 400;
		if (query_get(&q, "token") == NULL) {
			query_reset(&q);
			error_set(err, 0, "the form needs a field token");
			return 400;
		}
		status = copy_text(query_get(&q, "token"), out, out_size, err);
		query_reset(&q);
		return status;
	}
	error_set(err, 0,
	          "Content-Type must be application/json or "
	          "application/x-www-form-urlencoded");
	return 415;
}

/* Set-Cookie for value (NULL: the cookie is dropped) living max_age_s. */
static void
set_cookie(const struct request *req, struct response *resp, const char *value,
           long long max_age_s)
{
	char header[RESPONSE_HEADER_VALUE_MAX];

	snprintf(header, sizeof(header),
	         SESSION_COOKIE_NAME "=%s; " COOKIE_ATTRIBUTES
	                             "; Max-Age=%lld%s",
	         value != NULL ? value : "", value != NULL ? max_age_s : 0,
	         req->is_tls ? "; Secure" : "");
	respond_header(resp, "Set-Cookie", header);
}

/* The answer: who s is signed in as (NULL: nobody), and whether the data
 * is public. */
static void
respond_session(const struct request *req, struct response *resp,
                const struct session *s)
{
	struct config cfg;
	struct catalog *cat;
	cJSON *o = cJSON_CreateObject(), *names;
	int a, l;

	app_config(req->app, &cfg);
	cJSON_AddBoolToObject(o, "signed_in", s != NULL);
	cJSON_AddBoolToObject(o, "public", cfg.is_public);
	if (s != NULL) {
		cJSON_AddStringToObject(o, "role",
		                        token_role_name(s->who.role));
		cat = app_catalog(req->app);
		a = s->who.role == ROLE_MUNICIPALITY
		        ? catalog_find_area(cat, s->who.area)
		        : -1;
		if (a >= 0) {
			cJSON_AddStringToObject(o, "area", cat->areas[a].code);
			names = cJSON_AddObjectToObject(o, "area_name");
			for (l = 0; l < N_LANGS; l++)
				cJSON_AddStringToObject(names,
				                        lang_code((enum lang)l),
				                        cat->areas[a].name[l]);
		} else {
			cJSON_AddNullToObject(o, "area");
			cJSON_AddNullToObject(o, "area_name");
		}
		catalog_unref(cat);
		cJSON_AddStringToObject(o, "csrf", s->csrf);
		cJSON_AddNumberToObject(o, "expires", (double)s->expires);
	}
	respond_json(resp, 200, o);
	cJSON_Delete(o);
	respond_header(resp, "Cache-Control", NO_STORE);
}

void
api_session_post(const struct request *req, struct response *resp)
{
	char text[TOKEN_TEXT_SIZE + 16], cookie[SESSION_TEXT_SIZE], msg[256];
	struct error err = { 0 };
	struct principal who;
	struct session s;
	struct config cfg;
	time_t now;
	int status;

	/* Another site's page may post a form here (no preflight for one),
	 * to sign the browser in with the other site's token (login CSRF):
	 * the browser says so, and is refused. */
	if (req->fetch_site != NULL &&
	    strcasecmp(req->fetch_site, "cross-site") == 0) {
		respond_error(resp, 403,
		              "sign-in from another site's page is refused");
		goto out;
	}
	status =
	    api_session_parse_signin(req->content_type, req->body,
	                             req->body_len, text, sizeof(text), &err);
	if (status != 0) {
		respond_error(resp, status, "%s", err.msg);
		goto out;
	}
	if (req->auth == NULL) { /* a test without a server's door */
		respond_error(resp, 503, "sign-in is not available");
		goto out;
	}
	status = auth_sign_in(req->auth, req->app, text, strlen(text),
	                      req->remote_addr != NULL ? req->remote_addr : "?",
	                      &who, msg, sizeof(msg));
	if (status != 0) {
		respond_error(resp, status, "%s", msg);
		goto out;
	}
	app_config(req->app, &cfg);
	now = clock_now();
	if (session_create(req->app->db, &who, now, cfg.session_hours, &s,
	                   cookie, &err) < 0) {
		respond_error(resp, 503, "%s; try again", err.msg);
		goto out;
	}
	/* who signs in from where, as the audit log has it for writes */
	log_info("signed in",
	         "token=%lld role=%s area=%s session=%lld remote=%s",
	         who.token_id, token_role_name(who.role),
	         who.area[0] != '\0' ? who.area : "-", s.id,
	         req->remote_addr != NULL ? req->remote_addr : "?");
	respond_session(req, resp, &s);
	set_cookie(req, resp, cookie, (long long)(s.expires - now));
	explicit_bzero(cookie, sizeof(cookie));
out:
	explicit_bzero(text, sizeof(text));
}

void
api_session_get(const struct request *req, struct response *resp)
{
	unsigned char secret[SESSION_SECRET_BYTES];
	struct error err = { 0 };
	struct session s;
	int rc;

	rc = session_cookie_parse(req->cookie, secret, &err);
	if (rc > 0) {
		switch (session_authenticate(req->app->db, secret, clock_now(),
		                             &s)) {
		case SESSION_VALID:
			respond_session(req, resp, &s);
			return;
		case SESSION_INVALID:
			break;
		case SESSION_ERROR:
			respond_error(resp, 503,
			              "cannot check the session now; try "
			              "again");
			return;
		}
	}
	respond_session(req, resp, NULL);
	/* a cookie that names no session is dropped from the browser */
	if (rc != 0)
		set_cookie(req, resp, NULL, 0);
}

void
api_session_delete(const struct request *req, struct response *resp)
{
	if (req->session_id <= 0) {
		respond_error(resp, 400,
		              "no session to end: send the session cookie "
		              "(and " SESSION_CSRF_HEADER
		              "), without Authorization");
		return;
	}
	if (session_end(req->app->db, req->session_id) < 0) {
		respond_error(resp, 503,
		              "cannot end the session now; try again");
		return;
	}
	log_info("signed out", "token=%lld session=%lld", req->who.token_id,
	         req->session_id);
	respond_session(req, resp, NULL);
	set_cookie(req, resp, NULL, 0);
}
