/* sink.c -- the callback endpoint of the async benchmark: answers 200 to
 * every callback the queue worker posts, and counts them.
 *
 *   POST <any other path>  a callback: counted, answered 200 (empty body)
 *   POST /reset            forgets every call, zeroes the counters and
 *                          starts the clock (t = 0) of the next drain
 *   GET  /count            the counters, one line (below)
 *   GET  /wait?n=N&timeout_ms=T
 *                          answers the same line as soon as N distinct calls
 *                          have called back since the reset, or after T ms
 *                          (default 60000) with fewer; the caller checks
 *
 * A callback is `ok` when it has an X-Call-Id, X-Function-Status: 200 and
 * the expected body (EXPECT, default "hello"); anything else is `bad`. A
 * call id seen before (the queue delivers at least once) is a `dup`; the
 * drain is timed on the distinct ids only.
 *
 * The line: distinct=<new call ids> received=<callbacks> ok=<> bad=<>
 *   dup=<> first_ms=<first new id, ms after the reset> t10_ms=<when the
 *   10%-th distinct id came> t50_ms=<> t90_ms=<> last_ms=<the latest new
 *   id> now_ms=<now> first_bad=<what was wrong with the first bad one, or ->
 * (times are -1 before anything came).
 *
 * Usage: sink PORT [EXPECT]   (PORT 0: any free port; prints
 *        "sink listening on 127.0.0.1:<port>" once it serves) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "parse.h"
#include "signals.h"
#include "xalloc.h"

#define MAX_WAITERS 16

static struct loop *lp;
static const char *expect = "hello";
static size_t expect_len;

/* --- the set of call ids seen: open addressing, grown at half full ------ */

static char **slots;
static size_t nslots, nused;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void set_put(char **tab, size_t n, char *id)
{
    size_t i = (size_t)hash(id) & (n - 1);
    while (tab[i])
        i = (i + 1) & (n - 1);
    tab[i] = id;
}

/* Adds id; returns false if it was there already. */
static bool set_add(const char *id)
{
    if (2 * (nused + 1) > nslots) {
        size_t n = nslots ? 2 * nslots : 1024;
        char **tab = xcalloc(n, sizeof *tab);
        for (size_t i = 0; i < nslots; i++)
            if (slots[i])
                set_put(tab, n, slots[i]);
        free(slots);
        slots = tab;
        nslots = n;
    }
    size_t i = (size_t)hash(id) & (nslots - 1);
    for (; slots[i]; i = (i + 1) & (nslots - 1))
        if (strcmp(slots[i], id) == 0)
            return false;
    slots[i] = xstrdup(id);
    nused++;
    return true;
}

static void set_clear(void)
{
    for (size_t i = 0; i < nslots; i++)
        free(slots[i]);
    free(slots);
    slots = NULL;
    nslots = nused = 0;
}

/* --- counters ------------------------------------------------------------ */

static double t0;        /* loop_now_s() at the reset */
static double *arrivals; /* ms after t0 of each new id, in order */
static size_t narrivals, arrivals_cap;
static uint64_t received, ok, bad, dup;
static char first_bad[160] = "-";

struct waiter {
    struct httpd_req *req;
    struct loop_timer *timer;
    size_t want;
};
static struct waiter waiters[MAX_WAITERS];

static double ms_since_reset(void)
{
    return (loop_now_s() - t0) * 1e3;
}

/* Time of the k-th (1-based) distinct id, -1 if none yet. */
static double arrival(size_t k)
{
    if (narrivals == 0)
        return -1;
    if (k < 1)
        k = 1;
    if (k > narrivals)
        k = narrivals;
    return arrivals[k - 1];
}

static size_t at_fraction(double f)
{
    size_t k = (size_t)((double)narrivals * f + 0.5);
    return k < 1 ? 1 : k;
}

static void respond_counts(struct httpd_req *req)
{
    httpd_add_header(req, "Content-Type", "text/plain");
    httpd_respondf(req, 200,
                   "distinct=%zu received=%llu ok=%llu bad=%llu dup=%llu first_ms=%.1f "
                   "t10_ms=%.1f t50_ms=%.1f t90_ms=%.1f last_ms=%.1f now_ms=%.1f "
                   "first_bad=%s\n",
                   narrivals, (unsigned long long)received, (unsigned long long)ok,
                   (unsigned long long)bad, (unsigned long long)dup, arrival(1),
                   arrival(at_fraction(0.1)), arrival(at_fraction(0.5)), arrival(at_fraction(0.9)),
                   arrival(narrivals), ms_since_reset(), first_bad);
}

static void waiter_answer(struct waiter *w)
{
    struct httpd_req *req = w->req;
    if (w->timer)
        loop_timer_cancel(lp, w->timer);
    w->timer = NULL;
    w->req = NULL;
    httpd_req_on_done(req, NULL, NULL);
    respond_counts(req);
}

static void wake_waiters(void)
{
    for (size_t i = 0; i < MAX_WAITERS; i++)
        if (waiters[i].req && narrivals >= waiters[i].want)
            waiter_answer(&waiters[i]);
}

