/* kubernetes_secrets.c -- /system/secrets as Kubernetes Secrets: one key
 * named after the secret (a file of that name where functions mount
 * them), labelled as ours. Values go in and never come out: a listing
 * gives names only. Only Secrets carrying our label are changed or
 * removed, so another tenant's Secret of the same name is never
 * touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../driver.h"
#include "../gw.h"
#include "k8s_api.h"
#include "kubernetes_int.h"
#include "kubernetes_spec.h"
#include "log.h"
#include "xalloc.h"

#define D kd_state

struct secret_job {
    char method[8];
    char name[64], ns[64];
    unsigned char *value;
    size_t len;
    void (*done)(void *, int, json_t *, const char *);
    void *arg;
    struct k8s_call *call;
    unsigned attempts;
    struct secret_job *next;
};

static struct secret_job *jobs;

static void finish(struct secret_job *j, int status, json_t *body, const char *msg)
{
    for (struct secret_job **p = &jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            break;
        }
    void (*done)(void *, int, json_t *, const char *) = j->done;
    void *arg = j->arg;
    free(j->value);
    free(j);
    done(arg, status, body, msg);
}

static void failed(struct secret_job *j, const struct k8s_result *r)
{
    char msg[600], full[800];
    if (r->status == 404) {
        snprintf(full, sizeof full, "secret %s not found in namespace %s", j->name, j->ns);
        finish(j, 404, NULL, full);
        return;
    }
    if (r->status == 409 && strcmp(r->reason, "AlreadyExists") == 0) {
        snprintf(full, sizeof full, "secret %s already exists in namespace %s", j->name, j->ns);
        finish(j, 409, NULL, full);
        return;
    }
    if (j->name[0])
        snprintf(full, sizeof full, "secret %s in namespace %s: %s", j->name, j->ns,
                 k8s_error_text(D.api, r, msg, sizeof msg));
    else
        snprintf(full, sizeof full, "cannot list the secrets of namespace %s: %s", j->ns,
                 k8s_error_text(D.api, r, msg, sizeof msg));
    finish(j, r->status == 0 ? 503 : r->status == 422 ? 400 : 502, NULL, full);
}

static void secret_path(const struct secret_job *j, char *out, size_t len, bool item)
{
    snprintf(out, len, "/api/v1/namespaces/%s/secrets%s%s", j->ns, item ? "/" : "",
             item ? j->name : "");
}

static void on_listed(void *arg, const struct k8s_result *r)
{
    struct secret_job *j = arg;
    j->call = NULL;
    if (r->status != 200) {
        failed(j, r);
        return;
    }
    json_t *out = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r->body, "items"), i, s) {
        json_t *name = json_object_get(json_object_get(s, "metadata"), "name");
        if (json_is_string(name))
            json_array_append_new(out, json_pack("{s:O,s:s}", "name", name, "namespace", j->ns));
    }
    finish(j, 200, out, NULL);
}

static void on_written(void *arg, const struct k8s_result *r);

static void on_current(void *arg, const struct k8s_result *r)
{
    struct secret_job *j = arg;
    j->call = NULL;
    const json_t *md = json_object_get(r->body, "metadata");
    const char *manager = json_string_value(
        json_object_get(json_object_get(md, "labels"), K8S_LABEL_MANAGED));
    if (r->status != 200) {
        failed(j, r);
        return;
    }
    if (!manager || strcmp(manager, K8S_MANAGER) != 0) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "secret %s in namespace %s was not made by faasbus: it is "
                 "left as it is",
                 j->name, j->ns);
        finish(j, 409, NULL, msg);
        return;
    }
    char path[256];
    secret_path(j, path, sizeof path, true);
    json_t *body = NULL;
    if (strcmp(j->method, "PUT") == 0)
        body = k8s_spec_secret(j->name, j->ns, j->value, j->len,
                               json_string_value(json_object_get(md, "resourceVersion")));
    j->call = k8s_request(D.api, j->method, path, NULL, body, KD_CALL_TIMEOUT_MS, on_written, j);
    json_decref(body);
    if (!j->call)
        finish(j, 503, NULL, "cannot reach the Kubernetes API");
}

static void read_current(struct secret_job *j)
{
    char path[256];
    secret_path(j, path, sizeof path, true);
    j->call = k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_current, j);
    if (!j->call)
        finish(j, 503, NULL, "cannot reach the Kubernetes API");
}

static void on_written(void *arg, const struct k8s_result *r)
{
    struct secret_job *j = arg;
    j->call = NULL;
    /* Someone changed it between our read and write: read it again. */
    if (r->status == 409 && strcmp(r->reason, "Conflict") == 0 && ++j->attempts < 5) {
        read_current(j);
        return;
    }
    if (r->status >= 300) {
        failed(j, r);
        return;
    }
    bool create = strcmp(j->method, "POST") == 0, del = strcmp(j->method, "DELETE") == 0;
    log_info("kubernetes", "%s secret=%s namespace=%s",
             create ? "created"
             : del  ? "removed"
                    : "updated",
             j->name, j->ns);
    finish(j, create ? 201 : del ? 204 : 200, NULL, NULL);
}

void kd_secrets(struct gw *gw, const struct gw_secret_op *op,
                void (*done)(void *, int, json_t *, const char *), void *arg)
{
    (void)gw;
    struct secret_job *j = xcalloc(1, sizeof *j);
    snprintf(j->method, sizeof j->method, "%s", op->method);
    snprintf(j->name, sizeof j->name, "%s", op->name ? op->name : "");
    snprintf(j->ns, sizeof j->ns, "%s", op->ns);
    if (op->value) {
        j->value = xmalloc(op->len + 1);
        memcpy(j->value, op->value, op->len);
        j->value[op->len] = '\0';
        j->len = op->len;
    }
    j->done = done;
    j->arg = arg;
    j->next = jobs;
    jobs = j;
    char path[320];
    if (strcmp(j->method, "GET") == 0) {
        secret_path(j, path, sizeof path, false);
        size_t used = strlen(path);
        snprintf(path + used, sizeof path - used, "%s",
                 "?labelSelector=app.kubernetes.io%2Fmanaged-by%3D" K8S_MANAGER);
        j->call = k8s_request(D.api, "GET", path, NULL, NULL, KD_CALL_TIMEOUT_MS, on_listed, j);
    } else if (strcmp(j->method, "POST") == 0) {
        secret_path(j, path, sizeof path, false);
        json_t *body = k8s_spec_secret(j->name, j->ns, j->value, j->len, NULL);
        j->call = k8s_request(D.api, "POST", path, NULL, body, KD_CALL_TIMEOUT_MS, on_written, j);
        json_decref(body);
    } else {
        read_current(j); /* PUT and DELETE: only our own Secret */
        return;
    }
    if (!j->call)
        finish(j, 503, NULL, "cannot reach the Kubernetes API");
}

void kd_secrets_cancel_all(void)
{
    while (jobs) {
        struct secret_job *j = jobs;
        k8s_cancel(j->call);
        finish(j, 503, NULL, "the gateway is stopping");
    }
}
