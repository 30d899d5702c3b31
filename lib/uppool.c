/* uppool.c -- upstream connections: URLs, connects, keep-alive pool. */
#include "uppool.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "list.h"
#include "log.h"
#include "loop.h"
#include "offload.h"
#include "unixaddr.h"
#include "xalloc.h"

#define BUCKETS 256
#define IDLE_MAX_MS 60000 /* an idle connection older than this is closed */
#define SWEEP_MS 5000
#define IDLE_KEEP 512      /* idle connections kept, all upstreams together */
#define NAME_TTL_MS 30000  /* a resolved name is trusted this long */
#define IN_MAX (64 * 1024) /* a response head must fit; body bytes pass through */
#define OUT_MAX (1024 * 1024)

struct upaddr {
    struct upaddr *next_in_bucket;
    char host[256], port[8];
    char unix_path[108]; /* uppool_get_at's socket ("": TCP, or a via_unix) */
    const char *shown;   /* the socket it connects to, for errors; NULL: TCP */
    bool numeric, resolved, resolving;
    int64_t resolved_ms;
    struct sockaddr_storage sa;
    socklen_t salen;
    struct list idle;    /* most recently used first */
    struct list waiting; /* new connections waiting for the name */
    unsigned nconns;
};

/* host:port reached through a Unix socket (uppool_via_unix). */
struct via_unix {
    struct via_unix *next;
    char host[256], port[8], path[108];
    struct sockaddr_un sa;
    socklen_t salen;
};

struct uppool {
    struct loop *lp;
    struct via_unix *vias;
    struct upaddr *bucket[BUCKETS];
    struct loop_timer *sweep;
    struct offload *resolver;
    unsigned nidle, nopen;
    bool freeing; /* uppool_free: entries go with the table, not one by one */
};

/* --- URLs ---------------------------------------------------------------- */

int up_split_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
                 const char **path, char *err, size_t errlen)
{
    if (strncasecmp(url, "https://", 8) == 0) {
        snprintf(err, errlen, "https upstreams are not supported (%s)", url);
        return -1;
    }
    if (strncasecmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "not an http:// URL: %s", url);
        return -1;
    }
    const char *h = url + 7, *end = h + strcspn(h, "/?#");
    const char *hend, *p = NULL;
    if (*h == '[') {
        hend = memchr(h, ']', (size_t)(end - h));
        if (!hend) {
            snprintf(err, errlen, "unclosed IPv6 literal in %s", url);
            return -1;
        }
        h++;
        p = hend + 1 < end && hend[1] == ':' ? hend + 2 : NULL;
        if (hend + 1 < end && hend[1] != ':') {
            snprintf(err, errlen, "bad host in %s", url);
            return -1;
        }
    } else {
        const char *colon = memchr(h, ':', (size_t)(end - h));
        hend = colon ? colon : end;
        p = colon ? colon + 1 : NULL;
    }
    size_t hl = (size_t)(hend - h), pl = p ? (size_t)(end - p) : 0;
    if (hl == 0 || hl >= hostlen || memchr(h, '@', hl)) {
        snprintf(err, errlen, "bad host in %s", url);
        return -1;
    }
    if (p && (pl == 0 || pl > 5 || pl >= portlen || strspn(p, "0123456789") < pl ||
              strtol(p, NULL, 10) < 1 || strtol(p, NULL, 10) > 65535)) {
        snprintf(err, errlen, "bad port in %s", url);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (p) {
        memcpy(port, p, pl);
        port[pl] = '\0';
    } else {
        snprintf(port, portlen, "80");
    }
    *path = *end == '/' ? end : "/";
    if (*end == '?') /* "http://h:1?q": the path is "/" and the query follows */
        *path = end;
    return 0;
}

/* --- addresses ------------------------------------------------------------ */

