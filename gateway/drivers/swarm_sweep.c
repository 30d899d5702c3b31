/* swarm_sweep.c -- Swarm secrets that no service mounts are removed.
 *
 * DESIGN: a Swarm secret's name carries a hash of its value
 * (swarm_secrets.c), so a rotated secret, or one a function stopped
 * listing, leaves its old Swarm secret behind. After a service is
 * written or removed, the sweep lists this instance's services and
 * secrets afresh and removes the secrets none of the services mounts.
 * It runs at the end of a listing, and waits while a function's secrets or service are being written (a
 * secret just made is mounted by no service yet); and the engine itself
 * refuses to remove a secret a service uses, so a sweep that races a
 * write loses nothing: at worst that write fails and the next listing
 * makes the secret again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/docker_api.h"
#include "../functions.h"
#include "../gw.h"
#include "log.h"
#include "swarm_int.h"
#include "swarm_spec.h"

#define D sw_state
#define CALL_TIMEOUT_MS 10000

static struct {
    struct dkr_call *call;
    json_t *mounted; /* {name: true} of what the listed services mount */
    json_t *doomed;  /* [{ID, Name}] left to remove */
    bool again;      /* asked for while one ran */
} S;

static void finish(void);

static bool writing(void)
{
    for (struct gw_fn *fn = D.gw->fns; fn; fn = fn->next) {
        const struct sw_fn *f = fn->drv;
        if (f && (f->call || f->secret_job))
            return true;
    }
    return false;
}

/* Ours only: those labelled with our instance. */
static struct dkr_call *list_ours(const char *path, dkr_done_fn *fn)
{
    return dkr_list(D.e, path, dkr_label_filter(SW_LABEL_INSTANCE, D.instance), fn, NULL);
}

static void remove_next(void);

static void on_removed(void *arg, const struct dkr_result *r)
{
    const char *name = arg;
    S.call = NULL;
    if (r->status < 300 || r->status == 404) {
        log_info("swarm", "removed secret %s: no service mounts it", name);
    } else {
        char msg[256];
        log_debug("swarm", "secret %s stays: %s", name, dkr_error_text(r, msg, sizeof msg));
    }
    json_array_remove(S.doomed, 0);
    remove_next();
}

static void remove_next(void)
{
    json_t *s = json_array_get(S.doomed, 0);
    if (!s) {
        finish();
        return;
    }
    char path[192];
    snprintf(path, sizeof path, "/secrets/%s", json_string_value(json_object_get(s, "ID")));
    S.call = dkr_request(D.e, "DELETE", path, NULL, NULL, CALL_TIMEOUT_MS, 0, on_removed,
                         (void *)json_string_value(json_object_get(s, "Name")));
    if (!S.call)
        finish();
}

static void on_secrets(void *arg, const struct dkr_result *r)
{
    (void)arg;
    S.call = NULL;
    json_t *all = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    S.doomed = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(all, i, s) {
        const char *id = json_string_value(json_object_get(s, "ID"));
        const char *name = json_string_value(json_object_get(json_object_get(s, "Spec"), "Name"));
        if (id && name && !json_object_get(S.mounted, name))
            json_array_append_new(S.doomed, json_pack("{s:s,s:s}", "ID", id, "Name", name));
    }
    json_decref(all);
    remove_next();
}

static void take_mounts(const json_t *services)
{
    size_t i, k;
    json_t *svc, *ref;
    json_array_foreach(services, i, svc) {
        const json_t *refs = json_object_get(
            json_object_get(json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"),
                            "ContainerSpec"),
            "Secrets");
        json_array_foreach(refs, k, ref) {
            const char *name = json_string_value(json_object_get(ref, "SecretName"));
            if (name)
                json_object_set_new(S.mounted, name, json_true());
        }
    }
}

static void on_services(void *arg, const struct dkr_result *r)
{
    (void)arg;
    S.call = NULL;
    json_t *all = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    if (!json_is_array(all) || writing()) { /* a write began: a later sweep */
        S.again = S.again || json_is_array(all);
        json_decref(all);
        finish();
        return;
    }
    S.mounted = json_object();
    take_mounts(all);
    json_decref(all);
    S.call = list_ours("/secrets", on_secrets);
    if (!S.call)
        finish();
}

static void finish(void)
{
    json_decref(S.mounted);
    json_decref(S.doomed);
    S.mounted = S.doomed = NULL;
    S.call = NULL;
}

void sw_sweep_wanted(void)
{
    S.again = true;
}

void sw_sweep_run(void)
{
    if (!D.e || !S.again || S.call || writing())
        return;
    S.again = false;
    S.call = list_ours("/services", on_services);
    if (!S.call)
        S.again = true;
}

void sw_sweep_cancel(void)
{
    dkr_cancel(S.call);
    finish();
    S.again = false;
}
