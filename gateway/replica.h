/* replica.h -- one faasbus-watchdog process the process driver runs for a
 * function (fn->replicas; gw->dying once asked to stop). */
#ifndef GW_REPLICA_H
#define GW_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include "exitwatch.h"
#include "lines.h"
#include "proc.h"
#include "drivers/process_sandbox.h"

struct gw;
struct gw_fn;
struct loop_timer;
struct hprobe;

/* One running faasbus-watchdog of a function. */
struct gw_replica {
    struct gw *gw;
    struct gw_fn *fn;    /* NULL once it is being stopped */
    unsigned id;         /* instance number, stable across restarts */
    unsigned generation; /* fn->generation it was started for */
    uint64_t serial;     /* unique in the gateway's life */
    struct proc proc;
    struct proc_exitwatch exitw;
    struct gw_sandbox sandbox;
    int port; /* 127.0.0.1:port, bound by us and handed over */
    int listen_fd;
    /* The same replica on an abstract Unix socket, handed over beside the
     * port: what the gateway's own calls use (no loopback TCP stack). */
    int unix_fd;
    char unix_name[64];
    bool running, ready, stopping;
    unsigned inflight;
    unsigned restarts;
    int64_t backoff_ms, started_ms;
    struct loop_timer *timer; /* health check or restart */
    struct hprobe *probe;
    struct lines out; /* its output, cut into log lines */
};

#endif
