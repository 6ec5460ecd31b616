/*
 * app.c: the shared state's swap discipline. Readers take a reference under
 * the lock and work without it; SIGHUP swaps the pointer under the lock.
 */
#include "app.h"
#include "log.h"

struct catalog *
app_catalog(struct app *app)
{
	struct catalog *cat;

	pthread_mutex_lock(&app->lock);
	cat = catalog_ref(app->cat);
	pthread_mutex_unlock(&app->lock);
	return cat;
}

void
app_config(struct app *app, struct config *out)
{
	pthread_mutex_lock(&app->lock);
	*out = app->cfg;
	pthread_mutex_unlock(&app->lock);
}

void
app_swap(struct app *app, struct catalog *cat, const struct config *cfg)
{
	struct catalog *old;

	size_t i;

	pthread_mutex_lock(&app->lock);
	old = app->cat;
	app->cat = cat;
	app->cfg = *cfg;
	pthread_mutex_unlock(&app->lock);
	catalog_unref(old);
	/* A new catalog may aggregate differently: every cached answer is
	 * stale. */
	for (i = 0; i < APP_GENERATION_SLOTS; i++)
		atomic_fetch_add(&app->generation[i], 1);
}

static size_t
slot(const char *code)
{
	size_t h = 5381;

	while (*code != '\0')
		h = h * 33 + (unsigned char)*code++;
	return h % APP_GENERATION_SLOTS;
}

void
app_data_landed(void *ctx, const struct catalog *cat, int area)
{
	struct app *app = ctx;
	size_t i;

	(void)cat;
	(void)area;
	/* What the public sees of an area depends on others' figures
	 * (figure.h): a municipality's on its region's other members, a
	 * region's on the other regions, and through the partner a region
	 * withheld beside another must give, a municipality's on any
	 * region. New figures anywhere make every area's cached public
	 * answer stale. */
	for (i = 0; i < APP_GENERATION_SLOTS; i++)
		atomic_fetch_add(&app->generation[i], 1);
}

unsigned long
app_generation(struct app *app, const char *area_code)
{
	return atomic_load(&app->generation[slot(area_code)]);
}

void
app_check_figures(struct app *app)
{
	struct error err = { 0 };
	char q[300];

	/* imported figures may touch any area: the reload makes every
	 * cached answer stale (app_data_landed, through ingest) */
	switch (ingest_figures_reload(&app->figures, NULL, app->db, &err)) {
	case 1:
		log_info("figures reloaded: another program wrote some", NULL);
		break;
	case -1:
		log_warn("cannot reload the figures", "err=%s",
		         log_quote(err.msg, q, sizeof(q)));
		break;
	}
}
