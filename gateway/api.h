/* api.h -- the gateway's HTTP routes: the OpenFaaS REST API under
 * /system/, /healthz, /metrics, and invocation under /function/. */
#ifndef GW_API_H
#define GW_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct gw;
struct httpd;
struct httpd_req;

void gw_api_routes(struct gw *gw, struct httpd *h);

/* --- shared by the api_*.c files ---------------------------------------- */
/* Answers with JSON (takes the reference). */
void gw_reply_json(struct httpd_req *req, int status, json_t *body);
/* Answers with a one-line text error, as OpenFaaS does. */
void gw_reply_error(struct httpd_req *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Unix milliseconds as RFC 3339 UTC with milliseconds (40 bytes do). */
void gw_format_time(int64_t unix_ms, char *out, size_t len);
/* ?namespace= or the default; caller frees. 400 and NULL if invalid. */
char *gw_query_namespace(struct httpd_req *req);
/* A request a driver answers later (pass gw_later_answer and the
 * returned arg as its gw_answer_fn); a client that leaves first is
 * forgotten and the answer dropped. */
void *gw_later(struct httpd_req *req);
void gw_later_answer(void *arg, int status, json_t *body, const char *message);
/* True if the method is one of a '|'-separated list; else 405 answered. */
int gw_method_is(struct httpd_req *req, const char *methods);

void gw_api_functions(struct httpd_req *req, void *arg);
void gw_api_function(struct httpd_req *req, void *arg);
void gw_api_scale(struct httpd_req *req, void *arg);
void gw_api_secrets(struct httpd_req *req, void *arg);
void gw_api_logs(struct httpd_req *req, void *arg);
/* GET /system/connectors (connectors.c). */
void gw_api_connectors(struct httpd_req *req, void *arg);
/* GET /system/queue (queue_view.c), /system/dead-letters and
 * /system/dead-letter/<seq> (deadletters.c). */
void gw_api_queue(struct httpd_req *req, void *arg);
void gw_api_dead_letters(struct httpd_req *req, void *arg);
void gw_api_dead_letter(struct httpd_req *req, void *arg);
void gw_invoke(struct httpd_req *req, void *arg);
void gw_invoke_init(struct gw *gw);
/* Basic auth: true if allowed, else 401 answered. */
int gw_auth_check(struct gw *gw, struct httpd_req *req);

#endif
