/*
 * test_server.c: the HTTP server over loopback with plain sockets: routes,
 * errors, path tricks, body limits, /metrics through promtool, port 0,
 * IPv6 and a graceful stop. The app has a small catalog and a SQLite store
 * in a temporary folder, removed at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "check.h"
#include "clock.h"
#include "routes.h"
#include "server.h"
#include "fixture.h"
#include "token.h"

#define MAX_BODY 1024
#define REPLY_MAX (1024 * 1024)

static const char regions_csv[] = "code,name_fi,name_sv\n"
                                  "01,Uusimaa,Nyland\n"
                                  "02,Varsinais-Suomi,Egentliga Finland\n";
static const char municipalities_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,674500,120000\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,320000,70000\n"
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,200000,25000\n";
static const char measures_json[] =
    "{\"measures\": [\n"
    " {\"id\": \"gp_open\", \"unit\": \"0/1\", \"min\": 0, \"max\": 1,\n"
    "  \"aggregate\": \"max\", \"is_count\": false,\n"
    "  \"name\": {\"fi\": \"Ohjauspiste\", \"sv\": \"Vägledning\",\n"
    "           \"en\": \"Guidance \\\"point\\\"\"}},\n"
    " {\"id\": \"contacts\", \"unit\": \"count\", \"min\": 0,\n"
    "  \"max\": 1000000, \"aggregate\": \"sum\", \"is_count\": true,\n"
    "  \"name\": {\"fi\": \"Asiakaskontaktit\", \"sv\": \"Kontakter\",\n"
    "           \"en\": \"Contacts\"}},\n"
    " {\"id\": \"contacts_remote\", \"unit\": \"count\", \"min\": 0,\n"
    "  \"max\": 1000000, \"aggregate\": \"sum\", \"is_count\": true,\n"
    "  \"name\": {\"fi\": \"Etäkontaktit\", \"sv\": \"Distanskontakter\",\n"
    "           \"en\": \"Remote contacts\"}}],\n"
    " \"indicators\": [\n"
    " {\"id\": \"gp_coverage\", \"numerator\": \"gp_open*pop_fl\",\n"
    "  \"denominator\": \"pop_fl\", \"scale\": 100, \"unit\": \"%\",\n"
    "  \"name\": {\"fi\": \"Kattavuus\", \"sv\": \"Täckning\",\n"
    "           \"en\": \"Coverage\"}},\n"
    " {\"id\": \"contacts_per_1000\", \"numerator\": \"contacts\",\n"
    "  \"denominator\": \"pop_fl\", \"scale\": 1000, \"unit\": \"‰\",\n"
    "  \"name\": {\"fi\": \"Kontaktit\", \"sv\": \"Kontakter\",\n"
    "           \"en\": \"Contacts per 1000\"}},\n"
    " {\"id\": \"reporting_rate\", \"kind\": \"reporting\", \"scale\": 100,\n"
    "  \"unit\": \"%\", \"name\": {\"fi\": \"Raportointi\",\n"
    "  \"sv\": \"Rapportering\", \"en\": \"Reporting rate\"}}],\n"
    " \"rules\": [\"contacts_remote <= contacts\"]}\n";
static const char endpoints_csv[] = "area,url\n"
                                    "KU091,http://127.0.0.1:9/ku091\n";

static char tmp_dir[64];
static struct app app;

/* --- test-only routes ---------------------------------------------------- */

static atomic_int spy_calls;
static sem_t slow_entered;
static sem_t held_entered, held_release;

static void
spy_handler(const struct request *req, struct response *resp)
{
	(void)req;
	atomic_fetch_add(&spy_calls, 1);
	respond_text(resp, 200, "spy\n");
}

static void
nothing_handler(const struct request *req, struct response *resp)
{
	(void)req;
	(void)resp;
}

static void
upload_handler(const struct request *req, struct response *resp)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "got %zu %s\n", req->body_len,
	         req->content_type != NULL ? req->content_type : "-");
	respond_text(resp, 200, msg);
}

/* Slow work, as a chart render is: the sleep is the work itself, not a
 * way to wait for another thread. */
static void
slow_handler(const struct request *req, struct response *resp)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };

	if (req->may_defer) {
		respond_defer(resp);
		return;
	}
	sem_post(&slow_entered);
	nanosleep(&ts, NULL);
	respond_text(resp, 200, "slow done\n");
}

/* Slow work that ends when the test says so. */
static void
held_handler(const struct request *req, struct response *resp)
{
	/* a cached answer is given at once; work goes to a worker */
	if (req->may_defer) {
		if (query_get(req->query, "hit") != NULL)
			respond_text(resp, 200, "hit\n");
		else
			respond_defer(resp);
		return;
	}
	sem_post(&held_entered);
	sem_wait(&held_release);
	respond_text(resp, 200, "held done\n");
}

static void
query_handler(const struct request *req, struct response *resp)
{
	struct error err = { 0 };
	long width;

	if (query_get_int(req->query, "width", 100, 4000, 800, &width, &err) <
	    0) {
		respond_error(resp, 400, "%s", err.msg);
		return;
	}
	respond_error(resp, 200, "width %ld area %s from %s", width,
	              request_param(req, "area"), req->remote_addr);
}

/* An answer with caching directives of its own. */
static void
cached_handler(const struct request *req, struct response *resp)
{
	(void)req;
	respond_text(resp, 200, "cached\n");
	respond_etag(resp, 7, "k");
	respond_header(resp, "Cache-Control",
	               "public, max-age=300, must-revalidate");
}

static const struct route test_routes[] = {
	{ "GET", "/chart/{area}/{indicator}.svg", spy_handler, ROUTE_PUBLIC,
	  false, false },
	/* body limits, not access (auth.c would answer 401 first) */
	{ "POST", "/test/upload", upload_handler, ROUTE_PUBLIC, true, false },
	{ "GET", "/test/slow", slow_handler, ROUTE_PUBLIC, false, true },
	{ "GET", "/test/held", held_handler, ROUTE_PUBLIC, false, true },
	{ "GET", "/test/{area}/query", query_handler, ROUTE_PUBLIC, false,
	  false },
	{ "GET", "/test/nothing", nothing_handler, ROUTE_PUBLIC, false, false },
	{ "GET", "/test/cached", cached_handler, ROUTE_PUBLIC, false, false },
};

static struct route *all_routes;
static size_t n_all_routes;

/* --- a plain-socket client ---------------------------------------------- */

struct reply {
	int status; /* 0: no status line (closed, timed out) */
	char head[8192];
	char *body;
	size_t body_len;
	char *raw;
};

static void
reply_free(struct reply *r)
{
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

/* The value of header name in r, "" if absent. */
static const char *
reply_header(const struct reply *r, const char *name, char *out, size_t size)
{
	const char *p = r->head;
	size_t n = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *end;

			while (*v == ' ')
				v++;
			end = strstr(v, "\r\n");
			snprintf(out, size, "%.*s",
			         (int)(end != NULL ? end - v : (long)strlen(v)),
			         v);
			break;
		}
	}
	return out;
}

static int
connect_to(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv = { 10, 0 };
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads until the server closes (or 10 s pass) and splits the answer. */
static void
read_reply(int fd, struct reply *out)
{
	size_t len = 0;
	char *sep;
	ssize_t k;

	memset(out, 0, sizeof(*out));
	out->raw = malloc(REPLY_MAX + 1);
	if (out->raw == NULL)
		abort();
	while (len < REPLY_MAX &&
	       (k = recv(fd, out->raw + len, REPLY_MAX - len, 0)) > 0)
		len += (size_t)k;
	out->raw[len] = '\0';
	if (sscanf(out->raw, "HTTP/1.%*d %d", &out->status) != 1)
		out->status = 0;
	sep = strstr(out->raw, "\r\n\r\n");
	if (sep == NULL) {
		out->body = out->raw + len;
		return;
	}
	snprintf(out->head, sizeof(out->head), "%.*s",
	         (int)(sep - out->raw + 2), out->raw);
	out->body = sep + 4;
	out->body_len = len - (size_t)(out->body - out->raw);
}

/* Sends a raw request (with "Connection: close" in it) and reads the
 * answer. */
static void
exchange(int family, int port, const char *req, size_t len, struct reply *out)
{
	int fd = connect_to(family, port);

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return;
	if (send_all(fd, req, len) == 0)
		read_reply(fd, out);
	close(fd);
}

static void
get(int port, const char *method, const char *target, struct reply *out)
{
	char req[16384];
	int n = snprintf(
	    req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	    method, target);

	exchange(AF_INET, port, req, (size_t)n, out);
}

/* Whether body is {"error": "<something>"} and nothing else. */
static int
is_json_error(const struct reply *r)
{
	char ct[128];
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	int ok = cJSON_IsString(e) && e->valuestring[0] != '\0' &&
	         cJSON_GetArraySize(j) == 1;

	cJSON_Delete(j);
	reply_header(r, "Content-Type", ct, sizeof(ct));
	return ok && strcmp(ct, "application/json; charset=utf-8") == 0;
}

static const char *
error_text(const struct reply *r, char *out, size_t size)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");

	snprintf(out, size, "%s", cJSON_IsString(e) ? e->valuestring : "");
	cJSON_Delete(j);
	return out;
}

