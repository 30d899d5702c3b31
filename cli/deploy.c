/* deploy.c -- deploy and up: a stack function becomes the gateway's
 * FunctionDeployment, created (POST) or updated (PUT) as faas-cli does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fb.h"
#include "xalloc.h"

static json_t *kv_object(const struct kvlist *l)
{
    json_t *o = json_object();
    for (size_t i = 0; i < l->n; i++)
        json_object_set_new(o, l->items[i].key, json_string(l->items[i].value));
    return o;
}

static json_t *str_array(const struct strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

static json_t *resources(const struct resources *r)
{
    if (!r->memory && !r->cpu)
        return NULL;
    json_t *o = json_object();
    if (r->memory)
        json_object_set_new(o, "memory", json_string(r->memory));
    if (r->cpu)
        json_object_set_new(o, "cpu", json_string(r->cpu));
    return o;
}

/* --env/--label/--annotation K=V over the stack file's values. */
static int apply_kv_flags(const struct ctx *c, const char *flag, struct kvlist *into)
{
    const struct strlist *l = args_list(&c->a, flag);
    for (size_t i = 0; i < l->n; i++) {
        char *k;
        const char *v;
        if (fb_split_kv(l->items[i], flag, false, &k, &v) != 0)
            return -1;
        kvlist_set(into, k, v);
        free(k);
    }
    return 0;
}

static void add_list_flags(const struct ctx *c, const char *flag, struct strlist *into)
{
    const struct strlist *l = args_list(&c->a, flag);
    for (size_t i = 0; i < l->n; i++)
        strlist_add(into, l->items[i]);
}

/* The flags of the command line folded into a copy-free view of fn. */
static int apply_flags(const struct ctx *c, struct stack_fn *fn)
{
    if (apply_kv_flags(c, "env", &fn->environment) != 0 ||
        apply_kv_flags(c, "label", &fn->labels) != 0 ||
        apply_kv_flags(c, "annotation", &fn->annotations) != 0)
        return -1;
    add_list_flags(c, "secret", &fn->secrets);
    add_list_flags(c, "constraint", &fn->constraints);
    if (args_has(&c->a, "readonly"))
        fn->readonly_root_filesystem = true;
    const char *ns = args_get(&c->a, "namespace");
    if (ns && *ns) {
        free(fn->namespace);
        fn->namespace = xstrdup(ns);
    }
    return 0;
}

static json_t *deployment(const struct stack_fn *fn, const char *image)
{
    json_t *d = json_object();
    json_object_set_new(d, "service", json_string(fn->name));
    json_object_set_new(d, "image", json_string(image));
    if (fn->fprocess)
        json_object_set_new(d, "envProcess", json_string(fn->fprocess));
    if (fn->namespace)
        json_object_set_new(d, "namespace", json_string(fn->namespace));
    json_object_set_new(d, "envVars", kv_object(&fn->environment));
    json_object_set_new(d, "labels", kv_object(&fn->labels));
    json_object_set_new(d, "annotations", kv_object(&fn->annotations));
    json_object_set_new(d, "secrets", str_array(&fn->secrets));
    json_object_set_new(d, "constraints", str_array(&fn->constraints));
    json_t *r = resources(&fn->limits);
    if (r)
        json_object_set_new(d, "limits", r);
    if ((r = resources(&fn->requests)))
        json_object_set_new(d, "requests", r);
    json_object_set_new(d, "readOnlyRootFilesystem", json_boolean(fn->readonly_root_filesystem));
    return d;
}

/* --replace: the old function goes first; a missing one is no error. */
static int remove_first(const struct ctx *c, json_t *dep, struct fb_resp *resp)
{
    const char *ns = json_string_value(json_object_get(dep, "namespace"));
    json_t *j = json_pack("{s:s, s:s?}", "functionName",
                          json_string_value(json_object_get(dep, "service")), "namespace", ns);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    struct fb_req req = { .method = "DELETE",
                          .path = "/system/functions",
                          .body = body,
                          .body_len = strlen(body),
                          .headers = &FB_JSON_HEADERS,
                          .auth = true };
    int rc = fb_http(c, &req, resp);
    free(body);
    if (rc == 0 && (resp->status == 404 || (resp->status >= 200 && resp->status < 300))) {
        fb_resp_free(resp);
        return 0;
    }
    return -1;
}

/* PUT first (an update keeps the replicas); POST when it is new. With
 * --update=false only POST, with --replace DELETE then POST. */
