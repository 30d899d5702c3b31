/* api_secrets.c -- /system/secrets: values go in, never come out. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "driver.h"
#include "gw.h"
#include "httpd.h"
#include "log.h"
#include "model.h"
#include "reply.h"
#include "store.h"
#include "xalloc.h"

static void list(struct httpd_req *req, struct gw *gw)
{
    char *ns = gw_query_namespace(req);
    if (ns && gw->driver->secrets) {
        struct gw_secret_op op = { .method = "GET", .ns = ns };
        gw->driver->secrets(gw, &op, gw_later_answer, gw_later(req));
    } else if (ns) {
        gw_reply_json(req, 200, gw_secret_list(gw, ns));
    }
    free(ns);
}

static void change(struct httpd_req *req, struct gw *gw, const char *method)
{
    size_t len, vlen = 0;
    const char *body = httpd_req_body(req, &len);
    char err[512], *name = NULL, *ns = NULL;
    unsigned char *value = NULL;
    bool del = strcmp(method, "DELETE") == 0, create = strcmp(method, "POST") == 0;
    if (gw_secret_parse(body, len, !del, &name, &ns, &value, &vlen, err, sizeof err) < 0) {
        gw_reply_error(req, 400, "%s", err);
        return;
    }
    if (!ns)
        ns = gw_query_namespace(req);
    bool engine = ns && gw->driver->secrets; /* the engine says what exists */
    bool exists = ns && !engine && gw_secret_exists(gw, name, ns);
    if (!ns) {
        /* answered by gw_query_namespace */
    } else if (engine) {
        struct gw_secret_op op = { method, name, ns, value, vlen };
        gw->driver->secrets(gw, &op, gw_later_answer, gw_later(req));
    } else if (create && exists) {
        gw_reply_error(req, 409, "secret %s already exists in namespace %s", name, ns);
    } else if (!create && !exists) {
        gw_reply_error(req, 404, "secret %s not found in namespace %s", name, ns);
    } else if (del) {
        gw_secret_remove(gw, name, ns);
        log_info("api", "removed secret=%s namespace=%s", name, ns);
        httpd_respond(req, 204, "", 0);
    } else if (gw_secret_write(gw, name, ns, value, vlen, err, sizeof err) < 0) {
        gw_reply_error(req, 500, "%s", err);
    } else {
        log_info("api", "%s secret=%s namespace=%s", create ? "created" : "updated", name, ns);
        httpd_respond(req, create ? 201 : 200, "", 0);
    }
    free(name);
    free(ns);
    free(value);
}

void gw_api_secrets(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    if (!gw_method_is(req, "GET|POST|PUT|DELETE"))
        return;
    const char *m = httpd_req_method(req);
    if (strcmp(m, "GET") == 0)
        list(req, gw);
    else
        change(req, gw, m);
}
