/* h1resp.c -- fuzzes the upstream response parser: any bytes as a head,
 * then whatever follows as a chunked body fed in pieces of any size. The
 * head parser must stay inside its input and report a status in range;
 * the chunk decoder must consume within its input, return body spans
 * inside what it consumed, and never yield more body than it was fed. */
#include "h1resp.h"
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>

static void check_head(const struct h1resp *r, const char *data, size_t size, ssize_t n)
{
    if (n < -1 || n > (ssize_t)size)
        abort();
    if (n <= 0)
        return;
    if (r->status < 100 || r->status > 999 || r->nheaders > H1_MAX_HEADERS)
        abort();
    if (r->chunked && r->content_length >= 0)
        abort();
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct h1_header *h = &r->headers[i];
        if (h->name < data || h->name + h->name_len > data + n || h->value < data ||
            h->value + h->value_len > data + n || h->name_len == 0)
            abort();
    }
}

static void check_chunks(const char *data, size_t size, size_t piece)
{
    struct h1chunk c;
    h1chunk_init(&c);
    size_t body = 0;
    for (size_t pos = 0; pos < size;) {
        size_t n = size - pos < piece ? size - pos : piece;
        size_t used, off, dlen;
        enum h1chunk_result res = h1chunk_next(&c, data + pos, n, &used, &off, &dlen);
        if (used > n || (res == H1C_DATA && (off + dlen > used || dlen == 0)))
            abort();
        if (res == H1C_MORE && used != n)
            abort();
        if (res == H1C_DATA)
            body += dlen;
        if (res == H1C_END || res == H1C_ERROR)
            break;
        pos += used;
    }
    if (body > size)
        abort();
}

/* The first byte chooses the piece size for the body. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] % 16 + 1;
    const char *in = (const char *)data + 1;
    size--;
    struct h1resp r;
    ssize_t n = h1resp_parse(&r, in, size);
    check_head(&r, in, size, n);
    size_t start = n > 0 ? (size_t)n : 0;
    check_chunks(in + start, size - start, piece);
    return 0;
}