static unsigned hash_key(const char *host, const char *port, const char *unix_path)
{
    unsigned h = 2166136261u;
    for (const char *s = host; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    for (const char *s = port; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    for (const char *s = unix_path; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % BUCKETS;
}

/* IP literals are looked up without I/O: getaddrinfo with AI_NUMERICHOST. */
static bool resolve_numeric(struct upaddr *a)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV },
                    *res = NULL;
    if (getaddrinfo(a->host, a->port, &hints, &res) != 0 || !res)
        return false;
    memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
    a->salen = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

/* The Unix socket a connects to: its own, or the one that stands for its
 * host:port (uppool_via_unix), if there is one. */
static bool resolve_unix(const struct uppool *p, struct upaddr *a)
{
    struct sockaddr_un sa;
    socklen_t len;
    if (*a->unix_path) {
        if (unixaddr_make(a->unix_path, &sa, &len) < 0)
            len = sizeof sa.sun_family; /* no name: connects fail, and say where */
        memcpy(&a->sa, &sa, len);
        a->salen = len;
        a->shown = a->unix_path;
        return true;
    }
    for (const struct via_unix *v = p->vias; v; v = v->next)
        if (strcmp(v->host, a->host) == 0 && strcmp(v->port, a->port) == 0) {
            memcpy(&a->sa, &v->sa, v->salen);
            a->salen = v->salen;
            a->shown = v->path;
            return true;
        }
    return false;
}

static struct upaddr *find_addr(struct uppool *p, const char *host, const char *port,
                                const char *unix_path)
{
    unsigned b = hash_key(host, port, unix_path);
    for (struct upaddr *a = p->bucket[b]; a; a = a->next_in_bucket)
        if (strcmp(a->host, host) == 0 && strcmp(a->port, port) == 0 &&
            strcmp(a->unix_path, unix_path) == 0)
            return a;
    struct upaddr *a = xcalloc(1, sizeof *a);
    snprintf(a->host, sizeof a->host, "%s", host);
    snprintf(a->port, sizeof a->port, "%s", port);
    snprintf(a->unix_path, sizeof a->unix_path, "%s", unix_path);
    a->numeric = resolve_unix(p, a) || (!*unix_path && resolve_numeric(a));
    a->resolved = a->numeric;
    a->next_in_bucket = p->bucket[b];
    p->bucket[b] = a;
    return a;
}

/* An IP literal's entry goes once nothing uses it (replicas come and go
 * on new ports); a name's stays, with its resolved address. */
static void maybe_drop_addr(struct uppool *p, struct upaddr *a)
{
    if (!a->numeric || a->nconns || a->resolving || p->freeing)
        return;
    for (struct upaddr **pp = &p->bucket[hash_key(a->host, a->port, a->unix_path)]; *pp;
         pp = &(*pp)->next_in_bucket)
        if (*pp == a) {
            *pp = a->next_in_bucket;
            free(a);
            return;
        }
}

/* --- connections ---------------------------------------------------------- */

static void on_fd(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)lp;
    (void)fd;
    struct upconn *c = arg;
    c->fn(c, events, c->arg);
}

void upconn_want(struct upconn *c, unsigned events)
{
    if (c->fd < 0 || c->events == events)
        return;
    c->events = events;
    loop_watch(c->pool->lp, c->fd, events, on_fd, c);
}

static void set_error(struct upconn *c, int err, const char *what)
{
    const struct upaddr *a = c->addr;
    c->error = err ? err : EIO;
    if (a->shown)
        snprintf(c->errtext, sizeof c->errtext, "%s %s:%s (unix socket %s): %s", what, a->host,
                 a->port, a->shown, strerror(c->error));
    else
        snprintf(c->errtext, sizeof c->errtext, "%s %s:%s: %s", what, a->host, a->port,
                 strerror(c->error));
}

/* Starts the connect; on an immediate failure c->error is set. */
static void start_connect(struct upconn *c)
{
    struct upaddr *a = c->addr;
    int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        set_error(c, errno, "socket for");
        return;
    }
    int one = 1;
    if (a->sa.ss_family != AF_UNIX)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&a->sa, a->salen) < 0 && errno != EINPROGRESS) {
        set_error(c, errno, "connect to");
        close(fd);
        return;
    }
    c->fd = fd;
    c->connecting = true;
    c->pool->nopen++;
    c->events = LOOP_READ | LOOP_WRITE;
    if (loop_watch(c->pool->lp, fd, c->events, on_fd, c) < 0) {
        set_error(c, errno, "watch of");
        c->pool->nopen--;
        close(fd);
        c->fd = -1;
    }
}

