/* h1head.h -- parses an HTTP/1.x request head (RFC 9112), in place.
 *
 * No I/O and no allocation: the caller owns the bytes and the array of
 * fields. h1head_end finds where a head ends in what has arrived so far;
 * h1head_parse then splits that complete head, writing NULs into it, so
 * method, target, version and every field become C strings that point
 * into the caller's buffer.
 *
 * Strict on purpose (a server that frames a request as some other parser
 * would not is the start of request smuggling): lines end in CRLF, never
 * a bare LF or CR; a line that begins with a space or tab (obs-fold) is
 * refused, as is a field name with a blank before its colon, or bytes
 * that are not allowed in a name or a value. Empty lines before the
 * request line are skipped (RFC 9112 section 2.2). */
#ifndef H1HEAD_H
#define H1HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct h1field {
    const char *name;  /* as sent; compare without case */
    const char *value; /* blanks trimmed on both sides; may be "" */
    uint32_t name_len; /* strlen of each, for comparing without a scan */
    uint32_t value_len;
};

struct h1head {
    const char *method;
    const char *target;     /* the request target, raw */
    const char *version;    /* "HTTP/1.0" or "HTTP/1.1" */
    int minor;              /* 0 or 1 */
    struct h1field *fields; /* the caller's array... */
    size_t max_fields;      /* ...and its size */
    size_t nfields;
};

/* Looks for the end of a head in buf[0..len): returns the head's length
 * through its closing empty line, 0 if more bytes are needed, or -1 if
 * the bytes can never start a valid head (a line broken by a bare LF or
 * CR). *scanned keeps where the search stopped, so a caller that appends
 * bytes and asks again does not search the same bytes twice; start it at
 * 0 for each new head. */
long h1head_end(const char *buf, size_t len, size_t *scanned);

/* Splits the complete head buf[0..len) (len from h1head_end) into *h,
 * whose fields and max_fields the caller has set. Returns 0, or the
 * status to refuse it with (400; 431 for more fields than fit; 505 for an
 * HTTP version other than 1.0 and 1.1; 431 for a head of 4 GiB or more), with
 * a static reason in *why. */
int h1head_parse(char *buf, size_t len, struct h1head *h, const char **why);

/* The first field named `name` (without case), or NULL. */
const char *h1head_field(const struct h1head *h, const char *name);

/* True if the comma-separated list `value` holds `token` (without case),
 * e.g. "close" in a Connection field "keep-alive, Close". */
bool h1head_has_token(const char *value, const char *token);

#endif
