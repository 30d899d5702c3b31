/* dispatch.c -- records into branches, and who may go when: ordering
 * lanes (per key or per partition of a route) and route slots
 * (max-inflight). Outcomes are outcome.c's. */
#include "dispatch.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "branch.h"
#include "bus.h"
#include "cn.h"
#include "decimal.h"
#include "keymap.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "producer.h"
#include "xalloc.h"

struct lane {
    struct branch *holder;
    struct list q; /* branches waiting for it, in order */
    size_t keylen;
    unsigned char key[];
};

struct slot {
    int inflight;
    struct list q; /* branches waiting for room, in order */
    size_t keylen;
    unsigned char key[];
};

static void enqueue(struct list *q, struct branch *b)
{
    list_push_back(q, &b->qnode);
}

static void unqueue(struct list *q, struct branch *b)
{
    list_remove(q, &b->qnode);
}

static struct branch *dequeue(struct list *q)
{
    return LIST_ENTRY(list_pop_front(q), struct branch, qnode);
}

static struct branch *first_queued(const struct list *q)
{
    return LIST_ENTRY(q->first, struct branch, qnode);
}

/* --- keys ---------------------------------------------------------------- */

/* Bytes joined with 0x1f; the key part may hold any byte, so it goes last
 * (its length is what is left). */
static unsigned char *join(size_t *len, const char *a, const char *b, const char *c,
                           const unsigned char *tail, size_t tail_len)
{
    size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
    unsigned char *out = xmalloc(la + lb + lc + tail_len + 4);
    unsigned char *p = out;

    /* Each string is copied with its NUL, which the separator replaces. */
    memcpy(p, a, la + 1);
    p += la;
    *p++ = 0x1f;
    memcpy(p, b, lb + 1);
    p += lb;
    if (c) {
        *p++ = 0x1f;
        memcpy(p, c, lc + 1);
        p += lc;
        *p++ = 0x1f;
    }
    if (tail_len)
        memcpy(p, tail, tail_len);
    p += tail_len;
    *len = (size_t)(p - out);
    return out;
}

/* The lane of a branch, or NULL when its route keeps no order for it. */
static unsigned char *lane_key(const struct branch *b, size_t *len)
{
    const struct cn_record *rec = b->w->rec;
    char part[1 + DECIMAL_I64_SIZE];

    if (b->route->ordering == CN_ORDER_NONE)
        return NULL;
    part[0] = b->route->ordering == CN_ORDER_KEY ? 'K' : 'P';
    decimal_i64(part + 1, rec->partition);
    if (b->route->ordering == CN_ORDER_PARTITION)
        return join(len, rec->topic, b->target, part, NULL, 0);
    /* Records without a key have no order among themselves. */
    if (!rec->key)
        return NULL;
    return join(len, rec->topic, b->target, part, rec->key, rec->key_len);
}

/* --- lanes --------------------------------------------------------------- */

static void take_lane(struct branch *b)
{
    struct cn_dispatch *d = b->w->d;
    size_t len;
    unsigned char *key = lane_key(b, &len);
    struct lane *lane;

    if (!key) {
        cn_branch_step(b, CN_EV_LANE_HELD);
        cn_branch_ready(b);
        return;
    }
    lane = keymap_get(d->lanes, key, len);
    if (!lane) {
        lane = xcalloc(1, sizeof *lane + len);
        lane->keylen = len;
        memcpy(lane->key, key, len);
        keymap_put(d->lanes, key, len, lane);
    }
    free(key);
    b->lane = lane;
    if (!lane->holder) {
        lane->holder = b;
        cn_branch_step(b, CN_EV_LANE_HELD);
        cn_branch_ready(b);
        return;
    }
    cn_branch_step(b, CN_EV_LANE_BUSY);
    enqueue(&lane->q, b);
}

static void drop_lane(struct cn_dispatch *d, struct lane *lane)
{
    if (lane->holder || !list_empty(&lane->q))
        return;
    keymap_del(d->lanes, lane->key, lane->keylen);
    free(lane);
}

/* The branch lets go of its lane (held or queued for); the next in line
 * takes it. */
static void leave_lane(struct branch *b)
{
    struct cn_dispatch *d = b->w->d;
    struct lane *lane = b->lane;

    if (!lane)
        return;
    b->lane = NULL;
    if (lane->holder != b) {
        unqueue(&lane->q, b);
        drop_lane(d, lane);
        return;
    }
    lane->holder = dequeue(&lane->q);
    if (lane->holder) {
        cn_branch_step(lane->holder, CN_EV_LANE_HELD);
        cn_branch_ready(lane->holder);
    } else {
        drop_lane(d, lane);
    }
}

