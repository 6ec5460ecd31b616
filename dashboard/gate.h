/*
 * gate.h: admission for expensive work, so that no flood of requests,
 * however their parameters are chosen, holds more than a bounded amount
 * of memory and CPU at once (SPEC §7).
 *
 * A gate is a counting semaphore that never blocks: a request that finds
 * it full is answered 503 with Retry-After at once, holding nothing. A
 * queue is one turn at a time (librrd renders one chart at a time) with
 * a bounded number of waiters, each with a deadline: a request past
 * either is answered 503 with Retry-After too. Cached answers go through
 * neither.
 *
 * Both live in the handlers' modules (server.c's threading may change).
 * Thread-safe.
 */
#ifndef KUNTAMON_GATE_H
#define KUNTAMON_GATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "respond.h"

/* The expensive requests in flight (series and data computed, not
 * cached), across every handler that computes them. */
struct gate {
	atomic_uint n_in;
};

/* The one gate of uncached series and /api/v1/data answers, and its
 * limit: twice the cores online (at least 2), read once. Such a request
 * takes milliseconds to a second (an XLSX workbook of 100,000 cells) and
 * up to ~30 MB while it is computed: more at once would not finish
 * sooner, only hold more. */
extern struct gate gate_expensive;
unsigned gate_expensive_limit(void);
/* What a refused request is told to wait, in seconds. */
#define GATE_RETRY_AFTER_S 1

/* Whether a slot of at most limit was taken (leave it with gate_leave);
 * false, taking nothing, if limit are in already. Never blocks. */
bool gate_try_enter(struct gate *g, unsigned limit);
void gate_leave(struct gate *g);
/* How many are in (for tests and /metrics). */
unsigned gate_in(struct gate *g);

enum gate_wait {
	GATE_TURN = 0,     /* the turn is the caller's: gate_queue_leave */
	GATE_FULL = -1,    /* max_waiting wait already: refused at once */
	GATE_TIMEOUT = -2, /* the deadline passed before the turn came */
};

struct gate_waiter;

/* One turn at a time, first come first served, at most max_waiting
 * waiting. */
struct gate_queue {
	pthread_mutex_t lock;
	pthread_cond_t turn; /* on CLOCK_MONOTONIC */
	bool is_busy;        /* somebody has the turn */
	size_t n_waiting, max_waiting;
	struct gate_waiter *head, *tail;
};

void gate_queue_init(struct gate_queue *q, size_t max_waiting);
void gate_queue_destroy(struct gate_queue *q);
/* The CLOCK_MONOTONIC time ms from now, a deadline for what follows. */
void gate_deadline(long ms, struct timespec *out);
/* Waits for the turn until deadline (CLOCK_MONOTONIC). A caller with
 * GATE_TURN must call gate_queue_leave, which hands the turn to the
 * first waiter. */
enum gate_wait gate_queue_enter(struct gate_queue *q,
                                const struct timespec *deadline);
void gate_queue_leave(struct gate_queue *q);
/* Waiting now, not counting the one with the turn (tests poll it). */
size_t gate_queue_waiting(struct gate_queue *q);

/* 503 {"error": "busy: ..."} with Retry-After: retry_after_s. */
void gate_respond_busy(struct response *resp, unsigned retry_after_s,
                       const char *what);

#endif