/* --- setup --------------------------------------------------------------- */

static struct catalog *
test_catalog(void)
{
	return fixture_catalog(regions_csv, municipalities_csv, measures_json,
	                       endpoints_csv);
}

static void
test_config(struct config *cfg, const char *host)
{
	config_init(cfg);
	snprintf(cfg->listen_host, sizeof(cfg->listen_host), "%s", host);
	cfg->listen_port = 0;
	cfg->max_body_bytes = MAX_BODY;
	cfg->connection_timeout_s = 10;
	cfg->max_connections = 64;
	cfg->per_ip_connections = 32;
}

static void
setup(void)
{
	char path[512];
	struct error err = { 0 };
	struct db_outcome ok = { 0 }, bad = { 0 };
	size_t i;

	fixture_tmpdir(tmp_dir, sizeof(tmp_dir), "test_server");
	memset(&app, 0, sizeof(app));
	pthread_mutex_init(&app.lock, NULL);
	app.cat = test_catalog();
	test_config(&app.cfg, "127.0.0.1");
	app.started = clock_now();
	snprintf(path, sizeof(path), "%s/kuntamon.db", tmp_dir);
	app.db = store_db_open(path, &err);
	if (app.db == NULL) {
		fprintf(stderr, "store_db_open: %s\n", err.msg);
		exit(1);
	}
	ok.area = "KU091";
	ok.time = clock_now() - 60;
	ok.source = "poll";
	ok.http_status = 200;
	ok.latency_ms = 120;
	ok.period = -1;
	bad = ok;
	bad.area = "KU049";
	bad.http_status = 503;
	bad.latency_ms = 2500;
	bad.error = "HTTP 503";
	if (store_db_record(app.db, &ok) < 0 ||
	    store_db_record(app.db, &bad) < 0 ||
	    store_db_record(app.db, &bad) < 0) {
		fprintf(stderr, "store_db_record failed\n");
		exit(1);
	}
	atomic_store(&app.stats.documents_accepted, 7);
	atomic_store(&app.stats.measures_rejected[REJECT_OUT_OF_RANGE], 3);
	atomic_store(&app.stats.last_cycle_ms, 1500);

	n_all_routes = routes_n + sizeof(test_routes) / sizeof(test_routes[0]);
	all_routes = calloc(n_all_routes, sizeof(*all_routes));
	if (all_routes == NULL)
		abort();
	/* The test routes first: the first match wins, so the spy stands in
	 * for the real chart handler, which needs RRD files. */
	for (i = 0; i < n_all_routes - routes_n; i++)
		all_routes[i] = test_routes[i];
	for (i = 0; i < routes_n; i++)
		all_routes[n_all_routes - routes_n + i] = routes_table[i];
	sem_init(&slow_entered, 0, 0);
	sem_init(&held_entered, 0, 0);
	sem_init(&held_release, 0, 0);
}

static void
teardown(void)
{
	store_db_close(app.db);
	catalog_unref(app.cat);
	pthread_mutex_destroy(&app.lock);
	free(all_routes);
	sem_destroy(&slow_entered);
	sem_destroy(&held_entered);
	sem_destroy(&held_release);
	fixture_rmtree(tmp_dir);
}

static struct server *
start(const char *host)
{
	struct config cfg;
	struct error err = { 0 };
	struct server *srv;

	test_config(&cfg, host);
	srv = server_start_routes(&app, &cfg, all_routes, n_all_routes, &err);
	if (srv == NULL)
		fprintf(stderr, "server_start %s: %s\n", host, err.msg);
	return srv;
}

/* --- tests --------------------------------------------------------------- */

static struct server *srv; /* shared by the tests up to test_metrics */

static void
test_port_zero(void)
{
	struct reply r;

	srv = start("127.0.0.1");
	CHECK(srv != NULL);
	if (srv == NULL)
		exit(1);
	CHECK(server_port(srv) > 0 && server_port(srv) < 65536);
	get(server_port(srv), "GET", "/healthz", &r);
	CHECK(r.status == 200);
	reply_free(&r);
}

static void
test_healthz(void)
{
	char v[128];
	struct reply r;

	get(server_port(srv), "GET", "/healthz", &r);
	CHECK(r.status == 200);
	CHECK(r.body_len == 3 && memcmp(r.body, "ok\n", 3) == 0);
	CHECK_STR(reply_header(&r, "Content-Type", v, sizeof(v)),
	          "text/plain; charset=utf-8");
	CHECK_STR(reply_header(&r, "X-Content-Type-Options", v, sizeof(v)),
	          "nosniff");
	reply_free(&r);

	get(server_port(srv), "HEAD", "/healthz", &r);
	CHECK(r.status == 200);
	CHECK(r.body_len == 0);
	CHECK_STR(reply_header(&r, "Content-Length", v, sizeof(v)), "3");
	reply_free(&r);
}

/* Answers, errors included, keep the connection for the next request. */
static void
test_keep_alive(void)
{
	static const char two[] =
	    "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct reply r;
	const char *second;

	exchange(AF_INET, server_port(srv), two, sizeof(two) - 1, &r);
	CHECK(r.status == 404);
	second = strstr(r.body, "HTTP/1.1 ");
	CHECK(second != NULL && strncmp(second, "HTTP/1.1 200", 12) == 0);
	CHECK(r.body_len > 3 &&
	      memcmp(r.raw + strlen(r.raw) - 3, "ok\n", 3) == 0);
	reply_free(&r);
}

static void
test_catalog_shape(void)
{
	struct reply r;
	char ct[128];
	cJSON *j;
	const cJSON *areas, *a, *m, *ind, *rules;

	get(server_port(srv), "GET", "/api/v1/catalog", &r);
	CHECK(r.status == 200);
	CHECK_STR(reply_header(&r, "Content-Type", ct, sizeof(ct)),
	          "application/json; charset=utf-8");
	j = cJSON_ParseWithLength(r.body, r.body_len);
	CHECK(j != NULL);
	areas = cJSON_GetObjectItemCaseSensitive(j, "areas");
	CHECK(cJSON_GetArraySize(areas) == 1 + 2 + 3);
	a = cJSON_GetArrayItem(areas, 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "code")), "SSS");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "level")),
	          "country");
	CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "pop_fl")),
	           215000, 0);
	CHECK(cJSON_GetObjectItem(a, "region") == NULL);
	a = cJSON_GetArrayItem(areas, 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "code")), "MK01");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "level")),
	          "region");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
	              cJSON_GetObjectItem(a, "name"), "sv")),
	          "Nyland");
	a = cJSON_GetArrayItem(areas, 3);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "code")),
	          "KU091");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "level")),
	          "municipality");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "region")),
	          "MK01");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "reports_by")),
	          "endpoint");
	CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "pop_total")),
	           674500, 0);
	a = cJSON_GetArrayItem(areas, 5);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "code")),
	          "KU853");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
	              cJSON_GetObjectItem(a, "name"), "sv")),
	          "Åbo");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "region")),
	          "MK02");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "reports_by")),
	          "submission");

	m = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "measures"), 1);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "measures")) == 3);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m, "id")),
	          "contacts");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m, "aggregate")),
	          "sum");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(m, "is_count")));
	CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "max")), 1e6, 0);
	m = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "measures"), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
	              cJSON_GetObjectItem(m, "name"), "en")),
	          "Guidance \"point\"");

	ind = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "indicators"), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ind, "id")),
	          "gp_coverage");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ind, "numerator")),
	          "gp_open*pop_fl");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ind, "denominator")),
	          "pop_fl");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ind, "kind")),
	          "ratio");
	CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(ind, "scale")), 100,
	           0);
	ind = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "indicators"), 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ind, "kind")),
	          "reporting");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(ind, "numerator")));
	rules = cJSON_GetObjectItem(j, "rules");
	CHECK(cJSON_GetArraySize(rules) == 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(rules, 0)),
	          "contacts_remote <= contacts");
	cJSON_Delete(j);
	reply_free(&r);
}

