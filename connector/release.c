/* release.c -- commits, pausing, and handing partitions back.
 *
 * A commit covers, per partition, the offsets before the first record not
 * yet final (track.h). One commit is in flight at a time; its result
 * frees the records it covered and may trigger the next. Results come on
 * a queue of their own (commitq), served whether or not the consumer
 * queue is (hold.c).
 *
 * Handing partitions back (a rebalance revoking them, or a stop) goes in
 * two phases (enum cn_release): drain (no new calls; wait, up to
 * drain_timeout, until no call or publish of theirs is in flight), then
 * commit (wait, up to 5 s, for the broker's acknowledgement); then their
 * remaining records are abandoned, uncommitted, and librdkafka is told it
 * may give the partitions to someone else. A phase ends on the event that
 * completes it (the last busy record going quiet, the commit's result)
 * or on its deadline's timer; nothing polls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cn.h"
#include "consumer_int.h"
#include "dispatch.h"
#include "keymap.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "xalloc.h"

#define COMMIT_DELAY_MS 5    /* gathers the records finishing together */
#define COMMIT_RETRY_MS 1000 /* after the broker refused a commit */
#define COMMIT_WAIT_MS 5000  /* how long a release waits for its commit */

/* --- commits ------------------------------------------------------------- */

static void add_due(struct cn_consumer *k, struct part *p, void *arg)
{
    rd_kafka_topic_partition_list_t *list = arg;
    int64_t wm = track_watermark(&p->track);
    (void)k;

    if (p->lost || wm < 0 || wm <= p->commit_sent)
        return;
    rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset = wm;
    p->commit_sent = wm;
}

static void unsend(struct cn_consumer *k, const rd_kafka_topic_partition_list_t *list)
{
    for (int i = 0; i < list->cnt; i++) {
        struct part *p = cn_part_find(k, list->elems[i].topic, list->elems[i].partition);
        if (p)
            p->commit_sent = p->committed;
    }
}

static void on_commit_timer(struct loop *lp, void *arg);

static void commit_later(struct cn_consumer *k, int64_t ms)
{
    if (!k->commit_timer && !k->closing)
        k->commit_timer = loop_timer_add(k->cn->lp, ms, on_commit_timer, k);
}

static void commit_now(struct cn_consumer *k)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t e;

    if (k->commit_inflight || k->closing)
        return;
    list = rd_kafka_topic_partition_list_new(8);
    cn_parts_each(k, add_due, list);
    if (list->cnt > 0) {
        e = rd_kafka_commit_queue(k->rk, list, k->commitq, cn_on_commit, k);
        if (e) {
            log_warn("kafka", "cannot commit: %s (trying again)", rd_kafka_err2str(e));
            metric_add(k->cn->m.commits, (const char *[]){ "failed" }, 1);
            unsend(k, list);
            commit_later(k, COMMIT_RETRY_MS);
        } else {
            k->commit_inflight = true;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void on_commit_timer(struct loop *lp, void *arg)
{
    struct cn_consumer *k = arg;
    (void)lp;

    k->commit_timer = NULL;
    commit_now(k);
}

void cn_commit_soon(struct cn_consumer *k)
{
    /* Records waiting for room (max_inflight) get it only from a commit:
     * then there is nothing to gather for. */
    commit_later(k, k->queued ? 0 : COMMIT_DELAY_MS);
}

/* Errors after which a commit cannot succeed before this member has let
 * its partitions go and rejoined: a broker may refuse commits while the
 * group rebalances (librdkafka's mock cluster does, Kafka itself accepts
 * them until the new generation starts). */
static bool refused_until_rejoined(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
           err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID;
}

/* Applies one partition's commit result; returns false if it failed. */
static bool committed(struct cn_consumer *k, const rd_kafka_topic_partition_t *tp,
                      rd_kafka_resp_err_t err)
{
    struct part *p = cn_part_find(k, tp->topic, tp->partition);

    if (!p)
        return true;
    if (!err)
        err = tp->err;
    if (err && p->revoking && refused_until_rejoined(err)) {
        /* Waiting would hold up the rebalance that refuses us: the next
         * owner starts from the last commit and calls again what came after. */
        log_warn("kafka",
                 "commit of %s[%d]@%lld refused while the group rebalances: "
                 "letting go from offset %lld",
                 tp->topic, (int)tp->partition, (long long)tp->offset, (long long)p->committed);
        p->commit_refused = true;
        p->commit_sent = p->committed;
        return false;
    }
    if (err) {
        log_warn("kafka", "commit of %s[%d]@%lld failed: %s (trying again)", tp->topic,
                 (int)tp->partition, (long long)tp->offset, rd_kafka_err2str(err));
        p->commit_sent = p->committed;
        return false;
    }
    if (tp->offset > p->committed)
        p->committed = tp->offset;
    k->inflight -= track_release(&p->track, p->committed);
    return true;
}

void cn_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
                  void *opaque)
{
    struct cn_consumer *k = opaque;
    bool ok = true;
    (void)rk;

    k->commit_inflight = false;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; offsets && i < offsets->cnt; i++)
        ok = committed(k, &offsets->elems[i], err) && ok;
    if (!offsets && err)
        ok = false;
    metric_add(k->cn->m.commits, (const char *[]){ ok ? "ok" : "failed" }, 1);
    cn_submit_queued(k);
    cn_check_room(k);
    cn_count_records(k);
    cn_release_poke(k);
    commit_later(k, !ok ? COMMIT_RETRY_MS : k->queued ? 0 : COMMIT_DELAY_MS);
}

