/* kafka.c -- publish and subscribe on Kafka with librdkafka. */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "xalloc.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* librdkafka's own log lines would bury our one-line error: the outcome
 * arrives in the delivery report or the poll instead. */
static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static void quiet_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk, (void)err, (void)reason, (void)opaque;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers, void *opaque,
                          void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *))
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
        fb_error("kafka: %s", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_conf_set_error_cb(conf, quiet_error);
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set(conf, "message.timeout.ms", "15000", err, sizeof err);
    if (type == RD_KAFKA_CONSUMER) {
        rd_kafka_conf_set(conf, "group.id", "faasbus-cli", err, sizeof err);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    }
    if (dr) {
        rd_kafka_conf_set_opaque(conf, opaque);
        rd_kafka_conf_set_dr_msg_cb(conf, dr);
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk)
        fb_error("kafka: %s", err);
    return rk;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    rd_kafka_resp_err_t *out = opaque;
    *out = m->err;
}

/* One header list from --header K=V. */
static int headers_of(const struct ctx *c, rd_kafka_headers_t **out)
{
    const struct strlist *l = args_list(&c->a, "header");
    *out = rd_kafka_headers_new(l->n);
    for (size_t i = 0; i < l->n; i++) {
        char *k;
        const char *v;
        if (fb_split_kv(l->items[i], "header", false, &k, &v) != 0) {
            rd_kafka_headers_destroy(*out);
            return -1;
        }
        rd_kafka_header_add(*out, k, -1, v, (ssize_t)strlen(v));
        free(k);
    }
    return 0;
}

int kafka_publish(const struct ctx *c, const struct bus_target *t, const struct buf *value)
{
    rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    rd_kafka_headers_t *hdrs;
    if (headers_of(c, &hdrs) != 0)
        return 1;
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, t->brokers, &result, on_delivery);
    if (!rk) {
        rd_kafka_headers_destroy(hdrs);
        return 1;
    }
    const char *key = args_get(&c->a, "key");
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(t->name), RD_KAFKA_V_VALUE((void *)buf_peek(value), value->len),
        RD_KAFKA_V_KEY((void *)key, key ? strlen(key) : 0), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    int rc = 0;
    if (err) {
        rd_kafka_headers_destroy(hdrs);
        rc = fb_error("publish %s: %s", t->name, rd_kafka_err2str(err));
    } else {
        rd_kafka_flush(rk, 30 * 1000);
        if (result == RD_KAFKA_RESP_ERR__IN_PROGRESS)
            rc = fb_error("publish %s: no answer from the brokers at %s", t->name, t->brokers);
        else if (result)
            rc = fb_error("publish %s: %s (brokers %s)", t->name, rd_kafka_err2str(result),
                          t->brokers);
        else if (!c->json)
            fprintf(stderr, "Published to %s.\n", t->name);
        else
            fb_json_result(c, t->name, "published");
    }
    rd_kafka_destroy(rk);
    return rc;
}

/* Assigns every partition of the topic, at the start or the end: no
 * consumer group to join, so the first record comes at once. */
static int assign_all(rd_kafka_t *rk, const struct bus_target *t, bool from_start)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, t->name, NULL);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_UNKNOWN;
    /* A topic that does not exist yet is created on the first metadata
     * request here; ask again until its partitions show. */
    for (int tries = 0; tries < 10; tries++) {
        err = rd_kafka_metadata(rk, 0, topic, &md, 1500);
        if (!err && md->topic_cnt == 1 && md->topics[0].partition_cnt > 0 && !md->topics[0].err)
            break;
        if (!err) {
            rd_kafka_metadata_destroy(md);
            md = NULL;
        }
        struct timespec ts = { 0, 250 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    rd_kafka_topic_destroy(topic);
    if (!md)
        return fb_error("subscribe %s: %s", t->name,
                        err ? rd_kafka_err2str(err) : "the topic has no partitions");
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(
        md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, t->name, md->topics[0].partitions[i].id)
            ->offset = from_start ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    rd_kafka_metadata_destroy(md);
    err = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    return err ? fb_error("subscribe %s: %s", t->name, rd_kafka_err2str(err)) : 0;
}

static void print_message(const struct ctx *c, const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *h = NULL;
    const char *names[64], *values[64];
    size_t lens[64];
    int n = 0;
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const void *v;
        while (n < 64 && rd_kafka_header_get_all(h, (size_t)n, &names[n], &v, &lens[n]) ==
                             RD_KAFKA_RESP_ERR_NO_ERROR) {
            values[n] = v;
            n++;
        }
    }
    char *where = xasprintf("%s[%d]@%lld", rd_kafka_topic_name(m->rkt), (int)m->partition,
                            (long long)m->offset);
    bus_print_record(c, where, m->key, m->key_len, names, values, lens, n, m->payload, m->len);
    free(where);
}

int kafka_subscribe(const struct ctx *c, const struct bus_target *t)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, t->brokers, NULL, NULL);
    if (!rk)
        return 1;
    int rc = assign_all(rk, t, args_has(&c->a, "from-beginning"));
    if (rc == 0)
        fprintf(stderr, "Listening on %s\n", t->name);
    long want = bus_count(c), got = 0;
    double timeout = bus_timeout(c), idle = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (rc == 0 && !stop && (want == 0 || got < want) && (timeout == 0 || idle < timeout)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) {
            idle += 0.2;
            continue;
        }
        if (!m->err) {
            print_message(c, m);
            got++;
            idle = 0;
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            fb_warn("subscribe %s: %s", t->name, rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
    if (rc == 0 && want && got < want && !stop)
        rc = fb_error("subscribe %s: %ld of %ld records before the timeout", t->name, got, want);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
