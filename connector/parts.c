/* parts.c -- the Kafka source's partitions, the records each holds (in
 * offset order) and the queue of records waiting for room (max_inflight).
 * Below both consumer.c (messages in) and release.c (commits, hand-backs):
 * it calls neither. */
#include <stdlib.h>
#include <string.h>

#include "cn.h"
#include "consumer_int.h"
#include "dispatch.h"
#include "keymap.h"
#include "list.h"
#include "metrics.h"
#include "xalloc.h"

/* --- partitions ---------------------------------------------------------- */

static unsigned char *part_key(const char *topic, int32_t partition, size_t *len)
{
    size_t n = strlen(topic) + 1;
    unsigned char *key = xmalloc(n + sizeof partition);

    memcpy(key, topic, n);
    memcpy(key + n, &partition, sizeof partition);
    *len = n + sizeof partition;
    return key;
}

struct part *cn_part_find(struct cn_consumer *k, const char *topic, int32_t partition)
{
    size_t len;
    unsigned char *key = part_key(topic, partition, &len);
    struct part *p = keymap_get(k->parts, key, len);

    free(key);
    return p;
}

struct part *cn_part_add(struct cn_consumer *k, const char *topic, int32_t partition)
{
    size_t len;
    unsigned char *key;
    struct part *p = cn_part_find(k, topic, partition);

    if (p)
        return p;
    p = xcalloc(1, sizeof *p);
    p->k = k;
    p->topic = xstrdup(topic);
    p->partition = partition;
    p->commit_sent = p->committed = -1;
    track_init(&p->track);
    key = part_key(topic, partition, &len);
    keymap_put(k->parts, key, len, p);
    free(key);
    return p;
}

void cn_part_unlink(struct part *p, struct cn_record *rec)
{
    list_remove(&p->records, &rec->node);
}

static size_t record_size(const struct cn_record *rec)
{
    size_t n = sizeof *rec + rec->len + rec->key_len;

    for (size_t i = 0; i < rec->nheaders; i++)
        n += sizeof rec->headers[i] + strlen(rec->headers[i].name) + rec->headers[i].len;
    return n;
}

static void enqueue(struct cn_consumer *k, struct cn_record *rec)
{
    rec->queued = true;
    list_push_back(&k->waiting, &rec->qnode);
    k->queued++;
    k->queued_bytes += record_size(rec);
}

static void unqueue(struct cn_consumer *k, struct cn_record *rec)
{
    list_remove(&k->waiting, &rec->qnode);
    rec->queued = false;
    k->queued--;
    k->queued_bytes -= record_size(rec);
}

void cn_count_records(struct cn_consumer *k)
{
    metric_set(k->cn->m.records, (const char *[]){ "inflight" }, (double)k->inflight);
    metric_set(k->cn->m.records, (const char *[]){ "queued" }, (double)k->queued);
}

void cn_part_drop(struct cn_consumer *k, struct part *p)
{
    size_t len, waiting = 0;
    unsigned char *key = part_key(p->topic, p->partition, &len);

    while (!list_empty(&p->records)) {
        struct cn_record *rec = LIST_ENTRY(p->records.first, struct cn_record, node);
        cn_part_unlink(p, rec);
        if (rec->queued) {
            unqueue(k, rec);
            waiting++;
        } else {
            cn_dispatch_abandon(k->cn->dispatch, rec);
        }
        cn_record_free(rec);
    }
    /* What the track still holds was submitted, except the waiting ones. */
    k->inflight -= track_count(&p->track) - waiting;
    cn_count_records(k);
    keymap_del(k->parts, key, len);
    free(key);
    track_cleanup(&p->track);
    free(p->topic);
    free(p);
}

/* fn may drop the part it is given: the parts are listed first. */
void cn_parts_each(struct cn_consumer *k,
                   void (*fn)(struct cn_consumer *k, struct part *p, void *arg), void *arg)
{
    void **all = keymap_values(k->parts);

    for (void **p = all; *p; p++)
        fn(k, *p, arg);
    free(all);
}

void cn_part_take(struct part *p, struct cn_record *rec)
{
    rec->owner = p;
    list_push_back(&p->records, &rec->node);
    enqueue(p->k, rec);
}

/* Oldest first, across partitions: within a partition that is offset
 * order, which the ordering lanes rely on. Records whose partition is
 * being handed back stay where they are until it is dropped. */
void cn_submit_queued(struct cn_consumer *k)
{
    size_t max = (size_t)k->cn->cfg.max_inflight;

    for (struct list_node *it = k->waiting.first, *next; it && k->inflight < max; it = next) {
        struct cn_record *rec = LIST_ENTRY(it, struct cn_record, qnode);
        next = it->next;
        if (!rec->origin->may_start(rec))
            continue;
        unqueue(k, rec);
        k->inflight++;
        /* May finish rec at once (no route): rec is not touched after. */
        cn_dispatch_submit(k->cn->dispatch, rec);
    }
}
