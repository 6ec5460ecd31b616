/*
 * test_http_json.c: the libcurl poller against a real tests/fakemuni on
 * loopback. fakemuni is found as $FAKEMUNI, $B/fakemuni or ../fakemuni (run
 * from BUILD/test-logs), its configuration as $FAKEMUNI_CONFIG or
 * $SRC/config/kuntamon.conf; without them the tests that need it print
 * "skip". fakemuni dies with us: atexit, and PR_SET_PDEATHSIG for crashes.
 * Exact header bytes (what we send, odd ETags fakemuni never makes) come
 * from a canned server in a thread of this process.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "http_json.h"
#include "redirect.h"
#include "xmalloc.h"

#define MAX_TARGETS 4000

static const char *const codes[] = { "KU091", "KU049", "KU092", "KU837",
	                             "KU853", "KU564", "KU005", "KU179",
	                             "KU398", "KU743" };
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

static char fakemuni_path[4096], config_path[4096];
static char tmp_dir[4096], port_file[4200];
static pid_t fake_pid = -1;
static int fake_port;
static char skip_reason[4400];

struct record {
	int n_emits;
	int http_status;
	double latency_ms;
	size_t n_bytes;
	size_t body_len;
	char *body;
	char *error;
	char *etag;
	char *last_modified;
	bool is_not_modified;
	bool is_cancelled;
	bool is_other_thread;
	double at_ms; /* when emitted, since the cycle started */
};

struct recorder {
	struct record rec[MAX_TARGETS];
	size_t n;
	int n_unknown_area;
	pthread_t caller;
	double start_ms;
	pthread_mutex_t lock; /* for the cancel test's waiting thread */
	pthread_cond_t cond;
	int n_done;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
stop_fakemuni(void)
{
	int status;

	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, &status, 0);
		fake_pid = -1;
	}
	if (port_file[0] != '\0')
		unlink(port_file);
	if (tmp_dir[0] != '\0')
		rmdir(tmp_dir);
}

static bool
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool
find_paths(void)
{
	const char *b = getenv("B"), *src = getenv("SRC"), *env;

	env = getenv("FAKEMUNI");
	if (env != NULL)
		snprintf(fakemuni_path, sizeof(fakemuni_path), "%s", env);
	else if (b != NULL)
		snprintf(fakemuni_path, sizeof(fakemuni_path), "%s/fakemuni",
		         b);
	else
		snprintf(fakemuni_path, sizeof(fakemuni_path), "../fakemuni");
	env = getenv("FAKEMUNI_CONFIG");
	if (env != NULL)
		snprintf(config_path, sizeof(config_path), "%s", env);
	else if (src != NULL)
		snprintf(config_path, sizeof(config_path),
		         "%s/config/kuntamon.conf", src);
	else
		snprintf(config_path, sizeof(config_path),
		         "../../config/kuntamon.conf");
	if (access(fakemuni_path, X_OK) != 0) {
		snprintf(skip_reason, sizeof(skip_reason), "no fakemuni at %s",
		         fakemuni_path);
		return false;
	}
	if (!is_file(config_path)) {
		snprintf(skip_reason, sizeof(skip_reason), "no config at %s",
		         config_path);
		return false;
	}
	return true;
}

/* Runs fakemuni on listen, writing its port to port_path, and waits
 * (bounded) for that file: its port, or 0 with skip_reason set. */
static int
spawn_fakemuni(const char *listen, const char *port_path, pid_t *out_pid)
{
	char text[32];
	FILE *f;
	int i, status, port = 0;

	*out_pid = fork();
	if (*out_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(fakemuni_path, "fakemuni", "-c", config_path, "--listen",
		      listen, "--port-file", port_path, (char *)NULL);
		_exit(127);
	}
	if (*out_pid < 0) {
		snprintf(skip_reason, sizeof(skip_reason), "fork: %s",
		         strerror(errno));
		return 0;
	}
	for (i = 0; i < 1000; i++) { /* 10 s in 10 ms steps */
		f = fopen(port_path, "r");
		if (f != NULL) {
			if (fgets(text, sizeof(text), f) != NULL)
				port = (int)strtol(text, NULL, 10);
			fclose(f);
			return port;
		}
		if (waitpid(*out_pid, &status, WNOHANG) == *out_pid) {
			*out_pid = -1;
			snprintf(skip_reason, sizeof(skip_reason),
			         "fakemuni exited early");
			return 0;
		}
		usleep(10000);
	}
	snprintf(skip_reason, sizeof(skip_reason), "fakemuni never ready");
	return 0;
}

/* Starts the shared fakemuni on 127.0.0.1. */
static bool
start_fakemuni(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(tmp_dir, sizeof(tmp_dir), "%s/test_http_json.XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(tmp_dir) == NULL) {
		tmp_dir[0] = '\0';
		snprintf(skip_reason, sizeof(skip_reason), "mkdtemp: %s",
		         strerror(errno));
		return false;
	}
	snprintf(port_file, sizeof(port_file), "%s/port", tmp_dir);
	atexit(stop_fakemuni);
	fake_port = spawn_fakemuni("127.0.0.1:0", port_file, &fake_pid);
	return fake_port > 0;
}

