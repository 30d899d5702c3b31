/* config.c -- the connector's option table, and the parts of the file a
 * table cannot describe (routes, librdkafka properties).
 *
 * Rules of libconfig (libconfig.texi): strings belong to the config_t and
 * die with config_destroy(), so everything kept is copied; names may hold
 * only [A-Za-z0-9_-*], which is why librdkafka's dotted property names are
 * written with underscores in the file. */
#include "config.h"
#include "kafka_env.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "nats_config.h"
#include "subject.h"
#include "xalloc.h"

#define OPT(field) offsetof(struct cn_config, field)
#define DUR_MAX (INT64_C(24) * 3600 * 1000)

static const struct cfg_option options[] = {
    { "gateway_url", NULL, CFG_STRING, OPT(gateway_url), "http://127.0.0.1:8080", 0, 0, NULL,
      "the gateway: routes from /system/functions, calls to /function/<name>" },
    { "gateway_tls_ca", NULL, CFG_STRING, OPT(gateway_tls_ca), NULL, 0, 0, NULL,
      "with an https:// gateway_url: CA file (PEM) the gateway's certificate is checked "
      "against (unset: the system's CAs)" },
    { "gateway_socket", NULL, CFG_STRING, OPT(gateway_socket), NULL, 0, 0, NULL,
      "with an http:// gateway_url: reach the gateway through its unix_socket at this path "
      "instead of TCP (the URL still names it to each request; @name: an abstract socket; "
      "unset or \"\": TCP)" },
    { "brokers", "brokers,broker_host", CFG_STRING, OPT(brokers), "", 0, 0, NULL,
      "Kafka bootstrap brokers, comma-separated host:port (empty: no Kafka)" },
    { "default_bus", NULL, CFG_ENUM, OPT(default_bus), "auto", 0, 0, "auto|kafka|nats",
      "bus of a bare topic name (no kafka: or nats:); auto: the only one configured "
      "(with both, a bare name is an error)" },
    { "topics", NULL, CFG_STRING, OPT(topics), "", 0, 0, NULL,
      "topics to consume, comma-separated; empty: every topic a route names" },
    { "group", NULL, CFG_STRING, OPT(group), "faasbus-connector", 0, 0, NULL,
      "Kafka consumer group shared by every connector instance" },
    { "initial_offset", NULL, CFG_ENUM, OPT(initial_offset), "earliest", 0, 0, "earliest|latest",
      "where a partition with no committed offset starts" },
    { "rebuild_interval", NULL, CFG_DURATION, OPT(rebuild_interval_ms), "3s", 100, DUR_MAX, NULL,
      "how often the routing table is rebuilt from the gateway" },
    { "upstream_timeout", NULL, CFG_DURATION, OPT(upstream_timeout_ms), "60s", 1, DUR_MAX, NULL,
      "longest a function call may take (then it counts as a retryable failure)" },
    { "drain_timeout", NULL, CFG_DURATION, OPT(drain_timeout_ms), "30s", 0, DUR_MAX, NULL,
      "on rebalance or SIGTERM, how long calls in flight may finish before we let go" },
    { "connect_timeout", NULL, CFG_DURATION, OPT(connect_timeout_ms), "10s", 100, DUR_MAX, NULL,
      "at start, how long the brokers have to answer before we exit with an error" },
    { "content_type", NULL, CFG_STRING, OPT(content_type), "text/plain", 0, 0, NULL,
      "Content-Type of a call when the record has no content-type header" },
    { "max_inflight", NULL, CFG_INT, OPT(max_inflight), "256", 1, 100000, NULL,
      "records being worked on (called, or done but not yet committed): a crash repeats "
      "at most this many" },
    { "max_queued", NULL, CFG_INT, OPT(max_queued), "10000", 1, 10000000, NULL,
      "records fetched and waiting for a place among max_inflight; past it the rest wait in librdkafka's prefetch (kafka_consumer's queued_min_messages, queued_max_messages_kbytes)" },
    { "max_queued_bytes", NULL, CFG_SIZE, OPT(max_queued_bytes), "32MiB", 1024, INT64_C(1) << 40,
      NULL, "...and at this many bytes of them" },
    { "bind_address", NULL, CFG_STRING, OPT(bind_address), "127.0.0.1", 0, 0, NULL,
      "address to listen on: loopback unless set, since /callback and /routes are for this host's queue worker and operators (\"\": every interface)" },
    { "port", NULL, CFG_INT, OPT(port), "8081", 0, 65535, NULL,
      "TCP port of /healthz, /readyz, /metrics and /routes (0: any free port)" },
    { "basic_auth", NULL, CFG_BOOL, OPT(basic_auth), "false", 0, 0, NULL,
      "send basic auth to the gateway, from the files in secret_mount_path" },
    { "secret_mount_path", NULL, CFG_STRING, OPT(secret_mount_path), "/var/openfaas/secrets", 0, 0,
      NULL, "directory holding basic-auth-user and basic-auth-password" },
    { "basic_auth_user_file", NULL, CFG_STRING, OPT(basic_auth_user_file), NULL, 0, 0, NULL,
      "file holding the gateway's basic auth user (implies basic_auth)" },
    { "basic_auth_password_file", NULL, CFG_STRING, OPT(basic_auth_password_file), NULL, 0, 0, NULL,
      "file holding the gateway's basic auth password (implies basic_auth)" },
    { "max_hops", NULL, CFG_INT, OPT(max_hops), "10", 1, 1000, NULL,
      "a record that went through this many replies in a chain is not passed on" },
    { "ordering", NULL, CFG_ENUM, OPT(ordering), "key", 0, 0, "key|partition|none",
      "default ordering of a route: one call in flight per key, per partition, or no limit" },
    { "route_max_inflight", NULL, CFG_INT, OPT(route_max_inflight), "0", 0, 100000, NULL,
      "default calls in flight per route (0: only max_inflight limits)" },
    { "retry_attempts", NULL, CFG_INT, OPT(retry_attempts), "5", 1, 1000, NULL,
      "default tries per record and function, the first included" },
    { "retry_codes", NULL, CFG_STRING, OPT(retry_codes), "408,429,500-599", 0, 0, NULL,
      "default status codes worth a retry (timeouts and broken connections always are)" },
    { "retry_min_wait", NULL, CFG_DURATION, OPT(retry_min_wait_ms), "500ms", 0, DUR_MAX, NULL,
      "default first wait before a retry; each next one doubles" },
    { "retry_max_wait", NULL, CFG_DURATION, OPT(retry_max_wait_ms), "30s", 0, DUR_MAX, NULL,
      "default cap on the wait between retries (Retry-After included)" },
    { "max_response_size", NULL, CFG_SIZE, OPT(max_response_size), "1MiB", 1, INT64_C(1) << 30,
      NULL, "largest function response (a larger one is a failure)" },
    { "log_level", NULL, CFG_ENUM, OPT(log_level), "info", 0, 0, "error|warn|info|debug",
      "how much the connector logs" },
    { "nats_url", NULL, CFG_STRING, OPT(nats_url), "", 0, 0, NULL,
      "NATS servers, comma-separated nats://host:port (empty: no NATS)" },
    NATSAUTH_OPTIONS(struct cn_config, nats_auth),
    { "subjects", NULL, CFG_STRING, OPT(subjects), "", 0, 0, NULL,
      "core NATS subjects to receive in queue group `group` (at most once), "
      "comma-separated; wildcards * and > allowed" },
    { "streams", NULL, CFG_STRING, OPT(streams), "", 0, 0, NULL,
      "JetStream durable pull consumers (at least once), comma-separated STREAM or "
      "STREAM:filter.subject" },
    { "nats_ack_wait", NULL, CFG_DURATION, OPT(nats_ack_wait_ms), "30s", 1000, DUR_MAX, NULL,
      "JetStream: a message not acknowledged (nor kept alive) this long is redelivered" },
    { "nats_key_header", NULL, CFG_STRING, OPT(nats_key_header), "X-Key", 0, 0, NULL,
      "NATS header holding a message's key (ordering=key; the key of Kafka records "
      "bridged to NATS travels in it too)" },
    { "callback_url", NULL, CFG_STRING, OPT(callback_url), "", 0, 0, NULL,
      "X-Callback-Url of invoke=async calls: where the queue worker reaches our POST "
      "/callback (empty: http://127.0.0.1:<port>/callback)" },
    { "callback_secret", NULL, CFG_STRING, OPT(callback_secret), NULL, 0, 0, NULL,
      "key of the signature each X-Callback-Url carries (a callback without it gets 401); "
      "the same for every instance of a group (unset: random, this process only)" },
    { "callback_secret_file", NULL, CFG_STRING, OPT(callback_secret_file), NULL, 0, 0, NULL,
      "file whose first line is callback_secret (a mounted secret)" },
    { "async_timeout", NULL, CFG_DURATION, OPT(async_timeout_ms), "10m", 1000, DUR_MAX, NULL,
      "how long an async call waits for its callback before it is submitted again "
      "(counts as a failed attempt)" },
    { "async_commit", NULL, CFG_ENUM, OPT(async_commit), "callback", 0, 0, "callback|accepted",
      "when an async call's record may be committed: once its callback is handled, or as "
      "soon as the gateway accepted the call (faster; a lost callback loses the reply)" },
    { "async_accepted_max", NULL, CFG_INT, OPT(async_accepted_max), "10000", 0, 10000000, NULL,
      "with async_commit=accepted: committed calls whose callback is still awaited (each "
      "keeps a copy of its record); beyond this their replies are not published" },
    { NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

static const char *const group_names[CN_KAFKA_GROUPS] = { "kafka", "kafka_consumer",
                                                          "kafka_producer" };
static const char *const hand_read[] = { "routes", "kafka", "kafka_consumer", "kafka_producer",
                                         NULL };

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *where(const config_setting_t *s, const char *file)
{
    const char *w = config_setting_source_file(s);

    return w ? w : file;
}

/* A scalar setting as text; NULL for groups, lists and arrays. */
static const char *scalar_text(const config_setting_t *s, char *buf, size_t len)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
        return config_setting_get_string(s);
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        snprintf(buf, len, "%lld", config_setting_get_int64(s));
        return buf;
    case CONFIG_TYPE_FLOAT:
        snprintf(buf, len, "%g", config_setting_get_float(s));
        return buf;
    case CONFIG_TYPE_BOOL:
        return config_setting_get_bool(s) ? "true" : "false";
    default:
        return NULL;
    }
}

