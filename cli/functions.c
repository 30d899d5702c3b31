/* functions.c -- list, describe, remove and scale. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb.h"
#include "table.h"
#include "xalloc.h"

static char *functions_path(const struct ctx *c)
{
    const char *ns = args_get(&c->a, "namespace");
    return ns && *ns ? xasprintf("/system/functions?namespace=%s", ns)
                     : xstrdup("/system/functions");
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int by_invocations(const void *a, const void *b)
{
    double x = json_number_value(json_object_get(*(json_t *const *)a, "invocationCount"));
    double y = json_number_value(json_object_get(*(json_t *const *)b, "invocationCount"));
    return x < y ? 1 : x > y ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(str(*(json_t *const *)a, "name"), str(*(json_t *const *)b, "name"));
}

static void print_list(const struct ctx *c, json_t *list)
{
    size_t n = json_array_size(list);
    json_t **items = xcalloc(n + 1, sizeof(json_t *));
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(list, i);
    const char *sort = args_get(&c->a, "sort");
    qsort(items, n, sizeof(json_t *),
          sort && strcmp(sort, "invocations") == 0 ? by_invocations : by_name);
    if (args_has(&c->a, "quiet")) {
        for (size_t i = 0; i < n; i++)
            puts(str(items[i], "name"));
        free(items);
        return;
    }
    bool verbose = args_has(&c->a, "verbose");
    static const char *const brief[] = { "Function", "Invocations", "Replicas" };
    static const char *const full[] = { "Function", "Image", "Invocations", "Replicas",
                                        "Available" };
    struct table t;
    table_init(&t, verbose ? 5 : 3, verbose ? full : brief);
    for (size_t i = 0; i < n; i++) {
        char inv[32], rep[32], avail[32];
        snprintf(inv, sizeof inv, "%.0f",
                 json_number_value(json_object_get(items[i], "invocationCount")));
        snprintf(rep, sizeof rep, "%lld",
                 (long long)json_integer_value(json_object_get(items[i], "replicas")));
        snprintf(avail, sizeof avail, "%lld",
                 (long long)json_integer_value(json_object_get(items[i], "availableReplicas")));
        const char *brief_row[] = { str(items[i], "name"), inv, rep };
        const char *full_row[] = { str(items[i], "name"), str(items[i], "image"), inv, rep, avail };
        table_row(&t, verbose ? full_row : brief_row);
    }
    table_print(&t, stdout, c->tty);
    free(items);
}

int cmd_list(struct ctx *c)
{
    fb_resolve(c);
    char *path = functions_path(c);
    int rc = 0;
    json_t *list = fb_get_json(c, path, NULL, &rc);
    free(path);
    if (!list)
        return rc;
    if (!json_is_array(list))
        rc = fb_error("list: the gateway's answer is not a list");
    else if (c->json)
        fb_print_json(list);
    else
        print_list(c, list);
    json_decref(list);
    return rc;
}

static void print_map(const char *title, json_t *m)
{
    if (!json_is_object(m) || json_object_size(m) == 0)
        return;
    printf("%s:\n", title);
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        printf("  %s: %s\n", k, json_is_string(v) ? json_string_value(v) : "");
    }
}

static void print_array(const char *title, json_t *a)
{
    if (!json_is_array(a) || json_array_size(a) == 0)
        return;
    printf("%s:\n", title);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        printf("  - %s\n", json_string_value(v) ? json_string_value(v) : "");
}

static void print_resources(const char *title, json_t *r)
{
    if (!json_is_object(r))
        return;
    printf("%-20s memory=%s cpu=%s\n", title, str(r, "memory")[0] ? str(r, "memory") : "-",
           str(r, "cpu")[0] ? str(r, "cpu") : "-");
}

static void describe(const struct ctx *c, json_t *st)
{
    long long avail = json_integer_value(json_object_get(st, "availableReplicas"));
    /* The default namespace needs no suffix, as faas-cli prints it. */
    const char *ns = str(st, "namespace");
    bool other_ns = *ns && strcmp(ns, "openfaas-fn") != 0;
    char *url = xasprintf("%s/function/%s%s%s", c->gateway, str(st, "name"), other_ns ? "." : "",
                          other_ns ? ns : "");
    char *async_url = xasprintf("%s/async-function/%s%s%s", c->gateway, str(st, "name"),
                                other_ns ? "." : "", other_ns ? ns : "");
    printf("%-20s %s\n", "Name:", str(st, "name"));
    printf("%-20s %s\n", "Namespace:", str(st, "namespace"));
    printf("%-20s %s\n",
           "Status:", avail > 0 ? fb_colour(c, "32", "Ready") : fb_colour(c, "33", "Not Ready"));
    printf("%-20s %lld\n",
           "Replicas:", (long long)json_integer_value(json_object_get(st, "replicas")));
    printf("%-20s %lld\n", "Available Replicas:", avail);
    printf("%-20s %.0f\n",
           "Invocations:", json_number_value(json_object_get(st, "invocationCount")));
    printf("%-20s %s\n", "Image:", str(st, "image"));
    printf("%-20s %s\n", "Function Process:", str(st, "envProcess"));
    printf("%-20s %s\n", "URL:", url);
    printf("%-20s %s\n", "Async URL:", async_url);
    free(url);
    free(async_url);
    print_resources("Limits:", json_object_get(st, "limits"));
    print_resources("Requests:", json_object_get(st, "requests"));
    print_map("Environment", json_object_get(st, "envVars"));
    print_map("Labels", json_object_get(st, "labels"));
    print_map("Annotations", json_object_get(st, "annotations"));
    print_array("Secrets", json_object_get(st, "secrets"));
    print_array("Constraints", json_object_get(st, "constraints"));
}

