/* routes.c -- one route: its options, their parsing and description. */
#include "routes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "subject.h"
#include "xalloc.h"

#define NAME_MAX_LEN 64
#define INFLIGHT_MAX 100000

const char *cn_ordering_name(enum cn_ordering o)
{
    switch (o) {
    case CN_ORDER_PARTITION:
        return "partition";
    case CN_ORDER_NONE:
        return "none";
    case CN_ORDER_KEY:
        break;
    }
    return "key";
}

int cn_ordering_parse(const char *s, enum cn_ordering *out)
{
    if (strcmp(s, "key") == 0)
        *out = CN_ORDER_KEY;
    else if (strcmp(s, "partition") == 0)
        *out = CN_ORDER_PARTITION;
    else if (strcmp(s, "none") == 0)
        *out = CN_ORDER_NONE;
    else
        return -1;
    return 0;
}

/* "com.openfaas.retry.min_wait", "retry_min_wait" and "retry-min-wait"
 * all become "retry-min-wait". */
static void canonical(const char *name, char *out, size_t len)
{
    const char *prefix = "com.openfaas.retry.";
    size_t i = 0;

    if (strncmp(name, prefix, strlen(prefix)) == 0) {
        snprintf(out, len, "retry-%s", name + strlen(prefix));
        i = strlen("retry-");
    } else {
        snprintf(out, len, "%s", name);
    }
    for (; out[i]; i++) {
        if (out[i] == '_')
            out[i] = '-';
    }
}

static int set_topic(char **slot, const char *value, char *err, size_t errlen)
{
    if (*value && !cn_dest_valid(value)) {
        snprintf(err, errlen,
                 "\"%s\" is not a valid topic name (1 to 249 of "
                 "letters, digits, '.', '_', '-'; or nats: and a subject without "
                 "wildcards)",
                 value);
        return -1;
    }
    free(*slot);
    *slot = *value ? xstrdup(value) : NULL;
    return 1;
}

static int set_int(int *slot, const char *value, int64_t min, int64_t max, char *err, size_t errlen)
{
    int64_t v;

    if (parse_int64(value, &v) < 0 || v < min || v > max) {
        snprintf(err, errlen, "expected an integer from %" PRId64 " to %" PRId64 ", got \"%s\"",
                 min, max, value);
        return -1;
    }
    *slot = (int)v;
    return 1;
}

static int set_ordering(struct cn_route *r, const char *value, char *err, size_t errlen)
{
    if (cn_ordering_parse(value, &r->ordering) < 0) {
        snprintf(err, errlen, "expected key, partition or none, got \"%s\"", value);
        return -1;
    }
    return 1;
}

static int set_invoke(struct cn_route *r, const char *value, char *err, size_t errlen)
{
    if (strcmp(value, "sync") == 0) {
        r->invoke = CN_INVOKE_SYNC;
        return 1;
    }
    if (strcmp(value, "async") == 0) {
        r->invoke = CN_INVOKE_ASYNC;
        return 1;
    }
    snprintf(err, errlen, "expected sync or async, got \"%s\"", value);
    return -1;
}

int cn_route_option(struct cn_route *r, const char *name, const char *value, char *err,
                    size_t errlen)
{
    char n[NAME_MAX_LEN];

    canonical(name, n, sizeof n);
    if (strcmp(n, "reply-topic") == 0)
        return set_topic(&r->reply_topic, value, err, errlen);
    if (strcmp(n, "error-topic") == 0)
        return set_topic(&r->error_topic, value, err, errlen);
    if (strcmp(n, "ordering") == 0)
        return set_ordering(r, value, err, errlen);
    if (strcmp(n, "max-inflight") == 0)
        return set_int(&r->max_inflight, value, 0, INFLIGHT_MAX, err, errlen);
    if (strcmp(n, "invoke") == 0)
        return set_invoke(r, value, err, errlen);
    if (strncmp(n, "retry-", 6) == 0) {
        char part[NAME_MAX_LEN];
        snprintf(part, sizeof part, "%s", n + 6); /* "min-wait" -> "min_wait" */
        for (char *c = part; *c; c++)
            *c = *c == '-' ? '_' : *c;
        return retry_policy_set(&r->retry, part, value, err, errlen) < 0 ? -1 : 1;
    }
    return 0;
}

int cn_route_check(const struct cn_route *r, char *err, size_t errlen)
{
    char a[32], b[32];

    if (r->retry.min_wait_ms <= r->retry.max_wait_ms)
        return 0;
    snprintf(err, errlen, "retry min_wait %s is above max_wait %s",
             format_duration_ms(r->retry.min_wait_ms, a, sizeof a),
             format_duration_ms(r->retry.max_wait_ms, b, sizeof b));
    return -1;
}

char *cn_route_target(const struct cn_route *r)
{
    if (!r->ns || strcmp(r->ns, CN_DEFAULT_NAMESPACE) == 0)
        return xstrdup(r->function);
    return xasprintf("%s.%s", r->function, r->ns);
}

char *cn_route_describe(const struct cn_route *r)
{
    char codes[256], minw[32], maxw[32];
    char *target = cn_route_target(r);
    char *out;

    retry_codes_format(&r->retry, codes, sizeof codes);
    out = xasprintf("%s -> %s (%s) reply-topic=%s error-topic=%s ordering=%s "
                    "max-inflight=%d retry attempts=%d codes=%s min_wait=%s "
                    "max_wait=%s%s",
                    r->topic, target, r->origin == CN_ROUTE_CONFIG ? "config" : "annotation",
                    r->reply_topic ? r->reply_topic : "-", r->error_topic ? r->error_topic : "-",
                    cn_ordering_name(r->ordering), r->max_inflight, (int)r->retry.attempts, codes,
                    format_duration_ms(r->retry.min_wait_ms, minw, sizeof minw),
                    format_duration_ms(r->retry.max_wait_ms, maxw, sizeof maxw),
                    r->invoke == CN_INVOKE_ASYNC ? " invoke=async" : "");
    free(target);
    return out;
}

void cn_route_init(struct cn_route *r, const struct cn_route_defaults *d)
{
    memset(r, 0, sizeof *r);
    r->ordering = d->ordering;
    r->max_inflight = d->max_inflight;
    r->retry = d->retry;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void cn_route_copy(struct cn_route *dst, const struct cn_route *src)
{
    *dst = *src;
    dst->topic = dup_or_null(src->topic);
    dst->function = dup_or_null(src->function);
    dst->ns = dup_or_null(src->ns);
    dst->reply_topic = dup_or_null(src->reply_topic);
    dst->error_topic = dup_or_null(src->error_topic);
}

void cn_route_cleanup(struct cn_route *r)
{
    free(r->topic);
    free(r->function);
    free(r->ns);
    free(r->reply_topic);
    free(r->error_topic);
    memset(r, 0, sizeof *r);
}

static bool same_str(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool cn_route_equal(const struct cn_route *a, const struct cn_route *b)
{
    return same_str(a->topic, b->topic) && same_str(a->function, b->function) &&
           same_str(a->ns, b->ns) && same_str(a->reply_topic, b->reply_topic) &&
           same_str(a->error_topic, b->error_topic) && a->ordering == b->ordering &&
           a->max_inflight == b->max_inflight && a->origin == b->origin && a->invoke == b->invoke &&
           a->retry.attempts == b->retry.attempts && a->retry.min_wait_ms == b->retry.min_wait_ms &&
           a->retry.max_wait_ms == b->retry.max_wait_ms &&
           memcmp(a->retry.codes, b->retry.codes, sizeof a->retry.codes) == 0;
}