/* A new catalog snapshot (SIGHUP) is served, not the cached old one. */
static void
test_catalog_swap(void)
{
	struct catalog *cat = test_catalog();
	struct reply r;
	cJSON *j;

	/* Drop the last region's municipality: a visible difference. */
	cat->n_areas--;
	app_swap(&app, cat, &app.cfg);
	get(server_port(srv), "GET", "/api/v1/catalog", &r);
	CHECK(r.status == 200);
	j = cJSON_ParseWithLength(r.body, r.body_len);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "areas")) == 5);
	cJSON_Delete(j);
	reply_free(&r);
	cat = test_catalog();
	app_swap(&app, cat, &app.cfg);
	get(server_port(srv), "GET", "/api/v1/catalog", &r);
	j = cJSON_ParseWithLength(r.body, r.body_len);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "areas")) == 6);
	cJSON_Delete(j);
	reply_free(&r);
}

static void
test_errors(void)
{
	char v[128], e[256];
	struct reply r;

	get(server_port(srv), "GET", "/nope", &r);
	CHECK(r.status == 404);
	CHECK(is_json_error(&r));
	CHECK_STR(error_text(&r, e, sizeof(e)), "not found");
	reply_free(&r);

	get(server_port(srv), "POST", "/healthz", &r);
	CHECK(r.status == 405);
	CHECK(is_json_error(&r));
	CHECK_STR(reply_header(&r, "Allow", v, sizeof(v)), "GET, HEAD");
	reply_free(&r);

	get(server_port(srv), "DELETE", "/test/upload", &r);
	CHECK(r.status == 405);
	CHECK_STR(reply_header(&r, "Allow", v, sizeof(v)), "POST");
	reply_free(&r);

	get(server_port(srv), "GET", "/test/KU091/query?width=50", &r);
	CHECK(r.status == 400);
	CHECK(is_json_error(&r));
	CHECK_STR(error_text(&r, e, sizeof(e)),
	          "parameter width: must be an integer between 100 and 4000");
	reply_free(&r);

	get(server_port(srv), "GET", "/test/KU091/query?width=%zz", &r);
	CHECK(r.status == 400);
	CHECK_STR(error_text(&r, e, sizeof(e)),
	          "parameter width: invalid % escape");
	reply_free(&r);

	get(server_port(srv), "GET", "/test/KU091/query?a=1&a=2", &r);
	CHECK(r.status == 400);
	CHECK_STR(error_text(&r, e, sizeof(e)),
	          "parameter a: given more than once");
	reply_free(&r);

	get(server_port(srv), "GET", "/test/KU091/query?width=1200", &r);
	CHECK(r.status == 200);
	CHECK_STR(error_text(&r, e, sizeof(e)),
	          "width 1200 area KU091 from 127.0.0.1");
	reply_free(&r);

	/* A handler that answers nothing is a 500, not a hang. */
	get(server_port(srv), "GET", "/test/nothing", &r);
	CHECK(r.status == 500);
	CHECK(is_json_error(&r));
	reply_free(&r);
}

static void
test_path_tricks(void)
{
	static const struct {
		const char *target;
		int status;
	} cases[] = {
		{ "/chart/../../etc/passwd.svg", 400 },
		{ "/chart/KU091/../../../etc/passwd.svg", 400 },
		{ "/%2e%2e/x", 400 },
		{ "/chart/%2e%2e/%2e%2e.svg", 400 },
		{ "/chart/KU091%2f..%2f../x.svg", 400 },
		{ "/chart/KU091/x%00.svg", 400 },
		{ "/chart/KU091/x%5c.svg", 400 },
		{ "/chart/KU091\\x/a.svg", 400 },
		{ "/chart//a.svg", 400 },
		{ "/chart/KU%zz/a.svg", 400 },
		{ "/chart/KU%20091/a.svg", 404 },
		{ "/chart/KU091/a.b.svg", 404 },
		{ "/chart/KU091/a.svg?x=%00", 400 },
		{ "*", 400 },
	};
	static char long_target[2100], long_query[5200];
	char e[256];
	struct reply r;
	size_t i;

	atomic_store(&spy_calls, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get(server_port(srv), "GET", cases[i].target, &r);
		CHECK(r.status == cases[i].status);
		CHECK(is_json_error(&r));
		if (r.status != cases[i].status)
			fprintf(stderr, "  %s: %d\n", cases[i].target,
			        r.status);
		reply_free(&r);
	}
	memcpy(long_target, "/chart/", 7);
	memset(long_target + 7, 'a', sizeof(long_target) - 8);
	get(server_port(srv), "GET", long_target, &r);
	CHECK(r.status == 400);
	CHECK_STR(error_text(&r, e, sizeof(e)),
	          "path too long (at most 1024 bytes)");
	reply_free(&r);
	memcpy(long_query, "/chart/KU091/a.svg?q=", 21);
	memset(long_query + 21, 'b', sizeof(long_query) - 22);
	get(server_port(srv), "GET", long_query, &r);
	CHECK(r.status == 400);
	CHECK_STR(error_text(&r, e, sizeof(e)),
	          "query string too long (at most 4096 bytes)");
	reply_free(&r);
	CHECK(atomic_load(&spy_calls) == 0);

	/* The same route does answer a clean path. */
	get(server_port(srv), "GET", "/chart/KU091/gp_coverage.svg", &r);
	CHECK(r.status == 200);
	CHECK(atomic_load(&spy_calls) == 1);
	reply_free(&r);

	/* Headers past the connection's memory never reach a handler. */
	{
		size_t n = 80 * 1024;
		char *req = malloc(n + 256);
		int k;

		if (req == NULL)
			abort();
		k = snprintf(
		    req, 256,
		    "GET /chart/KU091/a.svg HTTP/1.1\r\nHost: x\r\nX-Big: ");
		memset(req + k, 'h', n);
		memcpy(req + k + n, "\r\n\r\n", 4);
		exchange(AF_INET, server_port(srv), req, (size_t)k + n + 4, &r);
		CHECK(r.status != 200);
		CHECK(atomic_load(&spy_calls) == 1);
		reply_free(&r);
		free(req);
	}
}