/* --- routes ------------------------------------------------------------- */

/* topic, function and namespace are the route's identity; every other key
 * must be a route option. */
static int route_key(struct cn_route *r, const char *name, const char *value, char *why,
                     size_t whylen)
{
    if (strcmp(name, "topic") == 0) {
        free(r->topic);
        r->topic = xstrdup(value);
        return 0;
    }
    if (strcmp(name, "function") == 0) {
        free(r->function);
        r->function = xstrdup(value);
        return 0;
    }
    if (strcmp(name, "namespace") == 0) {
        free(r->ns);
        r->ns = *value ? xstrdup(value) : NULL;
        return 0;
    }
    int rc = cn_route_option(r, name, value, why, whylen);
    if (rc == 0)
        snprintf(why, whylen,
                 "unknown route option (expected topic, function, "
                 "namespace, reply-topic, error-topic, ordering, max-inflight, "
                 "invoke, retry-attempts, retry-codes, retry-min-wait, retry-max-wait)");
    return rc > 0 ? 0 : -1;
}

/* "fn.ns" names a function outside the default namespace. */
static void split_function(struct cn_route *r)
{
    char *dot = r->function ? strchr(r->function, '.') : NULL;

    if (!dot || r->ns)
        return;
    r->ns = xstrdup(dot + 1);
    *dot = '\0';
}

