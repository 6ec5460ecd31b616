/*
 * test_metrics.c: /metrics' additions of issue 9: the request-duration
 * histogram's bucket arithmetic and what a real server reports in it, the
 * process_* figures (the /proc parsers on fixed text, then this process
 * read live), kuntamon_build_info, and municipalities by reporting status
 * as /api/v1/health counts them. The text goes through promtool when it
 * is installed.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "check.h"
#include "clock.h"
#include "fixture.h"
#include "procstat.h"
#include "reporting.h"
#include "routes.h"
#include "server.h"

#define REPLY_MAX (1024 * 1024)
#define SLOW_MS 30

static const char regions_csv[] = "code,name_fi,name_sv\n"
                                  "01,Uusimaa,Nyland\n"
                                  "02,Varsinais-Suomi,Egentliga Finland\n";
static const char municipalities_csv[] =
    "code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"
    "population,foreign_language_population\n"
    "091,Helsinki,Helsingfors,01,Uusimaa,Nyland,674500,120000\n"
    "049,Espoo,Esbo,01,Uusimaa,Nyland,320000,70000\n"
    "020,Akaa,Akaa,01,Uusimaa,Nyland,16000,800\n"
    "853,Turku,Åbo,02,Varsinais-Suomi,Egentliga Finland,200000,25000\n";
static const char measures_json[] = "{\"measures\": [" FIXTURE_MEASURE(
    "contacts", "sum",
    "true") "],\n"
            " \"indicators\": [" FIXTURE_RATIO("contacts_per_1000", "contacts",
                                               "pop_fl", "1000", "‰") "]}\n";
/* KU091 reports on time (ok), KU049's endpoint fails (failing), KU853
 * submits and is three periods behind (late), KU020 never reported. */
static const char endpoints_csv[] = "area,url\n"
                                    "KU091,http://127.0.0.1:9/ku091\n"
                                    "KU049,http://127.0.0.1:9/ku049\n";

static char tmp_dir[64];
static struct app app;

/* Slow work, as a chart render is: the sleep is the work itself, not a
 * way to wait for another thread. */
static void
slow_handler(const struct request *req, struct response *resp)
{
	struct timespec ts = { 0, SLOW_MS * 1000 * 1000 };

	(void)req;
	nanosleep(&ts, NULL);
	respond_text(resp, 200, "slow\n");
}

static struct route *all_routes;
static size_t n_all_routes;

/* --- a plain-socket client ---------------------------------------------- */

/* GET path over HTTP/1.0, read until the server closes: the body, or NULL
 * (heap; the status into *out_status). */
static char *
get(int port, const char *path, int *out_status)
{
	struct sockaddr_in a = { 0 };
	struct timeval tv = { 10, 0 };
	char req[512], *raw, *body = NULL;
	const char *sep;
	size_t len = 0;
	ssize_t k;
	int fd, n;

	*out_status = 0;
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	raw = malloc(REPLY_MAX + 1);
	if (raw == NULL)
		abort();
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		goto out;
	while (len < REPLY_MAX &&
	       (k = recv(fd, raw + len, REPLY_MAX - len, 0)) > 0)
		len += (size_t)k;
	raw[len] = '\0';
	if (sscanf(raw, "HTTP/1.%*d %d", out_status) != 1 ||
	    (sep = strstr(raw, "\r\n\r\n")) == NULL)
		goto out;
	body = strdup(sep + 4);
out:
	free(raw);
	close(fd);
	return body;
}

/* The value of the sample whose name and labels are exactly series in
 * the exposition text, or -1 if there is none. */
static double
sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

/* Scrapes until series reaches at least want, for at most 5 s: a
 * request's duration is recorded once its answer is sent, which may be
 * just after the client has it. The last scrape, or NULL. */
static char *
scrape_until(int port, const char *series, double want)
{
	char *text = NULL;
	int i, status;

	for (i = 0; i < 500; i++) {
		free(text);
		text = get(port, "/metrics", &status);
		if (text != NULL && sample(text, series) >= want)
			break;
		usleep(10 * 1000);
	}
	return text;
}

/* --- setup --------------------------------------------------------------- */

static void
record(const char *area, const char *source, int period, const char *error)
{
	struct db_outcome o = { 0 };

