/* callsign.c -- HMAC-SHA256 signatures of async call ids (OpenSSL). */
#include "callsign.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "xalloc.h"

#define SIG_BYTES 32
#define SIG_HEX (2 * SIG_BYTES)
#define GENERATED_BYTES 32

int cn_callsign_init(struct cn_callsign *s, const char *secret, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (secret && *secret) {
        s->len = strlen(secret);
        if (s->len > sizeof s->key) {
            snprintf(err, errlen, "callback_secret: longer than %d bytes", CN_CALLSIGN_KEY_MAX);
            return -1;
        }
        memcpy(s->key, secret, s->len);
        return 0;
    }
    s->generated = true;
    s->len = GENERATED_BYTES;
    if (RAND_bytes(s->key, GENERATED_BYTES) != 1) {
        snprintf(err, errlen, "callback_secret: cannot draw random bytes for one");
        return -1;
    }
    return 0;
}

void cn_callsign_wipe(struct cn_callsign *s)
{
    OPENSSL_cleanse(s->key, sizeof s->key);
    s->len = 0;
}

static void sign(const struct cn_callsign *s, const char *id, char hex[SIG_HEX + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    HMAC(EVP_sha256(), s->key, (int)s->len, (const unsigned char *)id, strlen(id), mac, &n);
    for (unsigned int i = 0; i < SIG_BYTES; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    hex[SIG_HEX] = '\0';
}

char *cn_callsign_url(const struct cn_callsign *s, const char *base, const char *id)
{
    char hex[SIG_HEX + 1];

    sign(s, id, hex);
    return xasprintf("%s%ssig=%s", base, strchr(base, '?') ? "&" : "?", hex);
}

bool cn_callsign_check(const struct cn_callsign *s, const char *id, const char *sig)
{
    char want[SIG_HEX + 1];

    if (!id || !sig || strlen(sig) != SIG_HEX)
        return false;
    sign(s, id, want);
    return CRYPTO_memcmp(want, sig, SIG_HEX) == 0;
}

const char *cn_query_param(const char *query, const char *name, char *out, size_t len)
{
    size_t n = strlen(name);

    for (const char *p = query; p && *p;) {
        size_t item = strcspn(p, "&");
        if (item > n && p[n] == '=' && strncmp(p, name, n) == 0) {
            size_t vlen = item - n - 1;
            if (vlen >= len)
                return NULL;
            memcpy(out, p + n + 1, vlen);
            out[vlen] = '\0';
            return out;
        }
        p += item + (p[item] == '&');
    }
    return NULL;
}
