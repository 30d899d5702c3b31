/* framing.h -- is a request head's message framing unambiguous?
 *
 * A request whose body length two parsers could read differently is the
 * raw material of request smuggling (RFC 9112 section 6.3): two
 * Content-Length values, Transfer-Encoding beside Content-Length, a coding
 * other than plain "chunked", or header fields carrying control bytes (the
 * remains of obs-fold or of a bare CR). The HTTP server feeds each header
 * field of a head to framing_add and refuses the request, before reading
 * any body byte, unless framing_verdict says it is clear. */
#ifndef FRAMING_H
#define FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct framing {
    unsigned content_lengths; /* Content-Length fields seen */
    unsigned transfer_encodings;
    uint64_t length;  /* the first Content-Length's value */
    bool length_bad;  /* not 1*DIGIT, or values that differ */
    bool length_huge; /* beyond INT64_MAX */
    bool coding_bad;  /* a coding other than exactly "chunked" */
    bool field_bad;   /* a name or value with forbidden bytes */
};

void framing_init(struct framing *f);
/* Takes one header field of the head (name and value as parsed, NUL-free
 * C strings). */
void framing_add(struct framing *f, const char *name, const char *value);
/* Returns 0 if the framing is clear, else the status to answer with (400,
 * or 413 for a length no one can hold), and a static reason in *why. */
int framing_verdict(const struct framing *f, const char **why);

#endif
