/*
 * ctl.h: what kuntamonctl's commands share. kuntamonctl.c parses -c and
 * dispatches; each family of commands lives in its own ctl_*.c.
 */
#ifndef KUNTAMON_CTL_H
#define KUNTAMON_CTL_H

#include "catalog.h"
#include "config.h"
#include "store_db.h"
#include "store_rrd.h"

struct ctl {
	const char *path; /* the config file */
	struct config cfg;
	struct catalog *cat;
	struct store_db *db;   /* NULL until ctl_open_stores */
	struct store_rrd *rrd; /* NULL until ctl_open_stores */
};

/* Opens the database and RRD store of cfg (creating the folder). Prints
 * what is wrong and returns -1 on failure. */
int ctl_open_stores(struct ctl *c);

/* kuntamonctl export --area A --indicator I [--start S] [--end E]
 *   [--step month|SECONDS] [--format csv|json] [--output F], or
 * kuntamonctl export --data --indicator LIST [--area LIST] [--level L]
 *   [--region R] [--period P] [--lang L]
 *   [--format json|csv|excel-fi|xlsx|jsonstat] [--output F];
 * argv[0] is "export". Returns the exit status. */
int ctl_export(struct ctl *c, int argc, char **argv);
/* kuntamonctl import FILE.csv (area,period,measure,value); argv[0] is
 * "import". All rows or none: a bad row is printed as FILE:LINE: what is
 * wrong and nothing is written. Returns the exit status. */
int ctl_import(struct ctl *c, int argc, char **argv);
/* kuntamonctl token create AREA|--ministry | list | revoke ID; argv[0] is
 * "token". Returns the exit status. */
int ctl_token(struct ctl *c, int argc, char **argv);

#endif