int cmd_describe(struct ctx *c)
{
    fb_resolve(c);
    char *name = fb_qualified(c, c->a.pos[0]);
    char *path = xasprintf("/system/function/%s", name);
    char *what = xasprintf("function %s", name);
    int rc = 0;
    json_t *st = fb_get_json(c, path, what, &rc);
    if (st) {
        if (c->json)
            fb_print_json(st);
        else
            describe(c, st);
        json_decref(st);
    }
    free(what);
    free(path);
    free(name);
    return rc;
}

static int remove_one(const struct ctx *c, const char *qualified)
{
    json_t *j = json_pack("{s:s}", "functionName", qualified);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    struct fb_req req = { .method = "DELETE",
                          .path = "/system/functions",
                          .body = body,
                          .body_len = strlen(body),
                          .headers = &FB_JSON_HEADERS,
                          .auth = true };
    struct fb_resp resp;
    int rc = 0;
    if (!c->json)
        printf("Deleting: %s.\n", qualified);
    if (fb_http(c, &req, &resp) != 0 || resp.status < 200 || resp.status > 299) {
        char *doing = xasprintf("remove %s", qualified);
        rc = resp.status == 404 ? fb_error("function %s not found", qualified)
                                : fb_http_error(c, &resp, doing);
        free(doing);
    } else if (!c->json) {
        printf("Removing old function.\n");
    }
    fb_resp_free(&resp);
    free(body);
    return rc;
}

int cmd_remove(struct ctx *c)
{
    if (c->a.npos == 0 && fb_load_stack(c, true) != 0)
        return 1;
    fb_resolve(c);
    int rc = 0;
    json_t *done = json_array();
    for (int i = 0; i < c->a.npos; i++) {
        char *q = fb_qualified(c, c->a.pos[i]);
        if (remove_one(c, q) != 0)
            rc = 1;
        else
            json_array_append_new(done, json_string(q));
        free(q);
    }
    for (size_t i = 0; c->a.npos == 0 && i < c->stack.nfns; i++) {
        const struct stack_fn *fn = &c->stack.fns[i];
        int m = fb_matches(c, fn->name);
        if (m <= 0) {
            rc |= m < 0;
            continue;
        }
        const char *ns = fn->namespace ? fn->namespace : args_get(&c->a, "namespace");
        char *q = ns ? xasprintf("%s.%s", fn->name, ns) : xstrdup(fn->name);
        if (remove_one(c, q) != 0)
            rc = 1;
        else
            json_array_append_new(done, json_string(q));
        free(q);
    }
    if (c->json)
        fb_print_json(done);
    json_decref(done);
    return rc;
}

int cmd_scale(struct ctx *c)
{
    fb_resolve(c);
    const char *r = args_get(&c->a, "replicas");
    char *end = NULL;
    long n = r ? strtol(r, &end, 10) : -1;
    if (!r || *end || n < 0 || n > 1000)
        return fb_error("scale: --replicas N is required (0..1000)");
    char *name = fb_qualified(c, c->a.pos[0]);
    char *path = xasprintf("/system/scale-function/%s", name);
    json_t *j = json_pack("{s:s, s:i}", "serviceName", name, "replicas", (int)n);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    struct fb_req req = {
        .method = "POST", .path = path, .body = body, .body_len = strlen(body), .auth = true
    };
    struct fb_resp resp;
    int rc = 0;
    if (fb_http(c, &req, &resp) != 0 || resp.status < 200 || resp.status > 299)
        rc = resp.status == 404 ? fb_error("function %s not found", name)
                                : fb_http_error(c, &resp, "scale");
    else if (c->json) {
        j = json_pack("{s:s, s:i}", "name", name, "replicas", (int)n);
        fb_print_json(j);
        json_decref(j);
    } else
        printf("Scaled %s to %ld replica(s)\n", name, n);
    fb_resp_free(&resp);
    free(body);
    free(path);
    free(name);
    return rc;
}
