/* slots.c -- the worker's max_inflight slots: the fetch thread waits for
 * one and takes it as it hands a message over; the loop gives it back
 * when the call no longer needs it (its end, or its callback's start).
 * The count is shared between the two threads, under w->mu. */
#include <pthread.h>

#include "qw.h"

int qw_slots_wait(struct qw *w, int max)
{
    pthread_mutex_lock(&w->mu);
    while (!w->stop_fetching && w->slots_used >= (unsigned)w->cfg.max_inflight)
        pthread_cond_wait(&w->room, &w->mu);
    int room = w->stop_fetching ? 0 : (int)(w->cfg.max_inflight - w->slots_used);
    pthread_mutex_unlock(&w->mu);
    return room > max ? max : room;
}

void qw_slot_take(struct qw *w)
{
    pthread_mutex_lock(&w->mu);
    w->slots_used++;
    pthread_mutex_unlock(&w->mu);
}

void qw_slot_free(struct qw *w)
{
    pthread_mutex_lock(&w->mu);
    w->slots_used--;
    pthread_cond_signal(&w->room);
    pthread_mutex_unlock(&w->mu);
}
