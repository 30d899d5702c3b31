/* h1resp.c -- HTTP/1.x response heads and chunked bodies, from bytes. */
#include "h1resp.h"

#include <string.h>
#include <strings.h>

#define CL_MAX (INT64_C(1) << 62)
#define CHUNK_LINE_MAX 4096 /* a size line with its extensions; a trailer line */

static bool is_tchar(unsigned char ch)
{
    if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
        return true;
    return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Field values and reason phrases: visible characters, blanks, obs-text. */
static bool is_text(unsigned char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static bool all_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_text((unsigned char)s[i]))
            return false;
    return true;
}

/* Calls fn on each comma-separated, blank-trimmed element of a list. */
static void each_token(const char *s, size_t len, void (*fn)(void *, const char *, size_t),
                       void *arg)
{
    size_t i = 0;
    while (i <= len) {
        size_t start = i;
        while (i < len && s[i] != ',')
            i++;
        size_t a = start, b = i;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        if (b > a)
            fn(arg, s + a, b - a);
        i++;
    }
}

struct head_state {
    struct h1resp *r;
    bool te_seen, keep_alive;
    const char *last_coding;
    size_t last_coding_len;
};

static void on_coding(void *arg, const char *tok, size_t len)
{
    struct head_state *st = arg;
    st->last_coding = tok;
    st->last_coding_len = len;
}

static void on_connection_token(void *arg, const char *tok, size_t len)
{
    struct head_state *st = arg;
    if (h1_name_is(tok, len, "close"))
        st->r->close = true;
    else if (h1_name_is(tok, len, "keep-alive"))
        st->keep_alive = true;
}

static int parse_length(const char *v, size_t len, int64_t *out)
{
    if (len == 0 || len > 19)
        return -1;
    int64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        n = n * 10 + (v[i] - '0');
    }
    if (n > CL_MAX)
        return -1;
    *out = n;
    return 0;
}

/* Applies the headers that frame the message or decide reuse. */
static int note_header(struct head_state *st, const struct h1_header *h)
{
    struct h1resp *r = st->r;
    if (h1_name_is(h->name, h->name_len, "Content-Length")) {
        int64_t n;
        if (parse_length(h->value, h->value_len, &n) < 0)
            return -1;
        if (r->content_length >= 0 && r->content_length != n)
            return -1;
        r->content_length = n;
    } else if (h1_name_is(h->name, h->name_len, "Transfer-Encoding")) {
        st->te_seen = true;
        st->last_coding = NULL;
        each_token(h->value, h->value_len, on_coding, st);
        r->chunked = st->last_coding && h1_name_is(st->last_coding, st->last_coding_len, "chunked");
    } else if (h1_name_is(h->name, h->name_len, "Connection")) {
        each_token(h->value, h->value_len, on_connection_token, st);
    }
    return 0;
}

static int parse_status_line(struct h1resp *r, const char *s, size_t len)
{
    if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
        return -1;
    r->minor = s[7] - '0';
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        status = status * 10 + (s[i] - '0');
    }
    if (status < 100)
        return -1;
    if (len > 12 && (s[12] != ' ' || !all_text(s + 13, len - 13)))
        return -1;
    r->status = status;
    return 0;
}

static int parse_header_line(struct h1resp *r, const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && is_tchar((unsigned char)s[n]))
        n++;
    if (n == 0 || n == len || s[n] != ':') /* also refuses obs-fold */
        return -1;
    if (r->nheaders == H1_MAX_HEADERS)
        return -1;
    const char *v = s + n + 1, *end = s + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (!all_text(v, (size_t)(end - v)))
        return -1;
    r->headers[r->nheaders++] = (struct h1_header){ s, n, v, (size_t)(end - v) };
    return 0;
}

/* Ends the head: what the framing headers add up to. */
static void settle(struct head_state *st)
{
    struct h1resp *r = st->r;
    if (r->minor == 0 && !st->keep_alive)
        r->close = true;
    if (st->te_seen) {
        if (r->content_length >= 0)
            r->close = true; /* both: the length is not to be trusted for reuse */
        r->content_length = -1;
        if (!r->chunked) {
            r->until_close = true;
            r->close = true;
        }
    }
}

ssize_t h1resp_parse(struct h1resp *r, const char *data, size_t len)
{
    memset(r, 0, offsetof(struct h1resp, headers));
    r->content_length = -1;
    struct head_state st = { .r = r };
    size_t pos = 0;
    bool first = true;
    for (;;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        if (!nl)
            return 0;
        size_t end = (size_t)(nl - data), line_len = end - pos;
        if (line_len && data[end - 1] == '\r')
            line_len--;
        const char *line = data + pos;
        pos = end + 1;
        if (memchr(line, '\r', line_len))
            return -1;
        if (first) {
            if (parse_status_line(r, line, line_len) < 0)
                return -1;
            first = false;
            continue;
        }
        if (line_len == 0)
            break;
        if (parse_header_line(r, line, line_len) < 0 ||
            note_header(&st, &r->headers[r->nheaders - 1]) < 0)
            return -1;
    }
    settle(&st);
    return (ssize_t)pos;
}
