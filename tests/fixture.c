/*
 * fixture.c: test scaffolding shared by tests/unit and tests/fuzz (see
 * fixture.h). Owns nothing between calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "error.h"
#include "fixture.h"
#include "store_db.h"

static const char rrdcached_bin[] = "/usr/bin/rrdcached";

void
fixture_tmpdir(char *out, size_t size, const char *name)
{
	snprintf(out, size, "/tmp/%s.XXXXXX", name);
	if (mkdtemp(out) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
fixture_rmtree(const char *dir)
{
	if (dir != NULL && dir[0] != '\0')
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct store_db *
fixture_db_open(struct fixture_db *f, const char *name)
{
	struct error err = { 0 };
	struct store_db *db;
	char dir[sizeof(f->dir)];

	/* made in a local buffer: gcc's UBSan build took f->dir, inlined,
	 * for a possibly null destination (-Wformat-truncation) */
	fixture_rmtree(f->dir);
	fixture_tmpdir(dir, sizeof(dir), name);
	memcpy(f->dir, dir, sizeof(dir));
	snprintf(f->path, sizeof(f->path), "%s/kuntamon.db", f->dir);
	db = store_db_open(f->path, &err);
	if (db == NULL)
		fprintf(stderr, "store_db_open: %s\n", err.msg);
	return db;
}

void
fixture_db_remove(struct fixture_db *f, struct store_db *db)
{
	if (db != NULL)
		store_db_close(db);
	fixture_rmtree(f->dir);
	f->dir[0] = '\0';
}

long long
fixture_db_int(const struct fixture_db *f, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;
	int rc = sqlite3_open_v2(f->path, &h, SQLITE_OPEN_READONLY, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

bool
fixture_has_rrdcached(void)
{
	return access(rrdcached_bin, X_OK) == 0;
}

static bool
can_connect(const char *sock)
{
	struct sockaddr_un sa;
	bool ok;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, sock, strlen(sock));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static bool
can_connect_tcp(int port)
{
	struct sockaddr_in sa;
	bool ok;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* A port on 127.0.0.1 that nothing listens on just now; -1 if none. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Starts rrdcached listening at listen (-B: files only within dir) and
 * waits, at most 5 s, until it answers there (sock for a unix socket,
 * else port on 127.0.0.1). The pid; -1 on failure; -2 if it exited at
 * once (its port taken meanwhile, say). */
static pid_t
spawn_cached(const char *dir, const char *listen, bool is_restricted,
             const char *sock, int port)
{
	char journal[512], pidf[512], logf[512];
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	pid_t pid;
	int i, status;

	snprintf(journal, sizeof(journal), "%s/journal", dir);
	snprintf(pidf, sizeof(pidf), "%s/cached.pid", dir);
	snprintf(logf, sizeof(logf), "%s/cached.log", dir);
	if (mkdir(journal, 0755) < 0 && errno != EEXIST)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* -w 3600: files are written hourly, so data reaches a
		 * reader only through a flush */
		/* clang-format off */
		const char *argv[] = { "rrdcached", "-g", "-l", listen,
			"-j", journal, "-b", dir, "-p", pidf, "-o", logf,
			"-w", "3600", "-f", "7200", "-z", "1",
			is_restricted ? "-B" : NULL, NULL };
		/* clang-format on */
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(rrdcached_bin, (char *const *)argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	for (i = 0; i < 500; i++) {
		if (sock != NULL ? can_connect(sock) : can_connect_tcp(port))
			return pid;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return -2;
		nanosleep(&pause, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

pid_t
fixture_rrdcached_start(const char *dir, char *addr, size_t addr_size)
{
	char sock[512], listen[520];
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/cached.sock", dir);
	snprintf(listen, sizeof(listen), "unix:%s", sock);
	snprintf(addr, addr_size, "%s", listen);
	pid = spawn_cached(dir, listen, false, sock, 0);
	return pid < 0 ? -1 : pid;
}

pid_t
fixture_rrdcached_start_tcp(const char *dir, char *addr, size_t addr_size)
{
	char listen[64];
	int attempt, port;
	pid_t pid = -1;

	/* the port may be taken between free_port and rrdcached's bind */
	for (attempt = 0; attempt < 5; attempt++) {
		if ((port = free_port()) < 0)
			return -1;
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
		snprintf(addr, addr_size, "%s", listen);
		if ((pid = spawn_cached(dir, listen, true, NULL, port)) != -2)
			break;
	}
	return pid < 0 ? -1 : pid;
}

bool
fixture_rrdcached_stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	return waitpid(pid, &status, 0) == pid;
}

struct catalog *
fixture_catalog(const char *regions, const char *municipalities,
                const char *measures, const char *endpoints)
{
	struct catalog *cat = catalog_new();
	struct error err = { 0 };
	const char *what = "regions";

	if (catalog_parse_regions(cat, regions, strlen(regions), &err) < 0)
		goto fail;
	what = "municipalities";
	if (catalog_parse_municipalities(cat, municipalities,
	                                 strlen(municipalities), &err) < 0)
		goto fail;
	what = "measures";
	if (catalog_parse_measures(cat, measures, strlen(measures), &err) < 0)
		goto fail;
	what = "endpoints";
	if (endpoints != NULL &&
	    catalog_parse_endpoints(cat, endpoints, strlen(endpoints), &err) <
	        0)
		goto fail;
	what = "catalog";
	if (catalog_finish(cat, &err) < 0)
		goto fail;
	return cat;
fail:
	fprintf(stderr, "test fixture: %s line %d: %s\n", what, err.line,
	        err.msg);
	abort();
}