static void
test_body_limit(void)
{
	static char req[8192];
	char e[256];
	struct reply r;
	int n, fd;

	/* Within the limit: read whole and handed over. */
	n = snprintf(
	    req, sizeof(req),
	    "POST /test/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
	    MAX_BODY);
	memset(req + n, '{', MAX_BODY);
	exchange(AF_INET, server_port(srv), req, (size_t)n + MAX_BODY, &r);
	CHECK(r.status == 200);
	CHECK(r.body_len > 0 &&
	      strcmp(r.body, "got 1024 application/json\n") == 0);
	reply_free(&r);

	/* A huge Content-Length: 413 at once, after sending a little of the
	 * body and leaving the connection open (not closed for writing). */
	fd = connect_to(AF_INET, server_port(srv));
	CHECK(fd >= 0);
	n = snprintf(
	    req, sizeof(req),
	    "POST /test/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Content-Length: 10000000000\r\n\r\n");
	memset(req + n, 'x', 100);
	CHECK(send_all(fd, req, (size_t)n + 100) == 0);
	read_reply(fd, &r);
	close(fd);
	CHECK(r.status == 413);
	CHECK(is_json_error(&r));
	CHECK_STR(error_text(&r, e, sizeof(e)),
	          "body too large (at most 1024 bytes)");
	reply_free(&r);

	/* Expect: 100-continue with a too-large length: no 100 Continue. */
	fd = connect_to(AF_INET, server_port(srv));
	n = snprintf(
	    req, sizeof(req),
	    "POST /test/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
	CHECK(send_all(fd, req, (size_t)n) == 0);
	read_reply(fd, &r);
	close(fd);
	CHECK(r.status == 413);
	reply_free(&r);

	/* Chunked, no length declared: the rest of the body is dropped as
	 * it comes (libmicrohttpd 0.9.75 takes no answer mid-body) and the
	 * 413 comes at its end, however far past the limit (up to 32 times
	 * it). */
	n = snprintf(
	    req, sizeof(req),
	    "POST /test/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 3; i++) {
		n += snprintf(req + n, sizeof(req) - (size_t)n, "200\r\n");
		memset(req + n, 'c', 512);
		n += 512;
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	}
	n += snprintf(req + n, sizeof(req) - (size_t)n, "0\r\n\r\n");
	exchange(AF_INET, server_port(srv), req, (size_t)n, &r);
	CHECK(r.status == 413);
	CHECK(is_json_error(&r));
	reply_free(&r);

	/* Six times the limit: answered too, not cut off. */
	n = snprintf(
	    req, sizeof(req),
	    "POST /test/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 12; i++) {
		n += snprintf(req + n, sizeof(req) - (size_t)n, "200\r\n");
		memset(req + n, 'c', 512);
		n += 512;
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	}
	n += snprintf(req + n, sizeof(req) - (size_t)n, "0\r\n\r\n");
	exchange(AF_INET, server_port(srv), req, (size_t)n, &r);
	CHECK(r.status == 413);
	CHECK(is_json_error(&r));
	CHECK_STR(error_text(&r, e, sizeof(e)),
	          "body too large (at most 1024 bytes)");
	reply_free(&r);

	/* A sender that goes on past 32 times the limit is cut off. */
	fd = connect_to(AF_INET, server_port(srv));
	n = snprintf(
	    req, sizeof(req),
	    "POST /test/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	send_all(fd, req, (size_t)n);
	n = snprintf(req, sizeof(req), "1000\r\n");
	memset(req + n, 'c', 4096);
	n += 4096;
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	for (int i = 0; i < 12; i++) /* 48 KiB; may fail once closed */
		if (send_all(fd, req, (size_t)n) < 0)
			break;
	send_all(fd, "0\r\n\r\n", 5); /* an end a 413 would follow */
	read_reply(fd, &r);
	close(fd);
	CHECK(r.status == 0);
	reply_free(&r);

	/* Chunked within the limit. */
	n = snprintf(
	    req, sizeof(req),
	    "POST /test/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	exchange(AF_INET, server_port(srv), req, (size_t)n, &r);
	CHECK(r.status == 200);
	CHECK(r.body_len > 0 && strcmp(r.body, "got 5 -\n") == 0);
	reply_free(&r);
}

static void
test_metrics(void)
{
	char ct[128];
	struct reply r;
	FILE *p;

	get(server_port(srv), "GET", "/metrics", &r);
	CHECK(r.status == 200);
	CHECK_STR(reply_header(&r, "Content-Type", ct, sizeof(ct)),
	          "text/plain; version=0.0.4; charset=utf-8");
	CHECK(strstr(r.body, "\nkuntamon_documents_accepted_total 7\n") !=
	      NULL);
	CHECK(strstr(r.body, "\nkuntamon_measures_rejected_total{reason="
	                     "\"out_of_range\"} 3\n") != NULL);
	CHECK(strstr(r.body, "\nkuntamon_last_cycle_duration_seconds 1.5\n") !=
	      NULL);
	CHECK(strstr(r.body, "\nkuntamon_http_requests_total{route="
	                     "\"/healthz\",code=\"200\"} ") != NULL);
	CHECK(strstr(r.body, "\nkuntamon_http_requests_total{route="
	                     "\"unmatched\",code=\"404\"} 4\n") != NULL);
	CHECK(strstr(r.body, "\nkuntamon_http_requests_total{route="
	                     "\"/test/upload\",code=\"413\"} 4\n") != NULL);
	CHECK(strstr(r.body, "\nkuntamon_http_requests_total{route="
	                     "\"/test/nothing\",code=\"500\"} 1\n") != NULL);
	CHECK(strstr(r.body, "\nkuntamon_store_db_up 1\n") != NULL);
	CHECK(strstr(r.body, "\nkuntamon_endpoint_up{area=\"KU091\"} 1\n") !=
	      NULL);
	CHECK(strstr(r.body, "\nkuntamon_endpoint_up{area=\"KU049\"} 0\n") !=
	      NULL);
	CHECK(strstr(r.body, "\nkuntamon_endpoint_consecutive_failures{area="
	                     "\"KU049\"} 2\n") != NULL);
	CHECK(strstr(r.body, "\nkuntamon_endpoint_last_poll_duration_seconds{"
	                     "area=\"KU049\"} 2.5\n") != NULL);
	CHECK(strstr(r.body, "\nkuntamon_endpoint_last_success_timestamp_"
	                     "seconds{area=\"KU049\"} 0\n") != NULL);
	CHECK(strstr(r.body, "# TYPE kuntamon_http_requests_total counter\n") !=
	      NULL);

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		printf("skip test_metrics_promtool (promtool not installed)\n");
	} else {
		p = popen("promtool check metrics 1>&2", "w");
		CHECK(p != NULL);
		if (p != NULL) {
			fwrite(r.body, 1, r.body_len, p);
			CHECK(pclose(p) == 0);
		}
	}
	reply_free(&r);
}

static void
test_label_escaping(void)
{
	struct request req;
	struct response resp;
	struct db_outcome o = { 0 };

	/* An area code the store gives back verbatim reaches a label. */
	o.area = "K\"\\\nX";
	o.time = clock_now();
	o.source = "poll";
	o.period = -1;
	CHECK(store_db_record(app.db, &o) == 0);
	memset(&req, 0, sizeof(req));
	req.app = &app;
	response_init(&resp);
	metrics_get(&req, &resp);
	CHECK(resp.status == 200);
	CHECK(resp.body != NULL &&
	      strstr(resp.body,
	             "kuntamon_endpoint_up{area=\"K\\\"\\\\\\nX\"} 1\n") !=
	          NULL);
	response_reset(&resp);
}

struct slow_client {
	int port;
	struct reply r;
};

static void *
slow_client_run(void *arg)
{
	struct slow_client *c = arg;

	get(c->port, "GET", "/test/slow", &c->r);
	return NULL;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static void
test_stop_drains(void)
{
	struct slow_client c;
	pthread_t t;
	double t0, elapsed;

	memset(&c, 0, sizeof(c));
	c.port = server_port(srv);
	CHECK(pthread_create(&t, NULL, slow_client_run, &c) == 0);
	sem_wait(&slow_entered); /* the handler is running */
	t0 = now_ms();
	server_stop(srv, 5000);
	elapsed = now_ms() - t0;
	srv = NULL;
	pthread_join(t, NULL);
	CHECK(c.r.status == 200);
	CHECK(c.r.body_len == 10 && memcmp(c.r.body, "slow done\n", 10) == 0);
	CHECK(elapsed >= 200 && elapsed < 5000);
	reply_free(&c.r);
	/* Nothing listens on the port any more. */
	CHECK(connect_to(AF_INET, c.port) < 0);
}

static void
test_stop_deadline(void)
{
	static const char partial[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
	struct server *s = start("127.0.0.1");
	struct timespec tick = { 0, 1000 * 1000 };
	struct reply r;
	double t0, elapsed;
	int fd, i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* A client that sends half a request and stalls. */
	fd = connect_to(AF_INET, server_port(s));
	CHECK(send_all(fd, partial, sizeof(partial) - 1) == 0);
	for (i = 0; i < 5000 && server_in_flight(s) == 0; i++)
		nanosleep(&tick, NULL); /* until the server has read it */
	CHECK(server_in_flight(s) == 1);
	t0 = now_ms();
	server_stop(s, 300);
	elapsed = now_ms() - t0;
	CHECK(elapsed >= 290 && elapsed < 3000);
	read_reply(fd, &r); /* closed without an answer */
	CHECK(r.status == 0);
	reply_free(&r);
	close(fd);
}

static void
test_ipv6(void)
{
	struct server *s = start("::1");
	struct reply r;
	static const char req[] =
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

	if (s == NULL) {
		printf("skip test_ipv6 (no IPv6 loopback)\n");
		return;
	}
	exchange(AF_INET6, server_port(s), req, sizeof(req) - 1, &r);
	CHECK(r.status == 200);
	reply_free(&r);
	server_stop(s, 1000);
}

static void
test_start_errors(void)
{
	struct server *s = start("127.0.0.1"), *t;
	struct config cfg;
	struct error err = { 0 };

	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* The port is taken. */
	test_config(&cfg, "127.0.0.1");
	cfg.listen_port = server_port(s);
	t = server_start(&app, &cfg, &err);
	CHECK(t == NULL);
	CHECK(strstr(err.msg, "cannot listen on 127.0.0.1 port") != NULL);
	server_stop(t, 0);
	server_stop(s, 1000);

	test_config(&cfg, "no such host.invalid");
	memset(&err, 0, sizeof(err));
	CHECK(server_start(&app, &cfg, &err) == NULL);
	CHECK(strstr(err.msg, "no such host.invalid") != NULL);
}

static void
test_per_ip_limit(void)
{
	struct config cfg;
	struct error err = { 0 };
	struct server *s;
	struct reply r;
	int a, b, c;

	test_config(&cfg, "127.0.0.1");
	cfg.per_ip_connections = 2;
	s = server_start_routes(&app, &cfg, all_routes, n_all_routes, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	a = connect_to(AF_INET, server_port(s));
	b = connect_to(AF_INET, server_port(s));
	c = connect_to(AF_INET, server_port(s));
	CHECK(a >= 0 && b >= 0 && c >= 0);
	/* The third is accepted by the kernel and closed by the server. */
	read_reply(c, &r);
	CHECK(r.status == 0 && strlen(r.raw) == 0);
	reply_free(&r);
	close(c);
	close(a);
	close(b);
	server_stop(s, 1000);
}

/* Past max_connections a request gets a 503 JSON answer, not a reset;
 * /healthz is answered all the same. */
static void
test_overload(void)
{
	struct config cfg;
	struct error err = { 0 };
	struct server *s;
	struct reply r;
	int a, b, i, status = 0;

	test_config(&cfg, "127.0.0.1");
	cfg.max_connections = 2;
	cfg.per_ip_connections = 100;
	s = server_start_routes(&app, &cfg, all_routes, n_all_routes, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* two connections held open, each with a request half sent */
	a = connect_to(AF_INET, server_port(s));
	b = connect_to(AF_INET, server_port(s));
	CHECK(a >= 0 && b >= 0);
	send_all(a, "GET /healthz HTTP/1.1\r\n", 23);
	send_all(b, "GET /healthz HTTP/1.1\r\n", 23);
	/* until the server has taken both (bounded: 2 s) */
	for (i = 0; i < 200 && status != 503; i++) {
		get(server_port(s), "GET", "/api/v1/catalog", &r);
		status = r.status;
		if (status == 503)
			CHECK(is_json_error(&r));
		reply_free(&r);
		if (status != 503)
			usleep(10000);
	}
	CHECK(status == 503);
	get(server_port(s), "GET", "/healthz", &r);
	CHECK(r.status == 200);
	reply_free(&r);
	close(a);
	close(b);
	for (i = 0, status = 0; i < 200 && status != 200; i++) {
		get(server_port(s), "GET", "/api/v1/catalog", &r);
		status = r.status;
		reply_free(&r);
		if (status != 200)
			usleep(10000);
	}
	CHECK(status == 200);
	server_stop(s, 1000);
}

/* --- event-driven serving: address keys, slow routes, header deadline -- */

static void
v6(struct sockaddr_in6 *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	CHECK(inet_pton(AF_INET6, text, &a->sin6_addr) == 1);
}

static void
test_address_key(void)
{
	struct sockaddr_in a4;
	struct sockaddr_in6 a, b;
	struct sockaddr sa;
	char k[SERVER_ADDR_KEY_MAX], l[SERVER_ADDR_KEY_MAX];

	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_addr.s_addr = htonl(0xc0000207); /* 192.0.2.7 */
	CHECK(server_address_key((struct sockaddr *)&a4, sizeof(a4), k) == 0);
	CHECK_STR(k, "192.0.2.7");
	a4.sin_addr.s_addr = htonl(0xc0000208);
	CHECK(server_address_key((struct sockaddr *)&a4, sizeof(a4), l) == 0);
	CHECK(strcmp(k, l) != 0); /* IPv4: every address its own */

	/* an IPv4 client on a dual-stack socket is the same client */
	v6(&a, "::ffff:192.0.2.7");
	CHECK(server_address_key((struct sockaddr *)&a, sizeof(a), l) == 0);
	CHECK_STR(l, "192.0.2.7");

	/* IPv6: one /64, one client, whatever its interface id */
	v6(&a, "2001:db8:1:2::1");
	v6(&b, "2001:db8:1:2:ffff:eeee:dddd:cccc");
	CHECK(server_address_key((struct sockaddr *)&a, sizeof(a), k) == 0);
	CHECK(server_address_key((struct sockaddr *)&b, sizeof(b), l) == 0);
	CHECK_STR(k, "2001:db8:1:2::/64");
	CHECK_STR(l, "2001:db8:1:2::/64");
	v6(&b, "2001:db8:1:3::1"); /* the next /64: another client */
	CHECK(server_address_key((struct sockaddr *)&b, sizeof(b), l) == 0);
	CHECK_STR(l, "2001:db8:1:3::/64");
	v6(&a, "::1");
	CHECK(server_address_key((struct sockaddr *)&a, sizeof(a), k) == 0);
	CHECK_STR(k, "::/64");
	v6(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	CHECK(server_address_key((struct sockaddr *)&a, sizeof(a), k) == 0);
	CHECK_STR(k, "ffff:ffff:ffff:ffff::/64");

	/* nothing to count by */
	CHECK(server_address_key((struct sockaddr *)&a, 8, k) == -1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	CHECK(server_address_key(&sa, sizeof(sa), k) == -1);
	CHECK(server_address_key(NULL, 0, k) == -1);
}

struct held_client {
	int port;
	struct reply r;
};

static void *
held_client_run(void *arg)
{
	struct held_client *c = arg;

	get(c->port, "GET", "/test/held", &c->r);
	return NULL;
}

/* Waits (bounded) until n slow requests wait for a worker. */
static bool
wait_slow_waiting(struct server *s, size_t n)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 1000 && server_slow_waiting(s) != n; i++)
		nanosleep(&ts, NULL);
	return server_slow_waiting(s) == n;
}

/* Slow routes run on workers with their connection suspended: while more
 * of them are held than libmicrohttpd has threads, fast routes answer;
 * past the workers and their queue, a slow request is answered 503 with
 * Retry-After at once, and one its handler answers at hand (a cached
 * chart) is still served. */
static void
test_slow_off_pool(void)
{
	enum { N_MAX = 64 };
	struct server *s = start("127.0.0.1");
	struct held_client c[N_MAX];
	pthread_t t[N_MAX];
	struct reply r;
	char v[32];
	int i, n_ok = 0, n_busy = 0, N;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	N = (int)(server_slow_workers(s) + server_slow_queue_max(s));
	CHECK(N >= 4 && N <= N_MAX);
	if (N < 4 || N > N_MAX) {
		server_stop(s, 1000);
		return;
	}
	for (i = 0; i < N; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].port = server_port(s);
		CHECK(pthread_create(&t[i], NULL, held_client_run, &c[i]) == 0);
	}
	/* the workers held: run inline, they would hold the pool */
	for (i = 0; i < (int)server_slow_workers(s); i++)
		sem_wait(&held_entered);
	get(server_port(s), "GET", "/healthz", &r); /* 10 s at most */
	CHECK(r.status == 200);
	reply_free(&r);
	get(server_port(s), "GET", "/api/v1/catalog", &r);
	CHECK(r.status == 200);
	reply_free(&r);
	/* the queue full: refused at once, told when to retry */
	CHECK(wait_slow_waiting(s, server_slow_queue_max(s)));
	get(server_port(s), "GET", "/test/held", &r);
	CHECK(r.status == 503);
	CHECK_STR(reply_header(&r, "Retry-After", v, sizeof(v)), "1");
	reply_free(&r);
	/* what is at hand is served all the same */
	get(server_port(s), "GET", "/test/held?hit=1", &r);
	CHECK(r.status == 200 && r.body_len == 4 &&
	      memcmp(r.body, "hit\n", 4) == 0);
	reply_free(&r);
	for (i = 0; i < N; i++)
		sem_post(&held_release);
	/* every one answered: done, or (a loaded machine, the queue's 2 s
	 * deadline passed while the test went on) busy with Retry-After;
	 * the ones the workers held ran */
	for (i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		if (c[i].r.status == 200 && c[i].r.body_len == 10 &&
		    memcmp(c[i].r.body, "held done\n", 10) == 0)
			n_ok++;
		else if (c[i].r.status == 503 &&
		         strcmp(
		             reply_header(&c[i].r, "Retry-After", v, sizeof(v)),
		             "1") == 0)
			n_busy++;
		reply_free(&c[i].r);
	}
	CHECK(n_ok + n_busy == N && n_ok >= (int)server_slow_workers(s));
	/* every client answered, so no handler waits: a release no handler
	 * took (its turn came past the deadline) would let the next test's
	 * handlers through */
	while (sem_trywait(&held_entered) == 0)
		;
	while (sem_trywait(&held_release) == 0)
		;
	server_stop(s, 1000);
}

/* A slow request whose turn comes past the queue's deadline is answered
 * 503 with Retry-After, not run for a client that has likely given up. */
static void
test_slow_deadline(void)
{
	enum { N_MAX = 16 };
	struct server *s = start("127.0.0.1");
	struct held_client c[N_MAX + 1];
	pthread_t t[N_MAX + 1];
	struct timespec past_deadline = { 2, 300 * 1000 * 1000 };
	int i, n, n_ok = 0, n_busy = 0;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	n = (int)server_slow_workers(s);
	CHECK(n >= 1 && n <= N_MAX);
	if (n < 1 || n > N_MAX) {
		server_stop(s, 1000);
		return;
	}
	/* every worker held, and one more waiting */
	for (i = 0; i <= n; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].port = server_port(s);
		CHECK(pthread_create(&t[i], NULL, held_client_run, &c[i]) == 0);
	}
	for (i = 0; i < n; i++)
		sem_wait(&held_entered);
	CHECK(wait_slow_waiting(s, 1));
	/* the time passing is what is tested: the deadline is 2 s */
	nanosleep(&past_deadline, NULL);
	for (i = 0; i < n; i++)
		sem_post(&held_release);
	for (i = 0; i <= n; i++) {
		char v[32];

		pthread_join(t[i], NULL);
		if (c[i].r.status == 200)
			n_ok++;
		if (c[i].r.status == 503 &&
		    strcmp(reply_header(&c[i].r, "Retry-After", v, sizeof(v)),
		           "1") == 0)
			n_busy++;
		reply_free(&c[i].r);
	}
	CHECK(n_ok == n && n_busy == 1);
	/* every client answered, so no handler waits: a release no handler
	 * took (its turn came past the deadline) would let the next test's
	 * handlers through */
	while (sem_trywait(&held_entered) == 0)
		;
	while (sem_trywait(&held_release) == 0)
		;
	server_stop(s, 1000);
}

/* Stopping with slow requests running and queued (each 300 ms, more of
 * them than workers): each is answered, and every suspended connection
 * is resumed before the daemon stops. */
static void
test_stop_with_slow(void)
{
	enum { N = 6 };
	struct server *s = start("127.0.0.1");
	struct slow_client c[N];
	pthread_t t[N];
	int i, n_ok = 0;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (i = 0; i < N; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].port = server_port(s);
		CHECK(pthread_create(&t[i], NULL, slow_client_run, &c[i]) == 0);
	}
	sem_wait(&slow_entered); /* one runs, the others on their way */
	server_stop(s, 10000);
	for (i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		if (c[i].r.status == 200)
			n_ok++;
		reply_free(&c[i].r);
	}
	/* those connected before the stop are answered; later ones find
	 * the port closed */
	CHECK(n_ok >= 1);
	while (sem_trywait(&slow_entered) == 0)
		;
}

/* A client that trickles its headers a byte at a time is shut down at
 * header_timeout, although every byte restarts libmicrohttpd's idle
 * timeout; one that sent them in time is not. */
static void
test_header_deadline(void)
{
	static const char line[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
	struct config cfg;
	struct error err = { 0 };
	struct timespec pace = { 0, 200 * 1000 * 1000 };
	struct server *s;
	struct reply r;
	double t0, closed_after = -1;
	int fd, keep, i;
	char byte;

	test_config(&cfg, "127.0.0.1");
	cfg.header_timeout_s = 1;
	cfg.connection_timeout_s = 10;
	s = server_start_routes(&app, &cfg, all_routes, n_all_routes, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* a kept-alive connection that got its answer, then says nothing */
	keep = connect_to(AF_INET, server_port(s));
	CHECK(send_all(keep, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 34) ==
	      0);
	fd = connect_to(AF_INET, server_port(s));
	CHECK(fd >= 0 && send_all(fd, line, sizeof(line) - 1) == 0);
	t0 = now_ms();
	/* a byte every 200 ms, for up to 5 s */
	for (i = 0; i < 25 && closed_after < 0; i++) {
		nanosleep(&pace, NULL); /* the client's pace, not a wait */
		byte = "X-Slow: a\r\n"[i % 11];
		if (send(fd, &byte, 1, MSG_NOSIGNAL) != 1 ||
		    recv(fd, &byte, 1, MSG_DONTWAIT) == 0)
			closed_after = now_ms() - t0;
	}
	CHECK(closed_after >= 900 && closed_after < 2500);
	if (closed_after < 900 || closed_after >= 2500)
		fprintf(stderr, "  closed after %.0f ms\n", closed_after);
	CHECK(server_header_timeouts(s) >= 1);
	close(fd);
	/* the first connection's answer came; its idle wait for a next
	 * request is under the same deadline */
	read_reply(keep, &r);
	CHECK(r.status == 200);
	reply_free(&r);
	close(keep);
	CHECK(server_header_timeouts(s) == 2);
	server_stop(s, 1000);
}

static void
test_respond_helpers(void)
{
	struct response resp;
	char long_value[RESPONSE_HEADER_VALUE_MAX + 1];

	response_init(&resp);
	respond_error(&resp, 400, "bad \"%s\"\n\xff", "x\\y");
	CHECK(resp.status == 400);
	CHECK_STR(resp.body, "{\"error\":\"bad \\\"x\\\\y\\\"\\n?\"}");
	CHECK_STR(resp.content_type, "application/json; charset=utf-8");
	CHECK(respond_header(&resp, "Cache-Control", "no-store") == 0);
	CHECK(respond_header(&resp, "cache-control", "max-age=60") == 0);
	CHECK(resp.n_headers == 1);
	CHECK_STR(resp.headers[0].value, "max-age=60");
	CHECK(respond_header(&resp, "X-Evil", "a\r\nSet-Cookie: x") == -1);
	CHECK(respond_header(&resp, "Bad:Name", "v") == -1);
	memset(long_value, 'v', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	CHECK(respond_header(&resp, "X-Long", long_value) == -1);
	respond_blob(&resp, "image/png", "\x89PNG\0x", 6);
	CHECK(resp.status == 200 && resp.body_len == 6);
	CHECK(memcmp(resp.body, "\x89PNG\0x", 6) == 0);
	CHECK_STR(resp.content_type, "image/png");
	CHECK(resp.n_headers == 1); /* headers survive a new body */
	respond_csv(&resp, 200, "time,value\n", 11);
	CHECK_STR(resp.content_type, "text/csv; charset=utf-8");
	response_reset(&resp);
	CHECK(resp.body == NULL && resp.n_headers == 0 && resp.status == 0);
}

/* --- HTTP conventions: validators, caching, CORS (SPEC §6) -------------- */

/* A request with extra header lines (each ending in \r\n). */
static void
request_with(int port, const char *method, const char *target,
             const char *headers, struct reply *out)
{
	char req[16384];
	int n = snprintf(req, sizeof(req),
	                 "%s %s HTTP/1.1\r\nHost: localhost\r\n%s"
	                 "Connection: close\r\n\r\n",
	                 method, target, headers);

	exchange(AF_INET, port, req, (size_t)n, out);
}

static bool
has_header(const struct reply *r, const char *name)
{
	char line[64];

	snprintf(line, sizeof(line), "\r\n%s:", name);
	return strcasestr(r->head, line) != NULL;
}

static void
test_etag_match(void)
{
	static const struct {
		const char *list;
		bool is_match;
	} cases[] = {
		{ "\"a-1\"", true },
		{ "W/\"a-1\"", true },
		{ "\"b\", \"a-1\"", true },
		{ "\"b\",W/\"a-1\" , \"c\"", true },
		{ "\"a,1\", \"a-1\"", true }, /* a comma inside a tag */
		{ "junk, \"a-1\"", true },    /* a malformed member skipped */
		{ "*", true },
		{ " * , \"b\"", true },
		{ "\"a-12\"", false },
		{ "\"a-\"", false },
		{ "\"A-1\"", false },
		{ "a-1", false },
		{ "\"a-1", false },
		{ "w/\"a-1\"x", false },
		{ "*x", false },
		{ "", false },
		{ ",,, ", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(server_etag_match(cases[i].list, "\"a-1\"") ==
		      cases[i].is_match);
		if (server_etag_match(cases[i].list, "\"a-1\"") !=
		    cases[i].is_match)
			fprintf(stderr, "  %s\n", cases[i].list);
	}
	/* weak comparison: our own tag's W/ does not count either */
	CHECK(server_etag_match("\"a-1\"", "W/\"a-1\""));
	CHECK(!server_etag_match("*", NULL));
}

static void
test_respond_caching_helpers(void)
{
	struct response resp;
	char a[64], b[64];

	response_init(&resp);
	respond_text(&resp, 200, "x");
	CHECK(respond_header_get(&resp, "Vary") == NULL);
	CHECK(respond_vary(&resp, "Origin") == 0);
	CHECK(respond_vary(&resp, "origin") == 0);
	CHECK_STR(respond_header_get(&resp, "vary"), "Origin");
	CHECK(respond_vary(&resp, "Authorization") == 0);
	CHECK(respond_vary(&resp, "Origin") == 0);
	CHECK_STR(respond_header_get(&resp, "Vary"), "Origin, Authorization");

	/* by the bytes: the same bytes, the same tag */
	respond_etag_content(&resp);
	snprintf(a, sizeof(a), "%s", respond_header_get(&resp, "ETag"));
	CHECK(a[0] == '"' && a[strlen(a) - 1] == '"');
	respond_text(&resp, 200, "y");
	respond_etag_content(&resp);
	CHECK(strcmp(respond_header_get(&resp, "ETag"), a) != 0);
	respond_csv(&resp, 200, "x", 1);
	respond_etag_content(&resp);
	CHECK(strcmp(respond_header_get(&resp, "ETag"), a) != 0);
	respond_text(&resp, 200, "x");
	respond_etag_content(&resp);
	CHECK_STR(respond_header_get(&resp, "ETag"), a);

	/* by generation and key, within one run */
	respond_etag(&resp, 3, "k");
	snprintf(b, sizeof(b), "%s", respond_header_get(&resp, "ETag"));
	CHECK(strncmp(b, "\"3-", 3) == 0);
	respond_etag(&resp, 4, "k");
	CHECK(strcmp(respond_header_get(&resp, "ETag"), b) != 0);
	respond_etag(&resp, 3, "l");
	CHECK(strcmp(respond_header_get(&resp, "ETag"), b) != 0);
	respond_etag(&resp, 3, "k");
	CHECK_STR(respond_header_get(&resp, "ETag"), b);
	respond_etag_run(12345);
	respond_etag(&resp, 3, "k");
	CHECK(strcmp(respond_header_get(&resp, "ETag"), b) != 0);
	respond_etag_run(0);
	CHECK(resp.n_headers == 2);
	response_reset(&resp);
}

/* The ETag of target's answer (GET, with extra headers), into out. */
static const char *
etag_of(int port, const char *target, const char *headers, char *out,
        size_t size)
{
	struct reply r;

	request_with(port, "GET", target, headers, &r);
	CHECK(r.status == 200);
	reply_header(&r, "ETag", out, size);
	reply_free(&r);
	return out;
}

static void
test_conditional(void)
{
	struct server *s = start("127.0.0.1");
	char etag[128], v[256], hdr[400], url[128];
	const char *p;
	struct catalog *cat;
	struct reply r;
	size_t full_len;
	int port, k, calls;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	port = server_port(s);

	get(port, "GET", "/api/v1/catalog", &r);
	CHECK(r.status == 200 && r.body_len > 100);
	full_len = r.body_len;
	reply_header(&r, "ETag", etag, sizeof(etag));
	CHECK(etag[0] == '"' && etag[strlen(etag) - 1] == '"');
	CHECK_STR(reply_header(&r, "Cache-Control", v, sizeof(v)),
	          "public, max-age=60");
	reply_header(&r, "Vary", v, sizeof(v));
	CHECK(strstr(v, "Authorization") != NULL && strstr(v, "Cookie"));
	CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
	CHECK(!has_header(&r, "Vary") || strstr(v, "Origin") == NULL);
	reply_free(&r);

	/* every way of naming it: 304, no body, the validator and caching
	 * headers repeated */
	{
		static const struct {
			const char *before;
			bool has_tag;
		} forms[] = { { "", true },
			      { "W/", true },
			      { "\"x\", ", true },
			      { "*", false },
			      { "\"x\"\r\nIf-None-Match: ", true } };

		for (k = 0; k < (int)(sizeof(forms) / sizeof(forms[0])); k++) {
			char list[200];

			snprintf(list, sizeof(list), "%s%s", forms[k].before,
			         forms[k].has_tag ? etag : "");
			snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n",
			         list);
			request_with(port, k == 2 ? "HEAD" : "GET",
			             "/api/v1/catalog", hdr, &r);
			CHECK(r.status == 304);
			CHECK(r.body_len == 0);
			/* the 200's length, never a misleading 0 */
			CHECK(strtoul(reply_header(&r, "Content-Length", v,
			                           sizeof(v)),
			              NULL, 10) == full_len);
			CHECK(!has_header(&r, "Content-Type"));
			CHECK_STR(reply_header(&r, "ETag", v, sizeof(v)), etag);
			CHECK_STR(
			    reply_header(&r, "Cache-Control", v, sizeof(v)),
			    "public, max-age=60");
			CHECK(has_header(&r, "Vary"));
			if (r.status != 304)
				fprintf(stderr, "  If-None-Match: %s: %d\n",
				        list, r.status);
			reply_free(&r);
		}
	}
	request_with(port, "GET", "/api/v1/catalog",
	             "If-None-Match: \"nope\", W/\"nope2\"\r\n", &r);
	CHECK(r.status == 200 && r.body_len > 100);
	reply_free(&r);
	/* a 304 is for reads only */
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	request_with(port, "POST", "/api/v1/catalog", hdr, &r);
	CHECK(r.status == 405);
	reply_free(&r);

	/* A new catalog: a new tag, and the old one gets the whole answer;
	 * back to the same catalog: the same tag as before. */
	cat = test_catalog();
	cat->n_areas--;
	app_swap(&app, cat, &app.cfg);
	request_with(port, "GET", "/api/v1/catalog", hdr, &r);
	CHECK(r.status == 200 && r.body_len > 100);
	CHECK(strcmp(reply_header(&r, "ETag", v, sizeof(v)), etag) != 0);
	CHECK(v[0] == '"');
	reply_free(&r);
	app_swap(&app, test_catalog(), &app.cfg);
	CHECK_STR(etag_of(port, "/api/v1/catalog", "", v, sizeof(v)), etag);

	/* A handler that sets no ETag gets one from its bytes; it still runs
	 * for the 304. */
	calls = atomic_load(&spy_calls);
	etag_of(port, "/chart/KU091/gp_coverage.svg", "", etag, sizeof(etag));
	CHECK(etag[0] == '"');
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	request_with(port, "GET", "/chart/KU091/gp_coverage.svg", hdr, &r);
	CHECK(r.status == 304 && r.body_len == 0);
	CHECK(atomic_load(&spy_calls) == calls + 2);
	reply_free(&r);

	/* A handler's own directives stay; the audience is the server's. */
	get(port, "GET", "/test/cached", &r);
	CHECK_STR(reply_header(&r, "Cache-Control", v, sizeof(v)),
	          "public, max-age=300, must-revalidate");
	CHECK(strncmp(reply_header(&r, "ETag", v, sizeof(v)), "\"7-", 3) == 0);
	reply_free(&r);

	/* Errors and answers about the moment carry no validator. */
	request_with(port, "GET", "/nope", "If-None-Match: *\r\n", &r);
	CHECK(r.status == 404);
	CHECK(!has_header(&r, "ETag") && !has_header(&r, "Cache-Control"));
	reply_free(&r);
	request_with(port, "GET", "/test/KU091/query?width=50",
	             "If-None-Match: *\r\n", &r);
	CHECK(r.status == 400 && !has_header(&r, "ETag"));
	reply_free(&r);
	request_with(port, "GET", "/metrics", "If-None-Match: *\r\n", &r);
	CHECK(r.status == 200);
	CHECK_STR(reply_header(&r, "Cache-Control", v, sizeof(v)), "no-store");
	CHECK(!has_header(&r, "ETag"));
	reply_free(&r);

	/* A page: revalidated every time, with a validator. */
	get(port, "GET", "/", &r);
	CHECK(r.status == 200);
	CHECK_STR(reply_header(&r, "Cache-Control", v, sizeof(v)),
	          "public, no-cache");
	CHECK(has_header(&r, "ETag"));
	/* An asset under its hashed URL: immutable, the same for everyone */
	p = strstr(r.body, "/assets/app-");
	CHECK(p != NULL);
	snprintf(url, sizeof(url), "%.*s",
	         p != NULL ? (int)strcspn(p, "\"") : 0, p != NULL ? p : "");
	reply_free(&r);
	get(port, "GET", url, &r);
	CHECK(r.status == 200);
	CHECK_STR(reply_header(&r, "Cache-Control", v, sizeof(v)),
	          "public, max-age=31536000, immutable");
	CHECK(!has_header(&r, "Vary"));
	reply_header(&r, "ETag", etag, sizeof(etag));
	reply_free(&r);
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	request_with(port, "GET", url, hdr, &r);
	CHECK(r.status == 304);
	reply_free(&r);

	server_stop(s, 1000);
}

/* With a token: private, whatever the handler said, and the same tag. */
static void
test_private(void)
{
	struct server *s = start("127.0.0.1");
	char token[TOKEN_TEXT_SIZE], hdr[256], v[256], etag[128];
	struct error err = { 0 };
	struct reply r;
	long long id;
	int port;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	port = server_port(s);
	CHECK(token_create(app.db, ROLE_MINISTRY, NULL, clock_now(), &id, token,
	                   &err) == 0);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", token);
	request_with(port, "GET", "/api/v1/catalog", hdr, &r);
	CHECK(r.status == 200);
	CHECK_STR(reply_header(&r, "Cache-Control", v, sizeof(v)),
	          "private, no-cache");
	reply_header(&r, "Vary", v, sizeof(v));
	CHECK(strstr(v, "Authorization") != NULL);
	reply_header(&r, "ETag", etag, sizeof(etag));
	CHECK_STR(etag_of(port, "/api/v1/catalog", "", v, sizeof(v)), etag);
	reply_free(&r);
	request_with(port, "GET", "/test/cached", hdr, &r);
	CHECK_STR(reply_header(&r, "Cache-Control", v, sizeof(v)),
	          "private, max-age=300, must-revalidate");
	reply_free(&r);
	snprintf(hdr, sizeof(hdr),
	         "Authorization: Bearer %s\r\nIf-None-Match: %s\r\n", token,
	         etag);
	request_with(port, "GET", "/api/v1/catalog", hdr, &r);
	CHECK(r.status == 304);
	CHECK_STR(reply_header(&r, "Cache-Control", v, sizeof(v)),
	          "private, no-cache");
	reply_free(&r);
	server_stop(s, 1000);
}

static void
set_cors(const char *origins, bool is_public)
{
	pthread_mutex_lock(&app.lock);
	snprintf(app.cfg.cors_origins, sizeof(app.cfg.cors_origins), "%s",
	         origins);
	app.cfg.is_public = is_public;
	pthread_mutex_unlock(&app.lock);
}

static void
test_cors(void)
{
	struct server *s = start("127.0.0.1");
	char v[256], etag[128], hdr[300], e[256];
	struct reply r;
	int port;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	port = server_port(s);

	/* Not configured: no CORS header at all, and preflights refused. */
	set_cors("", true);
	request_with(port, "GET", "/api/v1/catalog",
	             "Origin: https://a.example\r\n", &r);
	CHECK(r.status == 200);
	CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
	CHECK(strstr(reply_header(&r, "Vary", v, sizeof(v)), "Origin") == NULL);
	reply_free(&r);
	request_with(port, "OPTIONS", "/api/v1/catalog",
	             "Origin: https://a.example\r\n"
	             "Access-Control-Request-Method: GET\r\n",
	             &r);
	CHECK(r.status == 403 && is_json_error(&r));
	CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
	reply_free(&r);

	set_cors("https://a.example http://127.0.0.1:8080", true);
	/* a listed origin reads, and may see the validator */
	request_with(port, "GET", "/api/v1/catalog",
	             "Origin: https://a.example\r\n", &r);
	CHECK(r.status == 200);
	CHECK_STR(reply_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)),
	          "https://a.example");
	CHECK(strstr(reply_header(&r, "Vary", v, sizeof(v)), "Origin") != NULL);
	CHECK(strstr(reply_header(&r, "Access-Control-Expose-Headers", v,
	                          sizeof(v)),
	             "ETag") != NULL);
	CHECK(!has_header(&r, "Access-Control-Allow-Credentials"));
	reply_header(&r, "ETag", etag, sizeof(etag));
	reply_free(&r);
	request_with(port, "GET", "/chart/KU091/gp_coverage.svg",
	             "Origin: http://127.0.0.1:8080\r\n", &r);
	CHECK_STR(reply_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)),
	          "http://127.0.0.1:8080");
	reply_free(&r);
	/* and its 304 too */
	snprintf(hdr, sizeof(hdr),
	         "Origin: https://a.example\r\nIf-None-Match: %s\r\n", etag);
	request_with(port, "GET", "/api/v1/catalog", hdr, &r);
	CHECK(r.status == 304);
	CHECK_STR(reply_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)),
	          "https://a.example");
	CHECK(strstr(reply_header(&r, "Vary", v, sizeof(v)), "Origin") != NULL);
	reply_free(&r);
	/* an error is readable by a listed origin */
	request_with(port, "GET", "/api/v1/nope",
	             "Origin: https://a.example\r\n", &r);
	CHECK(r.status == 404);
	CHECK(has_header(&r, "Access-Control-Allow-Origin"));
	reply_free(&r);

	/* Other origins (and near misses) get no CORS header, and the same
	 * answer otherwise: the browser keeps it from the page. */
	{
		const char *others[] = { "https://evil.example",
			                 "https://a.example.evil.example",
			                 "https://a.example:443",
			                 "http://a.example",
			                 "https://A.example",
			                 "https://a.exampl",
			                 "null" };
		size_t i;

		for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
			snprintf(hdr, sizeof(hdr), "Origin: %s\r\n", others[i]);
			request_with(port, "GET", "/api/v1/catalog", hdr, &r);
			CHECK(r.status == 200);
			CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
			CHECK(strstr(reply_header(&r, "Vary", v, sizeof(v)),
			             "Origin") != NULL);
			reply_free(&r);
		}
	}
	/* no Origin: no ACAO, but Vary: Origin for the caches */
	get(port, "GET", "/api/v1/catalog", &r);
	CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
	CHECK(strstr(reply_header(&r, "Vary", v, sizeof(v)), "Origin") != NULL);
	reply_free(&r);
	/* pages and assets are not the API */
	request_with(port, "GET", "/", "Origin: https://a.example\r\n", &r);
	CHECK(r.status == 200);
	CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
	reply_free(&r);

	/* Preflight of a listed origin: 204, what it may do. */
	request_with(port, "OPTIONS", "/api/v1/catalog",
	             "Origin: https://a.example\r\n"
	             "Access-Control-Request-Method: GET\r\n"
	             "Access-Control-Request-Headers: authorization\r\n",
	             &r);
	CHECK(r.status == 204);
	CHECK(r.body_len == 0);
	CHECK_STR(reply_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)),
	          "https://a.example");
	CHECK_STR(
	    reply_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)),
	    "GET, HEAD");
	CHECK(strstr(reply_header(&r, "Access-Control-Allow-Headers", v,
	                          sizeof(v)),
	             "Authorization") != NULL);
	CHECK_STR(reply_header(&r, "Access-Control-Max-Age", v, sizeof(v)),
	          "600");
	CHECK(strstr(reply_header(&r, "Vary", v, sizeof(v)), "Origin") != NULL);
	reply_free(&r);
	/* of another origin: 403, no CORS header */
	request_with(port, "OPTIONS", "/chart/KU091/gp_coverage.svg",
	             "Origin: https://evil.example\r\n"
	             "Access-Control-Request-Method: GET\r\n",
	             &r);
	CHECK(r.status == 403 && is_json_error(&r));
	CHECK(strstr(error_text(&r, e, sizeof(e)), "https://evil.example") !=
	      NULL);
	CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
	CHECK(!has_header(&r, "Access-Control-Allow-Methods"));
	reply_free(&r);
	/* without Origin: a plain OPTIONS, answered with Allow */
	get(port, "OPTIONS", "/api/v1/catalog", &r);
	CHECK(r.status == 204);
	CHECK_STR(reply_header(&r, "Allow", v, sizeof(v)),
	          "GET, HEAD, OPTIONS");
	CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
	reply_free(&r);
	/* not an API read: as before */
	request_with(port, "OPTIONS", "/", "Origin: https://a.example\r\n", &r);
	CHECK(r.status == 405);
	reply_free(&r);
	request_with(port, "OPTIONS", "/api/v1/submissions",
	             "Origin: https://a.example\r\n", &r);
	CHECK(r.status == 405);
	CHECK(!has_header(&r, "Access-Control-Allow-Origin"));
	reply_free(&r);
	request_with(port, "OPTIONS", "/api/v1/nope",
	             "Origin: https://a.example\r\n", &r);
	CHECK(r.status == 404);
	reply_free(&r);
	get(port, "DELETE", "/api/v1/catalog", &r);
	CHECK(r.status == 405);
	CHECK_STR(reply_header(&r, "Allow", v, sizeof(v)),
	          "GET, HEAD, OPTIONS");
	reply_free(&r);

	/* With public = no a read needs a token, the preflight none (a
	 * browser sends none with it); the 401 is readable by the page. */
	set_cors("https://a.example", false);
	request_with(port, "OPTIONS", "/api/v1/catalog",
	             "Origin: https://a.example\r\n"
	             "Access-Control-Request-Method: GET\r\n",
	             &r);
	CHECK(r.status == 204);
	reply_free(&r);
	request_with(port, "GET", "/api/v1/catalog",
	             "Origin: https://a.example\r\n", &r);
	CHECK(r.status == 401);
	CHECK(has_header(&r, "Access-Control-Allow-Origin"));
	reply_free(&r);
	set_cors("", true);
	server_stop(s, 1000);
}

int
main(void)
{
	setup();
	RUN(test_respond_helpers);
	RUN(test_port_zero);
	RUN(test_healthz);
	RUN(test_keep_alive);
	RUN(test_catalog_shape);
	RUN(test_catalog_swap);
	RUN(test_errors);
	RUN(test_path_tricks);
	RUN(test_body_limit);
	RUN(test_metrics);
	RUN(test_label_escaping);
	RUN(test_stop_drains);
	RUN(test_address_key);
	RUN(test_slow_off_pool);
	RUN(test_slow_deadline);
	RUN(test_stop_with_slow);
	RUN(test_header_deadline);
	RUN(test_stop_deadline);
	RUN(test_ipv6);
	RUN(test_start_errors);
	RUN(test_per_ip_limit);
	RUN(test_overload);
	RUN(test_etag_match);
	RUN(test_respond_caching_helpers);
	RUN(test_conditional);
	RUN(test_private);
	RUN(test_cors);
	server_stop(srv, 0);
	teardown();
	return check_done();
}
