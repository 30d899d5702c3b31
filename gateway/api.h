/* api.h -- the gateway's HTTP routes: the OpenFaaS REST API under
 * /system/, /healthz, /metrics, and invocation under /function/ (whose
 * handlers are invoke.h's and queue.h's). */
#ifndef GW_API_H
#define GW_API_H

struct gw;
struct httpd;
struct httpd_req;

/* Binds every route to its handler (api.c). */
void gw_api_routes(struct gw *gw, struct httpd *h);

/* The handlers of /system/ that api.c binds, each file one area; arg is
 * the gateway. /system/functions, /system/function/<name>,
 * /system/scale-function/<name> (api_functions.c). */
void gw_api_functions(struct httpd_req *req, void *arg);
void gw_api_function(struct httpd_req *req, void *arg);
void gw_api_scale(struct httpd_req *req, void *arg);
/* /system/secrets (api_secrets.c). */
void gw_api_secrets(struct httpd_req *req, void *arg);
/* GET /system/logs (api_logs.c). */
void gw_api_logs(struct httpd_req *req, void *arg);
/* GET /system/connectors (connectors.c). */
void gw_api_connectors(struct httpd_req *req, void *arg);
/* GET /system/queue (queue_view.c), /system/dead-letters and
 * /system/dead-letter/<seq> (deadletters.c). */
void gw_api_queue(struct httpd_req *req, void *arg);
void gw_api_dead_letters(struct httpd_req *req, void *arg);
void gw_api_dead_letter(struct httpd_req *req, void *arg);
/* POST /system/alert: AlertManager's webhook, as OpenFaaS CE takes it
 * (autoscale_alert.c). */
void gw_api_alert(struct httpd_req *req, void *arg);

#endif
