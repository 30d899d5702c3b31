/* marshal.c -- the request as JSON for marshal_request. */
#include "marshal.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "base64.h"
#include "env.h"
#include "httpd.h"
#include "xalloc.h"

static bool add_header(void *arg, const char *name, const char *value)
{
    json_t *headers = arg;
    char canon[256];
    wd_canonical_header(name, canon, sizeof canon);
    json_t *values = json_object_get(headers, canon);
    if (!values) {
        values = json_array();
        json_object_set_new(headers, canon, values);
    }
    json_array_append_new(values, json_string(value));
    return true;
}

char *wd_marshal_request(const struct httpd_req *req, const char *body, size_t len, size_t *out_len)
{
    json_t *headers = json_object();
    httpd_req_headers(req, add_header, headers);
    char *raw = base64_encode((const unsigned char *)body, len);
    json_t *root = json_pack("{s:o, s:{s:s}}", "header", headers, "body", "raw", raw);
    free(raw);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text)
        text = xstrdup("{}");
    *out_len = strlen(text);
    return text;
}
