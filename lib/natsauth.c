/* natsauth.c -- NATS credentials and TLS onto cnats options. */
#include "natsauth.h"

#include <stdbool.h>
#include <stdio.h>

static bool set(const char *s)
{
    return s && *s;
}

int natsauth_check(const struct natsauth *a, char *err, size_t errlen)
{
    int ways = set(a->user) + set(a->token) + set(a->creds);
    if (ways > 1) {
        snprintf(err, errlen,
                 "nats_user, nats_token and nats_creds: set one of them, "
                 "they are different ways to authenticate");
        return -1;
    }
    if (set(a->password) && !set(a->user)) {
        snprintf(err, errlen, "nats_password: set without nats_user");
        return -1;
    }
    if (set(a->tls_cert) != set(a->tls_key)) {
        snprintf(err, errlen, "%s: set without %s",
                 set(a->tls_cert) ? "nats_tls_cert" : "nats_tls_key",
                 set(a->tls_cert) ? "nats_tls_key" : "nats_tls_cert");
        return -1;
    }
    return 0;
}

natsStatus natsauth_apply(const struct natsauth *a, natsOptions *o)
{
    natsStatus s = NATS_OK;
    if (!a)
        return s;
    if (set(a->user))
        s = natsOptions_SetUserInfo(o, a->user, set(a->password) ? a->password : "");
    if (s == NATS_OK && set(a->token))
        s = natsOptions_SetToken(o, a->token);
    if (s == NATS_OK && set(a->creds))
        s = natsOptions_SetUserCredentialsFromFiles(o, a->creds, NULL);
    if (s == NATS_OK && (set(a->tls_ca) || set(a->tls_cert)))
        s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK && set(a->tls_ca))
        s = natsOptions_LoadCATrustedCertificates(o, a->tls_ca);
    if (s == NATS_OK && set(a->tls_cert))
        s = natsOptions_LoadCertificatesChain(o, a->tls_cert, a->tls_key);
    return s;
}
