/* qw.h -- the queue worker: runs the async calls the gateway stored in
 * JetStream, retries them, posts their results to their callbacks, and
 * dead-letters what cannot be completed.
 *
 * DESIGN: a fetch thread pulls messages from the shared durable consumer
 * (cnats' pull fetch blocks) while this worker has free slots, and posts
 * each to the loop thread, which owns every call from then on: the
 * function call and the callback are libcurl transfers on the loop,
 * in-progress acks are loop timers, and the blocking dead-letter publish
 * runs on an offload thread. A message is acknowledged only at its final
 * outcome; a retry is a nak with a delay, so retries outlive this worker. */
#ifndef QW_H
#define QW_H

#include <curl/curl.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "curlloop.h"
#include "dest.h"
#include "jspull.h"
#include "jsq.h"
#include "list.h"
#include "retry.h"

struct loop;
struct loop_timer;
struct httpd;
struct metrics;
struct metric;
struct offload;
struct hclient_call;

struct qw {
    struct qw_config cfg;
    struct loop *lp;
    struct curlloop *curl;
    struct httpd *http;
    struct offload *ol;
    struct jsq js;
    char *auth;          /* "user:password" for the gateway, or NULL */
    struct qw_dest dest; /* where callbacks may go */
    /* Shared with the fetch thread, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t room;
    struct jspull pull;    /* the fetch thread (lib/jspull.h) */
    char unreachable[300]; /* what it says while NATS is not connected */
    int64_t pending_at;    /* the fetch thread's: when pending was read */
    unsigned slots_used;
    bool stop_fetching;
    bool subscribed;
    int64_t pending; /* consumer's undelivered messages, -1: unknown */
    /* Loop thread only. */
    struct list jobs; /* in progress (struct qw_job) */
    unsigned njobs;
    bool draining;
    /* Callbacks: at most callback_max_inflight delivering; the rest wait
     * in order, each still holding its call slot. */
    unsigned cb_active;
    struct qw_job *cb_head, *cb_tail;
    struct loop_timer *drain_timer;
    struct metrics *metrics;
    struct metric *m_pending, *m_inflight, *m_processed, *m_retries, *m_dead, *m_callbacks,
        *m_seconds;
};

enum qw_stage { QW_CALLING, QW_CALLBACK, QW_DEAD_LETTER, QW_FINISHED };

struct qw_job {
    struct qw *w;
    natsMsg *msg;
    const char *call_id, *function, *callback_url; /* borrowed from msg headers */
    int64_t attempt;                               /* delivery number, 1 = first */
    struct retry_policy policy;
    enum qw_stage stage;
    /* The function call. */
    CURL *easy;
    struct curlloop_job cj;
    void (*call_done)(struct qw_job *j);
    void (*callback_done)(struct qw_job *j, bool delivered);
    void (*dead_done)(struct qw_job *j, bool stored);
    struct curl_slist *req_headers;
    struct curl_slist *resp_headers; /* "Name: value" of the answer */
    struct buf resp;
    long status;   /* 0: no answer */
    bool internal; /* X-OpenFaaS-Internal: the gateway's own error */
    int64_t retry_after_ms;
    char error[256]; /* why the call failed, when it did */
    double started, duration;
    /* The callback. */
    struct hclient_call *cb_call;
    int64_t cb_attempt;
    int64_t cb_deadline_ms; /* loop time after which no try starts */
    char cb_error[256];
    bool cb_refused;               /* the policy refused the destination */
    bool cb_queued, cb_delivering; /* waiting for, or holding, a delivery place */
    bool slot_held;                /* counts against max_inflight */
    struct qw_job *cb_next;
    struct loop_timer *timer; /* in-progress acks, or the next callback try */
    struct loop_timer *retry_timer;
    char *dead_reason;
    struct list_node node; /* in w->jobs */
};

/* fetch.c */
int qw_fetch_start(struct qw *w);
/* Stops fetching (the thread ends within a fetch timeout). */
void qw_fetch_stop(struct qw *w);
void qw_fetch_join(struct qw *w);
/* Drops the subscription, once no message of it is in use. */
void qw_fetch_close(struct qw *w);

/* slots.c */
/* Waits for free slots; returns how many (at most max), or 0 once
 * fetching stops (qw_fetch_stop). Locality: fetch thread. */
int qw_slots_wait(struct qw *w, int max);
/* A message is handed to the loop: it holds a slot. */
void qw_slot_take(struct qw *w);
/* A call finished: its slot can take another message. */
void qw_slot_free(struct qw *w);

/* job.c */
/* A message fetched for this worker, on its way to the loop. */
struct qw_arrival {
    struct qw *w;
    natsMsg *msg;
};
void qw_job_start(void *arrival); /* offload_post target; frees the arrival */
/* Ends every call still in progress; their messages go back (nak). */
void qw_jobs_abandon(struct qw *w);

/* call.c */
/* A header of a stored call, or NULL. */
const char *qw_msg_header(natsMsg *m, const char *name);
void qw_call_start(struct qw_job *j, void (*done)(struct qw_job *j));
void qw_call_cancel(struct qw_job *j);
/* A header of the function's answer, or NULL. */
const char *qw_resp_header(const struct qw_job *j, const char *name);

/* callback.c */
void qw_callback_start(struct qw_job *j, void (*done)(struct qw_job *j, bool delivered));
/* Stops a delivery or its wait; gives its place to the next. */
void qw_callback_cancel(struct qw_job *j);

/* deadletter.c */
void qw_dead_letter(struct qw_job *j, void (*done)(struct qw_job *j, bool stored));

/* api.c */
int qw_api_start(struct qw *w, char *err, size_t errlen);

#endif
