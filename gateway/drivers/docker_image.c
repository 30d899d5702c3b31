/* docker_image.c -- the image of a deployment, before it is committed:
 * image_pull_policy as faas-netes has it (Always, IfNotPresent, Never).
 * A pull that fails fails the deploy with the engine's reason, so no
 * function is kept that could never start. A deploy's registryAuth
 * (base64 "user:password", as faas-cli sends it) is used for the pull
 * and removed from the deployment before it is stored or shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../driver.h"
#include "../engine/docker_api.h"
#include "../gw.h"
#include "../model.h"
#include "base64.h"
#include "docker_int.h"
#include "log.h"
#include "urlenc.h"
#include "xalloc.h"

#define INSPECT_TIMEOUT_MS 10000
#define PULL_TIMEOUT_MS (10 * 60 * 1000)
#define PULL_MAX_OUTPUT (64u << 20)

struct dk_prepare {
    char image[512];
    char *auth_header; /* "X-Registry-Auth: ..." or NULL */
    gw_prepare_done_fn *done;
    void *arg;
    struct dkr_call *call;
    bool pulled; /* inspected again after a pull */
    struct dk_prepare *next;
};

/* Image name -> the id the engine gave it at the last check. */
struct known_image {
    char name[512];
    char id[80];
    struct known_image *next;
};
static struct known_image *known;

static void remember_id(const char *image, const char *id)
{
    struct known_image *k = known;
    while (k && strcmp(k->name, image) != 0)
        k = k->next;
    if (!k) {
        k = xcalloc(1, sizeof *k);
        snprintf(k->name, sizeof k->name, "%s", image);
        k->next = known;
        known = k;
    }
    snprintf(k->id, sizeof k->id, "%s", id);
}

const char *dk_image_id(const char *image)
{
    for (const struct known_image *k = known; k && image; k = k->next)
        if (strcmp(k->name, image) == 0)
            return k->id;
    return "";
}

static void finish(struct dk_prepare *p, int status, const char *msg)
{
    for (struct dk_prepare **q = &dk_state.prepares; *q; q = &(*q)->next)
        if (*q == p) {
            *q = p->next;
            break;
        }
    if (status)
        log_error("docker", "deploy refused: %s", msg);
    gw_prepare_done_fn *done = p->done;
    void *arg = p->arg;
    free(p->auth_header);
    free(p);
    done(arg, status, msg);
}

/* The engine answers a pull with 200 and a stream of JSON progress lines;
 * a failure is a line with "error" in it. */
static bool pull_error(const char *body, char *msg, size_t len)
{
    for (const char *line = body; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        json_t *v = json_loadb(line, n, 0, NULL);
        const char *e = json_string_value(json_object_get(v, "error"));
        if (e) {
            snprintf(msg, len, "%s", e);
            json_decref(v);
            return true;
        }
        json_decref(v);
        line = end ? end + 1 : NULL;
    }
    return false;
}

static void inspect(struct dk_prepare *p);

static void on_pulled(void *arg, const struct dkr_result *r)
{
    struct dk_prepare *p = arg;
    p->call = NULL;
    char why[512], msg[1200];
    if (r->status == 200 && !pull_error(r->body, why, sizeof why)) {
        log_info("docker", "pulled image %s", p->image);
        p->pulled = true;
        inspect(p); /* for its id */
        return;
    }
    if (r->status != 200)
        dkr_error_text(r, why, sizeof why);
    snprintf(msg, sizeof msg, "image %s: pull failed (image_pull_policy=%s): %s", p->image,
             dk_state.gw->cfg.image_pull_policy, why);
    finish(p, r->status == 0 ? 503 : 400, msg);
}

static void pull(struct dk_prepare *p)
{
    char from[512], tag[128], efrom[1536], etag[384], path[2048];
    dk_spec_image_ref(p->image, from, sizeof from, tag, sizeof tag);
    snprintf(path, sizeof path, "/images/create?fromImage=%s%s%s",
             url_escape(from, "", efrom, sizeof efrom), *tag ? "&tag=" : "",
             url_escape(tag, "", etag, sizeof etag));
    p->call = dkr_request(dk_state.e, "POST", path, NULL, p->auth_header, PULL_TIMEOUT_MS,
                          PULL_MAX_OUTPUT, on_pulled, p);
    if (!p->call)
        finish(p, 503, "docker driver: cannot send the pull to the engine");
}

