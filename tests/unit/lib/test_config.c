/*
 * test_config.c: config_init, config_parse and config_load. The expected
 * defaults and bounds are written out here from SPEC §2, independently of
 * config.c's key table, so a wrong row in the table fails a test.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static char tmp_dir[256];

static int
parse_str(const char *text, struct config *cfg, struct error *err)
{
	memset(err, 0, sizeof(*err));
	config_init(cfg);
	return config_parse(text, strlen(text), cfg, err);
}

static void
check_defaults(const struct config *c)
{
	CHECK_STR(c->listen_host, "127.0.0.1");
	CHECK(c->listen_port == 8080);
	CHECK(c->max_connections == 4096);
	CHECK(c->per_ip_connections == 32);
	CHECK(c->connection_timeout_s == 30);
	CHECK(c->header_timeout_s == 10);
	CHECK(c->is_public == true);
	CHECK_STR(c->tls_cert_path, "");
	CHECK_STR(c->tls_key_path, "");
	CHECK_STR(c->cors_origins, "");
	CHECK_STR(c->storage_dir, "var");
	CHECK_STR(c->rrdcached, "");
	CHECK(c->interval_s == 300);
	CHECK(c->timeout_s == 10);
	CHECK(c->concurrency == 32);
	CHECK(c->max_body_bytes == 1048576L);
	CHECK(c->ontime_days == 15);
	CHECK_STR(c->regions_path, "regions.csv");
	CHECK_STR(c->municipalities_path, "municipalities.csv");
	CHECK_STR(c->measures_path, "measures.json");
	CHECK_STR(c->endpoints_path, "endpoints.csv");
}

static void
check_same(const struct config *a, const struct config *b)
{
	CHECK_STR(a->path, b->path);
	CHECK_STR(a->listen_host, b->listen_host);
	CHECK(a->listen_port == b->listen_port);
	CHECK(a->max_connections == b->max_connections);
	CHECK(a->per_ip_connections == b->per_ip_connections);
	CHECK(a->connection_timeout_s == b->connection_timeout_s);
	CHECK(a->is_public == b->is_public);
	CHECK_STR(a->tls_cert_path, b->tls_cert_path);
	CHECK_STR(a->tls_key_path, b->tls_key_path);
	CHECK_STR(a->cors_origins, b->cors_origins);
	CHECK_STR(a->storage_dir, b->storage_dir);
	CHECK_STR(a->rrdcached, b->rrdcached);
	CHECK(a->interval_s == b->interval_s);
	CHECK(a->timeout_s == b->timeout_s);
	CHECK(a->concurrency == b->concurrency);
	CHECK(a->max_body_bytes == b->max_body_bytes);
	CHECK(a->ontime_days == b->ontime_days);
	CHECK_STR(a->regions_path, b->regions_path);
	CHECK_STR(a->municipalities_path, b->municipalities_path);
	CHECK_STR(a->measures_path, b->measures_path);
	CHECK_STR(a->endpoints_path, b->endpoints_path);
}

static void
test_defaults(void)
{
	struct config cfg;
	struct error err;

	memset(&cfg, 0x55, sizeof(cfg));
	config_init(&cfg);
	check_defaults(&cfg);
	CHECK_STR(cfg.path, "");

	/* Empty text, comments only, blank lines only: all defaults. */
	CHECK(parse_str("", &cfg, &err) == 0);
	check_defaults(&cfg);
	CHECK(parse_str("; nothing\n# at all\n\n   \n[server]\n", &cfg, &err) ==
	      0);
	check_defaults(&cfg);
	/* The sections alone are valid, each may appear twice. */
	CHECK(parse_str("[server]\n[storage]\n[collect]\n[catalog]\n[server]\n",
	                &cfg, &err) == 0);
	check_defaults(&cfg);
}

static void
test_every_key(void)
{
	struct config cfg;
	struct error err;
	const char *text =
	    "[server]\nlisten = [::1]:9090\nmax_connections = "
	    "10\nper_ip_connections = 2\nconnection_timeout = 5\npublic = "
	    "no\n[storage]\ndir = /srv/kuntamon\nrrdcached = "
	    "unix:/run/rrdcached.sock\n[collect]\ninterval = 120\ntimeout = "
	    "3\nconcurrency = 4\nmax_body = 2048\nontime_days = "
	    "0\n[catalog]\nregions = r.csv\nmunicipalities = m.csv\nmeasures = "
	    "x/measures.json\nendpoints = /etc/e.csv\n";

	CHECK(parse_str(text, &cfg, &err) == 0);
	CHECK_STR(cfg.listen_host, "::1");
	CHECK(cfg.listen_port == 9090);
	CHECK(cfg.max_connections == 10);
	CHECK(cfg.per_ip_connections == 2);
	CHECK(cfg.connection_timeout_s == 5);
	CHECK(cfg.is_public == false);
	CHECK_STR(cfg.storage_dir, "/srv/kuntamon");
	CHECK_STR(cfg.rrdcached, "unix:/run/rrdcached.sock");
	CHECK(cfg.interval_s == 120);
	CHECK(cfg.timeout_s == 3);
	CHECK(cfg.concurrency == 4);
	CHECK(cfg.max_body_bytes == 2048);
	CHECK(cfg.ontime_days == 0);
	CHECK_STR(cfg.regions_path, "r.csv");
	CHECK_STR(cfg.municipalities_path, "m.csv");
	CHECK_STR(cfg.measures_path, "x/measures.json");
	CHECK_STR(cfg.endpoints_path, "/etc/e.csv");
	CHECK_STR(cfg.path, ""); /* config_parse does not name a file */
}

