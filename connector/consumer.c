/* consumer.c -- the Kafka consumer handle on the loop: messages into
 * records, readiness and per-partition metrics. The partitions and the
 * records they hold are parts.c's; commits and rebalances release.c's. */
#include "consumer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cn.h"
#include "consumer_int.h"
#include "dispatch.h"
#include "kafka_record.h"
#include "kconf.h"
#include "keymap.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "parse.h"
#include "rkqloop.h"
#include "xalloc.h"

#define SERVE_BUDGET 1000     /* messages per loop turn before yielding */
#define ERROR_REPEAT_MS 30000 /* the same broker error is logged this rarely */
#define CLOSE_WAIT_MS 5000    /* leaving the group, at exit */

/* --- records ------------------------------------------------------------- */

static bool may_start(const struct cn_record *rec)
{
    const struct part *p = rec->owner;

    return !p->revoking && !p->k->stopping;
}

static void finished(struct cn_record *rec)
{
    struct part *p = rec->owner;

    track_done(&p->track, rec->offset);
    cn_part_unlink(p, rec);
    cn_record_free(rec);
    cn_commit_soon(p->k);
}

/* A drain waits for this: the last call or publish of the record ended. */
static void quiet(struct cn_record *rec)
{
    struct part *p = rec->owner;

    if (p->revoking)
        cn_release_poke(p->k);
}

/* No delayed redelivery: retries wait here. */
static const struct cn_origin kafka_origin = {
    .may_start = may_start,
    .finished = finished,
    .quiet = quiet,
};

static void log_repeating(struct cn_consumer *k, const char *what)
{
    int64_t now = loop_now_ms();

    if (strcmp(k->logged_error, what) == 0 && now - k->logged_at_ms < ERROR_REPEAT_MS)
        return;
    snprintf(k->logged_error, sizeof k->logged_error, "%s", what);
    k->logged_at_ms = now;
    log_warn("kafka", "consumer: %s", what);
}

static void on_message(struct cn_consumer *k, const rd_kafka_message_t *m)
{
    struct part *p;

    /* An error may come without a topic (m->rkt is then NULL). */
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            log_repeating(k, rd_kafka_message_errstr(m));
        return;
    }
    k->kafka_up = true;
    k->received++;
    p = cn_part_find(k, rd_kafka_topic_name(m->rkt), m->partition);
    /* Not ours any more (or not yet): whoever owns it will read it again. */
    if (!p || p->revoking || k->stopping)
        return;
    if (track_add(&p->track, m->offset, loop_now_ms()) < 0)
        return;
    struct cn_record *rec = cn_kafka_record(m);

    rec->origin = &kafka_origin;
    cn_part_take(p, rec);
    cn_submit_queued(k);
    cn_check_room(k);
    cn_count_records(k);
}

/* --- the handle on the loop ---------------------------------------------- */

static bool serve(void *arg)
{
    struct cn_consumer *k = arg;
    int n = 0;

    for (; n < SERVE_BUDGET && !k->closing && cn_taking(k); n++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 0);
        if (!m)
            break;
        on_message(k, m);
        rd_kafka_message_destroy(m);
    }
    return n == SERVE_BUDGET;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct cn_consumer *k = opaque;
    char fatal[512];

    snprintf(k->last_error, sizeof k->last_error, "%s", reason);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        log_error("kafka", "consumer: fatal error: %s; stopping", fatal);
        k->fatal(k->fatal_arg);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        k->kafka_up = false;
    log_repeating(k, reason);
}

/* Statistics only tell us whether any broker connection is up. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    struct cn_consumer *k = opaque;
    json_t *root = json_loadb(json, len, 0, NULL);
    const char *name;
    json_t *b;
    bool up = false;
    (void)rk;

    json_object_foreach(json_object_get(root, "brokers"), name, b) {
        const char *state = json_string_value(json_object_get(b, "state"));
        up = up || (state && strcmp(state, "UP") == 0);
    }
    if (root)
        k->kafka_up = up;
    json_decref(root);
    return 0;
}

static bool serve_commits(void *arg)
{
    struct cn_consumer *k = arg;

    rd_kafka_queue_poll_callback(k->commitq, 0);
    return false;
}

/* The first serve (what was queued before) comes on the loop's first turn. */
static int watch_queue(struct cn_consumer *k, char *err, size_t errlen)
{
    char why[256];

    rd_kafka_poll_set_consumer(k->rk);
    k->q = rd_kafka_queue_get_consumer(k->rk);
    rd_kafka_set_log_queue(k->rk, k->q);
    k->commitq = rd_kafka_queue_new(k->rk);
    if (rkqloop_start(&k->wakeq, k->cn->lp, k->q, serve, k, why, sizeof why) < 0 ||
        rkqloop_start(&k->commitw, k->cn->lp, k->commitq, serve_commits, k, why, sizeof why) < 0) {
        snprintf(err, errlen, "consumer: %s", why);
        return -1;
    }
    return 0;
}