	o.area = area;
	o.time = clock_now() - 60;
	o.source = source;
	o.http_status = error != NULL ? 503 : 200;
	o.latency_ms = 100;
	o.period = period;
	o.n_accepted = error != NULL ? 0 : 1;
	o.error = error;
	if (store_db_record(app.db, &o) < 0) {
		fprintf(stderr, "store_db_record %s failed\n", area);
		exit(1);
	}
}

static void
setup(void)
{
	static const struct route slow = { "GET",        "/test/slow",
		                           slow_handler, ROUTE_PUBLIC,
		                           false,        false };
	char path[512];
	struct error err = { 0 };
	int expected;
	size_t i;

	fixture_tmpdir(tmp_dir, sizeof(tmp_dir), "test_metrics");
	memset(&app, 0, sizeof(app));
	pthread_mutex_init(&app.lock, NULL);
	app.cat = fixture_catalog(regions_csv, municipalities_csv,
	                          measures_json, endpoints_csv);
	config_init(&app.cfg);
	snprintf(app.cfg.listen_host, sizeof(app.cfg.listen_host), "127.0.0.1");
	app.cfg.listen_port = 0;
	app.cfg.connection_timeout_s = 10;
	app.started = clock_now();
	snprintf(path, sizeof(path), "%s/kuntamon.db", tmp_dir);
	app.db = store_db_open(path, &err);
	if (app.db == NULL) {
		fprintf(stderr, "store_db_open: %s\n", err.msg);
		exit(1);
	}
	expected = reporting_expected_period(clock_now(), app.cfg.ontime_days);
	record("KU091", "poll", expected, NULL);
	record("KU049", "poll", expected, NULL);
	record("KU049", "poll", -1, "HTTP 503");
	record("KU853", "submission", expected - 3, NULL);

	n_all_routes = routes_n + 1;
	all_routes = calloc(n_all_routes, sizeof(*all_routes));
	if (all_routes == NULL)
		abort();
	all_routes[0] = slow;
	for (i = 0; i < routes_n; i++)
		all_routes[i + 1] = routes_table[i];
}

static void
teardown(void)
{
	store_db_close(app.db);
	catalog_unref(app.cat);
	pthread_mutex_destroy(&app.lock);
	free(all_routes);
	fixture_rmtree(tmp_dir);
}

/* --- pure ---------------------------------------------------------------- */

static void
test_duration_bucket(void)
{
	static const struct {
		unsigned long long us;
		size_t want;
	} cases[] = {
		{ 0, 0 },
		{ 999, 0 },
		{ 1000, 0 }, /* le: the bound itself is in */
		{ 1001, 1 },
		{ 2500, 1 },
		{ 2501, 2 },
		{ 30000, 5 }, /* 0.03 s: le 0.05 */
		{ 1000000, 9 },
		{ 10000000, SERVER_N_DURATION_BOUNDS - 1 },
		{ 10000001, SERVER_N_DURATION_BOUNDS }, /* +Inf */
		{ ~0ULL, SERVER_N_DURATION_BOUNDS },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = server_duration_bucket(cases[i].us);

		if (got != cases[i].want)
			fprintf(stderr, "bucket(%llu) = %zu, want %zu\n",
			        cases[i].us, got, cases[i].want);
		CHECK(got == cases[i].want);
	}
	CHECK(server_duration_bounds_us[0] == 1000);
	CHECK(server_duration_bounds_us[SERVER_N_DURATION_BOUNDS - 1] ==
	      10000000);
	for (i = 1; i < SERVER_N_DURATION_BOUNDS; i++)
		CHECK(server_duration_bounds_us[i - 1] <
		      server_duration_bounds_us[i]);
}

