/*
 * kuntamond.c: the daemon's main(): flags, start-up order, signals.
 *
 * Start-up validates everything before starting anything (bad config: exit
 * 2, FILE:LINE: msg). Signals are blocked in every thread and taken here
 * with sigwait: SIGHUP reloads config and catalog (an invalid new one is
 * logged and the old kept); SIGTERM/SIGINT stop the collector (the result
 * being written finishes), drain the HTTP server, close the stores, exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "catalog.h"
#include "chart.h"
#include "clock.h"
#include "config.h"
#include "http_json.h"
#include "ingest.h"
#include "log.h"
#include "scheduler.h"
#include "server.h"
#include "store_db.h"
#include "store_rrd.h"

#define DRAIN_MS 5000

static void
usage(FILE *f)
{
	fputs("usage: kuntamond [-c FILE] [--check]\n"
	      "  -c FILE   configuration (default config/kuntamon.conf)\n"
	      "  --check   validate configuration and catalog, then exit\n",
	      f);
}

/* Loads config and catalog; prints FILE:LINE: msg on failure. */
static struct catalog *
load(const char *path, struct config *cfg, struct error *err)
{
	struct catalog *cat;

	memset(err, 0, sizeof(*err));
	if (config_load(path, cfg, err) < 0)
		return NULL;
	memset(err, 0, sizeof(*err));
	cat = catalog_load(cfg, err);
	/* A certificate GnuTLS refuses is a configuration error too. */
	if (cat != NULL && server_check(cfg, err) < 0) {
		catalog_unref(cat);
		return NULL;
	}
	return cat;
}

static int
mkdir_p(const char *path)
{
	char tmp[CONFIG_PATH_MAX];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Brings the RRD files in line with the figures (and with measures the
 * catalog added since). */
static void
repair_files(struct app *app, struct catalog *cat)
{
	struct ingest_ctx ctx = { cat, app->rrd, app->db, &app->figures };

	ingest_repair(&ctx);
}

static void
reload(struct app *app, const char *path)
{
	struct config cfg, old;
	struct catalog *cat;
	struct error err;
	char msg[600], q[700];

	cat = load(path, &cfg, &err);
	if (cat == NULL) {
		error_format(&err, msg, sizeof(msg));
		log_error("reload refused, keeping the old configuration",
		          "error=%s", log_quote(msg, q, sizeof(q)));
		return;
	}
	app_config(app, &old);
	if (strcmp(cfg.listen_host, old.listen_host) != 0 ||
	    cfg.listen_port != old.listen_port ||
	    strcmp(cfg.storage_dir, old.storage_dir) != 0 ||
	    strcmp(cfg.rrdcached, old.rrdcached) != 0 ||
	    strcmp(cfg.tls_cert_path, old.tls_cert_path) != 0 ||
	    strcmp(cfg.tls_key_path, old.tls_key_path) != 0)
		log_warn("listen, TLS, storage and rrdcached changes take "
		         "effect after a restart",
		         NULL);
	/* Keep what cannot change while running. */
	snprintf(cfg.listen_host, sizeof(cfg.listen_host), "%s",
	         old.listen_host);
	cfg.listen_port = old.listen_port;
	snprintf(cfg.storage_dir, sizeof(cfg.storage_dir), "%s",
	         old.storage_dir);
	snprintf(cfg.rrdcached, sizeof(cfg.rrdcached), "%s", old.rrdcached);
	memcpy(cfg.tls_cert_path, old.tls_cert_path, sizeof(cfg.tls_cert_path));
	memcpy(cfg.tls_key_path, old.tls_key_path, sizeof(cfg.tls_key_path));
	if (ingest_figures_reload(&app->figures, cat, app->db, &err) < 0) {
		log_error("reload refused, keeping the old configuration",
		          "error=%s", log_quote(err.msg, q, sizeof(q)));
		catalog_unref(cat);
		return;
	}
	repair_files(app, cat);
	log_info("reloaded", "municipalities=%zu measures=%zu endpoints=%zu",
	         cat->n_areas - cat->first_municipality, cat->n_measures,
	         cat->n_endpoints);
	app_swap(app, cat, &cfg);
}

int
main(int argc, char **argv)
{
	const char *path = "config/kuntamon.conf";
	struct app app = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct scheduler *sched = NULL;
	struct server *srv = NULL;
	struct catalog *cat;
	struct error err;
	char msg[600], db_path[CONFIG_PATH_MAX + 32];
	bool is_check = false;
	sigset_t set;
	int i, sig, status = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "--check") == 0) {
			is_check = true;
		} else if (strcmp(argv[i], "-h") == 0 ||
		           strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}

	cat = load(path, &app.cfg, &err);
	if (cat == NULL) {
		error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return 2;
	}
	if (is_check) {
		printf("%s: ok (%zu municipalities, %zu measures, "
		       "%zu indicators, %zu endpoints)\n",
		       path, cat->n_areas - cat->first_municipality,
		       cat->n_measures, cat->n_indicators, cat->n_endpoints);
		catalog_unref(cat);
		return 0;
	}
	app.cat = cat;
	app.started = clock_now();

	/* Signals go to sigwait below, never to other threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&err, 0, sizeof(err));
	if (mkdir_p(app.cfg.storage_dir) < 0) {
		log_error("cannot create storage folder", "dir=%s err=%s",
		          app.cfg.storage_dir, strerror(errno));
		goto out;
	}
	snprintf(db_path, sizeof(db_path), "%s/kuntamon.db",
	         app.cfg.storage_dir);
	if (http_json_global_init() < 0 ||
	    (app.db = store_db_open(db_path, &err)) == NULL ||
	    (app.rrd = store_rrd_new(app.cfg.storage_dir, app.cfg.rrdcached,
	                             &err)) == NULL ||
	    ingest_figures_init(&app.figures, cat, app.db, &err) < 0) {
		/* a v1 data directory is refused here, and says why */
		log_error("cannot open storage", "dir=%s err=%s",
		          app.cfg.storage_dir,
		          log_quote(err.msg, msg, sizeof(msg)));
		fprintf(stderr, "kuntamond: %s: %s\n", app.cfg.storage_dir,
		        err.msg);
		goto out;
	}
	app.figures.landed_fn = app_data_landed;
	app.figures.landed_ctx = &app;
	repair_files(&app, cat);
	chart_init(); /* loads the fonts now, not on the first request */
	if ((srv = server_start(&app, &app.cfg, &err)) == NULL) {
		log_error("cannot start the HTTP server", "err=%s", err.msg);
		goto out;
	}
	sched = scheduler_new(&app);
	if (scheduler_start(sched) < 0) {
		log_error("cannot start the collector thread", NULL);
		goto out;
	}
	log_info("started", "port=%d municipalities=%zu endpoints=%zu pid=%ld",
	         server_port(srv), cat->n_areas - cat->first_municipality,
	         cat->n_endpoints, (long)getpid());

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(&app, path);
			continue;
		}
		log_info("stopping", "signal=%d", sig);
		break;
	}
	status = 0;
out:
	scheduler_free(sched);
	if (srv != NULL)
		server_stop(srv, DRAIN_MS);
	ingest_figures_reset(&app.figures);
	store_rrd_free(app.rrd);
	store_db_close(app.db);
	catalog_unref(app.cat);
	http_json_global_cleanup();
	if (status == 0)
		log_info("stopped", NULL);
	return status;
}
