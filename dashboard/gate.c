/*
 * gate.c: the gate of expensive requests and the queue of chart renders
 * (gate.h).
 *
 * The gate is one atomic counter: a compare-and-swap loop takes a slot
 * only below the limit, so the count never passes it, even for a moment.
 * The limit is the caller's on every call, so that a reloaded
 * configuration applies to the next request.
 *
 * The queue hands the turn over: the one leaving gives it to the first
 * waiter (has_turn) instead of letting all of them race for it, so turns
 * go in arrival order and a waiter that was given the turn never misses
 * it. A waiter whose deadline passes takes itself out of the list, unless
 * the turn reached it meanwhile. Invariants (under lock): the list holds
 * the n_waiting waiters without the turn, oldest first; is_busy whenever
 * the list is not empty.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"

struct gate_waiter {
	struct gate_waiter *next;
	bool has_turn;
};

struct gate gate_expensive;

unsigned
gate_expensive_limit(void)
{
	static atomic_uint limit;
	unsigned n = atomic_load(&limit);
	long cores;

	if (n == 0) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		n = cores >= 1 && cores <= 512 ? 2 * (unsigned)cores : 2;
		if (n < 2)
			n = 2;
		atomic_store(&limit, n);
	}
	return n;
}

bool
gate_try_enter(struct gate *g, unsigned limit)
{
	unsigned n = atomic_load(&g->n_in);

	do {
		if (n >= limit)
			return false;
	} while (!atomic_compare_exchange_weak(&g->n_in, &n, n + 1));
	return true;
}

void
gate_leave(struct gate *g)
{
	atomic_fetch_sub(&g->n_in, 1);
}

unsigned
gate_in(struct gate *g)
{
	return atomic_load(&g->n_in);
}

void
gate_queue_init(struct gate_queue *q, size_t max_waiting)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->turn, &attr);
	pthread_condattr_destroy(&attr);
	q->is_busy = false;
	q->n_waiting = 0;
	q->max_waiting = max_waiting;
	q->head = q->tail = NULL;
}

void
gate_queue_destroy(struct gate_queue *q)
{
	pthread_cond_destroy(&q->turn);
	pthread_mutex_destroy(&q->lock);
}

/* Takes w out of the list; under lock. */
static void
unlink_waiter(struct gate_queue *q, struct gate_waiter *w)
{
	struct gate_waiter **p, *prev = NULL;

	for (p = &q->head; *p != NULL; prev = *p, p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			if (q->tail == w)
				q->tail = prev;
			q->n_waiting--;
			return;
		}
}

void
gate_deadline(long ms, struct timespec *out)
{
	clock_gettime(CLOCK_MONOTONIC, out);
	out->tv_sec += ms / 1000;
	out->tv_nsec += (ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

enum gate_wait
gate_queue_enter(struct gate_queue *q, const struct timespec *deadline)
{
	struct gate_waiter w = { NULL, false };
	enum gate_wait rc = GATE_TURN;

	pthread_mutex_lock(&q->lock);
	if (!q->is_busy) {
		q->is_busy = true;
		goto out;
	}
	if (q->n_waiting >= q->max_waiting) {
		rc = GATE_FULL;
		goto out;
	}
	/* w lives on this stack only while linked: every way out below
	 * unlinks it (gate_queue_leave, or the timeout) */
	if (q->tail != NULL)
		q->tail->next = &w;
	else
		q->head = &w; /* cppcheck-suppress autoVariables */
	q->tail = &w;         /* cppcheck-suppress autoVariables */
	q->n_waiting++;
	while (!w.has_turn)
		if (pthread_cond_timedwait(&q->turn, &q->lock, deadline) ==
		        ETIMEDOUT &&
		    !w.has_turn) {
			unlink_waiter(q, &w);
			rc = GATE_TIMEOUT;
			break;
		}
out:
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void
gate_queue_leave(struct gate_queue *q)
{
	struct gate_waiter *w;

	pthread_mutex_lock(&q->lock);
	w = q->head;
	if (w == NULL) {
		q->is_busy = false;
	} else {
		unlink_waiter(q, w);
		w->has_turn = true; /* is_busy stays: the turn is w's */
		pthread_cond_broadcast(&q->turn);
	}
	pthread_mutex_unlock(&q->lock);
}

size_t
gate_queue_waiting(struct gate_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->n_waiting;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void
gate_respond_busy(struct response *resp, unsigned retry_after_s,
                  const char *what)
{
	char value[16];

	respond_error(resp, 503, "busy: too many %s at once; retry in %u s",
	              what, retry_after_s);
	snprintf(value, sizeof(value), "%u", retry_after_s);
	respond_header(resp, "Retry-After", value);
}
