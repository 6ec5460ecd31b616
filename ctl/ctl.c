/*
 * ctl.c: what kuntamonctl's commands share, kept out of its main() so the
 * ctl_*.c families link wherever the library does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"

int
ctl_open_stores(struct ctl *c)
{
	struct error err = { 0 };
	char db_path[CONFIG_PATH_MAX + 32];

	if (mkdir(c->cfg.storage_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", c->cfg.storage_dir,
		        strerror(errno));
		return -1;
	}
	snprintf(db_path, sizeof(db_path), "%s/kuntamon.db",
	         c->cfg.storage_dir);
	if ((c->db = store_db_open(db_path, &err)) == NULL ||
	    (c->rrd = store_rrd_new(c->cfg.storage_dir, c->cfg.rrdcached,
	                            &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", c->cfg.storage_dir, err.msg);
		return -1;
	}
	return 0;
}
