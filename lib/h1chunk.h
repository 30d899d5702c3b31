/* h1chunk.h -- decodes a chunked request body (RFC 9112 section 7.1).
 *
 * No I/O and no allocation. The decoder walks over the framing (chunk
 * sizes, extensions, the CRLF after each chunk, trailer fields) and stops
 * in front of body data; the caller hands on what it can of that data and
 * says how much with h1chunk_took, so a consumer that is full leaves the
 * rest where it is. Strict like the head parser: CRLF line ends only, hex
 * sizes below 2^63, and bounded extension and trailer lines. */
#ifndef H1CHUNK_H
#define H1CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct h1chunk {
    int state;
    uint64_t left;   /* data bytes of the current chunk still to come */
    unsigned digits; /* of the size being read */
    size_t line;     /* bytes of the extension or trailer line so far */
    size_t trailer;  /* bytes of trailer fields so far */
};

void h1chunk_init(struct h1chunk *c);

/* Walks over framing bytes at in[0..len). Returns how many it took, or -1
 * if they are not chunked framing (*why says why). Afterwards either all
 * of in was taken, or body data follows (h1chunk_data() > 0), or the body
 * has ended (h1chunk_done()). */
long h1chunk_skip(struct h1chunk *c, const char *in, size_t len, const char **why);

/* Data bytes that may follow before the next framing. */
static inline uint64_t h1chunk_data(const struct h1chunk *c)
{
    return c->left;
}

/* The caller consumed n (<= h1chunk_data) data bytes. */
void h1chunk_took(struct h1chunk *c, size_t n);

bool h1chunk_done(const struct h1chunk *c);

#endif