/* `fakemuni --print CODE`, read through a pipe (no shell). */
static char *
print_document(const char *code)
{
	char *out = xmalloc(1 << 16);
	size_t len = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) != 0)
		goto fail;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(fakemuni_path, "fakemuni", "-c", config_path, "--print",
		      code, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < (1 << 16) - 1 &&
	       (n = read(fds[0], out + len, (1 << 16) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	out[len] = '\0';
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
		goto fail;
	return out;
fail:
	free(out);
	return NULL;
}

static void
on_emit(void *ctx, const struct collect_result *res)
{
	struct recorder *r = ctx;
	struct record *rec;

	if (res->area < 0 || (size_t)res->area >= r->n) {
		r->n_unknown_area++;
		return;
	}
	rec = &r->rec[res->area];
	rec->n_emits++;
	rec->http_status = res->http_status;
	rec->latency_ms = res->latency_ms;
	rec->n_bytes = res->n_bytes;
	rec->body_len = res->body_len;
	rec->is_cancelled = res->is_cancelled;
	rec->is_other_thread = !pthread_equal(pthread_self(), r->caller);
	rec->at_ms = now_ms() - r->start_ms;
	free(rec->body);
	free(rec->error);
	free(rec->etag);
	free(rec->last_modified);
	rec->body =
	    res->body != NULL ? xstrndup(res->body, res->body_len) : NULL;
	rec->error = res->error != NULL ? xstrdup(res->error) : NULL;
	rec->etag = res->etag != NULL ? xstrdup(res->etag) : NULL;
	rec->last_modified =
	    res->last_modified != NULL ? xstrdup(res->last_modified) : NULL;
	rec->is_not_modified = res->is_not_modified;
	pthread_mutex_lock(&r->lock);
	r->n_done++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static struct recorder *
recorder_new(size_t n)
{
	struct recorder *r = xcalloc(1, sizeof(*r));

	r->n = n;
	r->caller = pthread_self();
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	return r;
}

static void
recorder_free(struct recorder *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->rec[i].body);
		free(r->rec[i].error);
		free(r->rec[i].etag);
		free(r->rec[i].last_modified);
	}
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}

/* Targets: urls[i] is heap text; area = i. */
struct targets {
	struct collect_target t[MAX_TARGETS];
	char *urls[MAX_TARGETS];
	size_t n;
};

static void target_add(struct targets *ts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
target_add(struct targets *ts, const char *fmt, ...)
{
	char url[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(url, sizeof(url), fmt, ap);
	va_end(ap);
	ts->urls[ts->n] = xstrdup(url);
	ts->t[ts->n].area = (int)ts->n;
	ts->t[ts->n].area_code = "test";
	ts->t[ts->n].url = ts->urls[ts->n];
	ts->n++;
}

static struct targets *
targets_new(void)
{
	return xcalloc(1, sizeof(struct targets));
}

static void
targets_free(struct targets *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		free(ts->urls[i]);
	free(ts);
}

/* Runs one cycle with options o; returns its wall time in ms. */
static double
run_with(struct targets *ts, struct recorder *r,
         const struct collect_options *o, int *out_rc)
{
	struct http_json *hj = http_json_new(o);
	double t0;
	int rc = -1;

	CHECK(hj != NULL);
	t0 = now_ms();
	r->start_ms = t0;
	if (hj != NULL)
		rc = http_json_run_cycle(hj, ts->t, ts->n, on_emit, r);
	t0 = now_ms() - t0;
	http_json_free(hj);
	if (out_rc != NULL)
		*out_rc = rc;
	return t0;
}

/* Runs one cycle with fresh options; returns its wall time in ms. */
static double
run(struct targets *ts, struct recorder *r, int concurrency, long timeout_ms,
    size_t max_body, const atomic_bool *cancel, int *out_rc)
{
	struct collect_options o = { .concurrency = concurrency,
		                     .timeout_ms = timeout_ms,
		                     .max_body_bytes = max_body,
		                     .cancel = cancel };

	return run_with(ts, r, &o, out_rc);
}

static void
test_one_emit_per_target(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	size_t i;
	int rc;

	for (i = 0; i < 200; i++) {
		if (i % 10 == 3)
			target_add(ts, "http://127.0.0.1:%d/%s?status=503",
			           fake_port, codes[i % N_CODES]);
		else if (i % 10 == 7)
			target_add(ts, "http://127.0.0.1:%d/KU999", fake_port);
		else
			target_add(ts, "http://127.0.0.1:%d/%s?n=%zu",
			           fake_port, codes[i % N_CODES], i);
	}
	r = recorder_new(ts->n);
	run(ts, r, 8, 10000, 1 << 20, NULL, &rc);
	CHECK(rc == 0);
	CHECK(r->n_unknown_area == 0);
	for (i = 0; i < ts->n; i++) {
		struct record *rec = &r->rec[i];

		CHECK(rec->n_emits == 1);
		CHECK(!rec->is_other_thread);
		CHECK(!rec->is_cancelled);
		if (i % 10 == 3) {
			CHECK(rec->http_status == 503);
			CHECK_STR(rec->error, "HTTP 503");
		} else if (i % 10 == 7) {
			CHECK(rec->http_status == 404);
			CHECK_STR(rec->error, "HTTP 404");
		} else {
			CHECK(rec->http_status == 200);
			CHECK(rec->error == NULL);
			CHECK(rec->body != NULL &&
			      strstr(rec->body, codes[i % N_CODES]) != NULL);
		}
	}
	recorder_free(r);
	targets_free(ts);
}

static void
test_plain_document_matches_print(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	char *want;
	size_t i;

	for (i = 0; i < 3; i++)
		target_add(ts, "http://127.0.0.1:%d/%s", fake_port, codes[i]);
	r = recorder_new(ts->n);
	run(ts, r, 2, 10000, 1 << 20, NULL, NULL);
	for (i = 0; i < ts->n; i++) {
		want = print_document(codes[i]);
		CHECK(want != NULL);
		CHECK(r->rec[i].http_status == 200);
		CHECK(r->rec[i].error == NULL);
		CHECK_STR(r->rec[i].body, want);
		if (want != NULL) {
			CHECK(r->rec[i].body_len == strlen(want));
			CHECK(r->rec[i].n_bytes == strlen(want));
		}
		CHECK(r->rec[i].latency_ms > 0 && r->rec[i].latency_ms < 5000);
		free(want);
	}
	recorder_free(r);
	targets_free(ts);
}

/* A body of exactly max_body bytes fits; one byte less does not. */
static void
test_max_body_boundary(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	char *doc = NULL, want[64];
	size_t len;

	doc = print_document("KU091");
	CHECK(doc != NULL);
	if (doc == NULL)
		goto out;
	len = strlen(doc);
	target_add(ts, "http://127.0.0.1:%d/KU091", fake_port);
	r = recorder_new(ts->n);
	run(ts, r, 1, 10000, len, NULL, NULL);
	CHECK(r->rec[0].error == NULL);
	CHECK_STR(r->rec[0].body, doc);
	run(ts, r, 1, 10000, len - 1, NULL, NULL);
	snprintf(want, sizeof(want), "body larger than %zu bytes", len - 1);
	CHECK_STR(r->rec[0].error, want);
	CHECK(r->rec[0].body == NULL);
	CHECK(r->rec[0].n_bytes <= len);
	recorder_free(r);
out:
	free(doc);
	targets_free(ts);
}

static void
test_status_503(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;

	target_add(ts, "http://127.0.0.1:%d/KU091?status=503", fake_port);
	target_add(ts, "http://127.0.0.1:%d/KU091?status=500", fake_port);
	r = recorder_new(ts->n);
	run(ts, r, 2, 10000, 1 << 20, NULL, NULL);
	CHECK(r->rec[0].http_status == 503);
	CHECK_STR(r->rec[0].error, "HTTP 503");
	CHECK(r->rec[0].body == NULL);
	CHECK(r->rec[0].n_emits == 1);
	CHECK_STR(r->rec[1].error, "HTTP 500");
	recorder_free(r);
	targets_free(ts);
}

/* Slow endpoints time out alone: the fast ones finish at once and the
 * cycle lasts about one timeout, not the sum. */
static void
test_timeout(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	double wall;
	size_t i;

	for (i = 0; i < 20; i++) {
		if (i % 7 == 0) /* 0, 7, 14 */
			target_add(ts,
			           "http://127.0.0.1:%d/KU091?delay_ms=3000",
			           fake_port);
		else
			target_add(ts, "http://127.0.0.1:%d/%s", fake_port,
			           codes[i % N_CODES]);
	}
	r = recorder_new(ts->n);
	wall = run(ts, r, 8, 500, 1 << 20, NULL, NULL);
	for (i = 0; i < ts->n; i++) {
		CHECK(r->rec[i].n_emits == 1);
		if (i % 7 == 0) {
			CHECK_STR(r->rec[i].error, "timeout after 500 ms");
			CHECK(r->rec[i].latency_ms >= 450);
			CHECK(r->rec[i].latency_ms < 1500);
		} else {
			CHECK(r->rec[i].error == NULL);
			CHECK(r->rec[i].latency_ms < 250);
			CHECK(r->rec[i].at_ms < 400);
		}
	}
	CHECK(wall >= 450);
	CHECK(wall < 1300); /* three timeouts in a row would be 1500 */
	recorder_free(r);
	targets_free(ts);
}

/* At most `concurrency` transfers at once: 12 requests of 200 ms through
 * 4 slots take three rounds. */
static void
test_concurrency_limit(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	double wall;
	size_t i;

	for (i = 0; i < 12; i++)
		target_add(ts, "http://127.0.0.1:%d/%s?delay_ms=200", fake_port,
		           codes[i % N_CODES]);
	r = recorder_new(ts->n);
	wall = run(ts, r, 4, 5000, 1 << 20, NULL, NULL);
	for (i = 0; i < ts->n; i++)
		CHECK(r->rec[i].error == NULL);
	CHECK(wall >= 580);
	CHECK(wall < 1500);
	recorder_free(r);
	targets_free(ts);
}

static void
test_oversized_and_endless(void)
{
	static const char *const kinds[] = { "oversized", "oversized_chunked",
		                             "endless" };
	struct targets *ts = targets_new();
	struct recorder *r;
	const size_t max = 100000;
	size_t i;

	for (i = 0; i < 3; i++)
		target_add(ts, "http://127.0.0.1:%d/KU091?body=%s", fake_port,
		           kinds[i]);
	target_add(ts, "http://127.0.0.1:%d/KU091?body=oversized&size=%zu",
	           fake_port, max);
	r = recorder_new(ts->n);
	run(ts, r, 4, 10000, max, NULL, NULL);
	for (i = 0; i < 3; i++) {
		CHECK_STR(r->rec[i].error, "body larger than 100000 bytes");
		CHECK(r->rec[i].body == NULL);
		CHECK(r->rec[i].http_status == 200);
		/* bounded: at most one read past the limit */
		CHECK(r->rec[i].n_bytes <= max + 65536);
	}
	CHECK(r->rec[0].n_bytes == 0); /* refused by Content-Length */
	CHECK(r->rec[1].n_bytes > max);
	CHECK(r->rec[2].n_bytes > max);
	CHECK(r->rec[3].error == NULL); /* exactly the limit is fine */
	CHECK(r->rec[3].body_len == max);
	recorder_free(r);
	targets_free(ts);
}

static void
test_redirects(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	char *want;

	target_add(ts, "http://127.0.0.1:%d/KU091?redirect=3", fake_port);
	target_add(ts, "http://127.0.0.1:%d/KU091?redirect=4", fake_port);
	target_add(ts,
	           "http://127.0.0.1:%d/KU091?redirect_to=http%%3A%%2F%%2F"
	           "127.0.0.1%%3A%d%%2FKU049",
	           fake_port, fake_port);
	r = recorder_new(ts->n);
	run(ts, r, 3, 10000, 1 << 20, NULL, NULL);
	want = print_document("KU091");
	CHECK(r->rec[0].error == NULL);
	CHECK(r->rec[0].http_status == 200);
	CHECK_STR(r->rec[0].body, want);
	CHECK_STR(r->rec[1].error, "more than 3 redirects");
	CHECK(r->rec[1].body == NULL);
	CHECK(r->rec[2].error == NULL);
	CHECK(r->rec[2].body != NULL &&
	      strstr(r->rec[2].body, "\"KU049\"") != NULL);
	free(want);
	recorder_free(r);
	targets_free(ts);
}

/* Never another protocol: not as the URL, not through a redirect. */
static void
test_redirect_protocols(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	size_t i;

	target_add(ts,
	           "http://127.0.0.1:%d/KU091?redirect_to=file%%3A%%2F%%2F"
	           "%%2Fetc%%2Fpasswd",
	           fake_port);
	target_add(ts,
	           "http://127.0.0.1:%d/KU091?redirect_to=ftp%%3A%%2F%%2F"
	           "127.0.0.1%%3A%d%%2Fx",
	           fake_port, fake_port);
	target_add(ts, "file:///etc/passwd");
	target_add(ts, "ftp://127.0.0.1:%d/x", fake_port);
	r = recorder_new(ts->n);
	run(ts, r, 4, 10000, 1 << 20, NULL, NULL);
	for (i = 0; i < ts->n; i++) {
		CHECK(r->rec[i].n_emits == 1);
		CHECK(r->rec[i].error != NULL);
		CHECK(r->rec[i].body == NULL);
		CHECK(r->rec[i].n_bytes < 100);
	}
	for (i = 0; i < 2; i++)
		CHECK(r->rec[i].error != NULL &&
		      strncmp(r->rec[i].error, "redirect refused: ", 18) == 0);
	recorder_free(r);
	targets_free(ts);
}

/* target ENDPOINT?redirect_to=TO, TO percent-encoded whole */
static void
target_redirect(struct targets *ts, const char *endpoint, const char *to)
{
	char enc[1024], *p = enc;

	for (; *to != '\0' && p < enc + sizeof(enc) - 4; to++) {
		if (isalnum((unsigned char)*to) || strchr("-._~", *to) != NULL)
			*p++ = *to;
		else
			p += snprintf(p, 4, "%%%02X", (unsigned char)*to);
	}
	*p = '\0';
	target_add(ts, "%s?redirect_to=%s", endpoint, enc);
}

static bool
starts_with(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The redirect policy (redirect.h) from a loopback endpoint, as the
 * poller applies it: loopback by address or by name is followed, and
 * the unspecified, link-local, multicast and private addresses are
 * refused at once, without a connection, with the reason as the error;
 * allow_private opens the private ones only. */
static void
test_redirect_policy_loopback(void)
{
	/* each with fakemuni's port and /KU049 */
	static const char *const to[] = {
		"http://localhost",
		"http://[::1]",
		"http://0.0.0.0",
		"http://169.254.169.254",
		"http://[::ffff:10.255.255.1]",
		"http://10.255.255.1",
		"http://[fe80::1]",
		"https://127.0.0.1",
		"http://224.0.0.1",
	};
	static const char *const refusal[] = {
		NULL,
		NULL,
		"0.0.0.0 is an unspecified address",
		"169.254.169.254 is a link-local address and the endpoint's "
		"is not",
		"::ffff:10.255.255.1 is a private address and the endpoint's "
		"is not ([collect] allow_private = no)",
		"10.255.255.1 is a private address and the endpoint's is not "
		"([collect] allow_private = no)",
		"fe80::1 is a link-local address and the endpoint's is not",
		NULL,
		"224.0.0.1 is a multicast address",
	};
	struct collect_options o = { .concurrency = 9,
		                     .timeout_ms = 1500,
		                     .max_body_bytes = 1 << 20 };
	struct targets *ts = targets_new();
	struct recorder *r = recorder_new(9);
	char ep[64], url[128], want[256];
	size_t i;
	int pass;

	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/KU091", fake_port);
	for (i = 0; i < 9; i++) {
		snprintf(url, sizeof(url), "%s:%d/KU049", to[i], fake_port);
		target_redirect(ts, ep, url);
	}
	for (pass = 0; pass < 2; pass++) {
		o.is_private_allowed = pass == 1;
		run_with(ts, r, &o, NULL);
		CHECK(r->rec[0].error == NULL);
		CHECK(r->rec[0].body != NULL &&
		      strstr(r->rec[0].body, "\"KU049\"") != NULL);
		for (i = 1; i < 9; i++) {
			bool is_refused = refusal[i] != NULL &&
			                  !(pass == 1 && (i == 4 || i == 5));

			CHECK(r->rec[i].n_emits == pass + 1);
			CHECK(r->rec[i].body == NULL);
			CHECK(r->rec[i].error != NULL);
			if (!is_refused) {
				/* followed, and failed there: nobody on
				 * [::1], no TLS, no route or a timeout */
				if (starts_with(r->rec[i].error, "redirect"))
					fprintf(stderr, "%zu: %s\n", i,
					        r->rec[i].error);
				CHECK(
				    !starts_with(r->rec[i].error, "redirect"));
				continue;
			}
			snprintf(want, sizeof(want), "redirect refused: %s",
			         refusal[i]);
			CHECK_STR(r->rec[i].error, want);
			/* refused before connecting: no connect timeout */
			CHECK(r->rec[i].latency_ms < 1000);
			CHECK(r->rec[i].http_status == 302);
		}
	}
	recorder_free(r);
	targets_free(ts);
}

/* A fakemuni's count of whole documents answered, from its /stats. */
static long
documents_served(const char *base)
{
	struct collect_options o = { .concurrency = 1,
		                     .timeout_ms = 5000,
		                     .max_body_bytes = 1 << 16 };
	struct targets *ts = targets_new();
	struct recorder *r = recorder_new(1);
	const char *p;
	long n = -1;

	target_add(ts, "%s/stats", base);
	run_with(ts, r, &o, NULL);
	p = r->rec[0].body != NULL ? strstr(r->rec[0].body, "\"documents\":")
	                           : NULL;
	if (p != NULL)
		n = strtol(p + strlen("\"documents\":"), NULL, 10);
	recorder_free(r);
	targets_free(ts);
	return n;
}

/* A non-loopback address of this host in a private network (RFC 1918,
 * unique local, shared), as a URL's host ("10.0.0.5", "[fd00::2]"); ""
 * if there is none. */
static void
find_private_host(char *out, size_t size)
{
	struct ifaddrs *ifa, *a;
	char text[INET6_ADDRSTRLEN];
	enum redirect_net net;
	size_t len;

	out[0] = '\0';
	if (getifaddrs(&ifa) != 0)
		return;
	for (a = ifa; a != NULL && out[0] == '\0'; a = a->ifa_next) {
		if (a->ifa_addr == NULL)
			continue;
		if (a->ifa_addr->sa_family == AF_INET)
			len = sizeof(struct sockaddr_in);
		else if (a->ifa_addr->sa_family == AF_INET6)
			len = sizeof(struct sockaddr_in6);
		else
			continue;
		net = redirect_classify(a->ifa_addr, len);
		if (net != REDIRECT_NET_PRIVATE &&
		    net != REDIRECT_NET_UNIQUE_LOCAL &&
		    net != REDIRECT_NET_SHARED)
			continue;
		if (a->ifa_addr->sa_family == AF_INET)
			inet_ntop(
			    AF_INET,
			    &((struct sockaddr_in *)a->ifa_addr)->sin_addr,
			    text, sizeof(text));
		else
			inet_ntop(
			    AF_INET6,
			    &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr,
			    text, sizeof(text));
		snprintf(out, size,
		         a->ifa_addr->sa_family == AF_INET6 ? "[%s]" : "%s",
		         text);
	}
	freeifaddrs(ifa);
}

static char private_host[INET6_ADDRSTRLEN + 2];

/* Against a second fakemuni on this host's private address: a loopback
 * endpoint may not send us there, not even over a connection to it that
 * another target left open, and that endpoint may not send us to
 * loopback, by address or by name; the same address is fine, and
 * allow_private opens the way in only. Counted at the private fakemuni:
 * a refused redirect fetched nothing. */
static void
test_redirect_policy_private(void)
{
	struct collect_options o = { .concurrency = 1,
		                     .timeout_ms = 5000,
		                     .max_body_bytes = 1 << 20 };
	struct targets *ts = targets_new();
	struct recorder *r = recorder_new(5);
	char listen[128], path[4300], ep1[64], base2[128], ep2[160], url[192];
	char want[256];
	pid_t pid = -1;
	long before, after;
	int port, status;

	snprintf(listen, sizeof(listen), "%s:0", private_host);
	snprintf(path, sizeof(path), "%s/port2", tmp_dir);
	port = spawn_fakemuni(listen, path, &pid);
	CHECK(port > 0);
	if (port <= 0) {
		fprintf(stderr, "fakemuni on %s: %s\n", listen, skip_reason);
		goto out;
	}
	snprintf(ep1, sizeof(ep1), "http://127.0.0.1:%d/KU091", fake_port);
	snprintf(base2, sizeof(base2), "http://%s:%d", private_host, port);
	snprintf(ep2, sizeof(ep2), "%s/KU091", base2);
	before = documents_served(base2);
	CHECK(before == 0);

	/* one at a time, in order: target 1 finds 0's connection open */
	target_add(ts, "%s/KU049", base2);
	snprintf(url, sizeof(url), "%s/KU092", base2);
	target_redirect(ts, ep1, url);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/KU049", fake_port);
	target_redirect(ts, ep2, url);
	snprintf(url, sizeof(url), "http://localhost:%d/KU049", fake_port);
	target_redirect(ts, ep2, url);
	snprintf(url, sizeof(url), "%s/KU837", base2);
	target_redirect(ts, ep2, url);
	run_with(ts, r, &o, NULL);
	CHECK(r->rec[0].error == NULL);
	snprintf(want, sizeof(want),
	         "redirect refused: %.*s is a private address and the "
	         "endpoint's is not ([collect] allow_private = no)",
	         private_host[0] == '[' ? (int)strlen(private_host) - 2
	                                : (int)strlen(private_host),
	         private_host + (private_host[0] == '['));
	CHECK_STR(r->rec[1].error, want);
	CHECK_STR(r->rec[2].error, "redirect refused: 127.0.0.1 is a loopback "
	                           "address and the endpoint's is not");
	CHECK(starts_with(r->rec[3].error, "redirect refused: ") &&
	      strstr(r->rec[3].error, "is a loopback address") != NULL);
	if (r->rec[4].error != NULL)
		fprintf(stderr, "4: %s\n", r->rec[4].error);
	CHECK(r->rec[4].error == NULL);
	CHECK(r->rec[4].body != NULL &&
	      strstr(r->rec[4].body, "\"KU837\"") != NULL);
	after = documents_served(base2);
	CHECK(after == before + 2); /* targets 0 and 4 */

	/* allow_private: from loopback in, but still not out to loopback */
	o.is_private_allowed = true;
	run_with(ts, r, &o, NULL);
	CHECK(r->rec[1].error == NULL);
	CHECK(r->rec[1].body != NULL &&
	      strstr(r->rec[1].body, "\"KU092\"") != NULL);
	CHECK_STR(r->rec[2].error, "redirect refused: 127.0.0.1 is a loopback "
	                           "address and the endpoint's is not");
	CHECK(starts_with(r->rec[3].error, "redirect refused: "));
	CHECK(documents_served(base2) == after + 3); /* 0, 1 and 4 */
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	unlink(path);
	recorder_free(r);
	targets_free(ts);
}

/* A port nobody listens on: bound and closed again. */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void
test_connection_refused(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	int port = closed_port();

	CHECK(port > 0);
	target_add(ts, "http://127.0.0.1:%d/KU091", port);
	target_add(ts, "http://[::1:/bad");
	r = recorder_new(ts->n);
	run(ts, r, 2, 2000, 1 << 20, NULL, NULL);
	CHECK_STR(r->rec[0].error, "connection refused");
	CHECK(r->rec[0].http_status == 0);
	CHECK(r->rec[0].body == NULL);
	CHECK(r->rec[1].n_emits == 1);
	CHECK(r->rec[1].error != NULL);
	recorder_free(r);
	targets_free(ts);
}

struct canceller {
	struct recorder *r;
	atomic_bool *cancel;
	double at_ms;
};

/* Cancels once the fast targets have been emitted: mid-cycle for sure. */
static void *
cancel_main(void *arg)
{
	struct canceller *c = arg;

	pthread_mutex_lock(&c->r->lock);
	while (c->r->n_done < 10)
		pthread_cond_wait(&c->r->cond, &c->r->lock);
	pthread_mutex_unlock(&c->r->lock);
	c->at_ms = now_ms();
	atomic_store(c->cancel, true);
	return NULL;
}

static void
test_cancel(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	struct canceller c;
	atomic_bool cancel;
	pthread_t th;
	double end_ms;
	size_t i;
	int rc = -1;

	atomic_init(&cancel, false);
	for (i = 0; i < 100; i++) {
		if (i < 10)
			target_add(ts, "http://127.0.0.1:%d/%s", fake_port,
			           codes[i]);
		else
			target_add(ts, "http://127.0.0.1:%d/%s?delay_ms=5000",
			           fake_port, codes[i % N_CODES]);
	}
	r = recorder_new(ts->n);
	c.r = r;
	c.cancel = &cancel;
	c.at_ms = 0;
	CHECK(pthread_create(&th, NULL, cancel_main, &c) == 0);
	run(ts, r, 16, 10000, 1 << 20, &cancel, &rc);
	end_ms = now_ms();
	pthread_join(th, NULL);
	CHECK(rc == 0);
	CHECK(c.at_ms > 0);
	CHECK(end_ms - c.at_ms < 400);
	for (i = 0; i < ts->n; i++) {
		CHECK(r->rec[i].n_emits == 1);
		if (i < 10) {
			CHECK(!r->rec[i].is_cancelled);
			CHECK(r->rec[i].error == NULL);
		} else {
			CHECK(r->rec[i].is_cancelled);
			CHECK_STR(r->rec[i].error, "cancelled");
			CHECK(r->rec[i].body == NULL);
		}
	}
	recorder_free(r);
	targets_free(ts);
}

/* The object keeps working across cycles and handles a garbage body as
 * bytes (judging them is the document parser's job). */
static void
test_reuse_across_cycles(void)
{
	struct collect_options o = { .concurrency = 2,
		                     .timeout_ms = 5000,
		                     .max_body_bytes = 1 << 20 };
	struct targets *ts = targets_new();
	struct recorder *r;
	struct http_json *hj = http_json_new(&o);
	int cycle;

	target_add(ts, "http://127.0.0.1:%d/KU091?body=garbage", fake_port);
	target_add(ts, "http://127.0.0.1:%d/KU049", fake_port);
	target_add(ts, "http://127.0.0.1:%d/KU092?status=502", fake_port);
	CHECK(hj != NULL);
	r = recorder_new(ts->n);
	for (cycle = 0; cycle < 3 && hj != NULL; cycle++) {
		CHECK(http_json_run_cycle(hj, ts->t, ts->n, on_emit, r) == 0);
		CHECK(r->rec[0].error == NULL);
		CHECK(r->rec[0].body_len == 512);
		CHECK(r->rec[1].error == NULL);
		CHECK_STR(r->rec[2].error, "HTTP 502");
	}
	CHECK(r->rec[0].n_emits == 3 && r->rec[1].n_emits == 3 &&
	      r->rec[2].n_emits == 3);
	CHECK(http_json_run_cycle(hj, ts->t, 0, on_emit, r) == 0);
	http_json_free(hj);
	recorder_free(r);
	targets_free(ts);
}

/* The benchmark's shape: 3000 endpoints, 20 ms each, 64 at once. */
static void
test_throughput(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	struct rusage ru0, ru1;
	double wall, cpu;
	size_t i, n_ok = 0;

	for (i = 0; i < 3000; i++)
		target_add(ts, "http://127.0.0.1:%d/%s?delay_ms=20", fake_port,
		           codes[i % N_CODES]);
	r = recorder_new(ts->n);
	getrusage(RUSAGE_SELF, &ru0);
	wall = run(ts, r, 64, 10000, 1 << 20, NULL, NULL);
	getrusage(RUSAGE_SELF, &ru1);
	cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
	      (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	      (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
	      (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	for (i = 0; i < ts->n; i++)
		n_ok += r->rec[i].n_emits == 1 && r->rec[i].error == NULL;
	printf("# 3000 targets: %.0f ms wall, %.2f s cpu\n", wall, cpu);
	CHECK(n_ok == ts->n);
	CHECK(wall < 5000);
	recorder_free(r);
	targets_free(ts);
}

/* A quoted ETag of exactly n bytes (heap). */
static char *
long_etag(size_t n)
{
	char *e = xmalloc(n + 1);

	memset(e, 'a', n);
	e[0] = '"';
	e[n - 1] = '"';
	e[n] = '\0';
	return e;
}

static void
check_parse(const char *line, size_t len, enum http_json_validator want,
            const char *want_value)
{
	char out[HTTP_JSON_VALIDATOR_MAX + 1];
	enum http_json_validator got;

	memset(out, 'z', sizeof(out));
	got = http_json_parse_validator(line, len, out);
	if (got != want || strcmp(out, want_value) != 0) {
		fprintf(stderr,
		        "parse \"%.*s\": kind %d \"%s\", want %d \"%s\"\n",
		        (int)len, line, (int)got, out, (int)want, want_value);
		check_fails++;
	}
}

/* The header-line parser alone: names, blanks, and values kept or
 * dropped ("" means the header came and its value is unusable). */
static void
test_parse_validator(void)
{
	static const struct {
		const char *line;
		enum http_json_validator kind;
		const char *value;
	} cases[] = {
		{ "ETag: \"abc\"\r\n", HTTP_JSON_ETAG, "\"abc\"" },
		{ "etag:\"abc\"\n", HTTP_JSON_ETAG, "\"abc\"" },
		{ "ETAG: \t W/\"x-1\" \t\r\n", HTTP_JSON_ETAG, "W/\"x-1\"" },
		{ "ETag: \"\"\r\n", HTTP_JSON_ETAG, "\"\"" },
		{ "ETag: \"a!#~\"", HTTP_JSON_ETAG, "\"a!#~\"" },
		{ "ETag: abc\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: \"a b\"\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: \"a\"b\"\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: \"a\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: \"\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: W/abc\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: w/\"a\"\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: \"\xc3\xa4\"\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: \"a\"\r\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: \"a\", \"b\"\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag:\r\n", HTTP_JSON_ETAG, "" },
		{ "ETag: \r\n", HTTP_JSON_ETAG, "" },
		{ "ETag : \"a\"\r\n", HTTP_JSON_NOT_VALIDATOR, "" },
		{ "ETags: \"a\"\r\n", HTTP_JSON_NOT_VALIDATOR, "" },
		{ "X-ETag: \"a\"\r\n", HTTP_JSON_NOT_VALIDATOR, "" },
		{ "Content-Type: application/json\r\n", HTTP_JSON_NOT_VALIDATOR,
		  "" },
		{ "HTTP/1.1 200 OK\r\n", HTTP_JSON_NOT_VALIDATOR, "" },
		{ "\r\n", HTTP_JSON_NOT_VALIDATOR, "" },
		{ "", HTTP_JSON_NOT_VALIDATOR, "" },
		{ "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
		  HTTP_JSON_LAST_MODIFIED, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ "last-modified:Tue, 29 Feb 2028 23:59:60 GMT",
		  HTTP_JSON_LAST_MODIFIED, "Tue, 29 Feb 2028 23:59:60 GMT" },
		{ "Last-Modified: Sunday, 06-Nov-94 08:49:37 GMT\r\n",
		  HTTP_JSON_LAST_MODIFIED, "" },
		{ "Last-Modified: Sun Nov  6 08:49:37 1994\r\n",
		  HTTP_JSON_LAST_MODIFIED, "" },
		{ "Last-Modified: Sun, 06 Nov 1994 24:00:00 GMT\r\n",
		  HTTP_JSON_LAST_MODIFIED, "" },
		{ "Last-Modified: Sun, 32 Nov 1994 08:49:37 GMT\r\n",
		  HTTP_JSON_LAST_MODIFIED, "" },
		{ "Last-Modified: Sun, 06 Nox 1994 08:49:37 GMT\r\n",
		  HTTP_JSON_LAST_MODIFIED, "" },
		{ "Last-Modified: Sun, 06 Nov 1994 08:49:37 UTC\r\n",
		  HTTP_JSON_LAST_MODIFIED, "" },
		{ "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT x\r\n",
		  HTTP_JSON_LAST_MODIFIED, "" },
		{ "Last-Modified: 784111777\r\n", HTTP_JSON_LAST_MODIFIED, "" },
	};
	char line[HTTP_JSON_VALIDATOR_MAX + 64];
	char *e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_parse(cases[i].line, strlen(cases[i].line), cases[i].kind,
		            cases[i].value);
	/* not NUL-terminated: only len counts */
	check_parse("ETag: \"ab\"X", 10, HTTP_JSON_ETAG, "\"ab\"");
	/* a NUL inside the value */
	check_parse("ETag: \"a\0b\"\r\n", 13, HTTP_JSON_ETAG, "");
	/* exactly the limit is kept; one byte more is dropped, not cut */
	e = long_etag(HTTP_JSON_VALIDATOR_MAX);
	snprintf(line, sizeof(line), "ETag: %s\r\n", e);
	check_parse(line, strlen(line), HTTP_JSON_ETAG, e);
	free(e);
	e = long_etag(HTTP_JSON_VALIDATOR_MAX + 1);
	snprintf(line, sizeof(line), "ETag: %s\r\n", e);
	check_parse(line, strlen(line), HTTP_JSON_ETAG, "");
	free(e);
	/* ... even when the first HTTP_JSON_VALIDATOR_MAX bytes would make
	 * a well-formed ETag */
	e = long_etag(HTTP_JSON_VALIDATOR_MAX);
	snprintf(line, sizeof(line), "ETag: %sb\r\n", e);
	check_parse(line, strlen(line), HTTP_JSON_ETAG, "");
	snprintf(line, sizeof(line), "ETag: %s \r\n", e); /* blanks trim */
	check_parse(line, strlen(line), HTTP_JSON_ETAG, e);
	free(e);
}

/* Against fakemuni: a 200 brings validators, and sending them back brings
 * a 304 that is a success without a body; either validator alone works;
 * a stale one brings the document; validators=0 turns it all off. */
static void
test_not_modified(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	char *etag = NULL, *date = NULL, *want = NULL;
	size_t i;

	target_add(ts, "http://127.0.0.1:%d/KU091", fake_port);
	target_add(ts, "http://127.0.0.1:%d/KU091?validators=0", fake_port);
	r = recorder_new(ts->n);
	run(ts, r, 2, 10000, 1 << 20, NULL, NULL);
	want = print_document("KU091");
	CHECK(r->rec[0].http_status == 200);
	CHECK(r->rec[0].error == NULL);
	CHECK(!r->rec[0].is_not_modified);
	CHECK_STR(r->rec[0].body, want);
	CHECK(r->rec[0].etag != NULL && r->rec[0].etag[0] == '"');
	CHECK(r->rec[0].last_modified != NULL &&
	      strlen(r->rec[0].last_modified) == 29);
	CHECK(r->rec[1].http_status == 200);
	CHECK_STR(r->rec[1].body, want);
	CHECK(r->rec[1].etag == NULL);
	CHECK(r->rec[1].last_modified == NULL);
	if (r->rec[0].etag == NULL || r->rec[0].last_modified == NULL)
		goto out;
	etag = xstrdup(r->rec[0].etag);
	date = xstrdup(r->rec[0].last_modified);
	recorder_free(r);
	targets_free(ts);

	ts = targets_new();
	target_add(ts, "http://127.0.0.1:%d/KU091", fake_port); /* both */
	target_add(ts, "http://127.0.0.1:%d/KU091", fake_port); /* ETag */
	target_add(ts, "http://127.0.0.1:%d/KU091", fake_port); /* date */
	target_add(ts, "http://127.0.0.1:%d/KU091", fake_port); /* stale */
	target_add(ts, "http://127.0.0.1:%d/KU091?validators=0", fake_port);
	target_add(ts, "http://127.0.0.1:%d/KU091?delay_ms=50", fake_port);
	ts->t[0].etag = etag;
	ts->t[0].last_modified = date;
	ts->t[1].etag = etag;
	ts->t[2].last_modified = date;
	ts->t[3].etag = "\"0000000000000000\"";
	ts->t[3].last_modified = date; /* ignored beside If-None-Match */
	ts->t[4].etag = etag;
	ts->t[5].etag = etag;
	r = recorder_new(ts->n);
	run(ts, r, 3, 10000, 1 << 20, NULL, NULL);
	for (i = 0; i < ts->n; i++) {
		CHECK(r->rec[i].n_emits == 1);
		CHECK(r->rec[i].error == NULL);
		CHECK(!r->rec[i].is_cancelled);
	}
	for (i = 0; i < ts->n; i++) {
		if (i == 3 || i == 4)
			continue;
		CHECK(r->rec[i].is_not_modified);
		CHECK(r->rec[i].http_status == 304);
		CHECK(r->rec[i].body == NULL);
		CHECK(r->rec[i].body_len == 0);
		CHECK(r->rec[i].etag == NULL);
		CHECK(r->rec[i].last_modified == NULL);
	}
	CHECK(!r->rec[3].is_not_modified);
	CHECK(r->rec[3].http_status == 200);
	CHECK_STR(r->rec[3].body, want);
	CHECK_STR(r->rec[3].etag, etag);
	CHECK(!r->rec[4].is_not_modified);
	CHECK(r->rec[4].http_status == 200);
	CHECK_STR(r->rec[4].body, want);
	CHECK(r->rec[4].etag == NULL);
out:
	free(etag);
	free(date);
	free(want);
	recorder_free(r);
	targets_free(ts);
}

/* A document that changes gets a new ETag, so the old one brings it. */
static void
test_changed_document(void)
{
	struct targets *ts = targets_new();
	struct recorder *r;
	char *etag = NULL;

	target_add(ts, "http://127.0.0.1:%d/KU049", fake_port);
	r = recorder_new(ts->n);
	run(ts, r, 1, 10000, 1 << 20, NULL, NULL);
	CHECK(r->rec[0].etag != NULL);
	if (r->rec[0].etag == NULL)
		goto out;
	etag = xstrdup(r->rec[0].etag);
	free(ts->urls[0]);
	ts->n = 0;
	target_add(ts, "http://127.0.0.1:%d/KU049?set.contacts=7", fake_port);
	ts->t[0].etag = etag;
	run(ts, r, 1, 10000, 1 << 20, NULL, NULL);
	CHECK(r->rec[0].http_status == 200);
	CHECK(!r->rec[0].is_not_modified);
	CHECK(r->rec[0].body != NULL &&
	      strstr(r->rec[0].body, "\"contacts\":7") != NULL);
	CHECK(r->rec[0].etag != NULL && strcmp(r->rec[0].etag, etag) != 0);
out:
	free(etag);
	recorder_free(r);
	targets_free(ts);
}

/*
 * The canned server: answers GET PATH with cases[i].response for the case
 * whose path it is, byte for byte, then closes; keeps the request it got.
 * One connection at a time, which is all a concurrency-1 cycle opens.
 */
#define MAX_CANNED 16

struct canned {
	const char *path;
	char *response; /* heap */
	char request[4096];
};

struct canned_server {
	int fd;
	int port;
	struct canned *cases;
	size_t n;
	atomic_bool is_stopping;
	pthread_mutex_t lock; /* guards cases[].request */
	pthread_t thread;
};

static void
canned_serve_one(struct canned_server *cs, int c)
{
	char req[4096], path[256];
	const char *resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
	                   "Connection: close\r\n\r\n";
	size_t len = 0, i, n;
	ssize_t k;
	struct timeval tv = { .tv_sec = 2 };

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < sizeof(req) - 1) {
		k = read(c, req + len, sizeof(req) - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[len] = '\0';
	if (sscanf(req, "GET %255s ", path) != 1)
		path[0] = '\0';
	for (i = 0; i < cs->n; i++) {
		if (strcmp(cs->cases[i].path, path) != 0)
			continue;
		pthread_mutex_lock(&cs->lock);
		snprintf(cs->cases[i].request, sizeof(cs->cases[i].request),
		         "%s", req);
		pthread_mutex_unlock(&cs->lock);
		resp = cs->cases[i].response;
		break;
	}
	for (n = 0; n < strlen(resp); n += (size_t)k) {
		k = write(c, resp + n, strlen(resp) - n);
		if (k <= 0)
			break;
	}
	shutdown(c, SHUT_WR);
	close(c);
}

static void *
canned_main(void *arg)
{
	struct canned_server *cs = arg;
	struct pollfd p;
	int c;

	while (!atomic_load(&cs->is_stopping)) {
		p.fd = cs->fd;
		p.events = POLLIN;
		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(cs->fd, NULL, NULL);
		if (c >= 0)
			canned_serve_one(cs, c);
	}
	return NULL;
}

static bool
canned_start(struct canned_server *cs, struct canned *cases, size_t n)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(cs, 0, sizeof(*cs));
	cs->cases = cases;
	cs->n = n;
	atomic_init(&cs->is_stopping, false);
	pthread_mutex_init(&cs->lock, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cs->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (cs->fd < 0 ||
	    bind(cs->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(cs->fd, 16) != 0 ||
	    getsockname(cs->fd, (struct sockaddr *)&sa, &len) != 0 ||
	    pthread_create(&cs->thread, NULL, canned_main, cs) != 0) {
		if (cs->fd >= 0)
			close(cs->fd);
		pthread_mutex_destroy(&cs->lock);
		return false;
	}
	cs->port = ntohs(sa.sin_port);
	return true;
}

static void
canned_stop(struct canned_server *cs)
{
	atomic_store(&cs->is_stopping, true);
	pthread_join(cs->thread, NULL);
	close(cs->fd);
	pthread_mutex_destroy(&cs->lock);
}

static char *
canned_response(const char *headers)
{
	char text[2048];

	snprintf(text, sizeof(text),
	         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	         "%sContent-Length: 2\r\nConnection: close\r\n\r\n{}",
	         headers);
	return xstrdup(text);
}

static bool
has_line(const char *request, const char *line)
{
	char want[1024];

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	return strstr(request, want) != NULL;
}

/* The exact header lines we send, and what we make of odd answers. */
static void
test_validator_headers(void)
{
	enum {
		C_SENT,
		C_UNCONDITIONAL,
		C_WEAK_SENT,
		C_BAD_NOT_SENT,
		C_OVERLONG,
		C_LIMIT,
		C_TWICE,
		C_REDIRECT,
		C_MALFORMED,
		C_TRAILER,
		C_FOLDED,
		C_REDIRECT_TO, /* reached through C_REDIRECT, no target */
		N_CASES
	};
	static const char *const paths[N_CASES] = {
		"/sent",      "/unconditional", "/weak",   "/bad",
		"/long",      "/limit",         "/twice",  "/redirect",
		"/malformed", "/trailer",       "/folded", "/target",
	};
	static const char date[] = "Sun, 06 Nov 1994 08:49:37 GMT";
	struct canned cases[N_CASES];
	struct canned_server cs;
	struct targets *ts = targets_new();
	struct recorder *r = NULL;
	char headers[1024], *overlong, *limit;
	const char *req;
	size_t i;

	memset(cases, 0, sizeof(cases));
	for (i = 0; i < N_CASES; i++)
		cases[i].path = paths[i];
	overlong = long_etag(HTTP_JSON_VALIDATOR_MAX + 1);
	limit = long_etag(HTTP_JSON_VALIDATOR_MAX);
	cases[C_SENT].response =
	    xstrdup("HTTP/1.1 304 Not Modified\r\nETag: \"new\"\r\n"
	            "Connection: close\r\n\r\n");
	cases[C_UNCONDITIONAL].response =
	    xstrdup("HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n");
	cases[C_WEAK_SENT].response =
	    canned_response("etag: W/\"w2\"\r\nlast-modified: "
	                    "Mon, 07 Nov 1994 08:49:37 GMT\r\n");
	cases[C_BAD_NOT_SENT].response = canned_response("");
	snprintf(headers, sizeof(headers), "ETag: %s\r\nLast-Modified: %s\r\n",
	         overlong, date);
	cases[C_OVERLONG].response = canned_response(headers);
	snprintf(headers, sizeof(headers), "ETag: %s\r\n", limit);
	cases[C_LIMIT].response = canned_response(headers);
	cases[C_TWICE].response =
	    canned_response("ETag: \"a\"\r\nETag: \"a\"\r\nLast-Modified: "
	                    "Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	cases[C_REDIRECT].response = xstrdup(
	    "HTTP/1.1 302 Found\r\nLocation: /target\r\nETag: \"redirect\"\r\n"
	    "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	cases[C_REDIRECT_TO].response = canned_response("");
	cases[C_MALFORMED].response = canned_response(
	    "ETag: unquoted\r\nLast-Modified: Sunday, 06-Nov-94 08:49:37 "
	    "GMT\r\n");
	cases[C_TRAILER].response =
	    xstrdup("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	            "Trailer: ETag\r\nConnection: close\r\n\r\n"
	            "2\r\n{}\r\n0\r\nETag: \"trailer\"\r\n\r\n");
	cases[C_FOLDED].response =
	    canned_response("ETag: \"a\"\r\n \"b\"\r\nX-Other: 1\r\n");
	if (!canned_start(&cs, cases, N_CASES)) {
		CHECK(!"canned server starts");
		goto out;
	}
	for (i = 0; i < C_REDIRECT_TO; i++)
		target_add(ts, "http://127.0.0.1:%d%s", cs.port, paths[i]);
	ts->t[C_SENT].etag = "\"abc\"";
	ts->t[C_SENT].last_modified = date;
	ts->t[C_WEAK_SENT].etag = "W/\"w\"";
	ts->t[C_BAD_NOT_SENT].etag = "\"a\"\r\nX-Injected: 1";
	ts->t[C_BAD_NOT_SENT].last_modified = overlong;
	r = recorder_new(ts->n);
	run(ts, r, 1, 5000, 1 << 20, NULL, NULL);
	canned_stop(&cs);

	for (i = 0; i < ts->n; i++)
		CHECK(r->rec[i].n_emits == 1);
	req = cases[C_SENT].request;
	CHECK(has_line(req, "If-None-Match: \"abc\""));
	CHECK(
	    has_line(req, "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"));
	CHECK(has_line(req, "Accept: application/json"));
	CHECK(r->rec[C_SENT].is_not_modified);
	CHECK(r->rec[C_SENT].http_status == 304);
	CHECK(r->rec[C_SENT].error == NULL);
	CHECK(r->rec[C_SENT].body == NULL);
	CHECK(r->rec[C_SENT].etag == NULL);

	/* the same slot next: the last transfer's validators are gone, and a
	 * 304 we did not ask for is no success */
	req = cases[C_UNCONDITIONAL].request;
	CHECK(req[0] != '\0' && strstr(req, "If-None-Match") == NULL &&
	      strstr(req, "If-Modified-Since") == NULL);
	CHECK(has_line(req, "Accept: application/json"));
	CHECK(!r->rec[C_UNCONDITIONAL].is_not_modified);
	CHECK_STR(r->rec[C_UNCONDITIONAL].error,
	          "HTTP 304 to an unconditional request");

	CHECK(has_line(cases[C_WEAK_SENT].request, "If-None-Match: W/\"w\""));
	CHECK(strstr(cases[C_WEAK_SENT].request, "If-Modified-Since") == NULL);
	CHECK_STR(r->rec[C_WEAK_SENT].etag, "W/\"w2\"");
	CHECK_STR(r->rec[C_WEAK_SENT].last_modified,
	          "Mon, 07 Nov 1994 08:49:37 GMT");

	req = cases[C_BAD_NOT_SENT].request;
	CHECK(req[0] != '\0' && strstr(req, "X-Injected") == NULL &&
	      strstr(req, "If-None-Match") == NULL &&
	      strstr(req, "If-Modified-Since") == NULL);
	CHECK(r->rec[C_BAD_NOT_SENT].error == NULL);

	CHECK(r->rec[C_OVERLONG].error == NULL);
	CHECK(r->rec[C_OVERLONG].etag == NULL);
	CHECK_STR(r->rec[C_OVERLONG].last_modified, date);
	CHECK_STR(r->rec[C_LIMIT].etag, limit);
	CHECK(r->rec[C_TWICE].etag == NULL);
	CHECK_STR(r->rec[C_TWICE].last_modified, date);

	/* the redirect's validators are not the document's */
	CHECK(cases[C_REDIRECT_TO].request[0] != '\0');
	CHECK(r->rec[C_REDIRECT].error == NULL);
	CHECK_STR(r->rec[C_REDIRECT].body, "{}");
	CHECK(r->rec[C_REDIRECT].etag == NULL);
	CHECK(r->rec[C_REDIRECT].last_modified == NULL);

	CHECK(r->rec[C_MALFORMED].error == NULL);
	CHECK(r->rec[C_MALFORMED].etag == NULL);
	CHECK(r->rec[C_MALFORMED].last_modified == NULL);
	CHECK(r->rec[C_TRAILER].error == NULL);
	CHECK_STR(r->rec[C_TRAILER].body, "{}");
	CHECK(r->rec[C_TRAILER].etag == NULL);
	CHECK(r->rec[C_FOLDED].etag == NULL);
out:
	for (i = 0; i < N_CASES; i++)
		free(cases[i].response);
	free(overlong);
	free(limit);
	if (r != NULL)
		recorder_free(r);
	targets_free(ts);
}

/* Tests that need fakemuni say "skip" without it, never "ok". */
#define RUN_FAKE(fn)                                                           \
	do {                                                                   \
		if (fake_port > 0)                                             \
			RUN(fn);                                               \
		else                                                           \
			printf("skip %s (%s)\n", #fn, skip_reason);            \
	} while (0)

int
main(void)
{
	CHECK(http_json_global_init() == 0);
	if (find_paths() && !start_fakemuni()) {
		printf("not ok start_fakemuni (%s)\n", skip_reason);
		check_n_failed++;
		fake_port = 0;
	}
	RUN(test_parse_validator);
	RUN(test_connection_refused);
	RUN(test_validator_headers);
	RUN_FAKE(test_one_emit_per_target);
	RUN_FAKE(test_plain_document_matches_print);
	RUN_FAKE(test_max_body_boundary);
	RUN_FAKE(test_status_503);
	RUN_FAKE(test_timeout);
	RUN_FAKE(test_concurrency_limit);
	RUN_FAKE(test_oversized_and_endless);
	RUN_FAKE(test_redirects);
	RUN_FAKE(test_redirect_protocols);
	RUN_FAKE(test_redirect_policy_loopback);
	find_private_host(private_host, sizeof(private_host));
	if (private_host[0] != '\0')
		RUN_FAKE(test_redirect_policy_private);
	else
		printf("skip test_redirect_policy_private (this host has no "
		       "address in a private network)\n");
	RUN_FAKE(test_cancel);
	RUN_FAKE(test_reuse_across_cycles);
	RUN_FAKE(test_not_modified);
	RUN_FAKE(test_changed_document);
	RUN_FAKE(test_throughput);
	stop_fakemuni();
	http_json_global_cleanup();
	return check_done();
}
