/* natsauth.h -- how a daemon proves who it is to NATS: a user and
 * password, a token, or a credentials file (JWT and nkey seed), and TLS
 * with a CA and optionally a client certificate.
 *
 * DESIGN: the gateway, the queue worker and the connector take the same
 * nats_* settings; each embeds a struct natsauth in its config and lists
 * NATSAUTH_OPTIONS in its option table, so the names, help and checks
 * are written once. Secrets may come from files like any setting
 * (nats_password_FILE, nats_token_FILE). */
#ifndef NATSAUTH_H
#define NATSAUTH_H

#include <nats/nats.h>
#include <stddef.h>

#include "cfg.h"

struct natsauth {
    char *user, *password, *token, *creds;
    char *tls_ca, *tls_cert, *tls_key;
};

/* A table laid out by hand, one option a row. */
/* clang-format off */
#define NATSAUTH_OPTIONS(type, field)                                                        \
    { "nats_user", NULL, CFG_STRING, offsetof(type, field.user), NULL, 0, 0, NULL,           \
      "NATS user name (with nats_password)" },                                               \
    { "nats_password", NULL, CFG_STRING, offsetof(type, field.password), NULL, 0, 0, NULL,   \
      "NATS password of nats_user" },                                                        \
    { "nats_token", NULL, CFG_STRING, offsetof(type, field.token), NULL, 0, 0, NULL,         \
      "NATS authentication token" },                                                         \
    { "nats_creds", NULL, CFG_STRING, offsetof(type, field.creds), NULL, 0, 0, NULL,         \
      "NATS credentials file (a user JWT and its nkey seed)" },                              \
    { "nats_tls_ca", NULL, CFG_STRING, offsetof(type, field.tls_ca), NULL, 0, 0, NULL,       \
      "CA file that NATS servers' certificates are checked against (turns TLS on)" },        \
    { "nats_tls_cert", NULL, CFG_STRING, offsetof(type, field.tls_cert), NULL, 0, 0, NULL,   \
      "client certificate for NATS (with nats_tls_key; turns TLS on)" },                     \
    { "nats_tls_key", NULL, CFG_STRING, offsetof(type, field.tls_key), NULL, 0, 0, NULL,     \
      "private key of nats_tls_cert" }
/* clang-format on */

/* Checks the settings fit together (one way to authenticate; a password
 * with its user; a certificate with its key). Returns 0, or -1 with a
 * message in err naming the settings. */
int natsauth_check(const struct natsauth *a, char *err, size_t errlen);

/* Applies them to cnats options; NULL a is no authentication. */
natsStatus natsauth_apply(const struct natsauth *a, natsOptions *o);

#endif
