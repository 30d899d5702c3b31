/* api.h -- the connector's own HTTP endpoints: /healthz (the process
 * runs), /readyz (brokers and gateway reachable, group joined, table
 * loaded), /metrics (Prometheus) and /routes (the routing table). */
#ifndef CN_API_H
#define CN_API_H

struct cn;
struct httpd;

void cn_api_routes(struct cn *cn, struct httpd *h);

#endif
