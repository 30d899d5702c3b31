/* base64.c -- standard base64 (RFC 4648 section 4). */
#include "base64.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "xalloc.h"

char *base64_encode(const unsigned char *data, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = xmalloc((len + 2) / 3 * 4 + 1);
    char *o = out;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = abc[v >> 6 & 63];
        *o++ = abc[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)data[i] << 16 | (i + 1 < len ? (unsigned)data[i + 1] << 8 : 0);
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < len ? abc[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

static int value_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict standard base64 (RFC 4648 section 4, as Go's encoding/json writes
 * []byte): the length is a multiple of 4, '=' only as the last one or two
 * characters, no whitespace, and the unused bits before padding are zero.
 * Returns: a new buffer (caller frees) of *outlen bytes plus a '\0', or
 * NULL with *bad_at set to the offset of the first offending character
 * (SIZE_MAX when the length is wrong). */
unsigned char *base64_decode(const char *in, size_t len, size_t *outlen, size_t *bad_at)
{
    unsigned char *out;
    size_t o = 0;

    if (len % 4 != 0) {
        *bad_at = SIZE_MAX;
        return NULL;
    }
    out = xmalloc(len / 4 * 3 + 1);
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        size_t pad = 0;
        bool last = i + 4 == len;

        for (size_t j = 0; j < 4; j++) {
            char c = in[i + j];
            if (c == '=' && last && j >= 2 && (j == 3 || in[i + 3] == '=')) {
                v[j] = 0;
                pad++;
                continue;
            }
            v[j] = value_of(c);
            if (v[j] < 0 || pad > 0) {
                *bad_at = i + j;
                free(out);
                return NULL;
            }
        }
        /* Non-zero bits under the padding mean a second encoding of the
         * same bytes: refuse it, as a strict decoder must. */
        if ((pad == 2 && (v[1] & 0x0f)) || (pad == 1 && (v[2] & 0x03))) {
            *bad_at = i + 3 - pad;
            free(out);
            return NULL;
        }
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (pad < 2)
            out[o++] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
        if (pad < 1)
            out[o++] = (unsigned char)((v[2] & 0x03) << 6 | v[3]);
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}