ssize_t upconn_send(struct upconn *c, size_t sent, const char *more, size_t len)
{
    struct iovec iov[2];
    size_t n_iov = 0;
    ssize_t n;

    if (sent < c->out.len)
        iov[n_iov++] = (struct iovec){ (char *)buf_peek(&c->out) + sent, c->out.len - sent };
    if (len)
        iov[n_iov++] = (struct iovec){ (char *)more, len };
    if (n_iov == 0)
        return 0;
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = n_iov };
    do
        n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
}

int upconn_finish_connect(struct upconn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        set_error(c, err, "connect to");
        return -1;
    }
    c->connecting = false;
    return 0;
}

/* --- names, resolved on a helper thread ----------------------------------- */

struct lookup {
    struct uppool *pool;
    struct upaddr *addr;
    char host[256], port[8];
    int rc;
    struct sockaddr_storage sa;
    socklen_t salen;
};

static void lookup_work(void *arg)
{
    struct lookup *l = arg;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    l->rc = getaddrinfo(l->host, l->port, &hints, &res);
    if (l->rc == 0 && res) {
        memcpy(&l->sa, res->ai_addr, res->ai_addrlen);
        l->salen = res->ai_addrlen;
    } else if (l->rc == 0) {
        l->rc = EAI_NONAME;
    }
    if (res)
        freeaddrinfo(res);
}

static void lookup_done(void *arg)
{
    struct lookup *l = arg;
    struct upaddr *a = l->addr;
    a->resolving = false;
    if (l->rc == 0) {
        a->sa = l->sa;
        a->salen = l->salen;
        a->resolved = true;
        a->resolved_ms = loop_now_ms();
    }
    struct upconn *c;
    while ((c = LIST_ENTRY(list_pop_front(&a->waiting), struct upconn, node))) {
        c->in_waiting = false;
        if (l->rc == 0) {
            start_connect(c);
        } else {
            c->error = EHOSTUNREACH;
            snprintf(c->errtext, sizeof c->errtext, "cannot resolve %s: %s", a->host,
                     gai_strerror(l->rc));
        }
        if (c->error)
            c->fn(c, LOOP_READ | LOOP_WRITE, c->arg);
    }
    free(l);
}

static void resolve(struct uppool *p, struct upaddr *a)
{
    if (!p->resolver)
        p->resolver = offload_new(p->lp, 1);
    struct lookup *l = xcalloc(1, sizeof *l);
    l->pool = p;
    l->addr = a;
    memcpy(l->host, a->host, sizeof l->host);
    memcpy(l->port, a->port, sizeof l->port);
    a->resolving = true;
    offload_run(p->resolver, lookup_work, lookup_done, l);
}

/* --- the pool ------------------------------------------------------------- */

static void on_idle_event(struct upconn *c, unsigned events, void *arg)
{
    (void)events;
    (void)arg;
    /* An idle connection has nothing to say: this is its close (or junk). */
    uppool_close(c);
}

static void sweep(struct loop *lp, void *arg)
{
    struct uppool *p = arg;
    p->sweep = NULL;
    int64_t now = loop_now_ms();
    for (unsigned b = 0; b < BUCKETS; b++) {
        struct upaddr *a = p->bucket[b];
        while (a) {
            struct upaddr *next = a->next_in_bucket;
            struct upconn *c = LIST_ENTRY(a->idle.first, struct upconn, node);
            while (c) {
                struct upconn *cn = LIST_ENTRY(c->node.next, struct upconn, node);
                if (now - c->idle_since > IDLE_MAX_MS)
                    uppool_close(c); /* may free a */
                c = cn;
            }
            a = next;
        }
    }
    if (p->nidle)
        p->sweep = loop_timer_add(lp, SWEEP_MS, sweep, p);
}

struct uppool *uppool_new(struct loop *lp)
{
    struct uppool *p = xcalloc(1, sizeof *p);
    p->lp = lp;
    return p;
}

