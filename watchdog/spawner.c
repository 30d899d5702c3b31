/* spawner.c -- one thread that runs posix_spawn for the loop. */
#include "spawner.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "env.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

struct spawner {
    struct loop *lp;
    int efd; /* the thread -> the loop: "jobs are done" */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct spawn_job *todo, **todo_tail; /* Lock: lock */
    struct spawn_job *done;              /* Lock: lock */
    bool stop;                           /* Lock: lock */
};

static void run_job(struct spawn_job *job)
{
    job->rc = proc_spawn(&job->proc, job->path, job->argv, job->env, job->how, job->err,
                         sizeof job->err);
    wd_env_free(job->env);
    job->env = NULL;
}

/* Locality: spawner thread. */
static void *thread_main(void *arg)
{
    struct spawner *sp = arg;
    pthread_mutex_lock(&sp->lock);
    for (;;) {
        while (!sp->todo && !sp->stop)
            pthread_cond_wait(&sp->wake, &sp->lock);
        if (!sp->todo)
            break;
        struct spawn_job *job = sp->todo;
        sp->todo = job->next;
        if (!sp->todo)
            sp->todo_tail = &sp->todo;
        pthread_mutex_unlock(&sp->lock);
        run_job(job);
        pthread_mutex_lock(&sp->lock);
        job->next = sp->done;
        sp->done = job;
        uint64_t one = 1;
        (void)!write(sp->efd, &one, sizeof one);
    }
    pthread_mutex_unlock(&sp->lock);
    return NULL;
}

/* Locality: loop thread. Jobs come back in any order; each is its own. */
static void on_done(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)lp;
    (void)events;
    struct spawner *sp = arg;
    uint64_t n;
    (void)!read(fd, &n, sizeof n);
    pthread_mutex_lock(&sp->lock);
    struct spawn_job *list = sp->done;
    sp->done = NULL;
    pthread_mutex_unlock(&sp->lock);
    while (list) {
        struct spawn_job *job = list;
        list = job->next;
        job->done(job);
    }
}

struct spawner *spawner_new(struct loop *lp)
{
    struct spawner *sp = xcalloc(1, sizeof *sp);
    sp->lp = lp;
    sp->todo_tail = &sp->todo;
    sp->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&sp->lock, NULL);
    pthread_cond_init(&sp->wake, NULL);
    if (sp->efd < 0 || loop_watch(lp, sp->efd, LOOP_READ, on_done, sp) < 0 ||
        pthread_create(&sp->thread, NULL, thread_main, sp) != 0) {
        log_error("proc", "cannot start the spawner thread");
        abort();
    }
    return sp;
}

void spawner_start(struct spawner *sp, struct spawn_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&sp->lock);
    *sp->todo_tail = job;
    sp->todo_tail = &job->next;
    pthread_cond_signal(&sp->wake);
    pthread_mutex_unlock(&sp->lock);
}

void spawner_free(struct spawner *sp)
{
    if (!sp)
        return;
    pthread_mutex_lock(&sp->lock);
    sp->stop = true;
    pthread_cond_signal(&sp->wake);
    pthread_mutex_unlock(&sp->lock);
    pthread_join(sp->thread, NULL);
    loop_unwatch(sp->lp, sp->efd);
    close(sp->efd);
    pthread_mutex_destroy(&sp->lock);
    pthread_cond_destroy(&sp->wake);
    free(sp);
}
