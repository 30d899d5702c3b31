/* auth.c -- HTTP basic auth for /system/ (and optionally /function/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "gw.h"
#include "httpd.h"
#include "xalloc.h"

/* Compares without an early exit, so the time taken does not tell an
 * attacker how much of a guess was right. */
static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)(a[i] ^ b[i < blen ? i : 0]);
    return blen > 0 && diff == 0;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes "Basic <base64>" into "user:password"; NULL if malformed. */
static char *decode_basic(const char *header)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return NULL;
    const char *s = header + 6;
    size_t len = strlen(s);
    char *out = xmalloc(len + 1);
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        int v = b64val(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[n] = '\0';
    return out;
}

int gw_auth_check(struct gw *gw, struct httpd_req *req)
{
    if (!gw->cfg.basic_auth)
        return 1;
    char *pair = decode_basic(httpd_req_header(req, "Authorization"));
    char *colon = pair ? strchr(pair, ':') : NULL;
    bool ok = false;
    if (colon) {
        *colon = '\0';
        bool user_ok = same(pair, strlen(pair), gw->auth_user, strlen(gw->auth_user));
        bool pass_ok = same(colon + 1, strlen(colon + 1), gw->auth_password,
                            strlen(gw->auth_password));
        ok = user_ok && pass_ok;
    }
    free(pair);
    if (ok)
        return 1;
    httpd_add_header(req, "WWW-Authenticate", "Basic realm=\"faasbus\"");
    gw_reply_error(req, 401, "unauthorized: this route needs the gateway's basic-auth credentials");
    return 0;
}
