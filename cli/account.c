/* account.c -- login, logout, version and namespace list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "fb.h"
#include "table.h"
#include "xalloc.h"

static char *read_password(const struct ctx *c)
{
    const char *p = args_get(&c->a, "password");
    if (p) {
        fb_warn("a password on the command line is visible to other users; "
                "prefer --password-stdin");
        return xstrdup(p);
    }
    if (!args_has(&c->a, "password-stdin"))
        return NULL;
    struct buf b;
    if (fb_read_stdin(&b) != 0) {
        buf_cleanup(&b);
        return NULL;
    }
    while (b.len && (buf_peek(&b)[b.len - 1] == '\n' || buf_peek(&b)[b.len - 1] == '\r'))
        b.len--;
    char *s = b.len ? xstrndup(buf_peek(&b), b.len) : xstrdup("");
    buf_cleanup(&b);
    return s;
}

int cmd_login(struct ctx *c)
{
    fb_resolve(c);
    char *password = read_password(c);
    if (!password || !*password) {
        free(password);
        return fb_error("login: give the password with --password-stdin (or --password)");
    }
    const char *user = args_get(&c->a, "username");
    free(c->user);
    free(c->password);
    c->user = xstrdup(user ? user : "admin");
    c->password = password;
    /* The credentials must open /system/ before they are kept. */
    struct fb_req req = { .method = "GET", .path = "/system/functions", .auth = true };
    struct fb_resp resp;
    int rc = 0;
    if (fb_http(c, &req, &resp) != 0 || resp.status != 200) {
        rc = resp.status == 401 ? fb_error("login: the gateway refused these credentials (401)")
                                : fb_http_error(c, &resp, "login");
    } else {
        char err[512];
        if (auth_save(c->gateway, c->user, c->password, err, sizeof err) != 0) {
            rc = fb_error("login: %s", err);
        } else if (c->json) {
            fb_json_result(c, c->gateway, "saved");
        } else {
            char *path = auth_path();
            printf("credentials saved for %s %s in %s\n", c->user, c->gateway, path);
            free(path);
        }
    }
    fb_resp_free(&resp);
    return rc;
}

int cmd_logout(struct ctx *c)
{
    fb_resolve(c);
    char err[512];
    int rc = auth_remove(c->gateway, err, sizeof err);
    if (rc < 0)
        return fb_error("logout: %s", err);
    if (rc == 1)
        return fb_error("logout: no saved credentials for %s", c->gateway);
    if (!c->json)
        printf("credentials removed for %s\n", c->gateway);
    fb_json_result(c, c->gateway, "removed");
    return 0;
}

int cmd_version(struct ctx *c)
{
    if (args_has(&c->a, "short-version")) {
        puts(FAASBUS_VERSION);
        return 0;
    }
    fb_resolve(c);
    int rc = 0;
    json_t *info = fb_get_json(c, "/system/info", NULL, &rc);
    if (c->json) {
        json_t *j = json_pack("{s:{s:s}, s:O?}", "client", "version", FAASBUS_VERSION, "gateway",
                              info);
        fb_print_json(j);
        json_decref(j);
    } else {
        printf("faasbus CLI:\n version: %s\n", FAASBUS_VERSION);
        if (info) {
            json_t *prov = json_object_get(info, "provider");
            json_t *ver = json_object_get(info, "version");
            printf("\nGateway\n uri: %s\n version: %s\n sha: %s\n\n", c->gateway,
                   json_string_value(json_object_get(ver, "release")),
                   json_string_value(json_object_get(ver, "sha")));
            printf("Provider\n name: %s\n orchestration: %s\n",
                   json_string_value(json_object_get(prov, "provider")),
                   json_string_value(json_object_get(prov, "orchestration")));
        }
    }
    json_decref(info);
    return rc;
}

int cmd_namespace(struct ctx *c)
{
    if (c->a.npos == 1 && strcmp(c->a.pos[0], "list") != 0 && strcmp(c->a.pos[0], "ls") != 0)
        return fb_error("namespace: only \"list\" is known, not \"%s\"", c->a.pos[0]);
    fb_resolve(c);
    int rc = 0;
    json_t *list = fb_get_json(c, "/system/namespaces", NULL, &rc);
    if (!list)
        return rc;
    if (c->json) {
        fb_print_json(list);
    } else {
        static const char *const header[] = { "NAMESPACE" };
        struct table t;
        table_init(&t, 1, header);
        size_t i;
        json_t *ns;
        json_array_foreach(list, i, ns) {
            const char *row[] = { json_string_value(ns) };
            table_row(&t, row);
        }
        table_print(&t, stdout, c->tty);
    }
    json_decref(list);
    return 0;
}
