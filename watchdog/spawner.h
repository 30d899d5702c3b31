/* spawner.h -- starting function processes off the loop thread.
 *
 * posix_spawn suspends its caller until the child has exec'd (vfork
 * semantics): on the loop thread every start would stall every
 * connection for that long. One spawner thread takes the starts instead,
 * and hands each result back to the loop through an eventfd, so the loop
 * keeps serving while processes start.
 *
 * Locality: spawner_start and the done callbacks run on the loop thread;
 * the job's fields belong to the spawner thread between the two. */
#ifndef WD_SPAWNER_H
#define WD_SPAWNER_H

#include "proc.h"

struct loop;
struct spawner;

struct spawn_job {
    /* In: */
    const char *path;  /* borrowed; lives as long as the spawner */
    char *const *argv; /* borrowed, likewise */
    char **env;        /* owned: freed with wd_env_free once spawned */
    enum proc_stderr how;
    void (*done)(struct spawn_job *job); /* on the loop thread */
    /* Out: */
    struct proc proc;
    int rc;
    char err[256];
    struct spawn_job *next;
};

struct spawner *spawner_new(struct loop *lp);
/* Stops the thread after the jobs queued have been started (their done
 * callbacks do not run). */
void spawner_free(struct spawner *sp);
/* Queues a start; job->done runs later on the loop thread. */
void spawner_start(struct spawner *sp, struct spawn_job *job);

#endif
