/* marshal.h -- classic watchdog's marshal_request: the request as JSON,
 * {"header": {"Name": ["value", ...]}, "body": {"raw": "<base64>"}}. */
#ifndef WD_MARSHAL_H
#define WD_MARSHAL_H

#include <stddef.h>

struct httpd_req;

/* Returns a new JSON text (caller frees) and its length. */
char *wd_marshal_request(const struct httpd_req *req, const char *body, size_t len,
                         size_t *out_len);

#endif