static int send_deployment(const struct ctx *c, json_t *dep, struct fb_resp *resp)
{
    bool replace = args_has(&c->a, "replace");
    if (replace && remove_first(c, dep, resp) != 0)
        return resp->status ? 0 : -1; /* the DELETE's answer is the error shown */
    char *body = json_dumps(dep, JSON_COMPACT);
    bool update = !replace && args_flag(&c->a, "update", true);
    struct fb_req req = { .method = update ? "PUT" : "POST",
                          .path = "/system/functions",
                          .body = body,
                          .body_len = strlen(body),
                          .headers = &FB_JSON_HEADERS,
                          .auth = true };
    int rc = fb_http(c, &req, resp);
    if (rc == 0 && update && resp->status == 404) {
        fb_resp_free(resp);
        req.method = "POST";
        rc = fb_http(c, &req, resp);
    }
    free(body);
    return rc;
}

static long available(const struct ctx *c, const char *qualified)
{
    char *path = xasprintf("/system/function/%s", qualified);
    struct fb_req req = { .method = "GET", .path = path, .auth = true };
    struct fb_resp resp;
    long n = -1;
    if (fb_http(c, &req, &resp) == 0 && resp.status == 200) {
        json_t *st = json_loadb(buf_peek(&resp.body), resp.body.len, 0, NULL);
        n = (long)json_integer_value(json_object_get(st, "availableReplicas"));
        json_decref(st);
    }
    fb_resp_free(&resp);
    free(path);
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --wait: polls each function until it has a ready replica. */
static int wait_ready(const struct ctx *c, json_t *done)
{
    const char *t = args_get(&c->a, "timeout");
    double limit = t ? atof(t) : 60, start = now_s();
    bool progress = isatty(STDERR_FILENO) && !c->json;
    size_t i;
    json_t *d;
    json_array_foreach(done, i, d) {
        const char *name = json_string_value(json_object_get(d, "qualified"));
        int spins = 0;
        while (available(c, name) < 1) {
            if (now_s() - start > limit) {
                if (progress)
                    fputc('\n', stderr);
                return fb_error("%s: no ready replica after %gs", name, limit);
            }
            if (progress)
                fprintf(stderr, "\rWaiting for %s %c", name, "|/-\\"[spins++ % 4]);
            usleep(200 * 1000);
        }
        json_object_set_new(d, "ready", json_true());
        if (progress)
            fprintf(stderr, "\r%-60s\r", "");
        if (!c->json)
            printf("%s is ready.\n", name);
    }
    return 0;
}

static int deploy_one(const struct ctx *c, struct stack_fn *fn, const char *image, json_t *done)
{
    if (!image || !*image)
        return fb_error("%s:%d: function \"%s\" has no image", fn->file ? fn->file : "-", fn->line,
                        fn->name);
    if (apply_flags(c, fn) != 0)
        return 1;
    json_t *dep = deployment(fn, image);
    struct fb_resp resp;
    if (!c->json)
        printf("Deploying: %s.\n", fn->name);
    int rc = send_deployment(c, dep, &resp);
    json_decref(dep);
    char *doing = xasprintf("deploy %s", fn->name);
    if (rc != 0 || resp.status < 200 || resp.status > 299) {
        rc = fb_http_error(c, &resp, doing);
    } else {
        char *q = fn->namespace ? xasprintf("%s.%s", fn->name, fn->namespace) : xstrdup(fn->name);
        char *url = xasprintf("%s/function/%s", c->gateway, q);
        if (!c->json)
            printf("\nDeployed. %ld Accepted.\nURL: %s\n\n", resp.status, url);
        json_array_append_new(done, json_pack("{s:s, s:s, s:i, s:s}", "name", fn->name, "qualified",
                                              q, "status", (int)resp.status, "url", url));
        free(url);
        free(q);
    }
    free(doing);
    fb_resp_free(&resp);
    return rc;
}

/* Without a stack file: --image and --name give one function. */
static int single_function(struct ctx *c, struct stack_fn *fn)
{
    const char *name = args_get(&c->a, "name"), *image = args_get(&c->a, "image");
    memset(fn, 0, sizeof *fn);
    if (!name || !image)
        return fb_error("deploy: give -f stack.yml, or --image and --name");
    fn->name = xstrdup(name);
    fn->image = xstrdup(image);
    const char *fp = args_get(&c->a, "fprocess");
    fn->fprocess = fp ? xstrdup(fp) : NULL;
    return 0;
}

/* up on the process driver: a replica runs in its handler's folder, so
 * that folder (absolute) stands where an image would. */
static char *process_image(const struct stack_fn *fn)
{
    if (!fn->handler)
        return NULL;
    char *rel = fn->handler[0] == '/' ? xstrdup(fn->handler)
                                      : xasprintf("%s/%s", fn->dir, fn->handler);
    char *abs = realpath(rel, NULL);
    free(rel);
    struct stat st;
    if (abs && (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)))
        XFREE(abs);
    return abs;
}

