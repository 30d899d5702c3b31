/* env.c -- Http_* variables for fork-mode functions. */
#include "env.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "xalloc.h"

struct envb {
    char **v;
    size_t n, cap;
};

static void push(struct envb *e, char *var)
{
    if (e->n + 2 > e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->v = xrealloc(e->v, e->cap * sizeof *e->v);
    }
    e->v[e->n++] = var;
    e->v[e->n] = NULL;
}

/* True if a variable with the same name (up to '=') is already there:
 * a repeated header keeps its first value, as OpenFaaS does. */
static bool has_name(const struct envb *e, const char *var)
{
    size_t len = strcspn(var, "=");
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->v[i], var, len + 1) == 0)
            return true;
    return false;
}

void wd_canonical_header(const char *name, char *out, unsigned long outlen)
{
    bool upper = true;
    size_t i = 0;
    if (outlen == 0)
        return;
    for (; name[i] && i + 1 < outlen; i++) {
        unsigned char c = (unsigned char)name[i];
        out[i] = (char)(upper ? toupper(c) : tolower(c));
        upper = c == '-';
    }
    out[i] = '\0';
}

static bool add_header(void *arg, const char *name, const char *value)
{
    struct envb *e = arg;
    char canon[256];
    wd_canonical_header(name, canon, sizeof canon);
    for (char *p = canon; *p; p++)
        if (*p == '-')
            *p = '_';
    char *var = xasprintf("Http_%s=%s", canon, value);
    if (has_name(e, var) || strcmp(canon, "Content_Length") == 0)
        free(var);
    else
        push(e, var);
    return true;
}

char **wd_env_build(char *const *base, const struct httpd_req *req, int64_t body_len)
{
    struct envb e = { 0 };
    for (char *const *b = base; b && *b; b++)
        if (strncmp(*b, "Http_", 5) != 0)
            push(&e, xstrdup(*b));
    httpd_req_headers(req, add_header, &e);
    push(&e, xasprintf("Http_Method=%s", httpd_req_method(req)));
    push(&e, xasprintf("Http_Path=%s", httpd_req_path(req)));
    const char *q = httpd_req_query(req);
    if (q && *q)
        push(&e, xasprintf("Http_Query=%s", q));
    const char *cl = httpd_req_header(req, "Content-Length");
    if (body_len >= 0) {
        push(&e, xasprintf("Http_Content_Length=%lld", (long long)body_len));
        push(&e, xasprintf("Http_ContentLength=%lld", (long long)body_len));
    } else if (cl) {
        push(&e, xasprintf("Http_Content_Length=%s", cl));
    }
    if (!e.v)
        push(&e, xstrdup("PATH=/usr/local/bin:/usr/bin:/bin"));
    return e.v;
}

void wd_env_free(char **env)
{
    if (!env)
        return;
    for (char **v = env; *v; v++)
        free(*v);
    free(env);
}