/* Serves what is queued without dispatching messages (there are none
 * before a subscription): error callbacks fill last_error. */
static void serve_events(struct cn_consumer *k)
{
    for (int i = 0; i < 100; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 0);
        if (!m)
            break;
        rd_kafka_message_destroy(m);
    }
}

/* Asks for metadata until the brokers answer or connect_timeout passes: a
 * refused connection fails at once, and brokers started together with us
 * may need a moment. Blocking is fine here: the loop is not running yet. */
static int check_brokers(struct cn_consumer *k, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md;
    const struct cn_config *cfg = &k->cn->cfg;
    int64_t deadline = loop_now_ms() + cfg->connect_timeout_ms;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    char dur[32];

    /* Short tries, so that the error callback logs a failure (with
     * librdkafka's reason) as it happens, not only at the end. */
    for (int64_t left = cfg->connect_timeout_ms; left > 0; left = deadline - loop_now_ms()) {
        e = rd_kafka_metadata(k->rk, 0, NULL, &md, (int)(left < 1000 ? left : 1000));
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_metadata_destroy(md);
            k->kafka_up = true;
            return 0;
        }
        serve_events(k);
        usleep(200 * 1000);
    }
    serve_events(k);
    snprintf(err, errlen,
             "cannot reach the Kafka brokers %s within connect_timeout %s: "
             "%s%s%s",
             cfg->brokers, format_duration_ms(cfg->connect_timeout_ms, dur, sizeof dur),
             rd_kafka_err2str(e), k->last_error[0] ? "; last error: " : "", k->last_error);
    return -1;
}

