/* refresh.h -- the routing table from the gateway, rebuilt every
 * rebuild_interval: GET /system/namespaces, then GET /system/functions for
 * each namespace, merged with the config file's routes. A gateway that
 * does not answer leaves the last good table in place. */
#ifndef CN_REFRESH_H
#define CN_REFRESH_H

struct cn;
struct cn_refresh;

/* Starts refreshing (the first one at once). */
struct cn_refresh *cn_refresh_start(struct cn *cn);
/* Rebuilds at once if waiting for the next rebuild (a rebuild under way
 * finishes first; the next one follows rebuild_interval later). */
void cn_refresh_now(struct cn_refresh *r);
/* Stops refreshing and frees. NULL is a no-op. */
void cn_refresh_free(struct cn_refresh *r);

#endif
