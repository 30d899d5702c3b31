/* call.c -- the function call: the stored request replayed against the
 * gateway's /function/<name> with its method, path, query and headers; the
 * answer's status, headers and body kept for the outcome and the
 * callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../queue.h"
#include "log.h"
#include "loop.h"
#include "qw.h"
#include "retry.h"
#include "xalloc.h"

const char *qw_msg_header(natsMsg *m, const char *name)
{
    const char *v = NULL;
    return natsMsgHeader_Get(m, name, &v) == NATS_OK ? v : NULL;
}

/* Our bookkeeping headers stay with us; the function sees the caller's. */
static bool passed_on(const char *name)
{
    return strncasecmp(name, "Nats-", 5) != 0 && strncasecmp(name, "Faasbus-", 8) != 0 &&
           strcasecmp(name, "X-Callback-Url") != 0;
}

static struct curl_slist *request_headers(natsMsg *m)
{
    struct curl_slist *list = curl_slist_append(NULL, "Expect:");
    const char *type = NULL;
    if (natsMsgHeader_Get(m, "Content-Type", &type) != NATS_OK) /* not curl's form type */
        list = curl_slist_append(list, "Content-Type:");
    const char **keys = NULL;
    int nkeys = 0;
    if (natsMsgHeader_Keys(m, &keys, &nkeys) != NATS_OK)
        return list;
    for (int i = 0; i < nkeys; i++) {
        const char **values = NULL;
        int nvalues = 0;
        if (!passed_on(keys[i]) || natsMsgHeader_Values(m, keys[i], &values, &nvalues) != NATS_OK)
            continue;
        for (int k = 0; k < nvalues; k++) {
            char *line = xasprintf("%s: %s", keys[i], values[k]);
            list = curl_slist_append(list, line);
            free(line);
        }
        free((void *)values);
    }
    free((void *)keys);
    return list;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct qw_job *j = arg;
    return buf_append(&j->resp, data, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct qw_job *j = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) { /* a new answer (after 100): restart */
        curl_slist_free_all(j->resp_headers);
        j->resp_headers = NULL;
        return len;
    }
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    if (len > 0 && memchr(data, ':', len)) {
        char *line = xstrndup(data, len);
        j->resp_headers = curl_slist_append(j->resp_headers, line);
        free(line);
    }
    return size * n;
}

/* The value of a response header, or NULL. */
const char *qw_resp_header(const struct qw_job *j, const char *name)
{
    size_t len = strlen(name);
    for (const struct curl_slist *h = j->resp_headers; h; h = h->next)
        if (strncasecmp(h->data, name, len) == 0 && h->data[len] == ':')
            return h->data + len + 1 + strspn(h->data + len + 1, " \t");
    return NULL;
}

static void on_transfer_done(void *arg, CURL *easy, CURLcode result)
{
    struct qw_job *j = arg;
    j->duration = loop_now_s() - j->started;
    if (result == CURLE_OK) {
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &j->status);
        j->internal = qw_resp_header(j, "X-OpenFaaS-Internal") != NULL;
        j->retry_after_ms = retry_after_parse(qw_resp_header(j, "Retry-After"), time(NULL));
        snprintf(j->error, sizeof j->error, "status %ld%s", j->status,
                 j->internal ? " from the gateway" : "");
    } else {
        j->status = 0;
        snprintf(j->error, sizeof j->error, "%s", curl_easy_strerror(result));
    }
    curlloop_release(j->w->curl, easy);
    j->easy = NULL;
    j->call_done(j);
}

static char *target_url(const struct qw_job *j)
{
    const char *path = qw_msg_header(j->msg, QH_PATH);
    const char *query = qw_msg_header(j->msg, QH_QUERY);
    return xasprintf("%s/function/%s%s%s%s", j->w->cfg.gateway_url, j->function, path ? path : "",
                     query && *query ? "?" : "", query ? query : "");
}

static void set_method(CURL *e, natsMsg *m)
{
    const char *method = qw_msg_header(m, QH_METHOD);
    int len = natsMsg_GetDataLength(m);
    method = method && *method ? method : "POST";
    if (len == 0 && strcmp(method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        return;
    }
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, natsMsg_GetData(m));
    if (strcmp(method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
}

void qw_call_start(struct qw_job *j, void (*done)(struct qw_job *j))
{
    struct qw *w = j->w;
    j->call_done = done;
    buf_cleanup(&j->resp);
    buf_init(&j->resp, (size_t)w->cfg.max_response);
    curl_slist_free_all(j->resp_headers);
    j->resp_headers = NULL;
    j->req_headers = request_headers(j->msg);
    char *url = target_url(j);
    log_debug("call", "call %s: %s %s", j->call_id, qw_msg_header(j->msg, QH_METHOD), url);
    CURL *e = j->easy = curlloop_easy(w->curl);
    curl_easy_setopt(e, CURLOPT_URL, url);
    set_method(e, j->msg);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->req_headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)w->cfg.upstream_timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    if (w->auth) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERPWD, w->auth);
    }
    free(url);
    j->cj.done = on_transfer_done;
    j->cj.arg = j;
    j->started = loop_now_s();
    if (curlloop_add(w->curl, e, &j->cj) < 0) {
        curlloop_release(w->curl, e);
        j->easy = NULL;
        j->status = 0;
        snprintf(j->error, sizeof j->error, "libcurl refused the call");
        done(j);
    }
}

void qw_call_cancel(struct qw_job *j)
{
    if (j->easy)
        curlloop_release(j->w->curl, j->easy);
    j->easy = NULL;
    curl_slist_free_all(j->req_headers);
    curl_slist_free_all(j->resp_headers);
    j->req_headers = j->resp_headers = NULL;
    buf_cleanup(&j->resp);
}
