/* callsign.h -- the credential of an async call's callback.
 *
 * Anyone who can reach our POST /callback could otherwise hand us a
 * result for any call. Each submission's X-Callback-Url carries
 * sig=HMAC-SHA256(secret, call id) as a query parameter; the queue worker
 * posts to that URL as it is, and we answer 401 unless the signature
 * fits the X-Call-Id it sends. The secret is callback_secret (or the
 * first line of callback_secret_file), the same for every instance of a
 * group so that any of them takes a callback after a restart; without
 * one, 32 random bytes drawn at start. */
#ifndef CN_CALLSIGN_H
#define CN_CALLSIGN_H

#include <stdbool.h>
#include <stddef.h>

#define CN_CALLSIGN_KEY_MAX 256

struct cn_callsign {
    unsigned char key[CN_CALLSIGN_KEY_MAX];
    size_t len;
    bool generated; /* no secret configured: random, this process only */
};

/* From a configured secret (NULL or "" to draw one). Returns 0, or -1
 * with err when no random bytes could be had. */
int cn_callsign_init(struct cn_callsign *s, const char *secret, char *err, size_t errlen);

/* Zeroes the key. */
void cn_callsign_wipe(struct cn_callsign *s);

/* The URL to give the queue worker for call id: base with the signature
 * added to its query. New string. */
char *cn_callsign_url(const struct cn_callsign *s, const char *base, const char *id);

/* Does sig (hex, from the query) sign id? Constant time in the signature. */
bool cn_callsign_check(const struct cn_callsign *s, const char *id, const char *sig);

/* The value of `name` in a raw query string ("a=1&sig=ab"), copied into
 * out; NULL if absent or too long. No unescaping: ours are hex. */
const char *cn_query_param(const char *query, const char *name, char *out, size_t len);

#endif
