/* auth.h -- basic auth in front of /system/ (and of /function/ and /ui/
 * when auth_functions is on). */
#ifndef GW_AUTH_H
#define GW_AUTH_H

struct gw;
struct httpd_req;

/* Basic auth: true if allowed, else 401 answered. */
int gw_auth_check(struct gw *gw, struct httpd_req *req);

#endif
