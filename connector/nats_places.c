/* nats_places.c -- the NATS source's places among max_inflight, taken by
 * the core subscription's handler and the JetStream fetch threads and
 * given back by the loop: the one state all of them share, under n->mu.
 * Below nats_source.c and nats_pull.c; it calls neither. Any thread. */
#include <pthread.h>

#include "nats_int.h"
#include "nats_source.h"

int cn_nats_take(struct cn_nats *n, int want)
{
    int got;

    pthread_mutex_lock(&n->mu);
    while (!n->stop && (!n->open || n->held >= n->max))
        pthread_cond_wait(&n->room, &n->mu);
    got = n->stop ? 0 : (int)(n->max - n->held);
    if (got > want)
        got = want;
    n->held += (unsigned)got;
    pthread_mutex_unlock(&n->mu);
    return got;
}

void cn_nats_open(struct cn_nats *n)
{
    pthread_mutex_lock(&n->mu);
    n->open = true;
    pthread_cond_broadcast(&n->room);
    pthread_mutex_unlock(&n->mu);
}

/* Waiters, which only wait when every place is taken, are woken once a
 * sixteenth of the places is free again, not for each place given back:
 * a wake-up per message was a context switch per message. */
void cn_nats_give(struct cn_nats *n, int count)
{
    if (count <= 0)
        return;
    pthread_mutex_lock(&n->mu);
    unsigned before = n->held, refill = n->max / 16 ? n->max / 16 : 1;
    unsigned low = n->max > refill ? n->max - refill : 0;
    n->held -= (unsigned)count;
    if (before > low && n->held <= low)
        pthread_cond_broadcast(&n->room);
    pthread_mutex_unlock(&n->mu);
}

void cn_nats_stop_handing_over(struct cn_nats *n)
{
    pthread_mutex_lock(&n->mu);
    n->stop = true;
    pthread_cond_broadcast(&n->room);
    pthread_mutex_unlock(&n->mu);
}

bool cn_nats_stopped(struct cn_nats *n)
{
    pthread_mutex_lock(&n->mu);
    bool stop = n->stop;
    pthread_mutex_unlock(&n->mu);
    return stop;
}
