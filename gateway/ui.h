/* ui.h -- the web portal: static files under /ui/ from ui_dir. */
#ifndef GW_UI_H
#define GW_UI_H

#include <stdbool.h>

struct gw;
struct httpd;

/* Adds GET /ui and /ui/<file>, behind basic auth when it is on. Call
 * before the catch-all route. */
void gw_ui_routes(struct gw *gw, struct httpd *h);

/* True if rel (the path after /ui/) may name a file of the portal: only
 * [A-Za-z0-9._-] and '/', no segment empty or starting with '.'. */
bool gw_ui_path_ok(const char *rel);

#endif