/* --- slots --------------------------------------------------------------- */

/* The route's own topic: a NATS route with wildcards has one limit for
 * all the subjects it matches. */
static unsigned char *slot_key(size_t *len, const struct cn_route *r, const char *target)
{
    return join(len, r->topic, target, NULL, NULL, 0);
}

static struct slot *slot_of(struct branch *b)
{
    struct cn_dispatch *d = b->w->d;
    size_t len;
    unsigned char *key = slot_key(&len, b->route, b->target);
    struct slot *s = keymap_get(d->slots, key, len);

    if (!s) {
        s = xcalloc(1, sizeof *s + len);
        s->keylen = len;
        memcpy(s->key, key, len);
        keymap_put(d->slots, key, len, s);
    }
    free(key);
    return s;
}

static bool has_room(const struct slot *s, const struct cn_route *r)
{
    return r->max_inflight == 0 || s->inflight < r->max_inflight;
}

static void drop_slot(struct cn_dispatch *d, struct slot *s)
{
    if (s->inflight || !list_empty(&s->q))
        return;
    keymap_del(d->slots, s->key, s->keylen);
    free(s);
}

static bool may_start(const struct branch *b)
{
    const struct cn_record *rec = b->w->rec;

    return rec->origin->may_start(rec);
}

void cn_branch_ready(struct branch *b)
{
    struct slot *s;

    if (!may_start(b)) {
        cn_branch_step(b, CN_EV_MAY_NOT_START);
        return;
    }
    s = slot_of(b);
    b->slot = s;
    if (!has_room(s, b->route)) {
        cn_branch_step(b, CN_EV_ROUTE_FULL);
        enqueue(&s->q, b);
        return;
    }
    s->inflight++;
    b->w->d->ops->call(b);
}

/* Starts queued branches while the route has room. */
static void pump(struct cn_dispatch *d, struct slot *s)
{
    while (!list_empty(&s->q) && has_room(s, first_queued(&s->q)->route)) {
        struct branch *b = dequeue(&s->q);
        if (!may_start(b)) {
            b->slot = NULL;
            cn_branch_step(b, CN_EV_MAY_NOT_START);
            continue;
        }
        s->inflight++;
        d->ops->call(b);
    }
    drop_slot(d, s);
}

void cn_branch_slot_done(struct branch *b)
{
    struct slot *s = b->slot;

    b->slot = NULL;
    s->inflight--;
    pump(b->w->d, s);
}

/* --- records ------------------------------------------------------------- */

static void work_free(struct cn_work *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->branches[i].target);
        free(w->branches[i].error);
    }
    free(w->branches);
    cn_table_unref(w->table);
    w->rec->work = NULL;
    free(w);
}

void cn_branch_final(struct branch *b)
{
    struct cn_work *w = b->w;
    struct cn_record *rec = w->rec;

    assert(b->state == CN_CALL_FINAL);
    w->d->ops->forget(b);
    leave_lane(b);
    if (--w->left > 0)
        return;
    work_free(w);
    rec->origin->finished(rec);
}

static struct cn_work *work_new(struct cn_dispatch *d, struct cn_record *rec,
                                const struct cn_route **routes, size_t n)
{
    struct cn_work *w = xcalloc(1, sizeof *w);

    w->d = d;
    w->rec = rec;
    w->table = cn_table_ref(d->cn->table);
    w->branches = xcalloc(n, sizeof *w->branches);
    w->n = w->left = n;
    for (size_t i = 0; i < n; i++) {
        struct branch *b = &w->branches[i];
        b->w = w;
        b->route = routes[i];
        b->target = cn_route_target(b->route);
        if (n == 1) /* a redelivered record's earlier calls were this route's */
            b->attempts = rec->prior_attempts;
    }
    rec->work = w;
    return w;
}

