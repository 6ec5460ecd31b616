/*
 * ctl_token.c: kuntamonctl token create AREA|--ministry, token list,
 * token revoke ID.
 *
 * A new token's text goes to stdout alone, so `TOKEN=$(kuntamonctl token
 * create KU091)` captures it; what it is goes to stderr. It is never
 * shown again: the database keeps only its hash (token.c). Revocation is
 * a row in the database, which the daemon reads on every request, so it
 * counts at once without a restart or signal; it deletes the token's
 * browser sessions too (session.c), which end at once as well.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ctl.h"
#include "token.h"

static int
usage(void)
{
	fputs("usage: kuntamonctl token create AREA|--ministry\n"
	      "       kuntamonctl token list\n"
	      "       kuntamonctl token revoke ID\n",
	      stderr);
	return 2;
}

static void
format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	if (t == 0) {
		snprintf(out, size, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
cmd_create(struct ctl *c, const char *what)
{
	enum role role = ROLE_MINISTRY;
	const char *area = NULL;
	char text[TOKEN_TEXT_SIZE];
	struct error err = { 0 };
	long long id = 0;
	int a;

	if (strcmp(what, "--ministry") != 0) {
		a = catalog_find_area(c->cat, what);
		if (a < 0 || c->cat->areas[a].level != AREA_MUNICIPALITY) {
			fprintf(stderr,
			        "kuntamonctl: %s is not a municipality of the "
			        "catalog (e.g. KU091), nor --ministry\n",
			        what);
			return 2;
		}
		role = ROLE_MUNICIPALITY;
		area = c->cat->areas[a].code;
	}
	if (ctl_open_stores(c) < 0)
		return 1;
	if (token_create(c->db, role, area, clock_now(), &id, text, &err) < 0) {
		fprintf(stderr, "kuntamonctl: %s\n", err.msg);
		return 1;
	}
	printf("%s\n", text);
	if (fflush(stdout) != 0) {
		/* Nobody saw it: it must not stay valid. */
		store_db_token_revoke(c->db, id, clock_now());
		fprintf(stderr, "kuntamonctl: cannot write the token: %s\n",
		        strerror(errno));
		return 1;
	}
	explicit_bzero(text, sizeof(text));
	fprintf(stderr,
	        "token %lld (%s%s%s) created; it is shown only this once\n", id,
	        token_role_name(role), area != NULL ? " " : "",
	        area != NULL ? area : "");
	return 0;
}

static int
print_token(void *ctx, const struct db_token *t)
{
	char created[32], used[32], revoked[32];

	(void)ctx;
	format_time(t->created, created, sizeof(created));
	format_time(t->last_used, used, sizeof(used));
	format_time(t->revoked, revoked, sizeof(revoked));
	printf("%-6lld %-13s %-6s %-20s %-20s %s\n", t->id, t->role,
	       t->area[0] != '\0' ? t->area : "-", created, used, revoked);
	return 0;
}

static int
cmd_list(struct ctl *c)
{
	if (ctl_open_stores(c) < 0)
		return 1;
	printf("%-6s %-13s %-6s %-20s %-20s %s\n", "id", "role", "area",
	       "created", "last_used", "revoked");
	return store_db_each_token(c->db, print_token, NULL) < 0 ? 1 : 0;
}

struct find {
	long long id;
	struct db_token found;
	int is_found;
};

static int
find_token(void *ctx, const struct db_token *t)
{
	struct find *f = ctx;

	if (t->id == f->id) {
		f->found = *t;
		f->is_found = 1;
	}
	return 0;
}

static int
cmd_revoke(struct ctl *c, const char *arg)
{
	struct find f = { 0 };
	char *end, when[32];
	long long id;
	int rc;

	errno = 0;
	id = strtoll(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 ||
	    id <= 0) {
		fprintf(stderr,
		        "kuntamonctl: token id \"%s\" is not a "
		        "positive integer (see token list)\n",
		        arg);
		return 2;
	}
	if (ctl_open_stores(c) < 0)
		return 1;
	rc = store_db_token_revoke(c->db, id, clock_now());
	if (rc < 0) {
		fprintf(stderr,
		        "kuntamonctl: token %lld not revoked: database "
		        "error\n",
		        id);
		return 1;
	}
	if (rc == 1) {
		printf("token %lld revoked; its browser sessions ended\n", id);
		return 0;
	}
	f.id = id;
	store_db_each_token(c->db, find_token, &f);
	if (!f.is_found) {
		fprintf(stderr, "kuntamonctl: no token %lld\n", id);
		return 1;
	}
	format_time(f.found.revoked, when, sizeof(when));
	printf("token %lld was already revoked (%s)\n", id, when);
	return 0;
}

int
ctl_token(struct ctl *c, int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "create") == 0)
		return cmd_create(c, argv[2]);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return cmd_list(c);
	if (argc == 3 && strcmp(argv[1], "revoke") == 0)
		return cmd_revoke(c, argv[2]);
	return usage();
}
