/*
 * fixture.h: what the unit tests and fuzz targets share: temporary
 * folders, a real rrdcached, and small catalogs built from text. Linked
 * into every test binary; never into the daemon.
 */
#ifndef KUNTAMON_FIXTURE_H
#define KUNTAMON_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "catalog.h"

struct store_db;

/* A fresh folder /tmp/NAME.XXXXXX into out; the test exits if it cannot
 * be made. */
void fixture_tmpdir(char *out, size_t size, const char *name);
/* Removes dir and everything below it (a missing dir is fine). */
void fixture_rmtree(const char *dir);

/* A fresh store: kuntamon.db in a new folder /tmp/NAME.XXXXXX, opened
 * (NULL, said on stderr, if it does not open). The folder f held before,
 * if any, is removed first; fixture_db_remove closes db (may be NULL) and
 * removes the folder. */
struct fixture_db {
	char dir[64];
	char path[128];
};
struct store_db *fixture_db_open(struct fixture_db *f, const char *name);
void fixture_db_remove(struct fixture_db *f, struct store_db *db);
/* One integer from sql on a second, read-only connection to f's store;
 * -1 if it gives no row or fails (said on stderr). */
long long fixture_db_int(const struct fixture_db *f, const char *sql);

/* Whether rrdcached is installed (tests that need it print a skip line). */
bool fixture_has_rrdcached(void);
/* Starts rrdcached in the foreground on a unix socket in dir, writing files
 * only hourly, so a value read back proves the reader flushed. Its address
 * goes into addr. The pid, or -1. Waits for the socket, at most 5 s. */
pid_t fixture_rrdcached_start(const char *dir, char *addr, size_t addr_size);
/* The same on TCP, 127.0.0.1 and a free port ("127.0.0.1:PORT" into
 * addr), started as an operator would for kuntamon: -B -b dir (files only
 * within dir, absolute paths accepted there). */
pid_t fixture_rrdcached_start_tcp(const char *dir, char *addr,
                                  size_t addr_size);
/* SIGTERM and wait: true if it was the child that ended. */
bool fixture_rrdcached_stop(pid_t pid);

/* Entries of a measures.json for small test catalogs: names that do not
 * matter, a measure with its aggregate and whether it is a count, a ratio
 * indicator. */
#define FIXTURE_NAMES "\"name\": {\"fi\": \"x\", \"sv\": \"x\", \"en\": \"x\"}"
#define FIXTURE_MEASURE(id, agg, count)                                        \
	"{\"id\": \"" id "\", \"unit\": \"n\", \"min\": 0, \"max\": 1000000, " \
	"\"aggregate\": \"" agg "\", \"is_count\": " count ", " FIXTURE_NAMES  \
	"}"
#define FIXTURE_RATIO(id, num, den, scale, unit)                               \
	"{\"id\": \"" id "\", \"numerator\": \"" num "\", \"denominator\": "   \
	"\"" den "\", \"scale\": " scale ", \"unit\": \"" unit                 \
	"\", " FIXTURE_NAMES "}"

/* The regions and municipalities of most small test catalogs: Uusimaa
 * with Espoo (KU049) and Helsinki (KU091). */
#define FIXTURE_REGIONS "code,name_fi,name_sv\n01,Uusimaa,Nyland\n"
#define FIXTURE_MUNICIPALITIES                                                 \
	"code,name_fi,name_sv,region_code,region_name_fi,region_name_sv,"      \
	"population,foreign_language_population\n"                             \
	"049,Espoo,Esbo,01,Uusimaa,Nyland,320931,63123\n"                      \
	"091,Helsinki,Helsingfors,01,Uusimaa,Nyland,684018,124010\n"
/* A summed measure with its bounds (numbers as text). */
#define FIXTURE_BOUNDED(id, min, max, count)                                   \
	"{\"id\": \"" id "\", \"unit\": \"n\", \"min\": " min                  \
	", \"max\": " max ", \"aggregate\": \"sum\", \"is_count\": " count     \
	", " FIXTURE_NAMES "}"

/* The measures of the submission fuzz targets, as a measures.json's
 * "measures" and "rules" members (no braces): a yes/no, two counts one
 * within the other and a signed figure. */
/* clang-format off */
#define FIXTURE_SUBMIT_MEASURES                                                \
	"\"measures\": ["                                                      \
	FIXTURE_BOUNDED("gp_open", "0", "1", "false") ","                      \
	FIXTURE_BOUNDED("contacts", "0", "1000000", "true") ","                \
	FIXTURE_BOUNDED("contacts_remote", "0", "1000000", "true") ","         \
	FIXTURE_BOUNDED("staff_fte", "-10", "10000", "false")                  \
	"], \"rules\": [\"contacts_remote <= contacts\","                       \
	" \"gp_open < staff_fte\"]"
/* clang-format on */

/* A finished catalog from the texts of the catalog files (endpoints may be
 * NULL). A fixture that does not parse is the test's own mistake: it says
 * which line and aborts. */
struct catalog *fixture_catalog(const char *regions, const char *municipalities,
                                const char *measures, const char *endpoints);

#endif
