/* letter.c -- a dead letter, as the queue worker stored it, in JSON. */
#include "letter.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"
#include "parse.h"
#include "queue.h"
#include "reply.h"

#define PREVIEW_BYTES 256

/* Ours or the worker's, not the caller's: a replay must not send them. */
static bool internal_header(const char *name)
{
    return strncasecmp(name, "Faasbus-", 8) == 0 || strncasecmp(name, "Nats-", 5) == 0 ||
           strcasecmp(name, "X-Function-Status") == 0 || strcasecmp(name, "X-Attempts") == 0;
}

/* A value that is not UTF-8 cannot be a JSON string: it reads as null. */
static void put(json_t *o, const char *key, const char *value)
{
    json_t *v = value ? json_string(value) : json_null();
    json_object_set_new(o, key, v ? v : json_null());
}

static json_t *headers_json(natsMsg *m)
{
    json_t *out = json_object();
    const char **keys = NULL;
    int nkeys = 0;
    if (natsMsgHeader_Keys(m, &keys, &nkeys) != NATS_OK)
        return out;
    for (int i = 0; i < nkeys; i++) {
        const char **values = NULL;
        int n = 0;
        if (internal_header(keys[i]) || natsMsgHeader_Values(m, keys[i], &values, &n) != NATS_OK)
            continue;
        /* Repeated headers are one list, as HTTP lets them be. */
        struct buf joined;
        buf_init(&joined, 64 * 1024);
        for (int k = 0; k < n; k++) {
            if (k)
                buf_append(&joined, ", ", 2);
            buf_append(&joined, values[k], strlen(values[k]));
        }
        buf_append(&joined, "", 1);
        json_t *v = json_string(buf_peek(&joined));
        if (v)
            json_object_set_new(out, keys[i], v);
        buf_cleanup(&joined);
        free((void *)values);
    }
    free((void *)keys);
    return out;
}

static const char *header(natsMsg *m, const char *name)
{
    const char *v = NULL;
    return natsMsgHeader_Get(m, name, &v) == NATS_OK ? v : NULL;
}

static json_t *number_or_null(const char *text)
{
    int64_t n;
    return text && parse_int64(text, &n) == 0 ? json_integer((json_int_t)n) : json_null();
}

static void put_time(json_t *o, const char *key, int64_t unix_ms)
{
    char when[40];
    gw_format_time(unix_ms, when, sizeof when);
    json_object_set_new(o, key, unix_ms > 0 ? json_string(when) : json_null());
}

static void put_body(json_t *o, natsMsg *m, bool whole)
{
    const char *data = natsMsg_GetData(m);
    size_t len = (size_t)natsMsg_GetDataLength(m);
    json_object_set_new(o, "size", json_integer((json_int_t)len));
    if (whole) {
        char *b64 = base64_encode((const unsigned char *)data, len);
        json_object_set_new(o, "body", json_string(b64));
        free(b64);
        return;
    }
    size_t cut = len < PREVIEW_BYTES ? len : PREVIEW_BYTES;
    /* Not inside a character: back to the start of the one cut. */
    while (cut < len && cut > 0 && ((unsigned char)data[cut] & 0xC0) == 0x80)
        cut--;
    json_t *text = json_stringn(data ? data : "", cut);
    json_object_set_new(o, "preview", text ? text : json_null());
    json_object_set_new(o, "truncated", json_boolean(cut < len));
}

json_t *gw_letter_json(natsMsg *m, bool whole)
{
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer((json_int_t)natsMsg_GetSequence(m)));
    put_time(o, "time", natsMsg_GetTime(m) / 1000000);
    put(o, "function", header(m, QH_FUNCTION));
    put(o, "reason", header(m, "Faasbus-Reason"));
    json_object_set_new(o, "status", number_or_null(header(m, "X-Function-Status")));
    json_object_set_new(o, "attempts", number_or_null(header(m, "X-Attempts")));
    put(o, "call_id", header(m, "X-Call-Id"));
    put(o, "method", header(m, QH_METHOD));
    /* Absent means "": NATS headers cannot carry an empty value. */
    const char *path = header(m, QH_PATH), *query = header(m, QH_QUERY);
    put(o, "path", path ? path : "");
    put(o, "query", query ? query : "");
    int64_t queued = 0;
    const char *q = header(m, QH_QUEUED);
    if (q && parse_int64(q, &queued) < 0)
        queued = 0;
    put_time(o, "queued_at", queued);
    put(o, "callback_url", header(m, "X-Callback-Url"));
    json_object_set_new(o, "headers", headers_json(m));
    put_body(o, m, whole);
    return o;
}
