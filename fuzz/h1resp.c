/* h1resp.c -- fuzzes the upstream response parser: any bytes as a head.
 * It must stay inside its input, report a status in range and never both
 * framings at once. (Chunked bodies go through h1chunk, fuzzed by
 * fuzz/h1head.c.) */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct h1resp r;
    ssize_t n = h1resp_parse(&r, in, size);
    check_head(&r, in, size, n);
    return 0;
}
