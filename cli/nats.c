/* nats.c -- publish and subscribe on NATS with cnats; --from-beginning
 * reads the subject's JetStream stream with an ordered consumer. */
#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "xalloc.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int connect_to(const struct bus_target *t, natsConnection **nc)
{
    natsStatus s = natsConnection_ConnectTo(nc, t->nats_url);
    return s == NATS_OK
               ? 0
               : fb_error("cannot reach NATS at %s: %s", t->nats_url, natsStatus_GetText(s));
}

int nats_publish(const struct ctx *c, const struct bus_target *t, const struct buf *value)
{
    natsConnection *nc = NULL;
    natsMsg *m = NULL;
    if (connect_to(t, &nc) != 0)
        return 1;
    natsStatus s = natsMsg_Create(&m, t->name, NULL, buf_peek(value), (int)value->len);
    const char *key = args_get(&c->a, "key");
    if (s == NATS_OK && key)
        s = natsMsgHeader_Set(m, "X-Key", key); /* the connector's nats_key_header */
    const struct strlist *l = args_list(&c->a, "header");
    int rc = 0;
    for (size_t i = 0; s == NATS_OK && rc == 0 && i < l->n; i++) {
        char *k;
        const char *v;
        if (fb_split_kv(l->items[i], "header", false, &k, &v) != 0) {
            rc = 1;
            break;
        }
        s = natsMsgHeader_Add(m, k, v);
        free(k);
    }
    if (rc == 0 && s == NATS_OK)
        s = natsConnection_PublishMsg(nc, m);
    if (rc == 0 && s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, 10 * 1000);
    if (rc == 0 && s != NATS_OK)
        rc = fb_error("publish %s: %s", t->name, natsStatus_GetText(s));
    else if (rc == 0 && !c->json)
        fprintf(stderr, "Published to nats:%s.\n", t->name);
    else if (rc == 0)
        fb_json_result(c, t->name, "published");
    natsMsg_Destroy(m);
    natsConnection_Destroy(nc);
    return rc;
}

static void print_msg(const struct ctx *c, natsMsg *m)
{
    const char **keys = NULL;
    int nkeys = 0;
    const char *names[64], *values[64];
    size_t lens[64];
    int n = 0;
    const char *key = NULL;
    if (natsMsgHeader_Keys(m, &keys, &nkeys) == NATS_OK) {
        for (int i = 0; i < nkeys && n < 64; i++) {
            const char *v = NULL;
            natsMsgHeader_Get(m, keys[i], &v);
            if (strcmp(keys[i], "X-Key") == 0)
                key = v;
            names[n] = keys[i];
            values[n] = v;
            lens[n++] = v ? strlen(v) : 0;
        }
    }
    char *where = xasprintf("nats:%s", natsMsg_GetSubject(m));
    bus_print_record(c, where, key, key ? strlen(key) : 0, names, values, lens, n,
                     natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
    free(where);
    free((void *)keys);
}

static int subscribe_to(const struct ctx *c, const struct bus_target *t, natsConnection *nc,
                        jsCtx **js, natsSubscription **sub)
{
    natsStatus s;
    if (!args_has(&c->a, "from-beginning")) {
        s = natsConnection_SubscribeSync(sub, nc, t->name);
        if (s == NATS_OK)
            s = natsConnection_FlushTimeout(nc, 10 * 1000);
    } else {
        jsSubOptions so;
        jsErrCode jerr = 0;
        jsSubOptions_Init(&so);
        so.Ordered = true;
        so.Config.DeliverPolicy = js_DeliverAll;
        s = natsConnection_JetStream(js, nc, NULL);
        if (s == NATS_OK)
            s = js_SubscribeSync(sub, *js, t->name, NULL, &so, &jerr);
        if (s != NATS_OK)
            return fb_error("subscribe nats:%s --from-beginning needs a JetStream stream "
                            "holding the subject: %s",
                            t->name, natsStatus_GetText(s));
    }
    return s == NATS_OK ? 0 : fb_error("subscribe nats:%s: %s", t->name, natsStatus_GetText(s));
}

int nats_subscribe(const struct ctx *c, const struct bus_target *t)
{
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    jsCtx *js = NULL;
    if (connect_to(t, &nc) != 0)
        return 1;
    int rc = subscribe_to(c, t, nc, &js, &sub);
    /* On stderr, so a script (or a test) knows when publishing is safe. */
    if (rc == 0)
        fprintf(stderr, "Listening on nats:%s\n", t->name);
    long want = bus_count(c), got = 0;
    double timeout = bus_timeout(c), idle = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (rc == 0 && !stop && (want == 0 || got < want) && (timeout == 0 || idle < timeout)) {
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, sub, 200);
        if (s == NATS_TIMEOUT) {
            idle += 0.2;
            continue;
        }
        if (s != NATS_OK) {
            rc = fb_error("subscribe nats:%s: %s", t->name, natsStatus_GetText(s));
            break;
        }
        print_msg(c, m);
        natsMsg_Destroy(m);
        got++;
        idle = 0;
    }
    if (rc == 0 && want && got < want && !stop)
        rc = fb_error("subscribe nats:%s: %ld of %ld records before the timeout", t->name, got,
                      want);
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return rc;
}
