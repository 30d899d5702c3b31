/* nats_record.c -- a NATS message as a source-neutral record. */
#include "nats_record.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "encode.h"
#include "publish.h"
#include "subject.h"
#include "xalloc.h"

static void add(struct cn_record *rec, const char *name, const char *value)
{
    struct cn_header *h;

    rec->headers = xrealloc(rec->headers, (rec->nheaders + 1) * sizeof *rec->headers);
    h = &rec->headers[rec->nheaders++];
    h->name = xstrdup(name);
    h->len = strlen(value);
    h->value = cn_bytes_dup(value, h->len);
}

/* Every value of every header, each key's values in their order. */
static void copy_headers(struct cn_record *rec, natsMsg *m)
{
    const char **keys = NULL;
    int nkeys = 0;

    if (natsMsgHeader_Keys(m, &keys, &nkeys) != NATS_OK)
        return;
    for (int i = 0; i < nkeys; i++) {
        const char **values = NULL;
        int n = 0;
        if (natsMsgHeader_Values(m, keys[i], &values, &n) != NATS_OK)
            continue;
        for (int j = 0; j < n; j++)
            add(rec, keys[i], values[j]);
        free((void *)values);
    }
    free((void *)keys);
}

static void read_meta(struct cn_record *rec)
{
    for (size_t i = 0; i < rec->nheaders; i++) {
        const struct cn_header *h = &rec->headers[i];
        if (strcasecmp(h->name, CN_HOP_HEADER) == 0)
            rec->hops = cn_hops_parse(h->value, h->len);
        else if (strcasecmp(h->name, "content-type") == 0 && h->len > 0 &&
                 cn_http_value_ok(h->value, h->len))
            rec->content_type = (const char *)h->value;
    }
}

static bool says_b64(const struct cn_record *rec, const char *key_header)
{
    char *enc = xasprintf("%s-Enc", key_header);
    const struct cn_header *h = cn_record_header(rec, enc);

    free(enc);
    return h && h->len == 3 && memcmp(h->value, "b64", 3) == 0;
}

static void set_key(struct cn_record *rec, const char *key_header)
{
    const struct cn_header *h = cn_record_header(rec, key_header);
    size_t len, bad;

    if (h && says_b64(rec, key_header)) {
        unsigned char *raw = base64_decode((const char *)h->value, h->len, &len, &bad);
        if (raw) {
            rec->key = cn_bytes_dup(raw, len);
            rec->key_len = len;
            free(raw);
            return;
        }
    }
    if (h) {
        rec->key = cn_bytes_dup(h->value, h->len);
        rec->key_len = h->len;
        return;
    }
    rec->key_len = strlen(rec->topic);
    rec->key = cn_bytes_dup(rec->topic, rec->key_len);
}

static void jetstream_meta(struct cn_record *rec, natsMsg *m, const char *stream)
{
    jsMsgMetaData *meta = NULL;

    rec->stream = xstrdup(stream);
    rec->offset = 0;
    if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
        rec->offset = (int64_t)meta->Sequence.Stream;
        rec->timestamp_ms = meta->Timestamp / 1000000;
        if (meta->NumDelivered > 1) /* a redelivery: its earlier calls count */
            rec->prior_attempts = (int)meta->NumDelivered - 1;
    }
    jsMsgMetaData_Destroy(meta);
    rec->call_id = xasprintf("nats-%s-%lld", stream, (long long)rec->offset);
}

struct cn_record *cn_nats_record(natsMsg *m, const char *stream, const char *key_header,
                                 const char *boot_id, uint64_t seq)
{
    struct cn_record *rec = xcalloc(1, sizeof *rec);
    const char *reply = natsMsg_GetReply(m);

    rec->bus = CN_BUS_NATS;
    rec->topic = xstrdup(natsMsg_GetSubject(m));
    rec->timestamp_ms = -1;
    rec->len = (size_t)natsMsg_GetDataLength(m);
    rec->value = cn_bytes_dup(natsMsg_GetData(m), rec->len);
    copy_headers(rec, m);
    read_meta(rec);
    set_key(rec, key_header);
    if (stream) {
        jetstream_meta(rec, m, stream);
        return rec;
    }
    /* Core NATS has no message identity: our own count, unique per run. */
    rec->offset = (int64_t)seq;
    rec->call_id = xasprintf("nats-%s-%llu", boot_id, (unsigned long long)seq);
    if (reply && *reply)
        rec->reply_to = xasprintf("%s%s", CN_NATS_PREFIX, reply);
    return rec;
}
