/* invoke.h -- /function/<name>[/<path>]: a call forwarded to a ready
 * replica, or parked until one is. Locality: loop thread. */
#ifndef GW_INVOKE_H
#define GW_INVOKE_H

struct gw;
struct gw_fn;
struct httpd_req;

/* The /function/ route's handler (arg: the gateway). */
void gw_invoke(struct httpd_req *req, void *arg);
/* Hooks the parked calls to gw->on_replica_ready. */
void gw_invoke_init(struct gw *gw);
/* A new version-4 UUID for X-Call-Id (caller frees). */
char *gw_new_call_id(void);
/* fn is being removed: calls waiting for one of its replicas get 404. */
void gw_invoke_forget(struct gw *gw, struct gw_fn *fn);

#endif
