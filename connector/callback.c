/* callback.c -- POST /callback: the queue worker's report of an async
 * call (gateway/worker/callback.c): the function's body and headers
 * (Content-Type, X-Reply-Topic...) plus X-Call-Id, X-Function-Status,
 * X-Duration-Seconds, X-Retry and, when no function answered, X-Error.
 *
 * Whatever we make of it, a well-formed callback gets 200: a late or
 * repeated one is counted and dropped here, since an error would only
 * make the worker try again and then dead-letter the call (one that may
 * have come before its call, after a restart, is kept a while for it:
 * async_early.c). Only one
 * without the signature of its call id is refused (401): anyone who can
 * reach us could otherwise hand us the result of any call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async_int.h"
#include "cn.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"

static void refuse(struct cn_async *a, struct httpd_req *req, int status, const char *why)
{
    metric_add(a->m_callbacks, (const char *[]){ "invalid" }, 1);
    log_warn("async", "callback from %s refused: %s", httpd_req_client(req), why);
    httpd_respondf(req, status, "%s\n", why);
}

static int64_t header_int(const struct httpd_req *req, const char *name, int64_t otherwise)
{
    const char *v = httpd_req_header(req, name);
    int64_t n;

    return v && parse_int64(v, &n) == 0 ? n : otherwise;
}

/* The answer as invoke.c would have given it for a sync call. */
static void read_result(struct httpd_req *req, struct cn_invoke_result *res)
{
    const char *seconds = httpd_req_header(req, "X-Duration-Seconds");
    const char *error = httpd_req_header(req, "X-Error");

    res->kind = CN_INVOKE_ANSWERED;
    res->body = (const unsigned char *)httpd_req_body(req, &res->len);
    res->content_type = httpd_req_header(req, "Content-Type");
    res->reply_topic = httpd_req_header(req, "X-Reply-Topic");
    res->seconds = seconds ? strtod(seconds, NULL) : 0;
    if (!(res->seconds >= 0)) /* NaN included */
        res->seconds = 0;
    /* No function answered (the worker reports 502 and why): the reason
     * stands in for the empty body in X-Error of the dead letter. */
    if (error && *error && res->len == 0) {
        res->body = (const unsigned char *)error;
        res->len = strlen(error);
    }
}

/* The sig of the URL we gave for this call id (callsign.h). */
static bool signed_by_us(const struct cn_async *a, const struct httpd_req *req, const char *id)
{
    char sig[128];

    return cn_callsign_check(&a->sign, id,
                             cn_query_param(httpd_req_query(req), "sig", sig, sizeof sig));
}

void cn_async_on_callback(struct httpd_req *req, void *arg)
{
    struct cn *cn = arg;
    struct cn_async *a = cn->async;
    struct cn_invoke_result res = { .kind = CN_INVOKE_ANSWERED };
    struct cn_callback cb;
    const char *what;

    if (strcmp(httpd_req_method(req), "POST") != 0) {
        httpd_add_header(req, "Allow", "POST");
        refuse(a, req, 405, "the callback takes POST");
        return;
    }
    cb.id = httpd_req_header(req, "X-Call-Id");
    if (!cb.id || !*cb.id) {
        refuse(a, req, 400, "X-Call-Id is missing");
        return;
    }
    if (!signed_by_us(a, req, cb.id)) {
        refuse(a, req, 401,
               "the callback URL's signature is missing or does not fit "
               "X-Call-Id (or was made before a restart without callback_secret)");
        return;
    }
    res.status = (long)header_int(req, "X-Function-Status", -1);
    if (res.status < 100 || res.status > 599) {
        refuse(a, req, 400, "X-Function-Status is missing or not an HTTP status");
        return;
    }
    cb.tries = header_int(req, "X-Retry", 0);
    read_result(req, &res);
    what = cn_async_deliver(a, &cb, &res);
    metric_add(a->m_callbacks, (const char *[]){ what }, 1);
    if (strcmp(what, "taken") == 0 || strcmp(what, "kept") == 0)
        log_debug("async", "callback for call %s: status %ld", cb.id, res.status);
    else
        log_info("async", "callback for call %s (status %ld) ignored: %s", cb.id, res.status,
                 strcmp(what, "late") == 0 ? "its record is waiting to submit it again"
                                           : "no call of ours awaits it (late, repeated, or "
                                             "before its record is read again: then kept for it)");
    httpd_respondf(req, 200, "%s\n", what);
}