static int check_route(struct cn_route *r, const config_setting_t *g, const char *file, char *err,
                       size_t errlen)
{
    char why[256];

    split_function(r);
    if (!r->topic || !*r->topic || !r->function || !*r->function) {
        errf(err, errlen, "%s:%u: routes: a route needs topic and function", where(g, file),
             config_setting_source_line(g));
        return -1;
    }
    if (cn_route_check(r, why, sizeof why) < 0) {
        errf(err, errlen, "%s:%u: routes: %s", where(g, file), config_setting_source_line(g), why);
        return -1;
    }
    return 0;
}

static int read_route(struct cn_route *r, const config_setting_t *g, const char *file, char *err,
                      size_t errlen)
{
    char buf[64], why[384];

    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        errf(err, errlen,
             "%s:%u: routes: each route is a group { topic = ...; "
             "function = ...; }",
             where(g, file), config_setting_source_line(g));
        return -1;
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, i);
        const char *name = config_setting_name(s);
        const char *text = scalar_text(s, buf, sizeof buf);
        if (!text) {
            snprintf(why, sizeof why, "expected a string or a number");
        } else if (route_key(r, name, text, why, sizeof why) == 0) {
            continue;
        }
        errf(err, errlen, "%s:%u: routes: %s: %s", where(s, file), config_setting_source_line(s),
             name, why);
        return -1;
    }
    return check_route(r, g, file, err, errlen);
}

