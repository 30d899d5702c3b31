/* hold.c -- taking records from librdkafka only while there is room.
 *
 * At max_queued (or max_queued_bytes) records waiting for a place among
 * max_inflight, the consumer stops taking messages from the consumer
 * queue, and takes them again at three quarters. librdkafka keeps what it
 * fetched meanwhile and stops fetching at its own limits
 * (queued.min.messages, queued.max.messages.kbytes: 100,000 records or
 * 64 MiB unless kafka_consumer sets them). Those are left well above ours
 * on purpose: at its limit its broker thread too notices room only on its
 * next wake-up, up to a second later, and a prefetch several times our
 * queue is refilled long before the connector works through it.
 *
 * Why not pause the partitions, as this did before: a pause throws away
 * what librdkafka had fetched, and its broker thread notices a resume
 * only on its next wake-up, up to a second later, so a connector working
 * through a backlog stalled about once a second, with nothing to do (a
 * third of the records per second it could answer).
 *
 * But a consumer that does not poll for max.poll.interval.ms is put out
 * of its group, and rebalance callbacks and errors wait on the same queue
 * as the messages; so a hold that lasts HOLD_MAX_MS (slow calls, not a
 * burst) pauses the partitions after all and serves the queue again. Commit
 * results come on a queue of their own (release.c), so a hold never keeps
 * a commit from freeing room. */
#include "cn.h"
#include "consumer_int.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"

#define HOLD_MAX_MS 1000

static void set_paused(struct cn_consumer *k, bool pause)
{
    rd_kafka_topic_partition_list_t *list = NULL;

    if (rd_kafka_assignment(k->rk, &list) == 0 && list) {
        if (pause)
            rd_kafka_pause_partitions(k->rk, list);
        else
            rd_kafka_resume_partitions(k->rk, list);
        rd_kafka_topic_partition_list_destroy(list);
    }
    k->paused = pause;
}

static void on_hold_timer(struct loop *lp, void *arg)
{
    struct cn_consumer *k = arg;
    (void)lp;

    k->hold_timer = NULL;
    log_debug("kafka",
              "held for %dms: pausing the partitions (%zu records waiting, %zu in "
              "flight)",
              HOLD_MAX_MS, k->queued, k->inflight);
    set_paused(k, true);
    rkqloop_kick(&k->wakeq);
}

static void hold(struct cn_consumer *k)
{
    k->held = true;
    k->hold_timer = loop_timer_add(k->cn->lp, HOLD_MAX_MS, on_hold_timer, k);
    metric_set(k->cn->m.paused, NULL, 1);
    log_debug("kafka", "holding: %zu records (%zu bytes) waiting, %zu in flight", k->queued,
              k->queued_bytes, k->inflight);
}

static void let_go(struct cn_consumer *k)
{
    loop_timer_cancel(k->cn->lp, k->hold_timer);
    k->hold_timer = NULL;
    if (k->paused)
        set_paused(k, false);
    k->held = false;
    metric_set(k->cn->m.paused, NULL, 0);
    log_debug("kafka", "taking records again: %zu waiting, %zu in flight", k->queued, k->inflight);
    rkqloop_kick(&k->wakeq);
}

void cn_check_room(struct cn_consumer *k)
{
    size_t max = (size_t)k->cn->cfg.max_queued;
    size_t max_bytes = (size_t)k->cn->cfg.max_queued_bytes;

    if (!k->held && (k->queued >= max || k->queued_bytes >= max_bytes))
        hold(k);
    else if (k->held && k->queued <= max / 4 * 3 && k->queued_bytes <= max_bytes / 4 * 3)
        let_go(k);
}

bool cn_taking(const struct cn_consumer *k)
{
    return !k->held || k->paused;
}

void cn_hold_cleanup(struct cn_consumer *k)
{
    loop_timer_cancel(k->cn->lp, k->hold_timer);
    k->hold_timer = NULL;
}
