/* dest.h -- where the queue worker may deliver a callback.
 *
 * A callback URL comes from whoever called /async-function, so without a
 * policy the worker would relay a stranger's request to anything it can
 * reach: the gateway's /system API, a connector's /callback, a metadata
 * service. The policy is checked twice: on the URL (scheme, credentials,
 * path) before anything is sent, and on every address the name resolves
 * to, just before connect (see curlloop_guard_fn), so a name that points
 * somewhere private is caught too.
 *
 * Refused by default: loopback, unspecified, link-local (cloud metadata
 * lives there), multicast and broadcast addresses, and the gateway's own
 * address and port. `callback_allow` lists what is allowed anyway (a
 * connector on this host, say): "ADDR[/PREFIX][:PORT]" entries, IPv6 in
 * brackets when a port follows. A path under /system/ is refused always. */
#ifndef QW_DEST_H
#define QW_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct qw_dest_rule {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix; /* bits that must match */
    int port;        /* 0: any port */
};

struct qw_dest {
    struct qw_dest_rule *allow;
    size_t nallow;
    struct qw_dest_rule *own; /* the gateway's addresses and port */
    size_t nown;
    char *schemes; /* ",http,https," */
};

/* Parses the allow-list and the schemes ("http,https"), and resolves the
 * gateway's URL (blocking: at start only). Returns 0, or -1 with err. */
int qw_dest_init(struct qw_dest *d, const char *allow, const char *schemes, const char *gateway_url,
                 char *err, size_t errlen);
void qw_dest_free(struct qw_dest *d);

/* One allow-list entry; 0, or -1 if it is malformed. */
int qw_dest_parse_rule(const char *text, struct qw_dest_rule *out);

/* The URL checks. Returns true, or false with why (which never repeats
 * credentials found in the URL). */
bool qw_dest_url_ok(const struct qw_dest *d, const char *url, char *why, size_t whylen);

/* The address checks, for one address a callback would connect to. */
bool qw_dest_addr_ok(const struct qw_dest *d, const struct sockaddr *sa, char *why, size_t whylen);

#endif
