/* auth.c -- HTTP basic auth for /system/ (and optionally /function/). */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "gw.h"
#include "httpd.h"
#include "reply.h"
#include "xalloc.h"

/* Compares without an early exit: the time taken depends on the length of
 * the secret b only, so it tells an attacker neither how much of a guess
 * was right nor how long the secret is. A guess of another length is wrong
 * (its bytes still compared against b's, cyclically). */
static bool same(const unsigned char *a, size_t alen, const char *b, size_t blen)
{
    unsigned diff = (unsigned)(alen != blen);
    for (size_t i = 0; i < blen; i++)
        diff |= (unsigned)((alen ? a[i % alen] : 0) ^ (unsigned char)b[i]);
    return blen > 0 && diff == 0;
}

/* Credentials are printable text: a NUL would end the configured secret
 * early for any C-string compare, and other control bytes have no place in
 * a user name or password. */
static bool printable(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* Decodes "Basic <base64>" into "user:password" and its length; NULL if
 * malformed. */
static unsigned char *decode_basic(const char *header, size_t *len)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return NULL;
    size_t bad;
    const char *b64 = header + 6;
    return base64_decode(b64, strlen(b64), len, &bad);
}

static bool credentials_match(const struct gw *gw, const unsigned char *pair, size_t len)
{
    const unsigned char *colon = memchr(pair, ':', len);
    if (!colon || !printable(pair, len))
        return false;
    size_t ulen = (size_t)(colon - pair);
    bool user_ok = same(pair, ulen, gw->auth_user, strlen(gw->auth_user));
    bool pass_ok = same(colon + 1, len - ulen - 1, gw->auth_password, strlen(gw->auth_password));
    return user_ok && pass_ok;
}

int gw_auth_check(struct gw *gw, struct httpd_req *req)
{
    if (!gw->cfg.basic_auth)
        return 1;
    size_t len = 0;
    unsigned char *pair = decode_basic(httpd_req_header(req, "Authorization"), &len);
    bool ok = pair && credentials_match(gw, pair, len);
    free(pair);
    if (ok)
        return 1;
    httpd_add_header(req, "WWW-Authenticate", "Basic realm=\"faasbus\"");
    gw_reply_error(req, 401, "unauthorized: this route needs the gateway's basic-auth credentials");
    return 0;
}
