/*
 * test_gate.c: the gate of expensive requests (full: refused at once,
 * never past its limit under threads) and the render queue (one turn,
 * handed over in arrival order; full: refused at once; a waiter past its
 * deadline: refused; the 503 answer with Retry-After).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "gate.h"

static enum gate_wait
enter(struct gate_queue *q, long wait_ms)
{
	struct timespec deadline;

	gate_deadline(wait_ms, &deadline);
	return gate_queue_enter(q, &deadline);
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Polls (bounded: 10 s) until n wait in q. */
static bool
wait_waiting(struct gate_queue *q, size_t n)
{
	struct timespec pause = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000; i++) {
		if (gate_queue_waiting(q) == n)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

static void
test_gate_full(void)
{
	struct gate g = { 0 };

	CHECK(gate_try_enter(&g, 2));
	CHECK(gate_try_enter(&g, 2));
	CHECK(!gate_try_enter(&g, 2));
	CHECK(gate_in(&g) == 2);
	/* a lower limit (a reloaded configuration) applies at once */
	gate_leave(&g);
	CHECK(!gate_try_enter(&g, 1));
	CHECK(gate_try_enter(&g, 2));
	gate_leave(&g);
	gate_leave(&g);
	CHECK(gate_in(&g) == 0);
	CHECK(gate_try_enter(&g, 1));
	gate_leave(&g);
}

struct hammer {
	struct gate *g;
	atomic_uint *max_seen, *n_refused;
};

static void *
hammer(void *arg)
{
	struct hammer *h = arg;
	int i;

	for (i = 0; i < 20000; i++) {
		unsigned n, m;

		if (!gate_try_enter(h->g, 3)) {
			atomic_fetch_add(h->n_refused, 1);
			continue;
		}
		n = gate_in(h->g);
		m = atomic_load(h->max_seen);
		while (n > m &&
		       !atomic_compare_exchange_weak(h->max_seen, &m, n))
			;
		gate_leave(h->g);
	}
	return NULL;
}

/* Eight threads at once: never more than the limit inside. */
static void
test_gate_threads(void)
{
	struct gate g = { 0 };
	atomic_uint max_seen = 0, n_refused = 0;
	struct hammer h = { &g, &max_seen, &n_refused };
	pthread_t t[8];
	size_t i;

	for (i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, &h);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	CHECK(max_seen >= 1 && max_seen <= 3);
	CHECK(gate_in(&g) == 0);
}

struct waiter {
	struct gate_queue *q;
	long wait_ms;
	int order; /* when it got the turn, from *next */
	int *next;
	pthread_mutex_t *lock;
	enum gate_wait rc;
	long took_ms;
};

static void *
wait_turn(void *arg)
{
	struct waiter *w = arg;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	w->rc = enter(w->q, w->wait_ms);
	w->took_ms = elapsed_ms(&t0);
	if (w->rc == GATE_TURN) {
		pthread_mutex_lock(w->lock);
		w->order = (*w->next)++;
		pthread_mutex_unlock(w->lock);
		gate_queue_leave(w->q);
	}
	return NULL;
}

/* One turn; waiters get it in arrival order; past max_waiting, refused
 * at once. */
static void
test_queue_order_and_full(void)
{
	struct gate_queue q;
	struct waiter w[3];
	pthread_t t[3];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct timespec t0;
	int next = 0;
	size_t i;

	gate_queue_init(&q, 3);
	CHECK(enter(&q, 1000) == GATE_TURN);
	for (i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].q = &q;
		w[i].wait_ms = 10000;
		w[i].next = &next;
		w[i].lock = &lock;
		pthread_create(&t[i], NULL, wait_turn, &w[i]);
		/* one after the other, so that the order is known */
		CHECK(wait_waiting(&q, i + 1));
	}
	/* full: refused without waiting */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(enter(&q, 5000) == GATE_FULL);
	CHECK(elapsed_ms(&t0) < 1000);
	gate_queue_leave(&q);
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		CHECK(w[i].rc == GATE_TURN);
		CHECK(w[i].order == (int)i);
	}
	/* free again */
	CHECK(gate_queue_waiting(&q) == 0);
	CHECK(enter(&q, 0) == GATE_TURN);
	gate_queue_leave(&q);
	gate_queue_destroy(&q);
}

/* A waiter whose deadline passes is refused and leaves its place: the
 * next one still gets the turn. */
static void
test_queue_deadline(void)
{
	struct gate_queue q;
	struct waiter w[2];
	pthread_t t[2];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int next = 0;
	size_t i;

	gate_queue_init(&q, 4);
	CHECK(enter(&q, 1000) == GATE_TURN);
	for (i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].q = &q;
		w[i].wait_ms = i == 0 ? 200 : 30000;
		w[i].next = &next;
		w[i].lock = &lock;
		pthread_create(&t[i], NULL, wait_turn, &w[i]);
		CHECK(wait_waiting(&q, i + 1));
	}
	pthread_join(t[0], NULL);
	CHECK(w[0].rc == GATE_TIMEOUT);
	CHECK(w[0].took_ms >= 190 && w[0].took_ms < 5000);
	CHECK(gate_queue_waiting(&q) == 1);
	gate_queue_leave(&q);
	pthread_join(t[1], NULL);
	CHECK(w[1].rc == GATE_TURN);
	CHECK(w[1].order == 0);
	CHECK(enter(&q, 0) == GATE_TURN);
	/* busy, no room to wait */
	CHECK(enter(&q, 0) == GATE_TIMEOUT);
	gate_queue_leave(&q);
	gate_queue_destroy(&q);
}

static void
test_busy_answer(void)
{
	struct response r;
	size_t i;
	const char *retry = NULL;

	response_init(&r);
	gate_respond_busy(&r, 2, "chart renders");
	CHECK(r.status == 503);
	CHECK(strstr(r.content_type, "application/json") != NULL);
	CHECK(r.body != NULL &&
	      memmem(r.body, r.body_len, "\"error\":\"busy", 13) != NULL);
	for (i = 0; i < r.n_headers; i++)
		if (strcmp(r.headers[i].name, "Retry-After") == 0)
			retry = r.headers[i].value;
	CHECK(retry != NULL && strcmp(retry, "2") == 0);
	response_reset(&r);
}

int
main(void)
{
	RUN(test_gate_full);
	RUN(test_gate_threads);
	RUN(test_queue_order_and_full);
	RUN(test_queue_deadline);
	RUN(test_busy_answer);
	return check_done();
}