static void on_inspected(void *arg, const struct dkr_result *r)
{
    struct dk_prepare *p = arg;
    p->call = NULL;
    char why[512], msg[1200];
    if (r->status == 200) {
        json_t *v = json_loads(r->body ? r->body : "", 0, NULL);
        const char *id = json_string_value(json_object_get(v, "Id"));
        remember_id(p->image, id ? id : "");
        json_decref(v);
        finish(p, 0, NULL);
        return;
    }
    if (r->status == 404 && p->pulled) {
        finish(p, 400, "the engine pulled the image but does not list it");
        return;
    }
    if (r->status == 404 && strcmp(dk_state.gw->cfg.image_pull_policy, "Never") != 0) {
        pull(p);
        return;
    }
    if (r->status == 404)
        snprintf(msg, sizeof msg,
                 "image %s: not present on the engine, and "
                 "image_pull_policy=Never forbids pulling it",
                 p->image);
    else
        snprintf(msg, sizeof msg, "image %s: cannot inspect it: %s", p->image,
                 dkr_error_text(r, why, sizeof why));
    finish(p, r->status == 404 ? 400 : 503, msg);
}

/* registryAuth "user:password" (base64) -> the engine's header: base64url
 * of {"username","password"}. NULL if there is none or it is malformed. */
static char *auth_header(const char *registry_auth)
{
    size_t len, bad;
    unsigned char *plain = base64_decode(registry_auth, strlen(registry_auth), &len, &bad);
    char *colon = plain ? memchr(plain, ':', len) : NULL;
    if (!colon) {
        free(plain);
        return NULL;
    }
    *colon = '\0';
    json_t *cred = json_pack("{s:s,s:s}", "username", (char *)plain, "password", colon + 1);
    char *text = json_dumps(cred, JSON_COMPACT);
    json_decref(cred);
    free(plain);
    if (!text)
        return NULL;
    char *enc = base64_encode((unsigned char *)text, strlen(text));
    free(text);
    for (char *c = enc; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    char *hdr = xasprintf("X-Registry-Auth: %s", enc);
    free(enc);
    return hdr;
}

void dk_image_prepare(struct gw *gw, struct json_t *dep, gw_prepare_done_fn *done, void *arg)
{
    (void)gw;
    struct dk_prepare *p = xcalloc(1, sizeof *p);
    snprintf(p->image, sizeof p->image, "%s", gw_dep_str(dep, "image"));
    p->done = done;
    p->arg = arg;
    const char *auth = gw_dep_str(dep, "registryAuth");
    if (auth && *auth)
        p->auth_header = auth_header(auth);
    json_object_del(dep, "registryAuth");
    p->next = dk_state.prepares;
    dk_state.prepares = p;
    if (!dk_state.e) {
        finish(p, 503, "docker driver: no engine (see docker_host in the gateway's log)");
        return;
    }
    if (json_array_size(json_object_get(dep, "constraints")))
        log_warn("docker",
                 "function %s: constraints do not apply on a single Docker engine "
                 "and are ignored",
                 gw_dep_str(dep, "service"));
    if (strcmp(gw->cfg.image_pull_policy, "Always") == 0) {
        pull(p);
        return;
    }
    inspect(p);
}

static void inspect(struct dk_prepare *p)
{
    char esc[1536], path[1600];
    snprintf(path, sizeof path, "/images/%s/json", url_escape(p->image, "/:@", esc, sizeof esc));
    p->call = dkr_request(dk_state.e, "GET", path, NULL, NULL, INSPECT_TIMEOUT_MS, 0, on_inspected,
                          p);
    if (!p->call)
        finish(p, 503, "docker driver: cannot send the image check to the engine");
}

void dk_image_cancel_all(void)
{
    while (dk_state.prepares) {
        struct dk_prepare *p = dk_state.prepares;
        dkr_cancel(p->call);
        p->call = NULL;
        finish(p, 503, "the gateway is stopping");
    }
    while (known) {
        struct known_image *k = known;
        known = k->next;
        free(k);
    }
}
