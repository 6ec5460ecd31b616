/*
 * app.c: the shared state's swap discipline. Readers take a reference under
 * the lock and work without it; SIGHUP swaps the pointer under the lock.
 */
#include "app.h"

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

	pthread_mutex_lock(&app->lock);
	old = app->cat;
	app->cat = cat;
	app->cfg = *cfg;
	pthread_mutex_unlock(&app->lock);
	catalog_unref(old);
}
