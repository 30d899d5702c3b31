/* routes.h -- the routing table: which functions a topic's records go to,
 * and with what options.
 *
 * Routes come from two places: the `topic` annotation of functions listed
 * by the gateway, and the `routes` list of the config file. Both carry the
 * same options, spelled as OpenFaaS annotations (reply-topic,
 * com.openfaas.retry.attempts...) or as config keys (reply-topic or
 * reply_topic, retry-attempts...).
 *
 * A table is immutable once sealed and reference-counted: a rebuild makes
 * a new one and swaps it in whole, while records in flight keep the table
 * they started with (their route pointers stay valid). */
#ifndef CN_ROUTES_H
#define CN_ROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "retry.h"

#define CN_DEFAULT_NAMESPACE "openfaas-fn"

enum cn_ordering { CN_ORDER_KEY, CN_ORDER_PARTITION, CN_ORDER_NONE };
enum cn_route_origin { CN_ROUTE_CONFIG, CN_ROUTE_GATEWAY };
/* sync: POST /function/<fn> and wait. async: POST /async-function/<fn>
 * and take the result from the queue worker's callback (async.h). */
enum cn_invoke_mode { CN_INVOKE_SYNC, CN_INVOKE_ASYNC };

struct cn_route {
    char *topic;
    char *function;
    char *ns;          /* NULL: the gateway's default namespace */
    char *reply_topic; /* NULL: replies are dropped */
    char *error_topic; /* NULL: failures are logged and counted */
    enum cn_ordering ordering;
    int max_inflight; /* 0: no limit of its own */
    struct retry_policy retry;
    enum cn_route_origin origin;
    enum cn_invoke_mode invoke;
};

/* Options a route starts with before its own (from the config file). */
struct cn_route_defaults {
    enum cn_ordering ordering;
    int max_inflight;
    struct retry_policy retry;
};

struct cn_table {
    unsigned refs;
    struct cn_route *routes; /* sorted by topic, function, namespace */
    size_t n, cap;
};

/* Sets one option by name (annotation or config spelling). Returns 1 if
 * applied, 0 if `name` is not a route option (left alone), -1 with a
 * message in err if the value is bad. */
int cn_route_option(struct cn_route *r, const char *name, const char *value, char *err,
                    size_t errlen);

/* Checks what single options cannot: min_wait <= max_wait. Returns 0 or
 * -1 with a message in err. */
int cn_route_check(const struct cn_route *r, char *err, size_t errlen);

/* "ordering" spelled out, and back. */
const char *cn_ordering_name(enum cn_ordering o);
int cn_ordering_parse(const char *s, enum cn_ordering *out);

/* The function as the gateway's /function/ path names it: "name", or
 * "name.ns" outside the default namespace. Returns a new string. */
char *cn_route_target(const struct cn_route *r);

/* One line describing a route, for logs. Returns a new string. */
char *cn_route_describe(const struct cn_route *r);

void cn_route_init(struct cn_route *r, const struct cn_route_defaults *d);
void cn_route_copy(struct cn_route *dst, const struct cn_route *src);
void cn_route_cleanup(struct cn_route *r);
bool cn_route_equal(const struct cn_route *a, const struct cn_route *b);

/* A new, empty, unsealed table with one reference. */
struct cn_table *cn_table_new(void);
/* Appends a copy of r (before sealing only). */
void cn_table_add(struct cn_table *t, const struct cn_route *r);
/* Adds the routes of one function from the gateway's list (its `topic`
 * annotation and options). Bad option values are reported through warn
 * and the defaults used; a function without `topic` adds nothing. */
void cn_table_add_function(struct cn_table *t, const json_t *fn, const struct cn_route_defaults *d,
                           void (*warn)(void *arg, const char *msg), void *arg);
/* Sorts and removes repeats of one (topic, function, namespace): the one
 * added first stays, so config routes (added first) win. */
void cn_table_seal(struct cn_table *t);

struct cn_table *cn_table_ref(struct cn_table *t);
void cn_table_unref(struct cn_table *t);

/* The routes of a topic: returns how many, with the first in *first. */
size_t cn_table_match(const struct cn_table *t, const char *topic, const struct cn_route **first);
/* The distinct topics, comma-separated ("" when none). New string. */
char *cn_table_topics(const struct cn_table *t);
bool cn_table_equal(const struct cn_table *a, const struct cn_table *b);
/* Calls fn for each route only in `before` ("removed") or only in `after`
 * ("added"); a route whose options changed shows as both. */
void cn_table_diff(const struct cn_table *before, const struct cn_table *after,
                   void (*fn)(void *arg, const char *what, const struct cn_route *r), void *arg);
/* The table as a JSON array (new reference). */
json_t *cn_table_json(const struct cn_table *t);

#endif
