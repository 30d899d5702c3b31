/* refresh.h -- the routing table from the gateway, rebuilt every
 * rebuild_interval: GET /system/namespaces, then GET /system/functions for
 * each namespace, merged with the config file's routes. A gateway that
 * does not answer leaves the last good table in place. */
#ifndef CN_REFRESH_H
#define CN_REFRESH_H

#include <stdbool.h>

struct cn;
struct cn_refresh;
struct cn_table;

/* A table was built: takes the reference; returns true if it differs from
 * the one in use (the annotation warnings are then logged again). */
typedef bool cn_refresh_table_fn(void *arg, struct cn_table *t);

/* Starts refreshing (the first one at once); each table built goes to
 * on_table. */
struct cn_refresh *cn_refresh_start(struct cn *cn, cn_refresh_table_fn *on_table, void *arg);
/* Rebuilds at once if waiting for the next rebuild (a rebuild under way
 * finishes first; the next one follows rebuild_interval later). */
void cn_refresh_now(struct cn_refresh *r);
/* Stops refreshing and frees. NULL is a no-op. */
void cn_refresh_free(struct cn_refresh *r);

#endif