/* The bounds of every integer key, from SPEC §2. */
static const struct {
	const char *section, *key;
	size_t offset;
	int is_long;
	long min, max;
} int_keys[] = {
	{ "server", "max_connections", offsetof(struct config, max_connections),
	  0, 1, 100000 },
	{ "server", "per_ip_connections",
	  offsetof(struct config, per_ip_connections), 0, 1, 100000 },
	{ "server", "connection_timeout",
	  offsetof(struct config, connection_timeout_s), 0, 1, 3600 },
	{ "server", "header_timeout", offsetof(struct config, header_timeout_s),
	  0, 1, 3600 },
	{ "collect", "interval", offsetof(struct config, interval_s), 0, 1,
	  86400 },
	{ "collect", "timeout", offsetof(struct config, timeout_s), 0, 1,
	  3600 },
	{ "collect", "concurrency", offsetof(struct config, concurrency), 0, 1,
	  1024 },
	{ "collect", "max_body", offsetof(struct config, max_body_bytes), 1,
	  1024, 1073741824 },
	{ "collect", "ontime_days", offsetof(struct config, ontime_days), 0, 0,
	  365 },
};

static long
int_field(const struct config *cfg, size_t i)
{
	const char *p = (const char *)cfg + int_keys[i].offset;

	return int_keys[i].is_long ? *(const long *)p : *(const int *)p;
}

static void
test_int_bounds(void)
{
	size_t i;

	for (i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++) {
		const char *sec = int_keys[i].section, *key = int_keys[i].key;
		long min = int_keys[i].min, max = int_keys[i].max;
		struct config cfg;
		struct error err;
		char text[200], want[256];

		snprintf(text, sizeof(text), "[%s]\n%s = %ld\n", sec, key, min);
		CHECK(parse_str(text, &cfg, &err) == 0);
		CHECK(int_field(&cfg, i) == min);

		snprintf(text, sizeof(text), "[%s]\n%s = %ld\n", sec, key, max);
		CHECK(parse_str(text, &cfg, &err) == 0);
		CHECK(int_field(&cfg, i) == max);

		snprintf(text, sizeof(text), "[%s]\n%s=%ld\n", sec, key,
		         min - 1);
		CHECK(parse_str(text, &cfg, &err) == -1);
		CHECK(err.line == 2);
		snprintf(want, sizeof(want),
		         "[%s] %s: %ld is below the minimum %ld", sec, key,
		         min - 1, min);
		CHECK_STR(err.msg, want);

		snprintf(text, sizeof(text), "\n[%s]\n\n%s=%ld\n", sec, key,
		         max + 1);
		CHECK(parse_str(text, &cfg, &err) == -1);
		CHECK(err.line == 4);
		snprintf(want, sizeof(want),
		         "[%s] %s: %ld is above the maximum %ld", sec, key,
		         max + 1, max);
		CHECK_STR(err.msg, want);

		/* Far outside long: strtol's ERANGE still names the side. */
		snprintf(text, sizeof(text),
		         "[%s]\n%s = 99999999999999999999999\n", sec, key);
		CHECK(parse_str(text, &cfg, &err) == -1);
		snprintf(
		    want, sizeof(want),
		    "[%s] %s: 99999999999999999999999 is above the maximum %ld",
		    sec, key, max);
		CHECK_STR(err.msg, want);
		snprintf(text, sizeof(text),
		         "[%s]\n%s = -99999999999999999999999\n", sec, key);
		CHECK(parse_str(text, &cfg, &err) == -1);
		snprintf(want, sizeof(want),
		         "[%s] %s: -99999999999999999999999 is below the "
		         "minimum %ld",
		         sec, key, min);
		CHECK_STR(err.msg, want);
	}
}

static void
test_bool(void)
{
	static const struct {
		const char *text;
		bool want;
	} cases[] = {
		{ "yes", true },    { "no", false }, { "true", true },
		{ "false", false }, { "on", true },  { "off", false },
		{ "1", true },      { "0", false },  { "YES", true },
		{ "Off", false },
	};
	struct config cfg;
	struct error err;
	char text[100];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[server]\npublic = %s\n",
		         cases[i].text);
		config_init(&cfg);
		cfg.is_public = !cases[i].want;
		CHECK(config_parse(text, strlen(text), &cfg, &err) == 0);
		CHECK(cfg.is_public == cases[i].want);
	}
}