/* --- rebalances ---------------------------------------------------------- */

static void describe(const rd_kafka_topic_partition_list_t *list, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (int i = 0; i < list->cnt && used + 1 < len; i++) {
        int n = snprintf(out + used, len - used, "%s%s[%d]", i ? " " : "", list->elems[i].topic,
                         (int)list->elems[i].partition);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (list->cnt == 0)
        snprintf(out, len, "(none)");
}

static void assign(struct cn_consumer *k, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    char text[1024];

    for (int i = 0; i < parts->cnt; i++)
        cn_part_add(k, parts->elems[i].topic, parts->elems[i].partition);
    if (k->cooperative)
        error = rd_kafka_incremental_assign(k->rk, parts);
    else
        e = rd_kafka_assign(k->rk, parts);
    if (error) {
        log_error("kafka", "assign: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (e) {
        log_error("kafka", "assign: %s", rd_kafka_err2str(e));
    }
    if (k->paused)
        rd_kafka_pause_partitions(k->rk, parts);
    k->joined = true;
    describe(parts, text, sizeof text);
    log_info("kafka", "assigned %s", text);
}

/* Tells librdkafka the revoked partitions are let go. */
static void unassign(struct cn_consumer *k, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_error_t *error = NULL;

    if (k->cooperative)
        error = rd_kafka_incremental_unassign(k->rk, parts);
    else
        rd_kafka_assign(k->rk, NULL);
    if (error) {
        log_error("kafka", "unassign: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

static void owe_unassign(struct cn_consumer *k, const rd_kafka_topic_partition_list_t *parts)
{
    if (!k->revoked)
        k->revoked = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        rd_kafka_topic_partition_list_add(k->revoked, parts->elems[i].topic,
                                          parts->elems[i].partition);
}

static void revoke(struct cn_consumer *k, rd_kafka_topic_partition_list_t *parts)
{
    bool lost = rd_kafka_assignment_lost(k->rk);
    char text[1024];

    describe(parts, text, sizeof text);
    if (k->closing) {
        /* Leaving the group: the drain (if any) is over. */
        unassign(k, parts);
        return;
    }
    log_info("kafka", "revoked %s%s: draining before letting go", text,
             lost ? " (lost: they cannot be committed)" : "");
    for (int i = 0; i < parts->cnt; i++) {
        struct part *p = cn_part_find(k, parts->elems[i].topic, parts->elems[i].partition);
        if (p) {
            p->revoking = true;
            p->lost = p->lost || lost;
        }
    }
    owe_unassign(k, parts);
    cn_release_start(k);
}

void cn_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                     rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct cn_consumer *k = opaque;
    const char *proto = rd_kafka_rebalance_protocol(rk);

    k->cooperative = proto && strcmp(proto, "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign(k, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        revoke(k, parts);
    } else {
        log_error("kafka", "rebalance failed: %s; letting every partition go",
                  rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
    }
}

/* --- the drain ------------------------------------------------------------ */

struct drain_count {
    size_t busy, records, uncommitted;
};

static void count_part(struct cn_consumer *k, struct part *p, void *arg)
{
    struct drain_count *c = arg;
    (void)k;

    if (!p->revoking)
        return;
    for (const struct list_node *it = p->records.first; it; it = it->next) {
        const struct cn_record *r = LIST_ENTRY(it, const struct cn_record, node);
        c->records++;
        c->busy += cn_dispatch_busy(r);
    }
    int64_t wm = track_watermark(&p->track);
    c->uncommitted += !p->lost && !p->commit_refused && wm >= 0 && p->committed < wm;
}

static void drop_revoking(struct cn_consumer *k, struct part *p, void *arg)
{
    size_t *abandoned = arg;

    if (!p->revoking)
        return;
    if (!list_empty(&p->records))
        *abandoned += track_unfinished(&p->track);
    if (p->committed >= 0)
        log_info("kafka", "let go of %s[%d]: committed up to offset %lld", p->topic,
                 (int)p->partition, (long long)p->committed);
    else
        log_info("kafka", "let go of %s[%d]: nothing to commit%s", p->topic, (int)p->partition,
                 p->lost ? " (lost)" : "");
    cn_part_drop(k, p);
}

static void cancel_timer(struct cn_consumer *k, struct loop_timer **t)
{
    if (*t)
        loop_timer_cancel(k->cn->lp, *t);
    *t = NULL;
}

static void finish_release(struct cn_consumer *k, int64_t now)
{
    size_t abandoned = 0;

    cancel_timer(k, &k->release_timer);
    cancel_timer(k, &k->release_check);
    k->release = CN_RELEASE_NONE;
    cn_parts_each(k, drop_revoking, &abandoned);
    log_info("kafka", "released partitions after %lldms%s", (long long)(now - k->release_start),
             abandoned ? "; unfinished records are left to the next owner" : "");
    if (k->revoked) {
        unassign(k, k->revoked);
        rd_kafka_topic_partition_list_destroy(k->revoked);
        k->revoked = NULL;
    }
    cn_submit_queued(k);
    cn_check_room(k);
    cn_count_records(k);
    if (k->stopping && k->stop_done) {
        void (*done)(void *) = k->stop_done;
        k->stop_done = NULL;
        done(k->stop_arg);
    }
}

static void on_release_deadline(struct loop *lp, void *arg);

static void start_committing(struct cn_consumer *k, size_t busy)
{
    if (busy)
        log_warn("kafka",
                 "drain_timeout passed with %zu record(s) still in a call or "
                 "publish: they stay uncommitted",
                 busy);
    k->release = CN_RELEASE_COMMITTING;
    cancel_timer(k, &k->release_timer);
    k->release_timer = loop_timer_add(k->cn->lp, COMMIT_WAIT_MS, on_release_deadline, k);
    commit_now(k);
}

/* Moves the release on if what its phase waits for has come, or its
 * deadline (`overdue`) has: DRAINING -> COMMITTING once no record of a
 * revoking partition is busy; COMMITTING -> let go once every one of
 * them is committed up to its watermark (or cannot be). */
static void release_check(struct cn_consumer *k, bool overdue)
{
    struct drain_count c = { 0, 0, 0 };

    cn_parts_each(k, count_part, &c);
    if (k->release == CN_RELEASE_DRAINING) {
        if (c.busy && !overdue)
            return;
        start_committing(k, c.busy);
        overdue = false; /* the commit gets its own deadline */
    }
    if (k->release != CN_RELEASE_COMMITTING || (c.uncommitted && !overdue))
        return;
    if (c.uncommitted)
        log_warn("kafka", "the final commit was not acknowledged in time");
    finish_release(k, loop_now_ms());
}

static void on_release_deadline(struct loop *lp, void *arg)
{
    struct cn_consumer *k = arg;
    (void)lp;

    k->release_timer = NULL;
    release_check(k, true);
}

static void on_release_poked(struct loop *lp, void *arg)
{
    struct cn_consumer *k = arg;
    (void)lp;

    k->release_check = NULL;
    release_check(k, false);
}

void cn_release_poke(struct cn_consumer *k)
{
    /* Events come from inside the dispatcher and librdkafka's callbacks,
     * where records must not be abandoned: the look is the loop's next turn. */
    if (k->release == CN_RELEASE_NONE || k->release_check)
        return;
    k->release_check = loop_timer_add(k->cn->lp, 0, on_release_poked, k);
}

void cn_release_start(struct cn_consumer *k)
{
    if (k->release != CN_RELEASE_NONE)
        return;
    k->release = CN_RELEASE_DRAINING;
    k->release_start = loop_now_ms();
    k->release_timer = loop_timer_add(k->cn->lp, k->cn->cfg.drain_timeout_ms, on_release_deadline,
                                      k);
    cn_release_poke(k);
}

void cn_release_cleanup(struct cn_consumer *k)
{
    cancel_timer(k, &k->release_timer);
    cancel_timer(k, &k->release_check);
    cancel_timer(k, &k->commit_timer);
    if (k->revoked)
        rd_kafka_topic_partition_list_destroy(k->revoked);
    k->revoked = NULL;
}

static void mark_revoking(struct cn_consumer *k, struct part *p, void *arg)
{
    (void)k;
    (void)arg;
    p->revoking = true;
}

static void on_nothing_to_drain(struct loop *lp, void *arg)
{
    struct cn_consumer *k = arg;
    (void)lp;

    k->release_timer = NULL;
    if (k->stop_done) {
        void (*done)(void *) = k->stop_done;
        k->stop_done = NULL;
        done(k->stop_arg);
    }
}

void cn_consumer_drain(struct cn_consumer *k, void (*done)(void *arg), void *arg)
{
    k->stopping = true;
    k->stop_done = done;
    k->stop_arg = arg;
    cn_parts_each(k, mark_revoking, NULL);
    if (k->release != CN_RELEASE_NONE)
        return; /* the running release covers them and ends with done */
    if (keymap_count(k->parts) == 0) {
        k->release_timer = loop_timer_add(k->cn->lp, 0, on_nothing_to_drain, k);
        return;
    }
    log_info("kafka", "stopping: draining %zu partition(s), up to drain_timeout",
             keymap_count(k->parts));
    cn_release_start(k);
}
