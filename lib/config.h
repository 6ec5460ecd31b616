/*
 * config.h: the INI configuration (SPEC §2) as one plain struct.
 *
 * Every key lives in one table in config.c with its type, default and
 * bounds; an empty file is a valid configuration. Errors name FILE:LINE.
 */
#ifndef KUNTAMON_CONFIG_H
#define KUNTAMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define CONFIG_PATH_MAX 1024
#define CONFIG_ORIGINS_MAX 512 /* an INI line is shorter anyway */

struct config {
	char path[CONFIG_PATH_MAX]; /* the file loaded; "" for defaults only */

	/* [server] */
	char listen_host[256]; /* "127.0.0.1", "::1" (no brackets), "*" */
	int listen_port;       /* 0: any free port */
	int max_connections;
	int per_ip_connections;
	int connection_timeout_s;
	/* a request's headers must be in within this of the connection
	 * opening or the previous answer, however they trickle */
	int header_timeout_s;
	bool is_public;
	int submit_rate;   /* submissions per token per minute */
	int session_hours; /* a browser session's life from its sign-in */
	/* PEM files; both "" (plain HTTP) or both set (HTTPS only) */
	char tls_cert_path[CONFIG_PATH_MAX];
	char tls_key_path[CONFIG_PATH_MAX];
	/* Origins whose pages may read the API from a browser (CORS):
	 * "scheme://host[:port]" as browsers send them, one space apart;
	 * "" for none. */
	char cors_origins[CONFIG_ORIGINS_MAX];

	/* [storage] */
	char storage_dir[CONFIG_PATH_MAX];
	char rrdcached[CONFIG_PATH_MAX]; /* "" = write files directly */
	/* polls, rejections, violations and audit lines older than this
	 * are pruned; figures and their history never are */
	int retention_days;

	/* [collect] */
	int interval_s;
	int timeout_s;
	int concurrency;
	long max_body_bytes;
	int ontime_days;
	/* a redirect may lead to a private address (collectors/redirect.h) */
	bool is_private_allowed;

	/* [catalog] */
	char regions_path[CONFIG_PATH_MAX];
	char municipalities_path[CONFIG_PATH_MAX];
	char measures_path[CONFIG_PATH_MAX];
	char endpoints_path[CONFIG_PATH_MAX];
};

/* Fills cfg with every key's default. */
void config_init(struct config *cfg);

/* Applies the INI text (len bytes, need not be NUL-terminated) over cfg.
 * Pure: paths are stored as written. Unknown sections or keys, duplicate
 * keys, bad values and values out of bounds are errors: -1 with err->line
 * and err->msg, and cfg left as it was. */
int config_parse(const char *text, size_t len, struct config *cfg,
                 struct error *err);

/* config_init + reads and parses path (at most 1 MiB), then makes relative
 * paths relative to the file's folder and checks that the TLS files, if
 * set, are readable PEM of the right kind. On error err->file is path
 * (line 0 if the file cannot be read) and cfg is left as it was. */
int config_load(const char *path, struct config *cfg, struct error *err);

#endif
