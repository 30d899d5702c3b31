/* kafka_record.c -- a Kafka message as a source-neutral record: key,
 * value and headers copied byte for byte (a null value or header value
 * stays null), and what the headers say about hops and content type. */
#include "kafka_record.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encode.h"
#include "publish.h"
#include "xalloc.h"

static void copy_headers(struct cn_record *rec, const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *hdrs;
    const char *name;
    const void *value;
    size_t size;

    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    rec->headers = xcalloc(rd_kafka_header_cnt(hdrs) + 1, sizeof *rec->headers);
    for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); i++) {
        struct cn_header *h = &rec->headers[rec->nheaders++];
        h->name = xstrdup(name);
        h->value = value ? cn_bytes_dup(value, size) : NULL;
        h->len = value ? size : 0;
    }
}

/* What the record's own headers say about hops and content type. */
static void read_meta(struct cn_record *rec)
{
    for (size_t i = 0; i < rec->nheaders; i++) {
        const struct cn_header *h = &rec->headers[i];
        if (!h->value)
            continue;
        if (strcasecmp(h->name, CN_HOP_HEADER) == 0)
            rec->hops = cn_hops_parse(h->value, h->len);
        else if (strcasecmp(h->name, "content-type") == 0 && h->len > 0 &&
                 cn_http_value_ok(h->value, h->len))
            rec->content_type = (const char *)h->value;
    }
}

struct cn_record *cn_kafka_record(const rd_kafka_message_t *m)
{
    struct cn_record *rec = xcalloc(1, sizeof *rec);
    rd_kafka_timestamp_type_t tstype;
    const char *topic = rd_kafka_topic_name(m->rkt);

    rec->topic = xstrdup(topic);
    rec->partition = m->partition;
    rec->offset = m->offset;
    rec->timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
    if (m->key)
        rec->key = cn_bytes_dup(m->key, m->key_len);
    rec->key_len = m->key ? m->key_len : 0;
    if (m->payload)
        rec->value = cn_bytes_dup(m->payload, m->len);
    rec->len = m->payload ? m->len : 0;
    copy_headers(rec, m);
    read_meta(rec);
    rec->call_id = cn_call_id("kafka", topic, m->partition, m->offset);
    return rec;
}
