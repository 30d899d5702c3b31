/* encode.c -- HTTP-safe checks and derived identifiers. */
#include "encode.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "decimal.h"
#include "parse.h"
#include "xalloc.h"

/* Length of the UTF-8 sequence at p (at most n bytes), or 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool cn_http_value_ok(const unsigned char *p, size_t len)
{
    if (len > 0 && (p[0] == ' ' || p[len - 1] == ' '))
        return false;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
        size_t n = utf8_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

bool cn_http_name_ok(const char *name)
{
    size_t n = strlen(name);

    return n > 0 && strspn(name, "!#$%&'*+-.^_`|~0123456789"
                                 "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

char *cn_call_id(const char *source, const char *topic, int32_t partition, int64_t offset)
{
    size_t ls = strlen(source), lt = strlen(topic);
    char *id = xmalloc(ls + lt + 2 * DECIMAL_I64_SIZE + 3), *p = id;

    /* "<source>-<topic>-<partition>-<offset>", once per record. Each
     * string is copied with its NUL, which the dash replaces. */
    memcpy(p, source, ls + 1);
    p += ls;
    *p++ = '-';
    memcpy(p, topic, lt + 1);
    p += lt;
    *p++ = '-';
    p += decimal_i64(p, partition);
    *p++ = '-';
    decimal_i64(p, offset);
    return id;
}

int cn_hops_parse(const unsigned char *value, size_t len)
{
    char text[16];
    int64_t v;

    if (!value || len == 0 || len >= sizeof text)
        return 0;
    memcpy(text, value, len);
    text[len] = '\0';
    if (parse_int64(text, &v) < 0 || v < 0 || v > 1000000)
        return 0;
    return (int)v;
}

void cn_header_emit(const char *name, const unsigned char *p, size_t len,
                    void (*emit)(void *arg, const char *name, const char *value), void *arg)
{
    if (cn_http_value_ok(p, len)) {
        char *text = xstrndup((const char *)p, len);
        emit(arg, name, text);
        free(text);
        return;
    }
    char *b64 = base64_encode(p, len);
    char *enc = xasprintf("%s-Enc", name);
    emit(arg, name, b64);
    emit(arg, enc, "b64");
    free(enc);
    free(b64);
}
