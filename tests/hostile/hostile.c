/*
 * hostile.c: hostile HTTP clients for tests/integration/95_hostile.sh.
 *
 *   hostile --target 127.0.0.1:PORT [--source ADDR[,ADDR...]]
 *           [--seconds N] MODE [ARG]
 *
 *   slowloris N   N connections that send a request line, then one header
 *                 byte a second and never the blank line that ends them;
 *                 one the server closes is opened again a second later
 *                 (with --once, not), and how long after opening it was
 *                 closed is reported (min_close_s, max_close_s)
 *   hold N        N connections opened at once that send nothing: the
 *                 server keeps at most its per-IP limit and closes the
 *                 rest, and closes the kept ones when they have been idle
 *                 for its connection timeout
 *   bigheader N   requests with one header line of N bytes, one after the
 *                 other
 *   garbage N     N random bytes (NUL, CR, LF and all) and a blank line,
 *                 one connection after the other
 *   flood N       N keep-alive connections sending GET requests for the
 *                 paths in --paths (default /healthz) back to back
 *
 * Each connection's source address is the next of --source (round robin;
 * all of 127.0.0.0/8 is loopback), so the attack can come from addresses
 * other than the one a probe uses, and the server's per-IP limit is what
 * keeps the probe's share. One thread, one poll loop, for --seconds
 * (default 10); then one line of counts on stdout and exit 0. Exit 1 only
 * if the tool itself cannot work (bad arguments, no connection at all).
 *
 * Only loopback targets are accepted: this is a test tool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define MAX_SOURCES 64
#define CONNECT_TIMEOUT_MS 1000
/* An answer of more than this is not read to its end (flood only). */
#define READ_BYTES (256 * 1024)

enum mode {
	MODE_SLOWLORIS,
	MODE_HOLD,
	MODE_BIGHEADER,
	MODE_GARBAGE,
	MODE_FLOOD
};

struct opts {
	struct sockaddr_in target;
	struct in_addr sources[MAX_SOURCES];
	size_t n_sources;
	double seconds;
	enum mode mode;
	long arg;
	char *paths[32];
	size_t n_paths;
	bool is_once; /* slowloris: no new connection for a closed one */
};

/* Counts, printed at the end. */
struct stats {
	unsigned long opened;      /* connections established */
	unsigned long failed;      /* connects that failed or timed out */
	unsigned long closed;      /* closed by the server */
	unsigned long requests;    /* requests sent whole */
	unsigned long answers;     /* answers read (a status line) */
	unsigned long status[6];   /* answers by class: [4] is 4xx */
	unsigned long no_answer;   /* closed without a status line */
	unsigned long max_open;    /* most connections open at once */
	unsigned long open_now;    /* open at the end */
	unsigned long held;        /* hold: kept after the first second */
	unsigned long refused;     /* hold: closed within the first second */
	double first_idle_close_s; /* hold: first kept one closed, seconds */
	double last_idle_close_s;  /* hold: last kept one closed */
	unsigned long idle_closed; /* hold: kept ones closed later */
	int last_status;           /* the last status code seen */
	double min_close_s;        /* slowloris: soonest close after open */
	double max_close_s;        /* slowloris: latest close after open */
};

struct conn {
	int fd; /* -1: not open */
	double opened_at;
	double next_at; /* slowloris: next byte; others: reconnect */
	size_t n_sent;  /* of the current request */
	size_t n_read;  /* of the current answer */
	char head[512]; /* the answer's first bytes */
	size_t head_len;
	long body_left; /* flood: bytes of body still to read; -1 unknown */
	bool is_answered;
	unsigned long path_index;
};

static struct opts opt;
static struct stats st;
static struct conn conns[MAX_CONNS];
static unsigned long next_source;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
rng_next(void)
{
	/* xorshift64*: reproducible garbage, no libc state */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void
usage(void)
{
	fputs("usage: hostile --target 127.0.0.1:PORT [--source ADDR[,ADDR]] "
	      "[--seconds N]\n"
	      "               [--paths P1,P2] [--once] slowloris|hold|"
	      "bigheader|garbage|flood N\n",
	      stderr);
	exit(1);
}

static bool
is_loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == 127;
}