struct cn_consumer *cn_consumer_new(struct cn *cn, void (*fatal)(void *arg), void *arg, char *err,
                                    size_t errlen)
{
    struct cn_consumer *k = xcalloc(1, sizeof *k);
    rd_kafka_conf_t *conf = cn_kconf_new(&cn->cfg, CN_KAFKA_CONSUMER, err, errlen);

    k->cn = cn;
    k->fatal = fatal;
    k->fatal_arg = arg;
    k->parts = keymap_new();
    k->subscribed = xstrdup("");
    if (!conf) {
        cn_consumer_free(k);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_rebalance_cb(conf, cn_on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, cn_on_commit);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    if (!k->rk) {
        rd_kafka_conf_destroy(conf);
        cn_consumer_free(k);
        return NULL;
    }
    if (watch_queue(k, err, errlen) < 0 || check_brokers(k, err, errlen) < 0) {
        cn_consumer_free(k);
        return NULL;
    }
    return k;
}

static void drop_each(struct cn_consumer *k, struct part *p, void *arg)
{
    (void)arg;
    cn_part_drop(k, p);
}

/* Leaves the group; false if that did not end in CLOSE_WAIT_MS. A live
 * broker answers in milliseconds. One that is gone cannot, and
 * rd_kafka_consumer_close() would wait for it up to session.timeout.ms
 * (45 s by default): a Ctrl-C taking most of a minute. So the close runs
 * on librdkafka's side and is waited for a while only; past that the
 * group frees our partitions when our session times out, from the
 * offsets the drain committed. Rebalance callbacks during the close (on
 * this thread, from the queue) hand partitions back at once: closing is
 * set, the drain, if any, is over. */
static bool leave_group(struct cn_consumer *k)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(k->rk);
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(k->rk, q);
    int64_t deadline = loop_now_ms() + CLOSE_WAIT_MS;

    if (e) {
        log_warn("kafka", "cannot leave the consumer group: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        rd_kafka_queue_destroy(q);
        return false;
    }
    while (!rd_kafka_consumer_closed(k->rk) && loop_now_ms() < deadline)
        rd_kafka_queue_poll_callback(q, 100);
    bool closed = rd_kafka_consumer_closed(k->rk);
    if (!closed)
        log_warn("kafka",
                 "the consumer group was not left in %d ms (brokers unreachable?): "
                 "exiting; the group frees our partitions when our session times out",
                 CLOSE_WAIT_MS);
    rd_kafka_queue_destroy(q);
    return closed;
}

/* A handle whose close did not end is left to the process's exit:
 * rd_kafka_destroy() would join librdkafka's threads, which wait for the
 * group's coordinator just as the close did. Kept here, it is still
 * reachable, not a leak, to the sanitizers. Our callbacks are only ever
 * served from polls, so its threads call none of our code meanwhile. */
static rd_kafka_t *abandoned;

void cn_consumer_free(struct cn_consumer *k)
{
    if (!k)
        return;
    k->closing = true;
    cn_release_cleanup(k);
    cn_hold_cleanup(k);
    bool closed = k->rk && leave_group(k);
    cn_parts_each(k, drop_each, NULL);
    rkqloop_stop(&k->wakeq);
    rkqloop_stop(&k->commitw);
    if (k->q)
        rd_kafka_queue_destroy(k->q);
    if (k->commitq)
        rd_kafka_queue_destroy(k->commitq);
    if (closed)
        rd_kafka_destroy(k->rk);
    else
        abandoned = k->rk;
    keymap_free(k->parts);
    free(k->subscribed);
    free(k);
}

/* --- subscription, readiness, metrics ------------------------------------ */

void cn_consumer_subscribe(struct cn_consumer *k, const char *topics)
{
    rd_kafka_resp_err_t e;

    if (!k || strcmp(topics, k->subscribed) == 0 || k->stopping)
        return;
    free(k->subscribed);
    k->subscribed = xstrdup(topics);
    k->joined = false;
    if (!*topics) {
        rd_kafka_unsubscribe(k->rk);
        log_info("kafka", "no topics to consume: unsubscribed");
        return;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    for (const char *p = topics; *p;) {
        size_t n = strcspn(p, ",");
        char *t = xstrndup(p, n);
        rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA);
        free(t);
        p += n + (p[n] == ',');
    }
    e = rd_kafka_subscribe(k->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e)
        log_error("kafka", "cannot subscribe to %s: %s", topics, rd_kafka_err2str(e));
    else
        log_info("kafka", "subscribed to %s as group %s", topics, k->cn->cfg.group);
}

bool cn_consumer_ready(const struct cn_consumer *k, char *why, size_t len)
{
    if (!k)
        return true;
    if (!k->kafka_up) {
        snprintf(why, len,
                 "Kafka (brokers %s) is not reachable: no broker connection "
                 "is up%s%s",
                 k->cn->cfg.brokers, k->last_error[0] ? ": " : "", k->last_error);
        return false;
    }
    if (*k->subscribed && !k->joined) {
        snprintf(why, len, "waiting for an assignment from consumer group %s", k->cn->cfg.group);
        return false;
    }
    return true;
}

uint64_t cn_consumer_received(const struct cn_consumer *k)
{
    return k ? k->received : 0;
}

bool cn_consumer_idle(const struct cn_consumer *k)
{
    return !k || (k->inflight == 0 && k->queued == 0);
}

/* The first offset not yet known to be committed. */
static int64_t consumed_from(const struct part *p, int64_t hi)
{
    if (p->committed >= 0)
        return p->committed;
    if (track_first(&p->track) >= 0)
        return track_first(&p->track);
    return p->track.next_offset >= 0 ? p->track.next_offset : hi;
}

static void part_metrics(struct cn_consumer *k, struct part *p, void *arg)
{
    struct cn_metrics *m = &k->cn->m;
    char num[16];
    const char *labels[] = { p->topic, num };
    int64_t lo, hi, oldest = track_oldest_ms(&p->track);

    (void)arg;
    snprintf(num, sizeof num, "%d", (int)p->partition);
    if (rd_kafka_get_watermark_offsets(k->rk, p->topic, p->partition, &lo, &hi) == 0 && hi >= 0) {
        int64_t lag = hi - consumed_from(p, hi);
        metric_set(m->lag, labels, (double)(lag > 0 ? lag : 0));
    }
    metric_set(m->oldest, labels, oldest < 0 ? 0.0 : (double)(loop_now_ms() - oldest) / 1000.0);
}

void cn_consumer_update_metrics(struct cn_consumer *k)
{
    if (!k)
        return;
    metric_clear(k->cn->m.lag);
    metric_clear(k->cn->m.oldest);
    cn_parts_each(k, part_metrics, NULL);
}
