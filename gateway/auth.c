/* auth.c -- HTTP basic auth for /system/ (and optionally /function/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "base64.h"
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

/* Decodes "Basic <base64>" into "user:password"; NULL if malformed. */
static char *decode_basic(const char *header)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return NULL;
    size_t len, bad;
    const char *b64 = header + 6;
    return (char *)base64_decode(b64, strlen(b64), &len, &bad);
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
