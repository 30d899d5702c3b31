/* curlloop.h -- a libcurl multi handle driven by a struct loop, shared by
 * every HTTP client in a daemon (the reverse proxy, health checks, API
 * calls), with a pool of easy handles for reuse.
 *
 * Locality: loop thread only, like everything on the loop. */
#ifndef CURLLOOP_H
#define CURLLOOP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <sys/socket.h>

struct loop;
struct curlloop;

/* Called once when a transfer ends, well or not. The job is the caller's
 * (embedded in its own state) and must live until then. */
typedef void curlloop_done_fn(void *arg, CURL *easy, CURLcode result);

/* Says whether a transfer may open a connection to an address. It runs
 * after name resolution and before connect, for every address tried, so a
 * name that resolves somewhere it should not (DNS rebinding included)
 * never gets a packet. */
typedef bool curlloop_guard_fn(void *arg, const struct sockaddr *addr, socklen_t len);

struct curlloop_job {
    curlloop_done_fn *done;
    void *arg;
    curlloop_guard_fn *guard; /* NULL: any address */
    void *guard_arg;
};

struct curlloop *curlloop_new(struct loop *lp);
/* Frees the engine; transfers still added are dropped without callbacks. */
void curlloop_free(struct curlloop *cl);

/* Keeps up to n released handles for reuse (64 unless said). A client
 * with a known bound on its transfers in flight keeps that many, so that
 * at full load no handle is made or destroyed per transfer. */
void curlloop_keep(struct curlloop *cl, size_t n);
/* An easy handle in its default state, from the pool or new. */
CURL *curlloop_easy(struct curlloop *cl);
/* Starts a transfer on easy. Sets CURLOPT_PRIVATE (the job): callers
 * must not use it. Returns 0, or -1 if libcurl refused it. */
int curlloop_add(struct curlloop *cl, CURL *easy, struct curlloop_job *job);
/* Stops a transfer if it runs (no callback) and gives easy back to the
 * pool. Safe for a handle that was never added. */
void curlloop_release(struct curlloop *cl, CURL *easy);

#endif
