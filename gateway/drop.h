/* drop.h -- a function's removal, which every part that holds something
 * of it must hear of: it sits above them all (invoke, logs, registry). */
#ifndef GW_DROP_H
#define GW_DROP_H

struct gw;
struct gw_fn;

/* fn is gone: its waiting calls get 404, its log followers an end, and
 * it is unlinked (if it still is) and freed. */
void gw_fn_drop(struct gw *gw, struct gw_fn *fn);

#endif
