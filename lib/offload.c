/* offload.c -- a job queue for helper threads and an eventfd back to the
 * loop. */
#include "offload.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "xalloc.h"

struct job {
    offload_fn *work, *done;
    void *arg;
    bool counted; /* offload_run's jobs count as pending; posts do not */
    struct job *next;
};

/* A FIFO of jobs; both queues below are one of these under ol->mu. */
struct queue {
    struct job *head, *tail;
};

struct offload {
    struct loop *lp;
    int efd;
    pthread_mutex_t mu;
    pthread_cond_t work_ready;
    struct queue todo;     /* for helper threads */
    struct queue finished; /* for the loop thread */
    pthread_t *threads;
    unsigned nthreads;
    unsigned pending; /* loop thread only */
    bool stopping;
};

static void push(struct queue *q, struct job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static struct job *take_all(struct queue *q)
{
    struct job *all = q->head;
    q->head = q->tail = NULL;
    return all;
}

static void finish(struct offload *ol, struct job *j)
{
    pthread_mutex_lock(&ol->mu);
    bool was_empty = ol->finished.head == NULL;
    push(&ol->finished, j);
    pthread_mutex_unlock(&ol->mu);
    if (was_empty) { /* the loop will drain everything queued after us too */
        uint64_t one = 1;
        if (write(ol->efd, &one, sizeof one) < 0)
            log_error("offload", "cannot wake the loop: eventfd write failed");
    }
}

static void *helper(void *arg)
{
    struct offload *ol = arg;
    pthread_mutex_lock(&ol->mu);
    for (;;) {
        while (!ol->todo.head && !ol->stopping)
            pthread_cond_wait(&ol->work_ready, &ol->mu);
        struct job *j = ol->todo.head;
        if (!j)
            break; /* stopping, and nothing left to do */
        ol->todo.head = j->next;
        if (!ol->todo.head)
            ol->todo.tail = NULL;
        pthread_mutex_unlock(&ol->mu);
        if (j->work)
            j->work(j->arg);
        finish(ol, j);
        pthread_mutex_lock(&ol->mu);
    }
    pthread_mutex_unlock(&ol->mu);
    return NULL;
}

static void run_finished(struct offload *ol)
{
    pthread_mutex_lock(&ol->mu);
    struct job *j = take_all(&ol->finished);
    pthread_mutex_unlock(&ol->mu);
    while (j) {
        struct job *next = j->next;
        ol->pending -= j->counted;
        if (j->done)
            j->done(j->arg);
        free(j);
        j = next;
    }
}

static void on_wake(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)lp;
    (void)events;
    uint64_t n;
    if (read(fd, &n, sizeof n) < 0)
        return;
    run_finished(arg);
}

struct offload *offload_new(struct loop *lp, unsigned threads)
{
    struct offload *ol = xcalloc(1, sizeof *ol);
    ol->lp = lp;
    ol->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&ol->mu, NULL);
    pthread_cond_init(&ol->work_ready, NULL);
    if (ol->efd < 0 || loop_watch(lp, ol->efd, LOOP_READ, on_wake, ol) < 0)
        goto fail;
    ol->threads = xcalloc(threads ? threads : 1, sizeof *ol->threads);
    for (; ol->nthreads < threads; ol->nthreads++)
        if (pthread_create(&ol->threads[ol->nthreads], NULL, helper, ol) != 0)
            goto fail;
    return ol;
fail:
    log_error("offload", "cannot start helper threads");
    offload_free(ol);
    return NULL;
}

void offload_run(struct offload *ol, offload_fn *work, offload_fn *done, void *arg)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->work = work;
    j->done = done;
    j->arg = arg;
    j->counted = true;
    ol->pending++;
    if (!ol->nthreads) { /* no helpers: run inline, finish on the next turn */
        if (work)
            work(arg);
        finish(ol, j);
        return;
    }
    pthread_mutex_lock(&ol->mu);
    push(&ol->todo, j);
    pthread_cond_signal(&ol->work_ready);
    pthread_mutex_unlock(&ol->mu);
}

void offload_post(struct offload *ol, offload_fn *fn, void *arg)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->done = fn;
    j->arg = arg;
    finish(ol, j);
}

unsigned offload_pending(const struct offload *ol)
{
    return ol->pending;
}

void offload_free(struct offload *ol)
{
    if (!ol)
        return;
    pthread_mutex_lock(&ol->mu);
    ol->stopping = true;
    pthread_cond_broadcast(&ol->work_ready);
    pthread_mutex_unlock(&ol->mu);
    for (unsigned i = 0; i < ol->nthreads; i++)
        pthread_join(ol->threads[i], NULL);
    if (ol->efd >= 0) {
        loop_unwatch(ol->lp, ol->efd);
        run_finished(ol);
        close(ol->efd);
    }
    pthread_cond_destroy(&ol->work_ready);
    pthread_mutex_destroy(&ol->mu);
    free(ol->threads);
    free(ol);
}
