/* reload.h -- SIGHUP: the config file read again and applied in place. */
#ifndef CN_RELOAD_H
#define CN_RELOAD_H

struct cn;

/* Reads cn->conf_file (and the environment) again. If it loads, the
 * config routes, the route defaults (ordering, max-inflight, retry
 * policy) and log_level take effect in place: the routing table is
 * rebuilt at once, and calls in flight keep the route they started
 * with. A setting read only at start that changed is logged as needing a
 * restart and keeps its running value. If the file does not load, the
 * error (file:line) is logged and the running config stays whole.
 * Locality: loop thread. */
void cn_reload(struct cn *cn);

#endif
