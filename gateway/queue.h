/* queue.h -- /async-function/<name>[/<path>]: calls stored durably in a
 * NATS JetStream stream, answered 202 once stored; queue workers run them
 * (gateway/worker/).
 *
 * The message: the request body as data; the request's headers as NATS
 * headers (hop-by-hop ones dropped), plus the Faasbus-* headers below,
 * which say what to call and how to retry it. Nats-Msg-Id is the call id,
 * so a call sent twice within the de-duplication window is stored once. */
#ifndef GW_QUEUE_H
#define GW_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct gw;
struct httpd_req;

#define QH_FUNCTION "Faasbus-Function" /* name.namespace */
#define QH_METHOD "Faasbus-Method"
#define QH_PATH "Faasbus-Path"        /* after the function name; may be "" */
#define QH_QUERY "Faasbus-Query"      /* raw, without '?' */
#define QH_QUEUED "Faasbus-Queued-At" /* unix milliseconds */
/* The function's retry annotations when the call was accepted. */
#define QH_RETRY_ATTEMPTS "Faasbus-Retry-Attempts"
#define QH_RETRY_CODES "Faasbus-Retry-Codes"
#define QH_RETRY_MIN_WAIT "Faasbus-Retry-Min-Wait"
#define QH_RETRY_MAX_WAIT "Faasbus-Retry-Max-Wait"

/* Connects to NATS (in the background when it is down). Returns 0, or -1
 * with a message in err for bad settings. A disabled queue (empty
 * nats_url) answers 503 to async calls. */
int gw_queue_start(struct gw *gw, char *err, size_t errlen);
/* Finishes the stores in progress and disconnects. */
void gw_queue_stop(struct gw *gw);
void gw_async_invoke(struct httpd_req *req, void *arg);

#endif
