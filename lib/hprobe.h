/* hprobe.h -- health checks of an HTTP/1.1 upstream from the loop: GET a
 * URL and hear the status of the answer, nothing more (the body is
 * skipped). Connections come from a lib/uppool, so a replica probed every
 * interval is asked over one keep-alive connection.
 *
 * It is not libcurl: a gateway on the process driver probes its replicas
 * and never needs libcurl otherwise, so it never loads it (with the
 * libraries libcurl pulls in, 3.6 MB resident).
 *
 * Locality: loop thread only. */
#ifndef HPROBE_H
#define HPROBE_H

#include <stdint.h>

struct loop;
struct uppool;
struct hprobe;

/* status: the answer's (100..999), or 0 with error saying why none came
 * (valid during the call). */
typedef void hprobe_fn(void *arg, int status, const char *error);

/* GETs url (http://host:port/path; host an IP literal or a name),
 * through the Unix socket unix_path if that is not NULL (see
 * uppool_get_at), with the whole exchange bounded by timeout_ms (> 0).
 * fn is called exactly once, never from inside hprobe_start, unless the
 * probe is cancelled first. The pool must outlive the probe. */
struct hprobe *hprobe_start(struct loop *lp, struct uppool *pool, const char *url,
                            const char *unix_path, int64_t timeout_ms, hprobe_fn *fn, void *arg);
/* Abandons a probe: fn will not be called. NULL is a no-op. */
void hprobe_cancel(struct hprobe *p);

#endif
