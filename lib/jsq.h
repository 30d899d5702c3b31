/* jsq.h -- a NATS JetStream connection shared by the gateway (which stores
 * async calls), the queue worker (which runs them) and the connector.
 *
 * DESIGN: cnats runs its own I/O threads. The connection is opened without
 * blocking: when the server is unreachable it keeps retrying in the
 * background (forever), and callers ask jsq_connected() before relying on
 * it, so a NATS outage turns into clear errors, never a stuck daemon.
 * The blocking calls below (stream and consumer management) belong on an
 * offload thread, not on the loop. */
#ifndef JSQ_H
#define JSQ_H

#include <nats/nats.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "natsauth.h"

struct jsq {
    natsConnection *nc;
    jsCtx *js;
    char *url;
    char open_error[256]; /* why the first connect failed ("": it did not) */
};

struct jsq_stream {
    const char *name;
    const char *subject;
    int64_t max_msg_size;  /* bytes, headers included; 0: server default */
    int64_t dup_window_ms; /* de-duplication window on Nats-Msg-Id; 0: default */
    bool work_queue;       /* a message is removed once acknowledged */
};

/* Opens a connection named `client` to url (comma-separated servers),
 * authenticated by auth (NULL: none). Returns 0 (connected or still
 * trying), or -1 with a message in err for a bad URL or options (an
 * unreadable certificate, say). */
int jsq_open(struct jsq *q, const char *url, const struct natsauth *auth, const char *client,
             char *err, size_t errlen);
bool jsq_connected(const struct jsq *q);
/* Why it is not connected, for errors and logs: "NATS at URL is
 * unreachable", or with the server's refusal ("... : Authorization
 * Violation"). Returns out. */
const char *jsq_why(const struct jsq *q, char *out, size_t outlen);
/* The largest message the server accepts, or 0 when not connected. */
int64_t jsq_max_payload(const struct jsq *q);
/* Creates the stream, or updates its size limit and de-duplication window.
 * Blocking. Returns 0, or -1 with a message in err. */
int jsq_ensure_stream(struct jsq *q, const struct jsq_stream *s, char *err, size_t errlen);
/* Formats a cnats failure: status text plus the last error's detail. */
void jsq_error(char *err, size_t errlen, const char *what, natsStatus s, jsErrCode jerr);
/* Closes the connection and frees it; safe on a never-opened struct. */
void jsq_close(struct jsq *q);
/* First thing in main, before libcurl or cnats touch OpenSSL: OpenSSL
 * then registers no exit-time cleanup of its own. That handler crashed
 * (a NULL stack in OPENSSL_cleanup) in every daemon that had loaded
 * nats_tls_* certificates, once jsq_shutdown() had released cnats' TLS
 * state. Its memory is returned with the process, still reachable for
 * leak checks. */
void jsq_init(void);
/* Releases cnats' global state at exit (its threads), for clean leak
 * checks. */
void jsq_shutdown(void);

#endif
