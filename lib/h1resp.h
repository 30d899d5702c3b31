/* h1resp.h -- parsing of HTTP/1.x responses as they come from an
 * upstream: the status line and headers, and chunked bodies.
 *
 * Pure functions over bytes (no I/O, no allocation), so the reverse proxy
 * can feed them whatever a read returned and they can be unit-tested and
 * fuzzed alone. Anything outside RFC 9112's grammar that would make the
 * framing ambiguous (a bad or doubled Content-Length, obsolete line
 * folding, a NUL or bare CR) is refused: a proxy that guesses differently
 * from the next hop is open to response splitting. */
#ifndef H1RESP_H
#define H1RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#define H1_MAX_HEADERS 100

struct h1_header {
    const char *name; /* not NUL-terminated; points into the parsed bytes */
    size_t name_len;
    const char *value; /* without surrounding blanks */
    size_t value_len;
};

struct h1resp {
    int status;             /* 100..999 */
    int minor;              /* HTTP/1.<minor> */
    int64_t content_length; /* -1: none given */
    bool chunked;           /* Transfer-Encoding ends in chunked */
    bool until_close;       /* another transfer coding: the body ends at close */
    bool close;             /* the connection must not be reused after this */
    size_t nheaders;
    struct h1_header headers[H1_MAX_HEADERS];
};

/* Parses the response head at the start of data. Returns its length (up
 * to and including the blank line) once it is whole, 0 if more bytes are
 * needed, or -1 if it is malformed (or has more than H1_MAX_HEADERS
 * headers). On success the headers point into data. */
ssize_t h1resp_parse(struct h1resp *r, const char *data, size_t len);

/* True for a header name (of length len) equal to name, ignoring case.
 * Inline: with a literal name the length test is a constant, so most
 * names are told apart without touching their bytes. */
static inline bool h1_name_is(const char *s, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

#endif
