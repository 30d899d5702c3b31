/* signals.h -- SIGTERM and SIGINT (and SIGHUP) as loop events. */
#ifndef SIGNALS_H
#define SIGNALS_H

struct loop;

typedef void signals_fn(struct loop *lp, int signo, void *arg);

/* Blocks SIGTERM and SIGINT and reads them through a signalfd on the loop,
 * so no handler ever runs in the middle of our code; ignores SIGPIPE (a
 * peer that left is an error return, not death). Children we start get
 * default dispositions back (see proc.h). Returns 0, or -1. */
int signals_watch(struct loop *lp, signals_fn *fn, void *arg);
/* As signals_watch(), and SIGHUP too (for a daemon that reloads on it). */
int signals_watch_hup(struct loop *lp, signals_fn *fn, void *arg);

#endif