/* A route's `topic` may list several topics: one route each. */
static void add_per_topic(struct cn_config *cfg, struct cn_route *r)
{
    char *topics = r->topic;
    const char *p = topics;

    r->topic = NULL;
    while (*p) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        cfg->routes = xrealloc(cfg->routes, (cfg->nroutes + 1) * sizeof *cfg->routes);
        struct cn_route *out = &cfg->routes[cfg->nroutes++];
        cn_route_copy(out, r);
        out->topic = xstrndup(p, n);
        p += n;
    }
    free(topics);
    cn_route_cleanup(r);
}

/* Each name of a route must be on a configured bus. */
static const char *route_unresolved(const struct cn_route *r, char *why, size_t len)
{
    const char *names[3] = { r->topic, r->reply_topic, r->error_topic };
    static const char *const keys[3] = { "topic", "reply-topic", "error-topic" };
    char what[600];

    for (int i = 0; i < 3; i++) {
        if (names[i] && cn_bus_unresolved(names[i], what, sizeof what)) {
            snprintf(why, len, "route %s -> %s: %s %s", r->topic, r->function, keys[i], what);
            return why;
        }
    }
    return NULL;
}

/* The routes from `from` on came from the group g (one per topic). */
static int check_topics(const struct cn_config *cfg, size_t from, const config_setting_t *list,
                        const char *file, char *err, size_t errlen)
{
    char why[800];

    for (size_t i = from; i < cfg->nroutes; i++) {
        if (!cn_source_valid(cfg->routes[i].topic)) {
            errf(err, errlen,
                 "%s:%u: routes: \"%s\" is not a valid topic name "
                 "(a Kafka topic, or nats: and a subject)",
                 where(list, file), config_setting_source_line(list), cfg->routes[i].topic);
            return -1;
        }
        if (route_unresolved(&cfg->routes[i], why, sizeof why)) {
            errf(err, errlen, "%s:%u: routes: %s", where(list, file),
                 config_setting_source_line(list), why);
            return -1;
        }
    }
    return 0;
}

