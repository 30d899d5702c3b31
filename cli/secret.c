/* secret.c -- secret create|update|list|remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "fb.h"
#include "table.h"
#include "xalloc.h"

static int read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fb_error("--from-file %s: cannot open it", path);
    char chunk[65536];
    size_t n;
    buf_init(b, (size_t)64 << 20);
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(b, chunk, n) != 0)
            rc = fb_error("--from-file %s: larger than 64 MiB", path);
    if (rc == 0 && ferror(f))
        rc = fb_error("--from-file %s: read error", path);
    fclose(f);
    return rc;
}

/* The value from --from-literal, --from-file or stdin, in that order. */
static int secret_value(const struct ctx *c, struct buf *b)
{
    const char *lit = args_get(&c->a, "from-literal"), *file = args_get(&c->a, "from-file");
    int rc;
    if (lit && file)
        return fb_error("secret: give --from-literal or --from-file, not both");
    if (lit) {
        buf_init(b, strlen(lit) + 1);
        buf_append(b, lit, strlen(lit));
        rc = 0;
    } else if (file) {
        rc = read_file(file, b);
    } else {
        if (isatty(STDIN_FILENO))
            fprintf(stderr, "Reading from STDIN - hit (Control + D) to stop.\n");
        rc = fb_read_stdin(b);
    }
    if (rc == 0 && args_has(&c->a, "trim"))
        while (b->len && (buf_peek(b)[b->len - 1] == '\n' || buf_peek(b)[b->len - 1] == '\r'))
            b->len--;
    if (rc == 0 && b->len == 0)
        rc = fb_error("secret: the value is empty");
    return rc;
}

static int send_secret(const struct ctx *c, const char *method, json_t *body, const char *doing)
{
    char *text = json_dumps(body, JSON_COMPACT);
    const char *ns = args_get(&c->a, "namespace");
    char *path = ns && *ns ? xasprintf("/system/secrets?namespace=%s", ns)
                           : xstrdup("/system/secrets");
    struct fb_req req = { .method = method,
                          .path = path,
                          .body = text,
                          .body_len = strlen(text),
                          .headers = &FB_JSON_HEADERS,
                          .auth = true };
    struct fb_resp resp;
    int rc = 0;
    if (fb_http(c, &req, &resp) != 0 || resp.status < 200 || resp.status > 299)
        rc = resp.status == 404   ? fb_error("%s: no such secret", doing)
             : resp.status == 409 ? fb_error("%s: the secret exists (use secret update)", doing)
                                  : fb_http_error(c, &resp, doing);
    fb_resp_free(&resp);
    free(path);
    free(text);
    return rc;
}

static json_t *secret_body(const struct ctx *c, const char *name)
{
    json_t *j = json_pack("{s:s}", "name", name);
    const char *ns = args_get(&c->a, "namespace");
    if (ns && *ns)
        json_object_set_new(j, "namespace", json_string(ns));
    return j;
}

static int create_or_update(const struct ctx *c, const char *name, bool update)
{
    struct buf value = { 0 };
    int rc = secret_value(c, &value);
    if (rc != 0) {
        buf_cleanup(&value);
        return rc;
    }
    json_t *j = secret_body(c, name);
    /* rawValue (base64) carries any bytes; value would need UTF-8. */
    char *raw = base64_encode((const unsigned char *)buf_peek(&value), value.len);
    json_object_set_new(j, "rawValue", json_string(raw));
    free(raw);
    char *doing = xasprintf("secret %s %s", update ? "update" : "create", name);
    rc = send_secret(c, update ? "PUT" : "POST", j, doing);
    if (rc == 0 && !c->json)
        printf("%s secret: %s\n", update ? "Updated" : "Created", name);
    if (rc == 0)
        fb_json_result(c, name, update ? "updated" : "created");
    free(doing);
    json_decref(j);
    buf_cleanup(&value);
    return rc;
}

static int list_secrets(const struct ctx *c)
{
    const char *ns = args_get(&c->a, "namespace");
    char *path = ns && *ns ? xasprintf("/system/secrets?namespace=%s", ns)
                           : xstrdup("/system/secrets");
    int rc = 0;
    json_t *list = fb_get_json(c, path, NULL, &rc);
    free(path);
    if (!list)
        return rc;
    if (c->json) {
        fb_print_json(list);
    } else {
        static const char *const header[] = { "NAME" };
        struct table t;
        table_init(&t, 1, header);
        size_t i;
        json_t *s;
        json_array_foreach(list, i, s) {
            const char *row[] = { json_string_value(json_object_get(s, "name")) };
            table_row(&t, row);
        }
        table_print(&t, stdout, c->tty);
    }
    json_decref(list);
    return 0;
}

int cmd_secret(struct ctx *c)
{
    fb_resolve(c);
    const char *sub = c->a.pos[0];
    const char *name = c->a.npos > 1 ? c->a.pos[1] : NULL;
    if (strcmp(sub, "list") == 0 || strcmp(sub, "ls") == 0)
        return list_secrets(c);
    if (!name)
        return fb_error("secret %s: NAME is required", sub);
    if (strcmp(sub, "create") == 0)
        return create_or_update(c, name, false);
    if (strcmp(sub, "update") == 0)
        return create_or_update(c, name, true);
    if (strcmp(sub, "remove") == 0 || strcmp(sub, "rm") == 0) {
        json_t *j = secret_body(c, name);
        char *doing = xasprintf("secret remove %s", name);
        int rc = send_secret(c, "DELETE", j, doing);
        if (rc == 0 && !c->json)
            printf("Removed secret: %s\n", name);
        if (rc == 0)
            fb_json_result(c, name, "removed");
        free(doing);
        json_decref(j);
        return rc;
    }
    return fb_error("secret: create, update, list or remove, not \"%s\"", sub);
}