static int
parse_addr(const char *s, struct in_addr *out)
{
	if (inet_pton(AF_INET, s, out) != 1 || !is_loopback(*out)) {
		fprintf(stderr, "hostile: %s is not a 127.x.y.z address\n", s);
		return -1;
	}
	return 0;
}

static long
parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr,
		        "hostile: \"%s\" is not a number in [%ld, %ld]\n", s,
		        min, max);
		exit(1);
	}
	return v;
}

/* Splits s at commas in place: the next item, and *s moved past it. */
static char *
next_item(char **s)
{
	char *item = *s, *comma;

	if (item == NULL || *item == '\0')
		return NULL;
	comma = strchr(item, ',');
	if (comma != NULL) {
		*comma = '\0';
		*s = comma + 1;
	} else {
		*s = NULL;
	}
	return item;
}

static void
parse_args(int argc, char **argv)
{
	static char paths_default[] = "/healthz";
	char *paths = paths_default, *p, *rest;
	int i;

	opt.seconds = 10;
	opt.target.sin_family = AF_INET;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
			char *colon = strrchr(argv[++i], ':');

			if (colon == NULL)
				usage();
			*colon = '\0';
			if (parse_addr(argv[i], &opt.target.sin_addr) < 0)
				exit(1);
			opt.target.sin_port =
			    htons((uint16_t)parse_long(colon + 1, 1, 65535));
		} else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
			rest = argv[++i];
			while ((p = next_item(&rest)) != NULL) {
				if (opt.n_sources == MAX_SOURCES ||
				    parse_addr(p, &opt.sources[opt.n_sources]) <
				        0)
					exit(1);
				opt.n_sources++;
			}
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			opt.seconds = (double)parse_long(argv[++i], 1, 600);
		} else if (strcmp(argv[i], "--paths") == 0 && i + 1 < argc) {
			paths = argv[++i];
		} else if (strcmp(argv[i], "--once") == 0) {
			opt.is_once = true;
		} else {
			break;
		}
	}
	if (opt.target.sin_port == 0 || i + 2 != argc)
		usage();
	if (strcmp(argv[i], "slowloris") == 0)
		opt.mode = MODE_SLOWLORIS;
	else if (strcmp(argv[i], "hold") == 0)
		opt.mode = MODE_HOLD;
	else if (strcmp(argv[i], "bigheader") == 0)
		opt.mode = MODE_BIGHEADER;
	else if (strcmp(argv[i], "garbage") == 0)
		opt.mode = MODE_GARBAGE;
	else if (strcmp(argv[i], "flood") == 0)
		opt.mode = MODE_FLOOD;
	else
		usage();
	opt.arg =
	    parse_long(argv[i + 1], 1,
	               opt.mode == MODE_BIGHEADER || opt.mode == MODE_GARBAGE
	                   ? 16 * 1024 * 1024
	                   : MAX_CONNS);
	rest = paths;
	while ((p = next_item(&rest)) != NULL) {
		if (opt.n_paths == sizeof(opt.paths) / sizeof(opt.paths[0]))
			usage();
		opt.paths[opt.n_paths++] = p;
	}
	if (opt.n_paths == 0)
		usage();
}

/* A non-blocking connection to the target from the next source address,
 * or -1 (counted as failed). */
static int
open_conn(void)
{
	struct sockaddr_in src;
	struct pollfd pfd;
	int fd, soerr = 0;
	socklen_t len = sizeof(soerr);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (opt.n_sources > 0) {
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr = opt.sources[next_source++ % opt.n_sources];
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			goto fail;
	}
	if (connect(fd, (struct sockaddr *)&opt.target, sizeof(opt.target)) <
	        0 &&
	    errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, CONNECT_TIMEOUT_MS) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 ||
	    soerr != 0)
		goto fail;
	st.opened++;
	return fd;
