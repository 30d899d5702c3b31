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
