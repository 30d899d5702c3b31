/* consumer_int.h -- the Kafka source's state, shared by consumer.c (the
 * handle, messages), parts.c (partitions and their records) and release.c
 * (commits, pausing, handing partitions back). */
#ifndef CN_CONSUMER_INT_H
#define CN_CONSUMER_INT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "consumer.h"
#include "list.h"
#include "record.h"
#include "rkqloop.h"
#include "track.h"

struct loop_timer;
struct keymap;

/* Handing partitions back (release.c): a phase of the consumer, moved on
 * by the events that can complete it, never by a polling tick. */
enum cn_release {
    CN_RELEASE_NONE,
    CN_RELEASE_DRAINING,   /* no new calls; waiting until none is busy */
    CN_RELEASE_COMMITTING, /* waiting for the final commit's acknowledgement */
};

struct part {
    struct cn_consumer *k;
    char *topic;
    int32_t partition;
    struct track track;
    struct list records; /* not yet finished, in offset order (rec->node) */
    bool revoking;       /* being handed back (or stopping): no new work */
    bool lost;           /* taken away without a chance to commit */
    bool commit_refused; /* revoking, and the group refuses commits until we rejoin */
    int64_t commit_sent; /* offset of the last commit sent; -1: none */
    int64_t committed;   /* ...and of the last one acknowledged */
};

struct cn_consumer {
    struct cn *cn;
    void (*fatal)(void *arg); /* the handle cannot go on: the daemon stops */
    void *fatal_arg;
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    struct rkqloop wakeq; /* q served on the loop */
    struct keymap *parts; /* "topic\0<partition>" -> struct part */
    uint64_t received;    /* records ever taken in */
    size_t inflight;      /* records submitted, not yet released by a commit */
    struct list waiting;  /* records waiting to be submitted (rec->qnode) */
    size_t queued, queued_bytes;
    bool held;                     /* no room: messages are left with librdkafka */
    struct loop_timer *hold_timer; /* a hold this long pauses the partitions */
    bool paused;                   /* the partitions are paused (a long hold) */
    bool cooperative;              /* incremental rebalance protocol */
    char *subscribed;              /* topics asked for ("" none) */
    bool joined;                   /* an assignment came since */
    bool kafka_up;
    char last_error[512];
    char logged_error[512]; /* repeats of it are not logged again */
    int64_t logged_at_ms;
    /* commits */
    struct loop_timer *commit_timer;
    rd_kafka_queue_t *commitq; /* commit results */
    struct rkqloop commitw;    /* commitq served on the loop */
    bool commit_inflight;
    /* handing partitions back */
    enum cn_release release;
    struct loop_timer *release_timer; /* the phase's deadline */
    struct loop_timer *release_check; /* an event asked for a look, next turn */
    int64_t release_start;
    rd_kafka_topic_partition_list_t *revoked; /* unassign owed to librdkafka */
    bool stopping, closing;
    void (*stop_done)(void *arg);
    void *stop_arg;
};

/* parts.c */
struct part *cn_part_find(struct cn_consumer *k, const char *topic, int32_t partition);
struct part *cn_part_add(struct cn_consumer *k, const char *topic, int32_t partition);
/* Abandons the part's records, forgets it and frees it. */
void cn_part_drop(struct cn_consumer *k, struct part *p);
/* fn may drop the part it is given. */
void cn_parts_each(struct cn_consumer *k,
                   void (*fn)(struct cn_consumer *k, struct part *p, void *arg), void *arg);
/* The part holds rec (its newest) and rec waits for room to be submitted. */
void cn_part_take(struct part *p, struct cn_record *rec);
/* The part no longer holds rec (it finished). */
void cn_part_unlink(struct part *p, struct cn_record *rec);
/* Submits waiting records while fewer than max_inflight are in flight. */
void cn_submit_queued(struct cn_consumer *k);
/* The gauges of records in flight and waiting. */
void cn_count_records(struct cn_consumer *k);

/* release.c */
void cn_commit_soon(struct cn_consumer *k);
void cn_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
                  void *opaque);
void cn_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                     rd_kafka_topic_partition_list_t *parts, void *opaque);
/* Pauses fetching when too many records wait; resumes when fewer do. */
/* hold.c: stops or starts taking records as the queue fills or empties. */
void cn_check_room(struct cn_consumer *k);
/* Whether the consumer queue may be served. */
bool cn_taking(const struct cn_consumer *k);
void cn_hold_cleanup(struct cn_consumer *k);
/* Begins (or widens) a drain of every part marked revoking. */
void cn_release_start(struct cn_consumer *k);
/* Something happened that may complete the release's phase (a record of
 * a revoking partition went quiet, a commit's result came): it is looked
 * at on the next turn of the loop. A no-op when nothing is released. */
void cn_release_poke(struct cn_consumer *k);
void cn_release_cleanup(struct cn_consumer *k);

#endif
