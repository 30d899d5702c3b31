/* table.c -- the routing table: building, matching, comparing, showing. */
#include "routes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subject.h"
#include "xalloc.h"

struct cn_table *cn_table_new(void)
{
    struct cn_table *t = xcalloc(1, sizeof *t);

    t->refs = 1;
    return t;
}

void cn_table_add(struct cn_table *t, const struct cn_route *r)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->routes = xrealloc(t->routes, t->cap * sizeof *t->routes);
    }
    cn_route_copy(&t->routes[t->n++], r);
}

static void warnf(void (*warn)(void *, const char *), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warnf(void (*warn)(void *, const char *), void *arg, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    warn(arg, msg);
}

/* Applies every annotation that is a route option to the template. */
static void apply_annotations(struct cn_route *tmpl, const json_t *ann, const char *who,
                              void (*warn)(void *, const char *), void *arg)
{
    const char *name;
    json_t *v;
    char err[256];

    json_object_foreach((json_t *)ann, name, v) {
        if (strcmp(name, "topic") == 0 || !json_is_string(v))
            continue;
        if (cn_route_option(tmpl, name, json_string_value(v), err, sizeof err) < 0)
            warnf(warn, arg, "function %s: annotation %s: %s (using the default)", who, name, err);
    }
    if (cn_route_check(tmpl, err, sizeof err) < 0) {
        warnf(warn, arg, "function %s: %s (using min_wait for both)", who, err);
        tmpl->retry.max_wait_ms = tmpl->retry.min_wait_ms;
    }
}

/* A reply or error topic on no configured bus would fail every result:
 * the function's routes are skipped instead. */
static bool outputs_resolved(const struct cn_route *tmpl, const char *who,
                             void (*warn)(void *, const char *), void *arg)
{
    const char *names[2] = { tmpl->reply_topic, tmpl->error_topic };
    static const char *const keys[2] = { "reply-topic", "error-topic" };
    char why[768];

    for (int i = 0; i < 2; i++) {
        if (names[i] && cn_bus_unresolved(names[i], why, sizeof why)) {
            warnf(warn, arg, "function %s: annotation %s: %s (its routes skipped)", who, keys[i],
                  why);
            return false;
        }
    }
    return true;
}

/* Adds one route per topic of a comma-separated list. */
static void add_topics(struct cn_table *t, struct cn_route *tmpl, const char *topics,
                       const char *who, void (*warn)(void *, const char *), void *arg)
{
    const char *p = topics;

    while (*p) {
        char topic[256], why[768];
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        snprintf(topic, sizeof topic, "%.*s", (int)n, p);
        p += n;
        if (n >= sizeof topic || !cn_source_valid(topic)) {
            warnf(warn, arg,
                  "function %s: annotation topic: \"%.*s\" is not a "
                  "valid topic name (skipped)",
                  who, (int)n, p - n);
            continue;
        }
        if (cn_bus_unresolved(topic, why, sizeof why)) {
            warnf(warn, arg, "function %s: annotation topic: %s (skipped)", who, why);
            continue;
        }
        tmpl->topic = topic;
        cn_table_add(t, tmpl);
        tmpl->topic = NULL;
    }
}

void cn_table_add_function(struct cn_table *t, const json_t *fn, const struct cn_route_defaults *d,
                           void (*warn)(void *arg, const char *msg), void *arg)
{
    const char *name = json_string_value(json_object_get(fn, "name"));
    const char *ns = json_string_value(json_object_get(fn, "namespace"));
    const json_t *ann = json_object_get(fn, "annotations");
    const char *topics = json_string_value(json_object_get(ann, "topic"));
    struct cn_route tmpl;
    char who[300];

    if (!name || !*name || !topics)
        return;
    snprintf(who, sizeof who, "%s%s%s", name, ns ? "." : "", ns ? ns : "");
    cn_route_init(&tmpl, d);
    tmpl.origin = CN_ROUTE_GATEWAY;
    tmpl.function = xstrdup(name);
    tmpl.ns = ns && *ns ? xstrdup(ns) : NULL;
    apply_annotations(&tmpl, ann, who, warn, arg);
    if (outputs_resolved(&tmpl, who, warn, arg))
        add_topics(t, &tmpl, topics, who, warn, arg);
    cn_route_cleanup(&tmpl);
}

static const char *ns_of(const struct cn_route *r)
{
    return r->ns ? r->ns : CN_DEFAULT_NAMESPACE;
}

/* The identity of a route: where from, to what. */
static int route_cmp_key(const struct cn_route *a, const struct cn_route *b)
{
    int c = strcmp(a->topic, b->topic);

    if (c == 0)
        c = strcmp(a->function, b->function);
    if (c == 0)
        c = strcmp(ns_of(a), ns_of(b));
    return c;
}

/* Sorting keeps the first of equal keys first: the index breaks ties. */
struct sortable {
    struct cn_route r;
    size_t index;
};

static int sortable_cmp(const void *pa, const void *pb)
{
    const struct sortable *a = pa, *b = pb;
    int c = route_cmp_key(&a->r, &b->r);

    if (c == 0)
        c = a->index < b->index ? -1 : a->index > b->index;
    return c;
}

void cn_table_seal(struct cn_table *t)
{
    struct sortable *s = xcalloc(t->n, sizeof *s);
    size_t out = 0;

    for (size_t i = 0; i < t->n; i++)
        s[i] = (struct sortable){ t->routes[i], i };
    qsort(s, t->n, sizeof *s, sortable_cmp);
    for (size_t i = 0; i < t->n; i++) {
        if (out > 0 && route_cmp_key(&t->routes[out - 1], &s[i].r) == 0)
            cn_route_cleanup(&s[i].r);
        else
            t->routes[out++] = s[i].r;
    }
    t->n = out;
    free(s);
}

struct cn_table *cn_table_ref(struct cn_table *t)
{
    t->refs++;
    return t;
}

void cn_table_unref(struct cn_table *t)
{
    if (!t || --t->refs > 0)
        return;
    for (size_t i = 0; i < t->n; i++)
        cn_route_cleanup(&t->routes[i]);
    free(t->routes);
    free(t);
}

size_t cn_table_match(const struct cn_table *t, const char *topic, const struct cn_route **first)
{
    size_t lo = 0, hi = t->n, n = 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->routes[mid].topic, topic) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo + n < t->n && strcmp(t->routes[lo + n].topic, topic) == 0)
        n++;
    *first = n ? &t->routes[lo] : NULL;
    return n;
}