static void
test_listen(void)
{
	static const struct {
		const char *value;
		const char *host;
		int port;
	} good[] = {
		{ "127.0.0.1:8080", "127.0.0.1", 8080 },
		{ "0.0.0.0:65535", "0.0.0.0", 65535 },
		{ "[::1]:0", "::1", 0 },
		{ "[::]:80", "::", 80 },
		{ "[2001:db8::1]:443", "2001:db8::1", 443 },
		{ "*:8080", "*", 8080 },
		{ "localhost:080", "localhost", 80 },
		{ "stats.example.fi:1", "stats.example.fi", 1 },
	};
	static const struct {
		const char *value;
		const char *msg;
	} bad[] = {
		{ "8080", "[server] listen: \"8080\" is not host:port (e.g. "
		          "127.0.0.1:8080)" },
		{ ":8080", "[server] listen: no host in \":8080\" (use *:port "
		           "for every address)" },
		{ "::1:8080", "[server] listen: an IPv6 address needs "
		              "brackets, e.g. [::1]:8080" },
		{ "[::1]8080",
		  "[server] listen: \"[::1]8080\" is not [address]:port" },
		{ "[::1:8080",
		  "[server] listen: \"[::1:8080\" is not [address]:port" },
		{ "[nope]:80",
		  "[server] listen: \"nope\" is not an IPv6 address" },
		{ "[]:80", "[server] listen: \"\" is not an IPv6 address" },
		{ "1.2.3:80",
		  "[server] listen: \"1.2.3\" is not an IPv4 address" },
		{ "1.2.3.256:80",
		  "[server] listen: \"1.2.3.256\" is not an IPv4 address" },
		{ "-bad:80",
		  "[server] listen: \"-bad\" is not a host name or address" },
		{ "a..b:80",
		  "[server] listen: \"a..b\" is not a host name or address" },
		{ "a_b:80",
		  "[server] listen: \"a_b\" is not a host name or address" },
		{ "**:80",
		  "[server] listen: \"**\" is not a host name or address" },
		{ "host:", "[server] listen: no port in \"host:\"" },
		{ "host:65536",
		  "[server] listen: port 65536 is above the maximum 65535" },
		{ "host:1234567",
		  "[server] listen: port 1234567 is above the maximum 65535" },
		{ "host:8o", "[server] listen: port \"8o\" is not a number" },
		{ "host:+80", "[server] listen: port \"+80\" is not a number" },
		{ "host:-1", "[server] listen: port \"-1\" is not a number" },
	};
	struct config cfg;
	struct error err;
	char text[200];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[server]\nlisten = %s\n",
		         good[i].value);
		CHECK(parse_str(text, &cfg, &err) == 0);
		CHECK_STR(cfg.listen_host, good[i].host);
		CHECK(cfg.listen_port == good[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[server]\nlisten = %s\n",
		         bad[i].value);
		CHECK(parse_str(text, &cfg, &err) == -1);
		CHECK(err.line == 2);
		CHECK_STR(err.msg, bad[i].msg);
	}
}

/* cors_origins: exact origins as browsers send them in Origin, since the
 * server compares bytes; anything else is refused naming the origin. */
