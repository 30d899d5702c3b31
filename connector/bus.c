/* bus.c -- routing across Kafka and NATS. */
#include "bus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cn.h"
#include "nats_publish.h"
#include "subject.h"
#include "xalloc.h"

static void append(const struct cn_route ***out, size_t *n, const struct cn_route *first,
                   size_t count)
{
    if (!count)
        return;
    *out = xrealloc(*out, (*n + count) * sizeof(const struct cn_route *));
    for (size_t i = 0; i < count; i++)
        (*out)[(*n)++] = &first[i];
}

/* Kafka routes are found by the table's sorted search; "kafka:x" sorts
 * apart from "x", so it is a second search. A bare "x" is a Kafka route
 * only when bare names are Kafka's. */
static size_t kafka_routes(const struct cn_table *t, const char *topic,
                           const struct cn_route ***out)
{
    const struct cn_route *first = NULL;
    size_t n = 0, count = cn_bare_is_kafka() ? cn_table_match(t, topic, &first) : 0;
    /* "kafka:<topic>", on the stack for any name Kafka allows (249 bytes). */
    char stack[sizeof CN_KAFKA_PREFIX + 256];
    size_t len = strlen(topic), size = sizeof CN_KAFKA_PREFIX + len; /* with the NUL */
    char *spelled = size <= sizeof stack ? stack : xmalloc(size);

    memcpy(spelled, CN_KAFKA_PREFIX, sizeof CN_KAFKA_PREFIX - 1);
    memcpy(spelled + sizeof CN_KAFKA_PREFIX - 1, topic, len + 1);
    append(out, &n, first, count);
    count = cn_table_match(t, spelled, &first);
    append(out, &n, first, count);
    if (spelled != stack)
        free(spelled);
    return n;
}

/* NATS routes may hold wildcards, so each one is tried; tables are small
 * (a few routes per function). */
static size_t nats_routes(const struct cn_table *t, const char *subject,
                          const struct cn_route ***out)
{
    size_t n = 0;

    for (size_t i = 0; i < t->n; i++) {
        const char *pattern = cn_nats_name(t->routes[i].topic);
        if (pattern && cn_subject_match(pattern, subject))
            append(out, &n, &t->routes[i], 1);
    }
    return n;
}

size_t cn_bus_routes(const struct cn_table *t, const struct cn_record *rec,
                     const struct cn_route ***out)
{
    *out = NULL;
    if (rec->bus == CN_BUS_NATS)
        return nats_routes(t, rec->topic, out);
    return kafka_routes(t, rec->topic, out);
}

static bool listed(const char *list, const char *topic)
{
    size_t n = strlen(topic);

    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && memcmp(p, topic, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

char *cn_bus_kafka_topics(const struct cn_table *t)
{
    char *out = xstrdup("");

    for (size_t i = 0; i < t->n; i++) {
        const char *topic = cn_kafka_name(t->routes[i].topic);
        if (!topic || listed(out, topic))
            continue;
        char *next = xasprintf("%s%s%s", out, *out ? "," : "", topic);
        free(out);
        out = next;
    }
    return out;
}

int cn_bus_send(struct cn *cn, const struct cn_record *rec, const struct cn_outgoing *m,
                cn_delivered_fn *fn, void *arg, struct cn_delivery **out, char *err, size_t errlen)
{
    const char *subject = cn_nats_name(m->topic);
    struct cn_outgoing kafka;
    char why[512];

    if (subject) {
        if (!cn->nats_out) {
            snprintf(err, errlen, "%s names NATS, but nats_url is not set", m->topic);
            return -1;
        }
        return cn_nats_send(cn->nats_out, rec, subject, m, fn, arg, out, err, errlen);
    }
    if (cn_bus_unresolved(m->topic, why, sizeof why)) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    if (!cn->producer) {
        snprintf(err, errlen, "%s names Kafka, but brokers is empty", m->topic);
        return -1;
    }
    kafka = *m;
    kafka.topic = cn_kafka_name(m->topic);
    return cn_producer_send(cn->producer, &kafka, fn, arg, out, err, errlen);
}
