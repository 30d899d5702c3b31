/* swarm_secrets.c -- a function's secrets as Swarm secrets.
 *
 * DESIGN: the gateway's /system/secrets store stays the source (its
 * files under state_dir). Before a service is written, each secret it
 * names becomes a Swarm secret whose name carries a hash of the value:
 * Swarm cannot change a secret in place, so a new value is a new Swarm
 * secret, the function's spec hash changes with it, and Swarm rolls the
 * service onto it (start-first: no moment without a ready task). The
 * task sees it at /var/openfaas/secrets/<name>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/docker_api.h"
#include "../functions.h"
#include "../gw.h"
#include "../store.h"
#include "base64.h"
#include "log.h"
#include "swarm_int.h"
#include "swarm_spec.h"
#include "xalloc.h"

#define D sw_state
#define MAX_SECRET (500 * 1024) /* Swarm's own limit */

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    unsigned char *buf = xmalloc(MAX_SECRET + 1);
    *len = fread(buf, 1, MAX_SECRET + 1, fp);
    bool bad = ferror(fp) || *len > MAX_SECRET;
    fclose(fp);
    if (bad) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void hash_bytes(const unsigned char *p, size_t len, char out[17])
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

json_t *sw_secrets_wanted(struct sw_fn *f)
{
    json_t *out = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(f->fn->dep, "secrets"), i, s) {
        const char *name = json_string_value(s);
        char *path = gw_secret_path(D.gw, name, f->fn->ns);
        size_t len = 0;
        unsigned char *data = read_all(path, &len);
        free(path);
        if (!data) {
            json_decref(out);
            return NULL;
        }
        char hash[17];
        hash_bytes(data, len, hash);
        char *b64 = base64_encode(data, len);
        free(data);
        char *swarm_name = xasprintf("%s-%s-%s-%.12s", D.instance, f->fn->ns, name, hash);
        json_array_append_new(
            out, json_pack("{s:s,s:s,s:s}", "target", name, "Name", swarm_name, "Data", b64));
        free(swarm_name);
        free(b64);
    }
    return out;
}

/* --- making them, then finding their ids --------------------------------- */

struct sw_secret_job {
    struct sw_fn *f;
    json_t *want;
    size_t next; /* the next one to create */
    struct dkr_call *call;
    sw_secrets_done_fn *done;
};

static void create_next(struct sw_secret_job *j);

static void finish(struct sw_secret_job *j, json_t *refs)
{
    j->f->secret_job = NULL;
    j->done(j->f, refs);
    json_decref(refs);
    json_decref(j->want);
    free(j);
}

static json_t *refs_of(const json_t *want, const json_t *listed)
{
    json_t *refs = json_array();
    size_t i, k;
    json_t *w, *s;
    json_array_foreach(want, i, w) {
        const char *name = json_string_value(json_object_get(w, "Name"));
        const char *id = NULL;
        json_array_foreach(listed, k, s) {
            const char *n = json_string_value(json_object_get(json_object_get(s, "Spec"), "Name"));
            if (n && strcmp(n, name) == 0)
                id = json_string_value(json_object_get(s, "ID"));
        }
        if (!id) {
            json_decref(refs);
            return NULL;
        }
        char *target = xasprintf(SW_SECRETS_DIR "/%s",
                                 json_string_value(json_object_get(w, "target")));
        json_array_append_new(refs, json_pack("{s:{s:s,s:s,s:s,s:i},s:s,s:s}", "File", "Name",
                                              target, "UID", "0", "GID", "0", "Mode", 0444,
                                              "SecretID", id, "SecretName", name));
        free(target);
    }
    return refs;
}

static void on_listed(void *arg, const struct dkr_result *r)
{
    struct sw_secret_job *j = arg;
    j->call = NULL;
    json_t *all = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    json_t *refs = json_is_array(all) ? refs_of(j->want, all) : NULL;
    json_decref(all);
    if (!refs) {
        char msg[256];
        log_error("swarm", "cannot find the secrets of function=%s.%s: %s", j->f->fn->name,
                  j->f->fn->ns, r->status == 200 ? "not made" : dkr_error_text(r, msg, sizeof msg));
    }
    finish(j, refs);
}

static void list_them(struct sw_secret_job *j)
{
    j->call = dkr_list(D.e, "/secrets", dkr_label_filter(SW_LABEL_INSTANCE, D.instance), on_listed,
                       j);
    if (!j->call)
        finish(j, NULL);
}

static void on_created(void *arg, const struct dkr_result *r)
{
    struct sw_secret_job *j = arg;
    j->call = NULL;
    if (r->status != 201 && r->status != 409) { /* 409: made before, same value */
        char msg[256];
        log_error("swarm", "cannot make a secret of function=%s.%s: %s", j->f->fn->name,
                  j->f->fn->ns, dkr_error_text(r, msg, sizeof msg));
        finish(j, NULL);
        return;
    }
    create_next(j);
}

static void create_next(struct sw_secret_job *j)
{
    json_t *w = json_array_get(j->want, j->next++);
    if (!w) {
        list_them(j);
        return;
    }
    json_t *body = json_pack("{s:O,s:O,s:{s:s}}", "Name", json_object_get(w, "Name"), "Data",
                             json_object_get(w, "Data"), "Labels", SW_LABEL_INSTANCE, D.instance);
    j->call = dkr_request(D.e, "POST", "/secrets/create", body, NULL, 30000, 0, on_created, j);
    json_decref(body);
    if (!j->call)
        finish(j, NULL);
}

void sw_secrets_ensure(struct sw_fn *f, json_t *want, sw_secrets_done_fn *done)
{
    struct sw_secret_job *j = xcalloc(1, sizeof *j);
    j->f = f;
    j->want = json_incref(want);
    j->done = done;
    f->secret_job = j;
    create_next(j);
}

void sw_secrets_cancel(struct sw_fn *f)
{
    struct sw_secret_job *j = f->secret_job;
    if (!j)
        return;
    dkr_cancel(j->call);
    json_decref(j->want);
    free(j);
    f->secret_job = NULL;
}