static int read_routes(struct cn_config *cfg, const config_t *cf, const char *file, char *err,
                       size_t errlen)
{
    const config_setting_t *list = config_lookup(cf, "routes");

    if (!list)
        return 0;
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        errf(err, errlen,
             "%s:%u: routes: expected a list ( { topic = ...; function "
             "= ...; }, ... )",
             where(list, file), config_setting_source_line(list));
        return -1;
    }
    for (int i = 0; i < config_setting_length(list); i++) {
        struct cn_route r;
        cn_route_init(&r, &cfg->defaults);
        r.origin = CN_ROUTE_CONFIG;
        if (read_route(&r, config_setting_get_elem(list, i), file, err, errlen) < 0) {
            cn_route_cleanup(&r);
            return -1;
        }
        size_t from = cfg->nroutes;
        add_per_topic(cfg, &r);
        if (check_topics(cfg, from, config_setting_get_elem(list, i), file, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* --- librdkafka properties ---------------------------------------------- */

static int read_group(struct cn_kprops *props, const config_setting_t *g, const char *file,
                      char *err, size_t errlen)
{
    char buf[64];

    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        errf(err, errlen, "%s:%u: %s: expected a group { property = value; ... }", where(g, file),
             config_setting_source_line(g), config_setting_name(g));
        return -1;
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, i);
        const char *text = scalar_text(s, buf, sizeof buf);
        if (!text) {
            errf(err, errlen, "%s:%u: %s: %s: expected a string, number or boolean", where(s, file),
                 config_setting_source_line(s), config_setting_name(g), config_setting_name(s));
            return -1;
        }
        props->v = xrealloc(props->v, (props->n + 1) * sizeof *props->v);
        props->v[props->n++] = (struct cn_kprop){ xstrdup(config_setting_name(s)), xstrdup(text),
                                                  xstrdup(where(s, file)),
                                                  (int)config_setting_source_line(s) };
    }
    return 0;
}

static int read_kafka(struct cn_config *cfg, const config_t *cf, const char *file, char *err,
                      size_t errlen)
{
    for (int k = 0; k < CN_KAFKA_GROUPS; k++) {
        const config_setting_t *g = config_lookup(cf, group_names[k]);
        if (g && read_group(&cfg->kafka[k], g, file, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* cfg_load() has already read the file once, so it parses. */
static int read_by_hand(struct cn_config *cfg, const char *file, char *err, size_t errlen)
{
    config_t cf;
    int rc = -1;

    config_init(&cf);
    if (!config_read_file(&cf, file))
        errf(err, errlen, "%s:%d: %s", file, config_error_line(&cf), config_error_text(&cf));
    else if (read_routes(cfg, &cf, file, err, errlen) == 0)
        rc = read_kafka(cfg, &cf, file, err, errlen);
    config_destroy(&cf);
    return rc;
}

/* --- derived settings --------------------------------------------------- */

static int set_defaults(struct cn_config *cfg, char *err, size_t errlen)
{
    struct cn_route_defaults *d = &cfg->defaults;
    char why[256];

    memset(d, 0, sizeof *d);
    cn_ordering_parse(cfg->ordering, &d->ordering);
    d->max_inflight = (int)cfg->route_max_inflight;
    retry_policy_init(&d->retry, cfg->retry_attempts, cfg->retry_min_wait_ms,
                      cfg->retry_max_wait_ms);
    if (retry_policy_set(&d->retry, "codes", cfg->retry_codes, why, sizeof why) < 0) {
        errf(err, errlen, "retry_codes: %s", why);
        return -1;
    }
    if (cfg->retry_min_wait_ms > cfg->retry_max_wait_ms) {
        errf(err, errlen, "retry_min_wait is above retry_max_wait");
        return -1;
    }
    return 0;
}

/* The first line of a credentials file, without its line end. */
static char *read_secret(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char line[512];
    char *out = NULL;

    if (!f) {
        errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line)
            out = xstrdup(line);
    }
    fclose(f);
    if (!out)
        errf(err, errlen, "%s is empty", path);
    return out;
}

static int load_auth(struct cn_config *cfg, char *err, size_t errlen)
{
    char *user_path, *pass_path, *user = NULL, *pass = NULL;

    if (!cfg->basic_auth && !cfg->basic_auth_user_file && !cfg->basic_auth_password_file)
        return 0;
    user_path = cfg->basic_auth_user_file ? xstrdup(cfg->basic_auth_user_file)
                                          : xasprintf("%s/basic-auth-user", cfg->secret_mount_path);
    pass_path = cfg->basic_auth_password_file
                    ? xstrdup(cfg->basic_auth_password_file)
                    : xasprintf("%s/basic-auth-password", cfg->secret_mount_path);
    user = read_secret(user_path, err, errlen);
    if (user)
        pass = read_secret(pass_path, err, errlen);
    if (user && pass)
        cfg->auth = xasprintf("%s:%s", user, pass);
    free(user);
    free(pass);
    free(user_path);
    free(pass_path);
    return cfg->auth ? 0 : -1;
}

/* The file, when given, wins over the value, which it replaces. */
static int load_callback_secret(struct cn_config *cfg, char *err, size_t errlen)
{
    char *secret;

    if (!cfg->callback_secret_file)
        return 0;
    secret = read_secret(cfg->callback_secret_file, err, errlen);
    if (!secret)
        return -1;
    free(cfg->callback_secret);
    cfg->callback_secret = secret;
    return 0;
}

/* Paths are appended to the URL: "http://gw:8080/" must not give "//". */
static int check_gateway_url(struct cn_config *cfg, char *err, size_t errlen)
{
    size_t n = strlen(cfg->gateway_url);

    while (n > 0 && cfg->gateway_url[n - 1] == '/')
        cfg->gateway_url[--n] = '\0';
    if (strncmp(cfg->gateway_url, "http://", 7) != 0 &&
        strncmp(cfg->gateway_url, "https://", 8) != 0) {
        errf(err, errlen, "gateway_url: expected an http:// or https:// URL, got \"%s\"",
             cfg->gateway_url);
        return -1;
    }
    if (cfg->gateway_socket && !*cfg->gateway_socket) { /* "": TCP, as unset */
        free(cfg->gateway_socket);
        cfg->gateway_socket = NULL;
    }
    if (cfg->gateway_socket && strncmp(cfg->gateway_url, "http://", 7) != 0) {
        errf(err, errlen, "gateway_socket: only with an http:// gateway_url, got \"%s\"",
             cfg->gateway_url);
        return -1;
    }
    /* Said at start, not at the first call: libcurl would only say the
     * certificate could not be checked. */
    FILE *ca = cfg->gateway_tls_ca ? fopen(cfg->gateway_tls_ca, "r") : NULL;
    if (cfg->gateway_tls_ca && !ca) {
        errf(err, errlen, "gateway_tls_ca: cannot read %s: %s", cfg->gateway_tls_ca,
             strerror(errno));
        return -1;
    }
    if (ca)
        fclose(ca);
    return 0;
}

/* A default bus must be one that is there. */
static int set_buses(const struct cn_config *cfg, char *err, size_t errlen)
{
    bool kafka = *cfg->brokers, nats = *cfg->nats_url;

    if ((strcmp(cfg->default_bus, "kafka") == 0 && !kafka) ||
        (strcmp(cfg->default_bus, "nats") == 0 && !nats)) {
        errf(err, errlen, "default_bus: %s, but %s is not set", cfg->default_bus,
             kafka ? "nats_url" : "brokers");
        return -1;
    }
    cn_buses_set(kafka, nats, cfg->default_bus);
    return 0;
}

/* Last, so that the file's own mistakes are reported first. */
static int check_some_bus(const struct cn_config *cfg, char *err, size_t errlen)
{
    if (*cfg->brokers || *cfg->nats_url)
        return 0;
    errf(err, errlen,
         "brokers: not set, and neither is nats_url: configure a bus "
         "(brokers for Kafka, nats_url for NATS)");
    return -1;
}

/* Empty means "our own port", filled in once the port is known. */
static int check_callback_url(const struct cn_config *cfg, char *err, size_t errlen)
{
    const char *u = cfg->callback_url;

    if (!*u || strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0)
        return 0;
    errf(err, errlen,
         "callback_url: expected an http:// or https:// URL the queue worker "
         "can reach, got \"%s\"",
         u);
    return -1;
}

int cn_config_load(struct cn_config *cfg, const char *file, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (cfg_load_skipping(options, cfg, file, hand_read, err, errlen) < 0)
        return -1;
    if (check_gateway_url(cfg, err, errlen) < 0)
        return -1;
    if (check_callback_url(cfg, err, errlen) < 0)
        return -1;
    if (set_defaults(cfg, err, errlen) < 0)
        return -1;
    if (cn_nats_config_check(cfg, file, err, errlen) < 0)
        return -1;
    if (natsauth_check(&cfg->nats_auth, err, errlen) < 0)
        return -1;
    if (set_buses(cfg, err, errlen) < 0)
        return -1;
    if (file && read_by_hand(cfg, file, err, errlen) < 0)
        return -1;
    if (cn_kafka_env(&cfg->kafka[CN_KAFKA_BOTH], err, errlen) < 0)
        return -1;
    if (load_callback_secret(cfg, err, errlen) < 0)
        return -1;
    if (load_auth(cfg, err, errlen) < 0)
        return -1;
    return check_some_bus(cfg, err, errlen);
}

void cn_config_free(struct cn_config *cfg)
{
    cfg_free(options, cfg);
    for (size_t i = 0; i < cfg->nroutes; i++)
        cn_route_cleanup(&cfg->routes[i]);
    free(cfg->routes);
    for (int k = 0; k < CN_KAFKA_GROUPS; k++) {
        for (size_t i = 0; i < cfg->kafka[k].n; i++) {
            free(cfg->kafka[k].v[i].name);
            free(cfg->kafka[k].v[i].value);
            free(cfg->kafka[k].v[i].file);
        }
        free(cfg->kafka[k].v);
    }
    free(cfg->auth);
    memset(cfg, 0, sizeof *cfg);
}

/* --- printing ----------------------------------------------------------- */

static void print_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void print_route(FILE *out, const struct cn_route *r, bool last)
{
    char *desc = cn_route_describe(r);

    fputs("  { topic = ", out);
    print_string(out, r->topic);
    fputs("; function = ", out);
    print_string(out, r->function);
    if (r->ns) {
        fputs("; namespace = ", out);
        print_string(out, r->ns);
    }
    if (r->reply_topic) {
        fputs("; reply-topic = ", out);
        print_string(out, r->reply_topic);
    }
    if (r->error_topic) {
        fputs("; error-topic = ", out);
        print_string(out, r->error_topic);
    }
    fprintf(out, "; ordering = \"%s\"; max-inflight = %d; retry-attempts = %d;%s }%s\n",
            cn_ordering_name(r->ordering), r->max_inflight, (int)r->retry.attempts,
            r->invoke == CN_INVOKE_ASYNC ? " invoke = \"async\";" : "", last ? "" : ",");
    fprintf(out, "    # %s\n", desc);
    free(desc);
}

void cn_config_print(const struct cn_config *cfg, FILE *out)
{
    cfg_print(options, cfg, out); /* it hides the secrets */
    fputs("routes = (\n", out);
    for (size_t i = 0; i < cfg->nroutes; i++)
        print_route(out, &cfg->routes[i], i + 1 == cfg->nroutes);
    fputs(");\n", out);
    for (int k = 0; k < CN_KAFKA_GROUPS; k++) {
        fprintf(out, "%s = {\n", group_names[k]);
        for (size_t i = 0; i < cfg->kafka[k].n; i++) {
            const struct cn_kprop *p = &cfg->kafka[k].v[i];
            /* Output that is pasted into bug reports keeps no secrets. */
            bool secret = strstr(p->name, "password") || strstr(p->name, "secret");
            fprintf(out, "  %s = ", p->name);
            print_string(out, secret ? "(hidden)" : p->value);
            fputs(";\n", out);
        }
        fputs("};\n", out);
    }
}

void cn_config_help(FILE *out)
{
    cfg_help(options, out);
}
