/* h1head.c -- the request-head parser (see h1head.h). */
#include "h1head.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 token characters: what a method or a field name may hold. */
static bool is_tchar(unsigned char c)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
        return true;
    return c && memchr(extra, c, sizeof extra - 1) != NULL;
}

/* Field values: visible bytes, obs-text, spaces and tabs. */
static bool is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static size_t skip_empty_lines(const char *buf, size_t len)
{
    size_t i = 0;
    while (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
        i += 2;
    return i;
}

long h1head_end(const char *buf, size_t len, size_t *scanned)
{
    size_t start = skip_empty_lines(buf, len);
    size_t i = *scanned > start ? *scanned : start;
    for (; i < len; i++) {
        char c = buf[i];
        if (c == '\r') {
            if (i + 1 == len)
                break; /* its LF may come next */
            if (buf[i + 1] != '\n')
                return -1;
        } else if (c == '\n') {
            if (i == start || buf[i - 1] != '\r')
                return -1;
            if (i >= start + 3 && buf[i - 2] == '\n')
                return (long)(i + 1);
        }
    }
    *scanned = i;
    return 0;
}

/* Cuts the token at *p that ends in `stop`; returns it, or NULL. */
static char *cut_token(char **p, char *end, char stop)
{
    char *s = *p, *q = s;
    while (q < end && is_tchar((unsigned char)*q))
        q++;
    if (q == s || q == end || *q != stop)
        return NULL;
    *q = '\0';
    *p = q + 1;
    return s;
}

static char *cut_target(char **p, char *end)
{
    char *s = *p, *q = s;
    while (q < end && (unsigned char)*q > 0x20 && *q != 0x7f)
        q++;
    if (q == s || q == end || *q != ' ')
        return NULL;
    *q = '\0';
    *p = q + 1;
    return s;
}

/* "HTTP/" DIGIT "." DIGIT CRLF: returns 0 with the minor version, 400 for
 * anything else, 505 for a well-formed version we do not speak. */
static int cut_version(char **p, char *end, struct h1head *h)
{
    char *s = *p;
    if (end - s < 10 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' || s[5] < '0' || s[5] > '9' ||
        s[7] < '0' || s[7] > '9' || s[8] != '\r' || s[9] != '\n')
        return 400;
    if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
        return 505;
    h->minor = s[7] - '0';
    s[8] = '\0';
    h->version = s;
    *p = s + 10;
    return 0;
}

/* One "name: value" CRLF line at *p. Returns 0 or a status. */
static int cut_field(char **p, char *end, struct h1head *h, const char **why)
{
    char *s = *p;
    if (*s == ' ' || *s == '\t') {
        *why = "a header line folded onto the one before (obs-fold)";
        return 400;
    }
    char *name = cut_token(p, end, ':');
    if (!name) {
        *why = "a header line that is not a name, a colon and a value";
        return 400;
    }
    size_t name_len = (size_t)(*p - 1 - name); /* up to the colon */
    char *v = *p;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    char *q = v;
    while (q < end && *q != '\r' && is_value_byte((unsigned char)*q))
        q++;
    if (end - q < 2 || q[0] != '\r' || q[1] != '\n') {
        *why = "a header value holds a byte HTTP forbids";
        return 400;
    }
    *p = q + 2;
    while (q > v && (q[-1] == ' ' || q[-1] == '\t'))
        q--;
    *q = '\0';
    if (h->nfields == h->max_fields) {
        *why = "too many header fields";
        return 431;
    }
    h->fields[h->nfields++] = (struct h1field){ name, v, (uint32_t)name_len, (uint32_t)(q - v) };
    return 0;
}

int h1head_parse(char *buf, size_t len, struct h1head *h, const char **why)
{
    char *p = buf + skip_empty_lines(buf, len), *end = buf + len;
    h->nfields = 0;
    if (len > UINT32_MAX) { /* the fields' lengths are 32-bit */
        *why = "a head of 4 GiB or more";
        return 431;
    }
    *why = "a malformed request line";
    h->method = cut_token(&p, end, ' ');
    h->target = h->method ? cut_target(&p, end) : NULL;
    if (!h->target)
        return 400;
    int status = cut_version(&p, end, h);
    if (status) {
        if (status == 505)
            *why = "an HTTP version other than 1.0 and 1.1";
        return status;
    }
    while (p < end && *p != '\r') {
        status = cut_field(&p, end, h, why);
        if (status)
            return status;
    }
    if (end - p != 2 || p[1] != '\n') {
        *why = "a head that does not end in an empty line";
        return 400;
    }
    return 0;
}

const char *h1head_field(const struct h1head *h, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < h->nfields; i++) {
        const struct h1field *f = &h->fields[i];
        if (f->name_len == len && strncasecmp(f->name, name, len) == 0)
            return f->value;
    }
    return NULL;
}

bool h1head_has_token(const char *value, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = value; *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t'))
            trimmed--;
        if (trimmed == n && strncasecmp(p, token, n) == 0)
            return true;
        p += len;
    }
    return false;
}
