/* curlloop.c -- libcurl's socket API on lib/loop, and an easy-handle pool. */
#include "curlloop.h"

#include <stdlib.h>
#include <sys/socket.h>

#include "loop.h"
#include "xalloc.h"

#define POOL_DEFAULT 64 /* creating a handle costs more than a small exchange */

struct curlloop {
    struct loop *lp;
    CURLM *multi;
    struct loop_timer *timer;
    CURL **pool;
    size_t npool, pool_max;
};

static void check_finished(struct curlloop *cl)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(cl->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        struct curlloop_job *job = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
        curl_multi_remove_handle(cl->multi, easy);
        if (job && job->done)
            job->done(job->arg, easy, result);
    }
}

static void on_socket_ready(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)lp;
    struct curlloop *cl = arg;
    int running;
    int mask = ((events & LOOP_READ) ? CURL_CSELECT_IN : 0) |
               ((events & LOOP_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(cl->multi, fd, mask, &running);
    check_finished(cl);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    (void)easy;
    (void)sockp;
    struct curlloop *cl = arg;
    if (what == CURL_POLL_REMOVE) {
        loop_unwatch(cl->lp, fd);
        return 0;
    }
    unsigned events = ((what & CURL_POLL_IN) ? LOOP_READ : 0u) |
                      ((what & CURL_POLL_OUT) ? LOOP_WRITE : 0u);
    return loop_watch(cl->lp, fd, events, on_socket_ready, cl);
}

static void on_timer(struct loop *lp, void *arg)
{
    (void)lp;
    struct curlloop *cl = arg;
    int running;
    cl->timer = NULL;
    curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_finished(cl);
}

static int on_curl_timer(CURLM *multi, long ms, void *arg)
{
    (void)multi;
    struct curlloop *cl = arg;
    loop_timer_cancel(cl->lp, cl->timer);
    cl->timer = ms >= 0 ? loop_timer_add(cl->lp, ms, on_timer, cl) : NULL;
    return 0;
}

struct curlloop *curlloop_new(struct loop *lp)
{
    struct curlloop *cl = xcalloc(1, sizeof *cl);
    cl->lp = lp;
    cl->pool_max = POOL_DEFAULT;
    cl->pool = xcalloc(cl->pool_max, sizeof *cl->pool);
    return cl;
}

/* The multi handle is made for the first transfer, not with the engine:
 * making it initialises libcurl and OpenSSL (2 MB of their code and
 * tables made resident), and a daemon may never make a call (the gateway
 * on the process driver, whose health checks are not libcurl's). */
static CURLM *multi_of(struct curlloop *cl)
{
    if (cl->multi)
        return cl->multi;
    cl->multi = curl_multi_init();
    if (!cl->multi)
        return NULL;
    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
    curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
    curl_multi_setopt(cl->multi, CURLMOPT_MAXCONNECTS, 512L);
    return cl->multi;
}

void curlloop_free(struct curlloop *cl)
{
    if (!cl)
        return;
    loop_timer_cancel(cl->lp, cl->timer);
    while (cl->npool)
        curl_easy_cleanup(cl->pool[--cl->npool]);
    free(cl->pool);
    if (cl->multi)
        curl_multi_cleanup(cl->multi);
    free(cl);
}

void curlloop_keep(struct curlloop *cl, size_t n)
{
    while (cl->npool > n)
        curl_easy_cleanup(cl->pool[--cl->npool]);
    cl->pool = xrealloc(cl->pool, (n ? n : 1) * sizeof *cl->pool);
    cl->pool_max = n;
}

CURL *curlloop_easy(struct curlloop *cl)
{
    if (cl->npool)
        return cl->pool[--cl->npool];
    return multi_of(cl) ? curl_easy_init() : NULL;
}

/* libcurl 7.88 opens its sockets without close-on-exec: a function or
 * replica we start later would inherit every upstream connection. */
static curl_socket_t open_cloexec(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    const struct curlloop_job *job = arg;
    (void)purpose;
    if (job->guard && !job->guard(job->guard_arg, &a->addr, a->addrlen))
        return CURL_SOCKET_BAD; /* the transfer fails with COULDNT_CONNECT */
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

int curlloop_add(struct curlloop *cl, CURL *easy, struct curlloop_job *job)
{
    curl_easy_setopt(easy, CURLOPT_PRIVATE, job);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_cloexec);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, job);
    CURLM *m = multi_of(cl);
    return m && curl_multi_add_handle(m, easy) == CURLM_OK ? 0 : -1;
}

void curlloop_release(struct curlloop *cl, CURL *easy)
{
    if (!easy)
        return;
    if (cl->multi)
        curl_multi_remove_handle(cl->multi, easy);
    if (cl->npool < cl->pool_max) {
        curl_easy_reset(easy);
        cl->pool[cl->npool++] = easy;
    } else {
        curl_easy_cleanup(easy);
    }
}