int uppool_via_unix(struct uppool *p, const char *host, const char *port, const char *path)
{
    struct via_unix *v = xcalloc(1, sizeof *v);
    if (strlen(host) >= sizeof v->host || strlen(port) >= sizeof v->port ||
        unixaddr_make(path, &v->sa, &v->salen) < 0) {
        free(v);
        return -1;
    }
    snprintf(v->host, sizeof v->host, "%s", host);
    snprintf(v->port, sizeof v->port, "%s", port);
    snprintf(v->path, sizeof v->path, "%s", path);
    v->next = p->vias;
    p->vias = v;
    return 0;
}

struct upconn *uppool_get(struct uppool *p, const char *host, const char *port, bool fresh,
                          upconn_fn *fn, void *arg)
{
    return uppool_get_at(p, host, port, NULL, fresh, fn, arg);
}

struct upconn *uppool_get_at(struct uppool *p, const char *host, const char *port,
                             const char *unix_path, bool fresh, upconn_fn *fn, void *arg)
{
    struct upaddr *a = find_addr(p, host, port, unix_path ? unix_path : "");
    if (!fresh && !list_empty(&a->idle)) {
        struct upconn *c = LIST_ENTRY(list_pop_front(&a->idle), struct upconn, node);
        p->nidle--;
        c->reused = true;
        c->fn = fn;
        c->arg = arg;
        return c;
    }
    struct upconn *c = xcalloc(1, sizeof *c);
    c->fd = -1;
    c->pool = p;
    c->addr = a;
    c->fn = fn;
    c->arg = arg;
    buf_init(&c->in, IN_MAX);
    buf_init(&c->out, OUT_MAX);
    a->nconns++;
    if (!a->numeric && a->resolved && loop_now_ms() - a->resolved_ms > NAME_TTL_MS)
        a->resolved = false;
    if (a->resolved) {
        start_connect(c);
    } else {
        list_push_back(&a->waiting, &c->node);
        c->in_waiting = true;
        if (!a->resolving)
            resolve(p, a);
    }
    return c;
}

void uppool_put(struct upconn *c)
{
    struct uppool *p = c->pool;
    if (p->nidle >= IDLE_KEEP || c->in.len || c->out.len) {
        uppool_close(c);
        return;
    }
    c->fn = on_idle_event;
    c->arg = NULL;
    c->idle_since = loop_now_ms();
    upconn_want(c, LOOP_READ);
    list_push_front(&c->addr->idle, &c->node);
    p->nidle++;
    if (!p->sweep)
        p->sweep = loop_timer_add(p->lp, SWEEP_MS, sweep, p);
}

void uppool_close(struct upconn *c)
{
    if (!c)
        return;
    struct uppool *p = c->pool;
    struct upaddr *a = c->addr;
    if (c->fn == on_idle_event) {
        list_remove(&a->idle, &c->node);
        p->nidle--;
    } else if (c->in_waiting) {
        list_remove(&a->waiting, &c->node);
    }
    if (c->fd >= 0) {
        loop_unwatch(p->lp, c->fd);
        close(c->fd);
        p->nopen--;
    }
    buf_cleanup(&c->in);
    buf_cleanup(&c->out);
    a->nconns--;
    maybe_drop_addr(p, a);
    free(c);
}

void uppool_free(struct uppool *p)
{
    if (!p)
        return;
    if (p->resolver)
        offload_free(p->resolver); /* runs the last lookups' done halves */
    p->freeing = true;
    for (unsigned b = 0; b < BUCKETS; b++)
        while (p->bucket[b]) {
            struct upaddr *a = p->bucket[b];
            struct upconn *c;
            while ((c = LIST_ENTRY(list_pop_front(&a->idle), struct upconn, node))) {
                c->fn = NULL; /* unlinked: no longer the idle list's */
                p->nidle--;
                uppool_close(c);
            }
            p->bucket[b] = a->next_in_bucket;
            free(a);
        }
    loop_timer_cancel(p->lp, p->sweep);
    while (p->vias) {
        struct via_unix *v = p->vias;
        p->vias = v->next;
        free(v);
    }
    free(p);
}

unsigned uppool_open(const struct uppool *p)
{
    return p->nopen;
}