static void
test_procstat_parse(void)
{
	/* a command name with spaces and parentheses; priority and nice
	 * negative; utime 250 stime 50 ticks, 7 threads, started 1234.56 s
	 * after boot, vsize 300 MiB, rss 1000 pages */
	static const char line[] =
	    "4242 (kunta (mon) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 "
	    "250 50 0 0 -2 -5 7 0 123456 314572800 1000 18446744073709551615 "
	    "1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
	struct procstat ps = { 0 };

	CHECK(procstat_parse_stat(line, 100, 4096, 1700000000, &ps) == 0);
	CHECK_NEAR(ps.cpu_s, 3.0, 1e-9);
	CHECK(ps.n_threads == 7);
	CHECK_NEAR(ps.start_time_s, 1700001234.56, 1e-3);
	CHECK_NEAR(ps.virtual_bytes, 314572800.0, 0.5);
	CHECK_NEAR(ps.resident_bytes, 4096000.0, 0.5);

	CHECK(procstat_parse_stat("", 100, 4096, 0, &ps) < 0);
	CHECK(procstat_parse_stat("4242 (x S 1", 100, 4096, 0, &ps) < 0);
	/* cut off before rss */
	CHECK(procstat_parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 250 50 0 0 "
	                          "20 0 7 0 123 456",
	                          100, 4096, 0, &ps) < 0);
	CHECK(procstat_parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 2x5 50 0 0 "
	                          "20 0 7 0 123 456 789",
	                          100, 4096, 0, &ps) < 0);
	CHECK(procstat_parse_stat(line, 0, 4096, 0, &ps) < 0);
}

static void
test_procstat_btime(void)
{
	static const char text[] = "cpu  1 2 3\ncpu0 1 2 3\nintr 5 0 1\n"
	                           "ctxt 99\nbtime 1700000000\nprocesses 5\n";
	time_t t = 0;

	CHECK(procstat_parse_btime(text, sizeof(text) - 1, &t) == 0);
	CHECK(t == 1700000000);
	/* the length is honoured: btime cut off is no btime */
	CHECK(procstat_parse_btime(text, 30, &t) < 0);
	CHECK(procstat_parse_btime("btime \n", 7, &t) < 0);
	CHECK(procstat_parse_btime("btime 17x\n", 10, &t) < 0);
	CHECK(procstat_parse_btime("xbtime 5\n", 9, &t) < 0);
}

/* --- this process, live --------------------------------------------------- */