char *cn_table_topics(const struct cn_table *t)
{
    char *out = xstrdup("");

    for (size_t i = 0; i < t->n; i++) {
        if (i > 0 && strcmp(t->routes[i - 1].topic, t->routes[i].topic) == 0)
            continue;
        char *next = xasprintf("%s%s%s", out, *out ? "," : "", t->routes[i].topic);
        free(out);
        out = next;
    }
    return out;
}

bool cn_table_equal(const struct cn_table *a, const struct cn_table *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (!cn_route_equal(&a->routes[i], &b->routes[i]))
            return false;
    }
    return true;
}

static bool contains(const struct cn_table *t, const struct cn_route *r)
{
    for (size_t i = 0; i < t->n; i++) {
        if (cn_route_equal(&t->routes[i], r))
            return true;
    }
    return false;
}

void cn_table_diff(const struct cn_table *before, const struct cn_table *after,
                   void (*fn)(void *arg, const char *what, const struct cn_route *r), void *arg)
{
    for (size_t i = 0; i < before->n; i++) {
        if (!contains(after, &before->routes[i]))
            fn(arg, "removed", &before->routes[i]);
    }
    for (size_t i = 0; i < after->n; i++) {
        if (!contains(before, &after->routes[i]))
            fn(arg, "added", &after->routes[i]);
    }
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *codes_json(const struct retry_policy *rt)
{
    char text[512];

    retry_codes_format(rt, text, sizeof text);
    return json_string(text);
}

static json_t *route_json(const struct cn_route *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:i, s:s, s:{s:i, s:o, s:I, s:I}}",
                     "topic", r->topic, "function", r->function, "namespace", ns_of(r), "source",
                     r->origin == CN_ROUTE_CONFIG ? "config" : "annotation", "reply_topic",
                     str_or_null(r->reply_topic), "error_topic", str_or_null(r->error_topic),
                     "ordering", cn_ordering_name(r->ordering), "max_inflight", r->max_inflight,
                     "invoke", r->invoke == CN_INVOKE_ASYNC ? "async" : "sync", "retry", "attempts",
                     (int)r->retry.attempts, "codes", codes_json(&r->retry), "min_wait_ms",
                     (json_int_t)r->retry.min_wait_ms, "max_wait_ms",
                     (json_int_t)r->retry.max_wait_ms);
}

json_t *cn_table_json(const struct cn_table *t)
{
    json_t *a = json_array();

    for (size_t i = 0; i < t->n; i++)
        json_array_append_new(a, route_json(&t->routes[i]));
    return a;
}