static const char *driver_of(const struct ctx *c, int *rc)
{
    static char name[64];
    json_t *info = fb_get_json(c, "/system/info", NULL, rc);
    if (!info)
        return NULL;
    const char *o = json_string_value(
        json_object_get(json_object_get(info, "provider"), "orchestration"));
    snprintf(name, sizeof name, "%s", o ? o : "");
    json_decref(info);
    return name;
}

/* Every picked function must be deployable before the first is sent, so
 * a stack file with one bad entry changes nothing. Returns how many were
 * picked, or -1 after printing the problem. */
static int check_picked(const struct ctx *c, bool up)
{
    int picked = 0;
    for (size_t i = 0; i < c->stack.nfns; i++) {
        const struct stack_fn *fn = &c->stack.fns[i];
        int m = fb_matches(c, fn->name);
        if (m < 0)
            return -1;
        if (m == 0)
            continue;
        picked++;
        if (!up && (!fn->image || !*fn->image)) {
            fb_error("%s:%d: function \"%s\" has no image", fn->file, fn->line, fn->name);
            return -1;
        }
        char *dir = up ? process_image(fn) : NULL;
        bool lost = up && !dir;
        free(dir);
        if (lost) {
            fb_error("%s:%d: up: function \"%s\" needs a handler folder", fn->file, fn->line,
                     fn->name);
            return -1;
        }
    }
    if (picked == 0 && c->stack.nfns == 0)
        fb_error("the stack file has no functions (under \"functions:\")");
    else if (picked == 0)
        fb_error("no functions matching --filter/--regex were found in the stack file");
    return picked ? picked : -1;
}

/* up: the handler is built; on a driver that runs images, into its image
 * (pushed unless the driver is one engine's, or --skip-push). */
static int build_one(const struct ctx *c, const struct stack_fn *fn, const char *driver,
                     const char *dir)
{
    if (fb_build_handler(dir) != 0)
        return 1;
    if (strcmp(driver, "process") == 0)
        return 0;
    bool push = strcmp(driver, "docker") != 0 && !args_has(&c->a, "skip-push");
    return fb_build_image(fn, dir, push);
}

static int deploy_all(struct ctx *c, bool up)
{
    const char *driver = NULL;
    int rc = 0;
    if (up && !(driver = driver_of(c, &rc)))
        return rc;
    bool images = up && strcmp(driver, "process") != 0;
    if (check_picked(c, up && !images) < 0)
        return 1;
    json_t *done = json_array();
    for (size_t i = 0; rc == 0 && i < c->stack.nfns; i++) {
        struct stack_fn *fn = &c->stack.fns[i];
        if (fb_matches(c, fn->name) != 1)
            continue;
        char *dir = up ? process_image(fn) : NULL;
        if (dir && build_one(c, fn, driver, dir) != 0)
            rc = 1;
        else
            rc = deploy_one(c, fn, dir && !images ? dir : fn->image, done);
        free(dir);
    }
    if (rc == 0 && args_has(&c->a, "wait"))
        rc = wait_ready(c, done);
    if (rc == 0 && c->json)
        fb_print_json(done);
    json_decref(done);
    return rc;
}

int cmd_deploy(struct ctx *c)
{
    if (!args_has(&c->a, "image") && fb_load_stack(c, true) != 0)
        return 1;
    fb_resolve(c);
    if (c->have_stack)
        return deploy_all(c, false);
    struct stack_fn fn = { 0 };
    if (single_function(c, &fn) != 0)
        return 1;
    json_t *done = json_array();
    int rc = deploy_one(c, &fn, fn.image, done);
    if (rc == 0 && args_has(&c->a, "wait"))
        rc = wait_ready(c, done);
    if (rc == 0 && c->json)
        fb_print_json(done);
    json_decref(done);
    stack_fn_free(&fn);
    return rc;
}

int cmd_up(struct ctx *c)
{
    if (fb_load_stack(c, true) != 0)
        return 1;
    fb_resolve(c);
    return deploy_all(c, true);
}
