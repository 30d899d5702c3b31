/* h1head.c -- fuzzes the request-head parser and the chunked-body decoder
 * with the bytes a client could send: a head, then (when it parses) the
 * rest as a chunked body handed over in pieces sized by the input. A head
 * that parses must be made of what HTTP allows, and a body must never
 * come out longer than what went in. */
#include "h1chunk.h"
#include "h1head.h"
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_text(const char *s, const char *buf, size_t len, bool blank_ok)
{
    if (!s || s < buf || s >= buf + len)
        abort();
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p == '\r' || *p == '\n' || (!blank_ok && (*p == ' ' || *p == '\t')))
            abort();
}

static void check_head(const struct h1head *h, const char *buf, size_t len)
{
    check_text(h->method, buf, len, false);
    check_text(h->target, buf, len, false);
    if (strcmp(h->version, "HTTP/1.0") != 0 && strcmp(h->version, "HTTP/1.1") != 0)
        abort();
    if (h->nfields > h->max_fields)
        abort();
    for (size_t i = 0; i < h->nfields; i++) {
        const struct h1field *f = &h->fields[i];
        check_text(f->name, buf, len, false);
        if (!*f->name || strchr(f->name, ':'))
            abort();
        check_text(f->value, buf, len, true);
        size_t v = strlen(f->value);
        if (v && (f->value[0] == ' ' || f->value[v - 1] == ' ' || f->value[0] == '\t' ||
                  f->value[v - 1] == '\t'))
            abort();
    }
}

/* The bytes after the head as a chunked body, `step` bytes at a time. */
static void decode_body(const char *in, size_t len, size_t step)
{
    struct h1chunk c;
    h1chunk_init(&c);
    size_t pos = 0, body = 0;
    const char *why = NULL;
    while (pos < len && !h1chunk_done(&c)) {
        size_t avail = len - pos < step ? len - pos : step;
        long k = h1chunk_skip(&c, in + pos, avail, &why);
        if (k < 0) {
            if (!why)
                abort();
            return;
        }
        if ((size_t)k > avail)
            abort();
        pos += (size_t)k;
        size_t data = avail - (size_t)k;
        if (data > h1chunk_data(&c))
            data = (size_t)h1chunk_data(&c);
        h1chunk_took(&c, data);
        pos += data;
        body += data;
        if (k == 0 && data == 0 && !h1chunk_done(&c) && avail)
            abort(); /* no progress on bytes at hand */
    }
    if (body > len || pos > len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)(data[0] % 16) + 1;
    char *buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    size_t len = size - 1, scanned = 0;
    long end = 0;
    /* The end is found the same whether the bytes come at once or not. */
    for (size_t n = step; n < len && end == 0; n += step)
        end = h1head_end(buf, n, &scanned);
    if (end == 0)
        end = h1head_end(buf, len, &scanned);
    size_t again = 0;
    if (end != 0 && h1head_end(buf, len, &again) != end)
        abort();
    if (end > 0) {
        struct h1field fields[16];
        struct h1head h = { .fields = fields, .max_fields = 16 };
        const char *why = NULL;
        int status = h1head_parse(buf, (size_t)end, &h, &why);
        if (status == 0)
            check_head(&h, buf, (size_t)end);
        else if ((status != 400 && status != 431 && status != 505) || !why)
            abort();
        decode_body(buf + end, len - (size_t)end, step);
    }
    free(buf);
    return 0;
}