fail:
	st.failed++;
	if (fd >= 0)
		close(fd);
	return -1;
}

static unsigned long
count_open(void)
{
	unsigned long n = 0;
	long i;

	for (i = 0; i < opt.arg && i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			n++;
	return n;
}

static void
note_open(void)
{
	unsigned long n = count_open();

	if (n > st.max_open)
		st.max_open = n;
}

static void
close_conn(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Records the status line in c->head, if there is one yet. */
static void
note_answer(struct conn *c)
{
	int code;

	if (c->is_answered || c->head_len < 12)
		return;
	if (memcmp(c->head, "HTTP/1.", 7) != 0 || c->head[8] != ' ')
		return;
	code = (c->head[9] - '0') * 100 + (c->head[10] - '0') * 10 +
	       (c->head[11] - '0');
	c->is_answered = true;
	st.answers++;
	st.last_status = code;
	if (code >= 100 && code < 600)
		st.status[code / 100]++;
}

/* Reads what is there; true if the server closed the connection. */
static bool
read_some(struct conn *c)
{
	char buf[16384];
	ssize_t n;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			size_t room = sizeof(c->head) - 1 - c->head_len;
			size_t k = (size_t)n < room ? (size_t)n : room;

			memcpy(c->head + c->head_len, buf, k);
			c->head_len += k;
			c->head[c->head_len] = '\0';
			c->n_read += (size_t)n;
			note_answer(c);
			continue;
		}
		if (n == 0)
			return true;
		if (errno == EINTR)
			continue;
		return errno != EAGAIN && errno != EWOULDBLOCK;
	}
}

/* Sends len bytes of data from c->n_sent on; true if the server closed
 * the connection. */
