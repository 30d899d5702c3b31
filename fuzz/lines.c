/* lines.c -- fuzzes log line framing: any byte stream, fed in pieces of
 * any size, comes out as lines no longer than the bound, holding no
 * newline, and with no byte lost or added. */
#include "lines.h"
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tally {
    size_t max;
    size_t bytes;
};

static void on_line(void *arg, const char *line, size_t len)
{
    struct tally *t = arg;
    if (len > t->max || memchr(line, '\n', len))
        abort();
    t->bytes += len;
}

/* The first two bytes choose the line bound and the piece size, so the
 * fuzzer explores both the bound and the cuts between reads. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct tally t = { .max = (size_t)data[0] % 64 + 1, .bytes = 0 };
    size_t piece = (size_t)data[1] % 32 + 1;
    data += 2;
    size -= 2;
    struct lines l;
    lines_init(&l, t.max, on_line, &t);
    size_t newlines = 0;
    for (size_t off = 0; off < size; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        lines_feed(&l, (const char *)data + off, n);
    }
    for (size_t i = 0; i < size; i++)
        newlines += data[i] == '\n';
    lines_flush(&l);
    lines_cleanup(&l);
    if (t.bytes + newlines != size)
        abort();
    return 0;
}
