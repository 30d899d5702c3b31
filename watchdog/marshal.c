/* marshal.c -- the request as JSON for marshal_request. */
#include "marshal.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "env.h"
#include "httpd.h"
#include "xalloc.h"

char *wd_base64(const unsigned char *data, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = xmalloc((len + 2) / 3 * 4 + 1);
    char *o = out;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = abc[v >> 6 & 63];
        *o++ = abc[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)data[i] << 16 | (i + 1 < len ? (unsigned)data[i + 1] << 8 : 0);
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < len ? abc[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

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

char *wd_marshal_request(const struct httpd_req *req, const char *body, size_t len,
                         size_t *out_len)
{
    json_t *headers = json_object();
    httpd_req_headers(req, add_header, headers);
    char *raw = wd_base64((const unsigned char *)body, len);
    json_t *root = json_pack("{s:o, s:{s:s}}", "header", headers, "body", "raw", raw);
    free(raw);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text)
        text = xstrdup("{}");
    *out_len = strlen(text);
    return text;
}
