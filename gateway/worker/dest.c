/* dest.c -- the callback destination policy (see dest.h). */
#include "dest.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* An address as family, 16 bytes (IPv4 in the first 4) and port; an
 * IPv4-mapped IPv6 address counts as the IPv4 address it carries. */
struct addr {
    int family;
    unsigned char b[16];
    int port;
};

static bool addr_of(const struct sockaddr *sa, struct addr *a)
{
    memset(a, 0, sizeof *a);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        a->family = AF_INET;
        memcpy(a->b, &in->sin_addr, 4);
        a->port = ntohs(in->sin_port);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        a->port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            a->family = AF_INET;
            memcpy(a->b, in6->sin6_addr.s6_addr + 12, 4);
        } else {
            a->family = AF_INET6;
            memcpy(a->b, in6->sin6_addr.s6_addr, 16);
        }
        return true;
    }
    return false;
}

static bool rule_matches(const struct qw_dest_rule *r, const struct addr *a)
{
    if (r->family != a->family || (r->port && r->port != a->port))
        return false;
    unsigned full = r->prefix / 8, rest = r->prefix % 8;
    if (memcmp(r->addr, a->b, full) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (r->addr[full] & mask) == (a->b[full] & mask);
}

int qw_dest_parse_rule(const char *text, struct qw_dest_rule *out)
{
    memset(out, 0, sizeof *out);
    char host[64];
    const char *rest;
    if (*text == '[') { /* [v6](/prefix)?(:port)? */
        const char *end = strchr(text, ']');
        if (!end || (size_t)(end - text - 1) >= sizeof host)
            return -1;
        memcpy(host, text + 1, (size_t)(end - text - 1));
        host[end - text - 1] = '\0';
        rest = end + 1;
    } else {
        size_t n = strcspn(text, strchr(text, '.') ? "/:" : "/");
        if (n >= sizeof host)
            return -1;
        memcpy(host, text, n);
        host[n] = '\0';
        rest = text + n;
    }
    out->family = strchr(host, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(out->family, host, out->addr) != 1)
        return -1;
    unsigned max = out->family == AF_INET ? 32 : 128;
    out->prefix = max;
    char *end;
    if (*rest == '/') {
        unsigned long p = strtoul(rest + 1, &end, 10);
        if (end == rest + 1 || p > max)
            return -1;
        out->prefix = (unsigned)p;
        rest = end;
    }
    if (*rest == ':') {
        long port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > 65535)
            return -1;
        out->port = (int)port;
        rest = end;
    }
    return *rest ? -1 : 0;
}

static int parse_allow(struct qw_dest *d, const char *allow, char *err, size_t errlen)
{
    char *copy = xstrdup(allow ? allow : ""), *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        d->allow = xrealloc(d->allow, (d->nallow + 1) * sizeof *d->allow);
        if (qw_dest_parse_rule(t, &d->allow[d->nallow]) < 0) {
            snprintf(err, errlen,
                     "callback_allow: \"%s\" is not ADDR[/PREFIX][:PORT] "
                     "(IPv6 in brackets, e.g. [::1]:8081)",
                     t);
            free(copy);
            return -1;
        }
        d->nallow++;
    }
    free(copy);
    return 0;
}

/* The gateway's own address and port: a callback there is a relay into
 * its API. Resolved once; a name that does not resolve adds nothing. */
static void resolve_own(struct qw_dest *d, const char *gateway_url)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    if (curl_url_set(u, CURLUPART_URL, gateway_url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        size_t n = strlen(host);
        if (n > 2 && host[0] == '[') { /* curl keeps IPv6 brackets */
            memmove(host, host + 1, n - 2);
            host[n - 2] = '\0';
        }
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
        if (getaddrinfo(host, port, &hints, &res) == 0) {
            for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                struct addr a;
                if (!addr_of(ai->ai_addr, &a))
                    continue;
                d->own = xrealloc(d->own, (d->nown + 1) * sizeof *d->own);
                struct qw_dest_rule *r = &d->own[d->nown++];
                r->family = a.family;
                memcpy(r->addr, a.b, sizeof r->addr);
                r->prefix = a.family == AF_INET ? 32 : 128;
                r->port = a.port;
            }
            freeaddrinfo(res);
        }
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

int qw_dest_init(struct qw_dest *d, const char *allow, const char *schemes, const char *gateway_url,
                 char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->schemes = xasprintf(",%s,", schemes ? schemes : "http,https");
    for (char *p = d->schemes; *p; p++)
        if (*p == ' ')
            *p = ',';
    if (parse_allow(d, allow, err, errlen) < 0) {
        qw_dest_free(d);
        return -1;
    }
    resolve_own(d, gateway_url);
    return 0;
}

void qw_dest_free(struct qw_dest *d)
{
    free(d->allow);
    free(d->own);
    free(d->schemes);
    memset(d, 0, sizeof *d);
}

static bool scheme_allowed(const struct qw_dest *d, const char *scheme)
{
    char needle[40];
    snprintf(needle, sizeof needle, ",%s,", scheme);
    return strcasestr(d->schemes, needle) != NULL;
}

bool qw_dest_url_ok(const struct qw_dest *d, const char *url, char *why, size_t whylen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *user = NULL, *path = NULL;
    bool ok = false;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        snprintf(why, whylen, "not an absolute URL");
    else if (!scheme_allowed(d, scheme))
        snprintf(why, whylen, "scheme %.20s is not in callback_schemes", scheme);
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
        snprintf(why, whylen, "the URL carries credentials (user info), which are refused");
    else if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
             (strncmp(path, "/system/", 8) == 0 || strcmp(path, "/system") == 0))
        snprintf(why, whylen, "paths under /system/ are the gateway's API, never a callback");
    else
        ok = true;
    curl_free(scheme);
    curl_free(user);
    curl_free(path);
    curl_url_cleanup(u);
    return ok;
}

/* Addresses no callback goes to unless allowed by name. */
static const char *special(const struct addr *a)
{
    static const struct {
        const char *rule, *what;
    } ranges[] = {
        { "127.0.0.0/8", "loopback" },      { "0.0.0.0/8", "unspecified" },
        { "169.254.0.0/16", "link-local" }, { "224.0.0.0/4", "multicast" },
        { "255.255.255.255", "broadcast" }, { "[::1]", "loopback" },
        { "[::]", "unspecified" },          { "[fe80::]/10", "link-local" },
        { "[ff00::]/8", "multicast" },
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        struct qw_dest_rule r;
        if (qw_dest_parse_rule(ranges[i].rule, &r) == 0 && rule_matches(&r, a))
            return ranges[i].what;
    }
    return NULL;
}

bool qw_dest_addr_ok(const struct qw_dest *d, const struct sockaddr *sa, char *why, size_t whylen)
{
    struct addr a;
    if (!addr_of(sa, &a)) {
        snprintf(why, whylen, "address family %d is not IP", sa->sa_family);
        return false;
    }
    for (size_t i = 0; i < d->nallow; i++)
        if (rule_matches(&d->allow[i], &a))
            return true;
    char text[INET6_ADDRSTRLEN] = "?";
    inet_ntop(a.family, a.b, text, sizeof text);
    const char *what = special(&a);
    for (size_t i = 0; !what && i < d->nown; i++)
        if (rule_matches(&d->own[i], &a))
            what = "the gateway itself";
    if (!what)
        return true;
    snprintf(why, whylen, "%s port %d is %s, not in callback_allow", text, a.port, what);
    return false;
}
