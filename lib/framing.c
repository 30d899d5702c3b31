/* framing.c -- judges a request head's message framing (see framing.h). */
#include "framing.h"

#include <string.h>
#include <strings.h>

#include "h1resp.h" /* h1_name_is */

void framing_init(struct framing *f)
{
    *f = (struct framing){ 0 };
}

/* RFC 9110 token characters: what a field name may hold. */
static bool is_tchar(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The length of a valid field name, or 0 (empty, or a byte a token may
 * not hold). */
static size_t name_ok(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    for (; *p; p++)
        if (!is_tchar(*p))
            return 0;
    return (size_t)(p - (const unsigned char *)name);
}

/* Field values may hold visible bytes, obs-text, spaces and tabs; never
 * CR, LF or other control bytes. */
static bool value_ok(const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* Content-Length is 1*DIGIT and nothing else: no sign, no list, no
 * spaces inside (the parser has trimmed the outside). */
static void add_length(struct framing *f, const char *value)
{
    uint64_t n = 0;
    bool huge = false;
    if (!*value)
        f->length_bad = true;
    for (const char *p = value; *p; p++) {
        if (*p < '0' || *p > '9') {
            f->length_bad = true;
            return;
        }
        unsigned d = (unsigned)(*p - '0');
        if (n > (UINT64_MAX - d) / 10)
            huge = true;
        else
            n = n * 10 + d;
    }
    if (huge || n > (uint64_t)INT64_MAX)
        f->length_huge = true;
    if (f->content_lengths++ == 0)
        f->length = n;
    else if (n != f->length)
        f->length_bad = true;
}

void framing_add(struct framing *f, const char *name, const char *value)
{
    size_t len = name_ok(name);
    if (!len || !value_ok(value))
        f->field_bad = true;
    if (h1_name_is(name, len, "Content-Length")) {
        add_length(f, value);
    } else if (h1_name_is(name, len, "Transfer-Encoding")) {
        f->transfer_encodings++;
        if (strcasecmp(value, "chunked") != 0)
            f->coding_bad = true;
    }
}

int framing_verdict(const struct framing *f, const char **why)
{
    if (f->field_bad)
        *why = "a header field holds bytes HTTP forbids (folded line, CR or control byte)";
    else if (f->transfer_encodings && f->content_lengths)
        *why = "both Transfer-Encoding and Content-Length";
    else if (f->transfer_encodings > 1 || f->coding_bad)
        *why = "a Transfer-Encoding other than a single \"chunked\"";
    else if (f->length_bad || f->content_lengths > 1)
        *why = "Content-Length is not one plain number";
    else if (f->length_huge) {
        *why = "Content-Length is beyond any body this server takes";
        return 413;
    } else {
        return 0;
    }
    return 400;
}