void cn_dispatch_submit(struct cn_dispatch *d, struct cn_record *rec)
{
    struct cn *cn = d->cn;
    const struct cn_route **routes;
    size_t n = cn_bus_routes(cn->table, rec, &routes);

    metric_add(cn->m.messages, (const char *[]){ rec->topic }, 1);
    if (n == 0) {
        metric_add(cn->m.unrouted, (const char *[]){ rec->topic }, 1);
        rec->origin->finished(rec);
        return;
    }
    struct cn_work *w = work_new(d, rec, routes, n);
    free(routes);
    bool loop_stop = rec->hops >= cn->cfg.max_hops;
    /* Branches may finish (and free w) inside the loop: count first. */
    size_t count = w->n;
    struct branch *branches = w->branches;
    for (size_t i = 0; i < count; i++) {
        if (loop_stop) {
            char why[96];
            snprintf(why, sizeof why,
                     "hop limit: the record is %d replies down a chain "
                     "(max_hops %lld)",
                     rec->hops, (long long)cn->cfg.max_hops);
            cn_branch_step(&branches[i], CN_EV_HOP_LIMIT);
            d->ops->fail(&branches[i], "hop_limit", why, 0);
        } else {
            take_lane(&branches[i]);
        }
    }
}

bool cn_dispatch_busy(const struct cn_record *rec)
{
    return rec->work && rec->work->busy > 0;
}

bool cn_branch_step(struct branch *b, enum cn_call_event ev)
{
    struct cn_work *w = b->w;
    struct cn_record *rec = w->rec;
    bool was = cn_call_busy(b->state);

    if (!cn_call_step(&b->state, ev))
        return false;
    if (was == cn_call_busy(b->state))
        return true;
    if (!was) {
        w->busy++;
        return true;
    }
    if (--w->busy == 0 && rec->origin->quiet)
        rec->origin->quiet(rec);
    return true;
}

/* Undoes whatever the branch is doing, without an outcome. */
static void abandon_branch(struct cn_dispatch *d, struct branch *b)
{
    if (b->timer)
        loop_timer_cancel(d->cn->lp, b->timer);
    b->timer = NULL;
    if (b->call) {
        cn_invoke_cancel(b->call);
        b->call = NULL;
        d->inflight--;
        metric_add(d->cn->m.inflight, NULL, -1);
    }
    cn_delivery_detach(b->delivery);
    b->delivery = NULL;
    d->ops->forget(b);
    if (b->state == CN_CALL_SLOT) {
        unqueue(&b->slot->q, b);
        drop_slot(d, b->slot);
        b->slot = NULL;
    }
    cn_branch_step(b, CN_EV_ABANDON);
    leave_lane(b);
    if (b->slot)
        cn_branch_slot_done(b);
}

void cn_dispatch_abandon(struct cn_dispatch *d, struct cn_record *rec)
{
    struct cn_work *w = rec->work;

    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        if (w->branches[i].state != CN_CALL_FINAL)
            abandon_branch(d, &w->branches[i]);
    }
    work_free(w);
}

unsigned cn_dispatch_inflight(const struct cn_dispatch *d)
{
    return d->inflight;
}

unsigned cn_dispatch_route_inflight(const struct cn_dispatch *d, const struct cn_route *r)
{
    char *target = cn_route_target(r);
    size_t len;
    unsigned char *key = slot_key(&len, r, target);
    const struct slot *s = keymap_get(d->slots, key, len);

    free(key);
    free(target);
    return s ? (unsigned)s->inflight : 0;
}

struct cn_dispatch *cn_dispatch_new(struct cn *cn, const struct cn_branch_ops *ops)
{
    struct cn_dispatch *d = xcalloc(1, sizeof *d);
    const struct cn_config *cfg = &cn->cfg;

    d->cn = cn;
    d->ops = ops;
    d->lanes = keymap_new();
    d->slots = keymap_new();
    d->rng = (uint64_t)loop_now_ms() * 6364136223846793005ULL + (uint64_t)getpid();
    d->invoke = (struct cn_invoke_opts){
        .lp = cn->lp,
        .gateway_url = cfg->gateway_url,
        .tls_ca = cfg->gateway_tls_ca,
        .auth = cfg->auth,
        .content_type = cfg->content_type,
        .timeout_ms = cfg->upstream_timeout_ms,
        .max_response = (size_t)cfg->max_response_size,
        .pool = cn_invoke_pool_new((size_t)cfg->max_inflight + 8),
        .conns = cn->conns,
    };
    return d;
}

void cn_dispatch_free(struct cn_dispatch *d)
{
    if (!d)
        return;
    if (keymap_count(d->lanes) || keymap_count(d->slots))
        log_warn("dispatch", "freed with %zu lanes and %zu slots still in use",
                 keymap_count(d->lanes), keymap_count(d->slots));
    keymap_free(d->lanes);
    keymap_free(d->slots);
    cn_invoke_pool_free(d->invoke.pool);
    free(d);
}