static void
test_procstat_read(void)
{
	struct procstat before, after;
	time_t now = time(NULL); /* /proc's, not the test clock */
	int fd;

	CHECK(procstat_read(&before) == 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(procstat_read(&after) == 0);
	CHECK(after.n_open_fds == before.n_open_fds + 1);
	close(fd);
	CHECK(before.n_threads >= 1);
	CHECK(before.resident_bytes > 0);
	CHECK(before.virtual_bytes >= before.resident_bytes);
	CHECK(before.cpu_s >= 0);
	CHECK(before.max_fds >= (double)before.n_open_fds);
	/* this test started moments ago */
	CHECK(before.start_time_s <= (double)now + 1);
	CHECK(before.start_time_s > (double)now - 600);
}

/* --- /metrics through a real server ------------------------------------- */

static void
test_metrics_text(void)
{
	struct error err = { 0 };
	struct server *srv;
	char *text, *slow;
	int port, status, i;
	double healthz_before;
	FILE *p;

	srv =
	    server_start_routes(&app, &app.cfg, all_routes, n_all_routes, &err);
	CHECK(srv != NULL);
	if (srv == NULL) {
		fprintf(stderr, "server_start: %s\n", err.msg);
		return;
	}
	port = server_port(srv);

	text = get(port, "/metrics", &status);
	CHECK(status == 200 && text != NULL);
	if (text == NULL)
		goto out;
	CHECK(strstr(text, "# TYPE kuntamon_build_info gauge\n") != NULL);
	CHECK(strstr(text, "\nkuntamon_build_info{version=\"") != NULL);
	CHECK(strstr(text, "\",libmicrohttpd=\"") != NULL);
	CHECK(strstr(text, "\",librrd=\"") != NULL);
	CHECK(strstr(text, "\",sqlite=\"") != NULL);
	CHECK(strstr(text, "\"} 1\n") != NULL);
	CHECK(strstr(text, "# TYPE process_cpu_seconds_total counter\n") !=
	      NULL);
	CHECK(sample(text, "process_resident_memory_bytes") > 0);
	CHECK(sample(text, "process_virtual_memory_bytes") > 0);
	CHECK(sample(text, "process_open_fds") > 0);
	CHECK(sample(text, "process_max_fds") > 0);
	CHECK(sample(text, "process_threads") >= 2); /* the server's own */
	CHECK(sample(text, "process_start_time_seconds") > 1e9);
	CHECK(sample(text, "kuntamon_municipalities{status=\"ok\"}") == 1);
	CHECK(sample(text, "kuntamon_municipalities{status=\"late\"}") == 1);
	CHECK(sample(text, "kuntamon_municipalities{status=\"failing\"}") == 1);
	CHECK(sample(text, "kuntamon_municipalities{status=\"never\"}") == 1);
	CHECK(strstr(text, "# TYPE kuntamon_http_request_duration_seconds "
	                   "histogram\n") != NULL);
	/* every route, answered yet or not */
	CHECK(sample(text, "kuntamon_http_request_duration_seconds_count{"
	                   "route=\"/api/v1/catalog\"}") == 0);
	healthz_before =
	    sample(text, "kuntamon_http_request_duration_seconds_count{"
	                 "route=\"/healthz\"}");
	CHECK(healthz_before == 0);
	free(text);

	/* a slow answer lands above its duration, and the counts grow */
	slow = get(port, "/test/slow", &status);
	CHECK(status == 200);
	free(slow);
	for (i = 0; i < 3; i++) {
		free(get(port, "/healthz", &status));
		CHECK(status == 200);
	}
	text = scrape_until(port,
	                    "kuntamon_http_request_duration_seconds_count{"
	                    "route=\"/healthz\"}",
	                    3);
	CHECK(text != NULL);
	if (text == NULL)
		goto out;
	CHECK(sample(text, "kuntamon_http_request_duration_seconds_count{"
	                   "route=\"/healthz\"}") == 3);
	CHECK(sample(text, "kuntamon_http_request_duration_seconds_bucket{"
	                   "route=\"/healthz\",le=\"+Inf\"}") == 3);
	CHECK(sample(text, "kuntamon_http_request_duration_seconds_count{"
	                   "route=\"/test/slow\"}") == 1);
	CHECK(sample(text, "kuntamon_http_request_duration_seconds_bucket{"
	                   "route=\"/test/slow\",le=\"0.025\"}") == 0);
	CHECK(sample(text, "kuntamon_http_request_duration_seconds_bucket{"
	                   "route=\"/test/slow\",le=\"+Inf\"}") == 1);
	CHECK(sample(text, "kuntamon_http_request_duration_seconds_sum{"
	                   "route=\"/test/slow\"}") >= SLOW_MS / 1000.0);
	/* earlier /metrics scrapes are in too, under their pattern */
	CHECK(sample(text, "kuntamon_http_request_duration_seconds_count{"
	                   "route=\"/metrics\"}") >= 1);

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		printf("skip test_metrics_promtool (promtool not installed)\n");
	} else {
		p = popen("promtool check metrics 1>&2", "w");
		CHECK(p != NULL);
		if (p != NULL) {
			fputs(text, p);
			CHECK(pclose(p) == 0);
		}
	}
	free(text);
out:
	server_stop(srv, 1000);
}

/* Without a server (a handler called directly) and without a database the
 * families that need them are left out, the rest still answered. */
static void
test_metrics_without_server(void)
{
	struct request req;
	struct response resp;
	struct store_db *db = app.db;

	memset(&req, 0, sizeof(req));
	req.app = &app;
	app.db = NULL;
	response_init(&resp);
	metrics_get(&req, &resp);
	app.db = db;
	CHECK(resp.status == 200);
	CHECK(resp.body != NULL &&
	      strstr(resp.body, "\nkuntamon_build_info{") != NULL);
	CHECK(resp.body != NULL &&
	      strstr(resp.body, "kuntamon_http_request_duration") == NULL);
	CHECK(resp.body != NULL &&
	      strstr(resp.body, "kuntamon_municipalities") == NULL);
	response_reset(&resp);
}

int
main(void)
{
	setup();
	RUN(test_duration_bucket);
	RUN(test_procstat_parse);
	RUN(test_procstat_btime);
	RUN(test_procstat_read);
	RUN(test_metrics_text);
	RUN(test_metrics_without_server);
	teardown();
	return check_done();
}