static void
test_cors_origins(void)
{
	static const struct {
		const char *value, *stored;
	} good[] = {
		{ "", "" },
		{ "https://a.example", "https://a.example" },
		{ "https://a.example http://b.example:8080",
		  "https://a.example http://b.example:8080" },
		{ " https://a.example,,http://127.0.0.1:1 "
		  ",\thttp://[::1]:65535 ",
		  "https://a.example http://127.0.0.1:1 http://[::1]:65535" },
		{ "http://localhost:443 https://x-y.example.fi:80",
		  "http://localhost:443 https://x-y.example.fi:80" },
	};
	static const struct {
		const char *value, *msg;
	} bad[] = {
		{ "*", "\"*\" is not an origin: scheme://host[:port] with http "
		       "or https (\"*\" and \"null\" are not taken: list each "
		       "origin)" },
		{ "null", "\"null\" is not an origin" },
		{ "a.example", "\"a.example\" is not an origin" },
		{ "ftp://a.example", "\"ftp://a.example\" is not an origin" },
		{ "HTTPS://a.example",
		  "\"HTTPS://a.example\" is not an origin" },
		{ "https://a.example/",
		  "\"https://a.example/\" has more than scheme://host[:port] "
		  "(an origin has no path, not even \"/\")" },
		{ "https://a.example/x", "\"https://a.example/x\" has more" },
		{ "https://a.example?q", "\"https://a.example?q\" has more" },
		{ "https://u@a.example", "\"https://u@a.example\" has more" },
		{ "https://A.example",
		  "\"https://A.example\" has capitals: browsers send an "
		  "origin in lower case" },
		{ "https://a.example:443",
		  "\"https://a.example:443\" names its scheme's default port: "
		  "browsers send the origin without it" },
		{ "http://a.example:80", "\"http://a.example:80\" names its" },
		{ "https://a.example:", "\"https://a.example:\" has no valid "
		                        "port (1..65535)" },
		{ "https://a.example:0",
		  "\"https://a.example:0\" has no valid" },
		{ "https://a.example:08080", "has no valid port" },
		{ "https://a.example:65536", "has no valid port" },
		{ "https://a.example:123456", "has no valid port" },
		{ "https://", "\"https://\" is not an origin" },
		{ "https://:80", "\"https://:80\" has no valid host name" },
		{ "https://*", "\"https://*\" has no valid host name" },
		{ "https://a_b.example", "has no valid host name or address" },
		{ "https://1.2.3.256", "has no valid host name or address" },
		{ "http://[::1",
		  "\"http://[::1\" has no valid [IPv6 address]" },
		{ "http://[nope]", "has no valid [IPv6 address]" },
		/* the bad one is named, not the good one before it */
		{ "https://a.example https://b.example/",
		  "\"https://b.example/\" has more" },
	};
	struct config cfg;
	struct error err;
	char text[300], want[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[server]\ncors_origins = %s\n",
		         good[i].value);
		CHECK(parse_str(text, &cfg, &err) == 0);
		CHECK_STR(cfg.cors_origins, good[i].stored);
		if (err.msg[0] != '\0')
			fprintf(stderr, "  %s: %s\n", good[i].value, err.msg);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[server]\n\ncors_origins = %s\n",
		         bad[i].value);
		CHECK(parse_str(text, &cfg, &err) == -1);
		CHECK(err.line == 3);
		CHECK(strncmp(err.msg, "[server] cors_origins: ", 23) == 0);
		snprintf(want, sizeof(want), "%s", bad[i].msg);
		CHECK(strstr(err.msg, want) != NULL);
		if (strstr(err.msg, want) == NULL)
			fprintf(stderr, "  %s: %s\n", bad[i].value, err.msg);
	}
	/* A bad list leaves the one set before untouched. */
	CHECK(parse_str("[server]\ncors_origins = https://a.example\n", &cfg,
	                &err) == 0);
	snprintf(text, sizeof(text), "[server]\ncors_origins = https://b/\n");
	CHECK(config_parse(text, strlen(text), &cfg, &err) == -1);
	CHECK_STR(cfg.cors_origins, "https://a.example");
}