static void on_wait_timeout(struct loop *l, void *arg)
{
    (void)l;
    struct waiter *w = arg;
    w->timer = NULL; /* fired: not to be cancelled */
    waiter_answer(w);
}

static void on_waiter_gone(void *arg, bool completed)
{
    (void)completed;
    struct waiter *w = arg;
    if (w->timer)
        loop_timer_cancel(lp, w->timer);
    w->timer = NULL;
    w->req = NULL;
}

static void note_bad(const char *what, const char *id)
{
    bad++;
    if (strcmp(first_bad, "-") == 0)
        snprintf(first_bad, sizeof first_bad, "%s(call:%.60s)", what, id ? id : "none");
}

static void on_callback(struct httpd_req *req)
{
    received++;
    const char *id = httpd_req_header(req, "X-Call-Id");
    const char *status = httpd_req_header(req, "X-Function-Status");
    size_t len;
    const char *body = httpd_req_body(req, &len);
    if (!id || !*id)
        note_bad("no-X-Call-Id", NULL);
    else if (!status || strcmp(status, "200") != 0)
        note_bad(status ? "X-Function-Status-not-200" : "no-X-Function-Status", id);
    else if (len != expect_len || memcmp(body, expect, len) != 0)
        note_bad("unexpected-body", id);
    else
        ok++;
    if (id && *id) {
        if (set_add(id)) {
            if (narrivals == arrivals_cap) {
                arrivals_cap = arrivals_cap ? 2 * arrivals_cap : 4096;
                arrivals = xrealloc(arrivals, arrivals_cap * sizeof *arrivals);
            }
            arrivals[narrivals++] = ms_since_reset();
        } else {
            dup++;
        }
    }
    httpd_respond(req, 200, "", 0);
    wake_waiters();
}

static void on_reset(struct httpd_req *req)
{
    set_clear();
    narrivals = 0;
    received = ok = bad = dup = 0;
    snprintf(first_bad, sizeof first_bad, "-");
    t0 = loop_now_s();
    httpd_respond(req, 200, "reset\n", 6);
}

static int64_t query_num(const struct httpd_req *req, const char *key, int64_t def)
{
    char *v = httpd_query_arg(req, key);
    int64_t n;
    if (!v || parse_int64(v, &n) < 0 || n < 0)
        n = def;
    free(v);
    return n;
}

static void on_wait(struct httpd_req *req)
{
    size_t want = (size_t)query_num(req, "n", 0);
    int64_t timeout = query_num(req, "timeout_ms", 60000);
    if (narrivals >= want) {
        respond_counts(req);
        return;
    }
    for (size_t i = 0; i < MAX_WAITERS; i++) {
        struct waiter *w = &waiters[i];
        if (w->req)
            continue;
        w->req = req;
        w->want = want;
        w->timer = loop_timer_add(lp, timeout, on_wait_timeout, w);
        httpd_req_on_done(req, on_waiter_gone, w);
        return;
    }
    httpd_respondf(req, 503, "too many waiters\n");
}

static void on_request(struct httpd_req *req, void *arg)
{
    (void)arg;
    const char *method = httpd_req_method(req);
    const char *path = httpd_req_path(req);
    if (strcmp(method, "POST") == 0) {
        if (strcmp(path, "/reset") == 0)
            on_reset(req);
        else
            on_callback(req);
    } else if (strcmp(path, "/count") == 0) {
        respond_counts(req);
    } else if (strcmp(path, "/wait") == 0) {
        on_wait(req);
    } else {
        httpd_respondf(req, 404, "POST a callback, POST /reset, GET /count or GET /wait\n");
    }
}

static void on_signal(struct loop *l, int signo, void *arg)
{
    (void)signo;
    (void)arg;
    loop_stop(l);
}

int main(int argc, char **argv)
{
    int64_t port;
    if (argc < 2 || argc > 3 || parse_int64(argv[1], &port) < 0 || port < 0 || port > 65535) {
        fprintf(stderr, "usage: sink PORT [EXPECT]\n");
        return 2;
    }
    if (argc > 2)
        expect = argv[2];
    expect_len = strlen(expect);
    log_init("sink", LOGL_WARN);
    lp = loop_new();
    if (signals_watch(lp, on_signal, NULL) < 0) {
        perror("sink: signalfd");
        return 1;
    }
    char err[256];
    struct httpd_opts o = { .name = "sink",
                            .addr = "127.0.0.1",
                            .port = (int)port,
                            .listen_fd = -1,
                            .max_body = (size_t)1 << 20,
                            .idle_timeout_ms = 120000 };
    struct httpd *h = httpd_start(lp, &o, err, sizeof err);
    if (!h) {
        fprintf(stderr, "sink: %s\n", err);
        return 1;
    }
    httpd_route(h, "*", HTTPD_BODY_BUFFER, on_request, NULL);
    t0 = loop_now_s();
    printf("sink listening on 127.0.0.1:%d\n", httpd_port(h));
    fflush(stdout);
    loop_run(lp);
    httpd_stop(h);
    set_clear();
    free(arrivals);
    loop_free(lp);
    return 0;
}
