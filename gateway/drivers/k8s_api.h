/* k8s_api.h -- a Kubernetes API client on the gateway's loop.
 *
 * DESIGN: every request is a libcurl transfer on the shared curlloop
 * (HTTPS, the credentials of k8s_config.h, certificates given inline
 * passed as blobs), so nothing waits for the API server. Answers are
 * parsed JSON; a failure is read from its Status object (reason and
 * message) so callers can say what the server said. Long requests
 * (watches, followed logs) are streams cut into lines. A bearer token
 * kept in a file (the service account's, which the kubelet rotates) is
 * read again when the file changes. Knows nothing of functions.
 *
 * Locality: loop thread. */
#ifndef K8S_API_H
#define K8S_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct curlloop;
struct loop;
struct k8s_api;
struct k8s_call;
struct k8s_stream;
struct k8s_creds;

/* Content types of the two patches the driver sends. */
#define K8S_MERGE_PATCH "application/merge-patch+json"
#define K8S_STRATEGIC_PATCH "application/strategic-merge-patch+json"

/* The outcome of a call. status 0: no answer (error says why). body: the
 * parsed answer or NULL (valid during the callback). reason/message: the
 * Status object's on failure ("" when there was none). */
struct k8s_result {
    long status;
    json_t *body;
    const char *error;
    const char *reason;
    const char *message;
};
typedef void k8s_done_fn(void *arg, const struct k8s_result *r);

/* Takes the credentials. */
struct k8s_api *k8s_api_new(struct loop *lp, struct curlloop *cl, struct k8s_creds *creds);
void k8s_api_free(struct k8s_api *a);
const char *k8s_api_server(const struct k8s_api *a);

/* One request; path from the server's root ("/api/v1/namespaces");
 * body (may be NULL, not stolen) sent with content_type (NULL:
 * application/json). fn runs exactly once later unless cancelled.
 * Returns NULL when it cannot start (fn never runs). */
struct k8s_call *k8s_request(struct k8s_api *a, const char *method, const char *path,
                             const char *content_type, const json_t *body, int64_t timeout_ms,
                             k8s_done_fn *fn, void *arg);
void k8s_cancel(struct k8s_call *c);

/* "Forbidden: deployments.apps is forbidden: ...", or "API server
 * https://... unreachable: ..." into out. Returns out. */
const char *k8s_error_text(const struct k8s_api *a, const struct k8s_result *r, char *out,
                           size_t outlen);

/* A GET whose answer comes as lines (a watch's events, a followed log).
 * line gets each line without its newline while the status is 200, and
 * returns false to end the stream; end runs once when it ends for any
 * reason (not after k8s_stream_stop), with the status and, for a
 * failure, the Status read from the body. */
typedef bool k8s_line_fn(void *arg, const char *line, size_t len);
struct k8s_stream *k8s_stream_start(struct k8s_api *a, const char *path, k8s_line_fn *line,
                                    k8s_done_fn *end, void *arg);
void k8s_stream_stop(struct k8s_stream *s);
/* open runs once when the answer's head has come, with its status (a
 * followed log may send no line for long: this says it was accepted). */
typedef void k8s_open_fn(void *arg, long status);
void k8s_stream_on_open(struct k8s_stream *s, k8s_open_fn *open);

#endif