/* Errors: the first one wins, on the right line. */
static void
test_errors(void)
{
	static const struct {
		const char *text;
		int line;
		const char *msg;
	} cases[] = {
		{ "[server]\nfoo = 1\n", 2, "unknown key \"foo\" in [server]" },
		{ "[collect]\ninterval = 0\n", 2,
		  "[collect] interval: 0 is below the minimum 1" },
		{ "[sever]\nlisten = *:1\n", 1, "unknown section [sever]" },
		{ "[server]\n[nope]\n", 2, "unknown section [nope]" },
		{ "[Server]\n", 1, "unknown section [Server]" },
		{ "interval = 5\n", 1,
		  "key \"interval\" is outside any [section]" },
		{ "[collect]\ninterval = 5\ntimeout = 2\ninterval = 6\n", 4,
		  "duplicate key \"interval\" in [collect] (first set on line "
		  "2)" },
		{ "[collect]\ninterval = 5\n[server]\n[collect]\ninterval=5\n",
		  5,
		  "duplicate key \"interval\" in [collect] (first set on line "
		  "2)" },
		{ "[collect]\ninterval = five\n", 2,
		  "[collect] interval: \"five\" is not an integer" },
		{ "[collect]\ninterval = 5s\n", 2,
		  "[collect] interval: \"5s\" is not an integer" },
		{ "[collect]\ninterval = 0x10\n", 2,
		  "[collect] interval: \"0x10\" is not an integer" },
		{ "[collect]\ninterval =\n", 2,
		  "[collect] interval: empty value, expected an integer" },
		{ "[collect]\ninterval = 5 # five\n", 2,
		  "[collect] interval: \"5 # five\" is not an integer" },
		{ "[server]\npublic = maybe\n", 2,
		  "[server] public: \"maybe\" is not a boolean (use yes or "
		  "no)" },
		{ "[server]\npublic =\n", 2,
		  "[server] public: \"\" is not a boolean (use yes or no)" },
		{ "[storage]\ndir =\n", 2, "[storage] dir: empty path" },
		{ "[catalog]\nendpoints = ;\n", 2,
		  "[catalog] endpoints: empty path" },
		{ "[server]\nlisten\n", 2,
		  "expected \"[section]\", \"key = value\" or a comment" },
		{ "[server\n", 1, "section header without \"]\"" },
		{ "[server]\n= 5\n", 2, "no key name before \"=\"" },
		/* the first error is reported, whichever kind comes first */
		{ "[server]\nbogus\nfoo = 1\n", 2,
		  "expected \"[section]\", \"key = value\" or a comment" },
		{ "[server]\nfoo = 1\nbogus\n", 2,
		  "unknown key \"foo\" in [server]" },
		{ "[server]\npublic = x\n[nope]\nbogus\n", 2,
		  "[server] public: \"x\" is not a boolean (use yes or no)" },
		{ "[x]\nbogus\n", 1, "unknown section [x]" },
		/* comments and blank lines still count as lines */
		{ "; comment\n\n# another\n   \n[collect]\n  ; "
		  "indented\n\ntimeout = 0\n",
		  8, "[collect] timeout: 0 is below the minimum 1" },
		/* CRLF and a BOM change neither values nor line numbers */
		{ "\xEF\xBB\xBF[collect]\r\n\r\ntimeout = 9999\r\n", 3,
		  "[collect] timeout: 9999 is above the maximum 3600" },
		{ "\xEF\xBB\xBF[nope]\r\n", 1, "unknown section [nope]" },
		/* control bytes, bare CR */
		{ "[server]\npublic = yes\rno\n", 2,
		  "control character 0x0d in line" },
		{ "[server]\n; \x1b[31m\n", 2,
		  "control character 0x1b in line" },
		{ "[storage]\ndir = a\x7f\n", 2,
		  "control character 0x7f in line" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		struct error err;

		CHECK(parse_str(cases[i].text, &cfg, &err) == -1);
		if (err.line != cases[i].line)
			fprintf(stderr, "case %zu: line %d, want %d\n", i,
			        err.line, cases[i].line);
		CHECK(err.line == cases[i].line);
		CHECK_STR(err.msg, cases[i].msg);
	}
}

static void
test_syntax(void)
{
	struct config cfg;
	struct error err;
	const char *text;

	/* CRLF everywhere, BOM, inline comments, "name: value" */
	text = "\xEF\xBB\xBF; kuntamon\r\n[server]\r\nlisten = *:81 ; "
	       "all\r\npublic : off\r\n[storage]\r\ndir = a dir;with "
	       "semicolon\r\nrrdcached = unix:/x.sock\r\n";
	CHECK(parse_str(text, &cfg, &err) == 0);
	CHECK_STR(cfg.listen_host, "*");
	CHECK(cfg.listen_port == 81);
	CHECK(cfg.is_public == false);
	CHECK_STR(cfg.storage_dir, "a dir;with semicolon");
	CHECK_STR(cfg.rrdcached, "unix:/x.sock");

	/* Indented keys are keys, not continuations of the previous value. */
	text = "[collect]\n    interval = 7\n\ttimeout = 8\n  [server]\n  "
	       "public = no\n";
	CHECK(parse_str(text, &cfg, &err) == 0);
	CHECK(cfg.interval_s == 7);
	CHECK(cfg.timeout_s == 8);
	CHECK(cfg.is_public == false);

	/* No newline at the end; a final lone CR ends the line too. */
	CHECK(parse_str("[collect]\ninterval = 9", &cfg, &err) == 0);
	CHECK(cfg.interval_s == 9);
	CHECK(parse_str("[collect]\ninterval = 11\r", &cfg, &err) == 0);
	CHECK(cfg.interval_s == 11);

	/* Empty rrdcached is allowed and means "write directly". */
	CHECK(parse_str("[storage]\nrrdcached = unix:/a\n", &cfg, &err) == 0);
	CHECK(config_parse("[storage]\nrrdcached =\n", 22, &cfg, &err) == 0);
	CHECK_STR(cfg.rrdcached, "");
}

static void
test_not_nul_terminated(void)
{
	struct config cfg;
	struct error err;
	/* Only the first len bytes count: "interval = 5", not 55. */
	const char text[] = "[collect]\ninterval = 55";
	char *copy = malloc(sizeof(text) - 2);

	memcpy(copy, text, sizeof(text) - 2); /* no NUL, last '5' cut */
	config_init(&cfg);
	CHECK(config_parse(copy, sizeof(text) - 2, &cfg, &err) == 0);
	CHECK(cfg.interval_s == 5);
	free(copy);

	/* A NUL inside the text is an error, not the end of the text. */
	memset(&err, 0, sizeof(err));
	config_init(&cfg);
	CHECK(config_parse("[collect]\ninter\0val = 5\n", 24, &cfg, &err) ==
	      -1);
	CHECK(err.line == 2);
	CHECK_STR(err.msg, "NUL byte in line");
}

static void
test_long_lines(void)
{
	struct config cfg;
	struct error err;
	char text[1200], value[1024];

	/* 197 characters per line fit inih's line buffer; 198 do not. */
	memset(value, 'a', sizeof(value));
	value[197 - 6] = '\0'; /* "dir = " + 191 */
	snprintf(text, sizeof(text), "[storage]\ndir = %s\r\n", value);
	CHECK(parse_str(text, &cfg, &err) == 0);
	CHECK(strlen(cfg.storage_dir) == 191);

	value[197 - 6] = 'a';
	value[198 - 6] = '\0';
	snprintf(text, sizeof(text), "[storage]\n\n; x\ndir = %s\n", value);
	CHECK(parse_str(text, &cfg, &err) == -1);
	CHECK(err.line == 4);
	CHECK_STR(err.msg, "line too long (the limit is 197 characters)");

	/* A long comment is still too long (inih would split it). */
	memset(value, ';', 500);
	value[500] = '\0';
	snprintf(text, sizeof(text), "[storage]\n%s\n", value);
	CHECK(parse_str(text, &cfg, &err) == -1);
	CHECK(err.line == 2);

	/* An earlier error stays the one reported. */
	snprintf(text, sizeof(text), "[collect]\ninterval = 0\n%s\n", value);
	CHECK(parse_str(text, &cfg, &err) == -1);
	CHECK(err.line == 2);
	CHECK_STR(err.msg, "[collect] interval: 0 is below the minimum 1");
}

/* v1's [storage] step is refused with the line and the reason (SPEC §2). */
static void
test_step_is_gone(void)
{
	struct config cfg;
	struct error err;

	CHECK(parse_str("[storage]\ndir = v\n\nstep = 3600\n", &cfg, &err) ==
	      -1);
	CHECK(err.line == 4);
	CHECK(strstr(err.msg, "[storage] step is gone") != NULL);
	CHECK(strstr(err.msg, "one point a day") != NULL);
}

static void
test_untouched_on_error(void)
{
	struct config cfg, before;
	struct error err;
	const char *text = "[collect]\ninterval = 42\ntimeout = 0\n";

	config_init(&cfg);
	cfg.interval_s = 77;
	before = cfg;
	CHECK(config_parse(text, strlen(text), &cfg, &err) == -1);
	check_same(&cfg, &before);

	/* Applied over what is there: unset keys keep their values. */
	CHECK(config_parse("[collect]\ntimeout = 4\n", 22, &cfg, &err) == 0);
	CHECK(cfg.interval_s == 77);
	CHECK(cfg.timeout_s == 4);
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void
test_load(void)
{
	struct config cfg;
	struct error err;
	char conf_dir[300], path[400], want[600];

	snprintf(conf_dir, sizeof(conf_dir), "%s/etc", tmp_dir);
	CHECK(mkdir(conf_dir, 0700) == 0);
	snprintf(path, sizeof(path), "%s/k.conf", conf_dir);
	CHECK(write_file(path,
	                 "[storage]\ndir = ../data\nrrdcached = "
	                 "unix:run/r.sock\n[catalog]\nregions = "
	                 "./r.csv\nmeasures = /abs/m.json\nendpoints = ./\n") ==
	      0);

	memset(&err, 0, sizeof(err));
	CHECK(config_load(path, &cfg, &err) == 0);
	CHECK_STR(cfg.path, path);
	snprintf(want, sizeof(want), "%s/../data", conf_dir);
	CHECK_STR(cfg.storage_dir, want);
	snprintf(want, sizeof(want), "%s/r.csv", conf_dir);
	CHECK_STR(cfg.regions_path, want);
	snprintf(want, sizeof(want), "%s/municipalities.csv", conf_dir);
	CHECK_STR(cfg.municipalities_path, want); /* defaults too */
	CHECK_STR(cfg.measures_path, "/abs/m.json");
	snprintf(want, sizeof(want), "%s/.", conf_dir);
	CHECK_STR(cfg.endpoints_path, want);
	CHECK_STR(cfg.rrdcached, "unix:run/r.sock"); /* an address */
	CHECK(cfg.interval_s == 300);

	/* A bad file: FILE:LINE, and cfg untouched. */
	CHECK(write_file(path, "[collect]\n\ninterval = 0\n") == 0);
	cfg.interval_s = 123;
	CHECK(config_load(path, &cfg, &err) == -1);
	CHECK_STR(err.file, path);
	CHECK(err.line == 3);
	CHECK_STR(err.msg, "[collect] interval: 0 is below the minimum 1");
	CHECK(cfg.interval_s == 123);

	/* Missing, a directory, too big. */
	snprintf(path, sizeof(path), "%s/missing.conf", conf_dir);
	memset(&err, 0, sizeof(err));
	err.line = 9;
	CHECK(config_load(path, &cfg, &err) == -1);
	CHECK_STR(err.file, path);
	CHECK(err.line == 0);
	CHECK_STR(err.msg, "cannot read: No such file or directory");

	CHECK(config_load(conf_dir, &cfg, &err) == -1);
	CHECK_STR(err.file, conf_dir);
	CHECK(err.line == 0);
	CHECK_STR(err.msg, "cannot read: Is a directory");

	snprintf(path, sizeof(path), "%s/big.conf", conf_dir);
	{
		FILE *f = fopen(path, "wb");
		static char line[100];
		size_t i;

		CHECK(f != NULL);
		if (f != NULL) {
			memset(line, ';', sizeof(line) - 1);
			line[sizeof(line) - 2] = '\n';
			for (i = 0; i < 1024 * 1024 / 99 + 1; i++)
				fwrite(line, 1, sizeof(line) - 1, f);
			fclose(f);
		}
	}
	CHECK(config_load(path, &cfg, &err) == -1);
	CHECK(err.line == 0);
	CHECK_STR(err.msg, "larger than 1048576 bytes");
	unlink(path);

	/* A file name without a folder: paths stay as written. */
	{
		char cwd[512];

		CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
		CHECK(chdir(conf_dir) == 0);
		CHECK(write_file("plain.conf", "[storage]\ndir = v\n") == 0);
		CHECK(config_load("plain.conf", &cfg, &err) == 0);
		CHECK_STR(cfg.storage_dir, "v");
		CHECK_STR(cfg.regions_path, "regions.csv");
		CHECK_STR(cfg.path, "plain.conf");
		unlink("plain.conf");
		CHECK(chdir(cwd) == 0);
	}

	/* An empty file is a valid configuration. */
	snprintf(path, sizeof(path), "%s/empty.conf", conf_dir);
	CHECK(write_file(path, "") == 0);
	CHECK(config_load(path, &cfg, &err) == 0);
	CHECK(cfg.listen_port == 8080);
	snprintf(want, sizeof(want), "%s/var", conf_dir);
	CHECK_STR(cfg.storage_dir, want);
	unlink(path);

	snprintf(path, sizeof(path), "%s/k.conf", conf_dir);
	unlink(path);
	rmdir(conf_dir);
}

/* tls_cert and tls_key: both or neither (pure), then at load both
 * readable PEM of the right kind, each error on the key's own line. */
static void
test_tls(void)
{
	static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n"
	                               "-----END CERTIFICATE-----\n";
	static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\nMIIE\n"
	                              "-----END PRIVATE KEY-----\n";
	static const struct {
		const char *cert, *key; /* file contents; NULL: no file */
		int line;               /* of the error; 0: loads */
		const char *msg;        /* the error's end */
	} cases[] = {
		{ cert_pem, key_pem, 0, NULL },
		{ cert_pem,
		  "-----BEGIN EC PRIVATE KEY-----\nMHc\n"
		  "-----END EC PRIVATE KEY-----\n",
		  0, NULL },
		{ NULL, key_pem, 3,
		  "c.pem: cannot read: No such file or directory" },
		{ cert_pem, NULL, 4,
		  "k.pem: cannot read: No such file or directory" },
		{ key_pem, key_pem, 3,
		  "c.pem: not a PEM certificate (no \"-----BEGIN "
		  "CERTIFICATE-----\" line)" },
		{ cert_pem, cert_pem, 4,
		  "k.pem: not a PEM private key (no \"-----BEGIN ... PRIVATE "
		  "KEY-----\" line)" },
		{ cert_pem,
		  "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n"
		  "-----END ENCRYPTED PRIVATE KEY-----\n",
		  4,
		  "k.pem: the key is encrypted; kuntamond needs it "
		  "unencrypted" },
		{ cert_pem,
		  "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
		  "-----END RSA PRIVATE KEY-----\n",
		  4,
		  "k.pem: the key is encrypted; kuntamond needs it "
		  "unencrypted" },
	};
	struct config cfg;
	struct error err;
	char dir[300], conf[400], cert[400], key[400], want[600];
	size_t i, n;

	/* Pure: paths as written, both or neither. */
	CHECK(parse_str("[server]\ntls_cert = c.pem\ntls_key = /k.pem\n", &cfg,
	                &err) == 0);
	CHECK_STR(cfg.tls_cert_path, "c.pem");
	CHECK_STR(cfg.tls_key_path, "/k.pem");
	CHECK(parse_str("[server]\ntls_cert =\ntls_key =\n", &cfg, &err) == 0);
	CHECK_STR(cfg.tls_cert_path, "");
	CHECK(parse_str("[server]\npublic = no\ntls_cert = c.pem\n", &cfg,
	                &err) == -1);
	CHECK(err.line == 3);
	CHECK_STR(err.msg, "[server] tls_cert: set without tls_key (set both "
	                   "or neither)");
	CHECK(parse_str("[server]\ntls_key = k.pem\ntls_cert =\n", &cfg,
	                &err) == -1);
	CHECK(err.line == 2);
	CHECK_STR(err.msg, "[server] tls_key: set without tls_cert (set both "
	                   "or neither)");

	/* At load: relative to the config's folder, read and checked. */
	snprintf(dir, sizeof(dir), "%s/tls", tmp_dir);
	CHECK(mkdir(dir, 0700) == 0);
	snprintf(conf, sizeof(conf), "%s/k.conf", dir);
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	CHECK(write_file(conf, "[server]\npublic = yes\ntls_cert = c.pem\n"
	                       "tls_key = ./k.pem\n") == 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(cert);
		unlink(key);
		if (cases[i].cert != NULL)
			CHECK(write_file(cert, cases[i].cert) == 0);
		if (cases[i].key != NULL)
			CHECK(write_file(key, cases[i].key) == 0);
		memset(&err, 0, sizeof(err));
		config_init(&cfg);
		if (cases[i].line == 0) {
			CHECK(config_load(conf, &cfg, &err) == 0);
			CHECK_STR(cfg.tls_cert_path, cert);
			CHECK_STR(cfg.tls_key_path, key);
			continue;
		}
		CHECK(config_load(conf, &cfg, &err) == -1);
		CHECK_STR(err.file, conf);
		CHECK(err.line == cases[i].line);
		CHECK_STR(cfg.tls_cert_path, ""); /* cfg untouched */
		snprintf(want, sizeof(want), "[server] %s: %s/%s",
		         cases[i].line == 3 ? "tls_cert" : "tls_key", dir,
		         cases[i].msg);
		CHECK_STR(err.msg, want);
	}

	/* A folder is no file. */
	n = (size_t)snprintf(want, sizeof(want),
	                     "[server]\ntls_cert = %s\n"
	                     "tls_key = k.pem\n",
	                     dir);
	CHECK(n < sizeof(want));
	CHECK(write_file(conf, want) == 0);
	CHECK(config_load(conf, &cfg, &err) == -1);
	CHECK(err.line == 2);
	CHECK(strstr(err.msg, "cannot read: Is a directory") != NULL);

	unlink(cert);
	unlink(key);
	unlink(conf);
	rmdir(dir);
}

/* The shipped files: kuntamon.conf shows exactly the defaults. */
static void
test_shipped(void)
{
	const char *src = getenv("SRC");
	struct config cfg, defaults;
	struct error err;
	char path[1024], want[1100];

	if (src == NULL)
		src = ".";
	snprintf(path, sizeof(path), "%s/config/kuntamon.conf", src);
	memset(&err, 0, sizeof(err));
	CHECK(config_load(path, &cfg, &err) == 0);
	if (err.msg[0] != '\0')
		fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.msg);
	config_init(&defaults);
	CHECK(cfg.listen_port == defaults.listen_port);
	CHECK_STR(cfg.listen_host, defaults.listen_host);
	/* Everything but the path and the resolved paths is the default. */
	snprintf(defaults.path, sizeof(defaults.path), "%s", cfg.path);
	snprintf(defaults.storage_dir, sizeof(defaults.storage_dir), "%s",
	         cfg.storage_dir);
	snprintf(defaults.regions_path, sizeof(defaults.regions_path), "%s",
	         cfg.regions_path);
	snprintf(defaults.municipalities_path,
	         sizeof(defaults.municipalities_path), "%s",
	         cfg.municipalities_path);
	snprintf(defaults.measures_path, sizeof(defaults.measures_path), "%s",
	         cfg.measures_path);
	snprintf(defaults.endpoints_path, sizeof(defaults.endpoints_path), "%s",
	         cfg.endpoints_path);
	check_same(&cfg, &defaults);
	snprintf(want, sizeof(want), "%s/config/var", src);
	CHECK_STR(cfg.storage_dir, want);

	snprintf(path, sizeof(path), "%s/config/demo.conf", src);
	memset(&err, 0, sizeof(err));
	CHECK(config_load(path, &cfg, &err) == 0);
	if (err.msg[0] != '\0')
		fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.msg);
	CHECK_STR(cfg.listen_host, "127.0.0.1");
	CHECK(cfg.listen_port == 8080);
	CHECK(cfg.is_public);
	CHECK(cfg.interval_s == 60);
	snprintf(want, sizeof(want), "%s/config/../build/demo/var", src);
	CHECK_STR(cfg.storage_dir, want);
	snprintf(want, sizeof(want), "%s/config/../build/demo/endpoints.csv",
	         src);
	CHECK_STR(cfg.endpoints_path, want);
	snprintf(want, sizeof(want), "%s/config/measures.json", src);
	CHECK_STR(cfg.measures_path, want);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmp_dir, sizeof(tmp_dir), "%s/test_config.XXXXXX",
	         t != NULL && t[0] != '\0' ? t : "/tmp");
	if (mkdtemp(tmp_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_defaults);
	RUN(test_every_key);
	RUN(test_step_is_gone);
	RUN(test_int_bounds);
	RUN(test_bool);
	RUN(test_listen);
	RUN(test_cors_origins);
	RUN(test_errors);
	RUN(test_syntax);
	RUN(test_not_nul_terminated);
	RUN(test_long_lines);
	RUN(test_untouched_on_error);
	RUN(test_load);
	RUN(test_tls);
	RUN(test_shipped);
	if (rmdir(tmp_dir) != 0)
		perror(tmp_dir);
	return check_done();
}