static bool
send_some(struct conn *c, const char *data, size_t len)
{
	ssize_t n;

	while (c->n_sent < len) {
		n = send(c->fd, data + c->n_sent, len - c->n_sent,
		         MSG_NOSIGNAL);
		if (n > 0) {
			c->n_sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		return true;
	}
	return false;
}

static void
reset_request(struct conn *c)
{
	c->n_sent = 0;
	c->n_read = 0;
	c->head_len = 0;
	c->head[0] = '\0';
	c->is_answered = false;
	c->body_left = -1;
}

/* Waits up to ms for any open connection to become readable (or
 * writable, for those with want_write). */
static void
wait_events(int ms, bool want_write)
{
	struct pollfd pfds[MAX_CONNS];
	nfds_t n = 0;
	long i;

	for (i = 0; i < opt.arg && i < MAX_CONNS; i++) {
		if (conns[i].fd < 0)
			continue;
		pfds[n].fd = conns[i].fd;
		pfds[n].events = POLLIN | (want_write ? POLLOUT : 0);
		n++;
	}
	if (n == 0) {
		struct timespec ts = { 0, (long)ms * 1000000L };

		nanosleep(&ts, NULL);
		return;
	}
	poll(pfds, n, ms);
}

static const char slow_line[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
static const char slow_header[] = "X-Slow: a\r\n";

/* A slowloris connection closed by the server, age and all. */
static void
slow_closed(struct conn *c, double t)
{
	double age = t - c->opened_at;

	if (st.closed == 0 || age < st.min_close_s)
		st.min_close_s = age;
	if (age > st.max_close_s)
		st.max_close_s = age;
	st.closed++;
	close_conn(c);
	c->next_at = opt.is_once ? 1e300 : t + 1;
}

static void
run_slowloris(double end)
{
	long i, n = opt.arg;
	double t;

	while ((t = now_s()) < end) {
		for (i = 0; i < n; i++) {
			struct conn *c = &conns[i];

			if (c->fd < 0 && t >= c->next_at) {
				c->fd = open_conn();
				c->next_at = t + 1; /* at most one a second */
				if (c->fd < 0)
					continue;
				reset_request(c);
				c->opened_at = t;
				if (send_some(c, slow_line,
				              sizeof(slow_line) - 1)) {
					slow_closed(c, t);
					continue;
				}
				c->n_sent = 0; /* now counts header bytes */
				/* spread the bytes over the second */
				c->next_at = t + (double)(i % 10) / 10.0;
			}
			if (c->fd < 0)
				continue;
			if (read_some(c)) {
				slow_closed(c, t);
				continue;
			}
			if (t >= c->next_at) {
				char byte =
				    slow_header[c->n_sent %
				                (sizeof(slow_header) - 1)];
				ssize_t k = send(c->fd, &byte, 1, MSG_NOSIGNAL);

				if (k < 0 && errno != EAGAIN) {
					slow_closed(c, t);
					continue;
				}
				if (k == 1)
					c->n_sent++;
				c->next_at = t + 1;
			}
		}
		note_open();
		wait_events(100, false);
	}
}

static void
run_hold(double end)
{
	long i, n = opt.arg;
	double start = now_s(), t;

	for (i = 0; i < n; i++) {
		conns[i].fd = open_conn();
		conns[i].opened_at = now_s();
	}
	note_open();
	/* What the server refuses, it closes at once. */
	while ((t = now_s()) < start + 1.0) {
		for (i = 0; i < n; i++)
			if (conns[i].fd >= 0 && read_some(&conns[i])) {
				st.refused++;
				close_conn(&conns[i]);
			}
		wait_events(50, false);
	}
	st.held = count_open();
	/* What it keeps, it closes once idle for its timeout. */
	while ((t = now_s()) < end) {
		for (i = 0; i < n; i++) {
			if (conns[i].fd < 0 || !read_some(&conns[i]))
				continue;
			close_conn(&conns[i]);
			if (st.idle_closed == 0)
				st.first_idle_close_s = t - conns[i].opened_at;
			st.last_idle_close_s = t - conns[i].opened_at;
			st.idle_closed++;
		}
		wait_events(100, false);
	}
}

/* One request at a time on a fresh connection, until the answer or the
 * close; used by bigheader and garbage. */
static void
run_one_shot(double end, const char *req, size_t req_len)
{
	struct conn *c = &conns[0];
	double t;
	bool is_closed;

	opt.arg = 1; /* one connection slot */
	while ((t = now_s()) < end) {
		c->fd = open_conn();
		if (c->fd < 0) {
			wait_events(100, false);
			continue;
		}
		reset_request(c);
		note_open();
		is_closed = false;
		/* Send while reading: the server may answer and close before
		 * it has read everything. Give up on one after 5 s. */
		while (!is_closed && now_s() < t + 5 && now_s() < end) {
			if (send_some(c, req, req_len))
				is_closed = true;
			if (read_some(c))
				is_closed = true;
			if (c->is_answered && c->n_sent == req_len)
				break;
			if (!is_closed)
				wait_events(50, c->n_sent < req_len);
		}
		if (c->n_sent == req_len)
			st.requests++;
		if (is_closed)
			st.closed++;
		if (!c->is_answered)
			st.no_answer++;
		close_conn(c);
	}
}

static char *
make_bigheader(size_t n, size_t *out_len)
{
	static const char head[] =
	    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "X-Big: ";
	size_t len = sizeof(head) - 1 + n + 4;
	char *req = malloc(len);

	if (req == NULL)
		exit(1);
	memcpy(req, head, sizeof(head) - 1);
	memset(req + sizeof(head) - 1, 'a', n);
	memcpy(req + len - 4, "\r\n\r\n", 4);
	*out_len = len;
	return req;
}

static char *
make_garbage(size_t n, size_t *out_len)
{
	char *req = malloc(n + 4);
	size_t i;

	if (req == NULL)
		exit(1);
	for (i = 0; i < n; i++)
		req[i] = (char)(rng_next() >> 56);
	memcpy(req + n, "\r\n\r\n", 4);
	*out_len = n + 4;
	return req;
}

/* Where the answer in c->head ends: sets c->body_left once the head is
 * in; true when the whole answer has been read. */
static bool
answer_done(struct conn *c)
{
	const char *eoh, *cl;
	size_t head_bytes;

	if (c->body_left < 0) {
		eoh = strstr(c->head, "\r\n\r\n");
		if (eoh == NULL)
			return false;
		head_bytes = (size_t)(eoh + 4 - c->head);
		cl = strcasestr(c->head, "\r\nContent-Length:");
		if (cl == NULL || cl > eoh)
			return false; /* not ours to parse: wait for close */
		c->body_left = strtol(cl + 17, NULL, 10);
		c->body_left -= (long)(c->n_read - head_bytes);
		return c->body_left <= 0;
	}
	return c->body_left <= 0;
}

static void
run_flood(double end)
{
	long i, n = opt.arg;
	char req[512];
	double t;

	while ((t = now_s()) < end) {
		for (i = 0; i < n; i++) {
			struct conn *c = &conns[i];
			size_t before;
			int len;

			if (c->fd < 0) {
				c->fd = open_conn();
				if (c->fd < 0)
					continue;
				reset_request(c);
			}
			len = snprintf(
			    req, sizeof(req),
			    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
			    opt.paths[c->path_index % opt.n_paths]);
			if (c->n_sent < (size_t)len &&
			    send_some(c, req, (size_t)len)) {
				st.closed++;
				close_conn(c);
				continue;
			}
			if (c->n_sent < (size_t)len)
				continue;
			before = c->n_read;
			if (read_some(c)) {
				st.closed++;
				if (!c->is_answered)
					st.no_answer++;
				close_conn(c);
				continue;
			}
			if (c->body_left >= 0)
				c->body_left -= (long)(c->n_read - before);
			if (c->is_answered && answer_done(c)) {
				st.requests++;
				c->path_index++;
				reset_request(c);
			}
		}
		note_open();
		wait_events(10, false);
	}
}

int
main(int argc, char **argv)
{
	const char *names[] = { "slowloris", "hold", "bigheader", "garbage",
		                "flood" };
	double end;
	size_t len = 0;
	char *req = NULL;
	long i;

	signal(SIGPIPE, SIG_IGN);
	parse_args(argc, argv);
	for (i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	end = now_s() + opt.seconds;
	switch (opt.mode) {
	case MODE_SLOWLORIS:
		run_slowloris(end);
		break;
	case MODE_HOLD:
		run_hold(end);
		break;
	case MODE_BIGHEADER:
		req = make_bigheader((size_t)opt.arg, &len);
		run_one_shot(end, req, len);
		break;
	case MODE_GARBAGE:
		req = make_garbage((size_t)opt.arg, &len);
		run_one_shot(end, req, len);
		break;
	case MODE_FLOOD:
		run_flood(end);
		break;
	}
	st.open_now = count_open();
	printf("%s opened=%lu failed=%lu closed=%lu requests=%lu answers=%lu "
	       "s2xx=%lu s4xx=%lu s5xx=%lu no_answer=%lu max_open=%lu "
	       "open_now=%lu held=%lu refused=%lu idle_closed=%lu "
	       "first_idle_close_s=%.1f last_idle_close_s=%.1f "
	       "min_close_s=%.1f max_close_s=%.1f last_status=%d\n",
	       names[opt.mode], st.opened, st.failed, st.closed, st.requests,
	       st.answers, st.status[2], st.status[4], st.status[5],
	       st.no_answer, st.max_open, st.open_now, st.held, st.refused,
	       st.idle_closed, st.first_idle_close_s, st.last_idle_close_s,
	       st.min_close_s, st.max_close_s, st.last_status);
	for (i = 0; i < MAX_CONNS; i++)
		close_conn(&conns[i]);
	free(req);
	return st.opened == 0 ? 1 : 0;
}
