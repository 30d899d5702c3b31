/* invoke.c -- a call of /function/NAME (or /async-function/NAME) with
 * stdin as the body and the answer on stdout. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fb.h"
#include "xalloc.h"

/* "/function/NAME?k=v&..." with every key and value URL-encoded. */
static char *call_path(const struct ctx *c, const char *name, int *rc)
{
    const struct strlist *q = args_list(&c->a, "query");
    struct buf b;
    buf_init(&b, 1 << 20);
    const char *base = args_has(&c->a, "async") ? "/async-function/" : "/function/";
    buf_append(&b, base, strlen(base));
    buf_append(&b, name, strlen(name));
    for (size_t i = 0; i < q->n; i++) {
        char *k;
        const char *v;
        if (fb_split_kv(q->items[i], "query", false, &k, &v) != 0) {
            *rc = 1;
            buf_cleanup(&b);
            return NULL;
        }
        char *ek = curl_easy_escape(NULL, k, 0), *ev = curl_easy_escape(NULL, v, 0);
        buf_append(&b, i ? "&" : "?", 1);
        buf_append(&b, ek, strlen(ek));
        buf_append(&b, "=", 1);
        buf_append(&b, ev, strlen(ev));
        curl_free(ek);
        curl_free(ev);
        free(k);
    }
    char *out = xstrdup(buf_cstr(&b));
    buf_cleanup(&b);
    return out;
}

static int call_headers(const struct ctx *c, struct strlist *h)
{
    const struct strlist *given = args_list(&c->a, "header");
    const char *ct = args_get(&c->a, "content-type");
    bool have_ct = false;
    for (size_t i = 0; i < given->n; i++) {
        char *k;
        const char *v;
        if (fb_split_kv(given->items[i], "header", true, &k, &v) != 0)
            return -1;
        have_ct |= strcasecmp(k, "Content-Type") == 0;
        char *line = xasprintf("%s: %s", k, v);
        strlist_add(h, line);
        free(line);
        free(k);
    }
    if (ct || !have_ct) {
        char *line = xasprintf("Content-Type: %s", ct ? ct : "text/plain");
        strlist_add(h, line);
        free(line);
    }
    const char *cb = args_get(&c->a, "callback-url");
    if (cb) {
        char *line = xasprintf("X-Callback-Url: %s", cb);
        strlist_add(h, line);
        free(line);
    }
    return 0;
}

static int report(const struct ctx *c, const struct fb_resp *resp, const char *name)
{
    if (resp->status < 200 || resp->status > 299) {
        if (resp->status == 404)
            return fb_error("function %s not found", name);
        int len = (int)(resp->body.len > 500 ? 500 : resp->body.len);
        while (len > 0 &&
               (buf_peek(&resp->body)[len - 1] == '\n' || buf_peek(&resp->body)[len - 1] == '\r'))
            len--;
        return fb_error("Server returned unexpected status code: %ld - %.*s", resp->status, len,
                        buf_peek(&resp->body));
    }
    if (args_has(&c->a, "async")) {
        if (c->json) {
            json_t *j = json_pack("{s:s, s:i, s:s?}", "name", name, "status", (int)resp->status,
                                  "callId", resp->call_id);
            fb_print_json(j);
            json_decref(j);
        } else {
            fprintf(stderr, "Function submitted asynchronously.\n");
            if (resp->call_id)
                printf("%s\n", resp->call_id);
        }
        return 0;
    }
    if (resp->body.len)
        fwrite(buf_peek(&resp->body), 1, resp->body.len, stdout);
    return fflush(stdout) == 0 ? 0 : fb_error("stdout: write error");
}

int cmd_invoke(struct ctx *c)
{
    fb_resolve(c);
    if (args_get(&c->a, "callback-url") && !args_has(&c->a, "async"))
        return fb_error("invoke: --callback-url needs --async");
    int rc = 0;
    char *name = fb_qualified(c, c->a.pos[0]);
    char *path = call_path(c, name, &rc);
    struct strlist headers = { 0 };
    struct buf body = { 0 };
    if (path && call_headers(c, &headers) != 0)
        rc = 1;
    if (path && rc == 0) {
        if (isatty(STDIN_FILENO))
            fprintf(stderr, "Reading from STDIN - hit (Control + D) to stop.\n");
        rc = fb_read_stdin(&body);
    }
    if (path && rc == 0) {
        const char *method = args_get(&c->a, "method");
        struct fb_req req = { .method = method ? method : "POST",
                              .path = path,
                              .body = body.len ? buf_peek(&body) : "",
                              .body_len = body.len,
                              .headers = &headers,
                              .auth = true };
        struct fb_resp resp;
        if (fb_http(c, &req, &resp) != 0)
            rc = fb_http_error(c, &resp, "invoke");
        else
            rc = report(c, &resp, name);
        fb_resp_free(&resp);
    }
    buf_cleanup(&body);
    strlist_free(&headers);
    free(path);
    free(name);
    return rc;
}
