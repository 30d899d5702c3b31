/* ui.c -- GET /ui/...: the web portal's static files from ui_dir.
 *
 * The portal is a few files of our own, so paths are held to a strict
 * alphabet instead of being decoded and cleaned: letters, digits, '-',
 * '_', '.', '/', and no segment starting with '.' (no "..", no hidden
 * files) nor empty. Anything else is a 404 without touching the disk, so
 * no spelling of a path (percent-escapes, backslashes, doubled slashes)
 * can reach outside ui_dir. Files are sent from their descriptor, never
 * read into memory. */
#include "reply.h"
#include "ui.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "gw.h"
#include "httpd.h"
#include "xalloc.h"

static const struct {
    const char *ext, *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".txt", "text/plain; charset=utf-8" },
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

bool gw_ui_path_ok(const char *rel)
{
    if (!*rel || strlen(rel) > 200)
        return false;
    for (const char *seg = rel; *seg;) {
        size_t n = strcspn(seg, "/");
        if (n == 0 || seg[0] == '.')
            return false;
        for (size_t i = 0; i < n; i++) {
            char c = seg[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
            if (!ok)
                return false;
        }
        seg += n;
        if (*seg == '/' && !*++seg)
            return false; /* a trailing slash names a directory */
    }
    return true;
}

/* Opens ui_dir/rel as a regular file; -1 if it is missing or anything
 * else. O_NOFOLLOW: a symlink planted as the last part is not followed. */
static int open_file(const char *dir, const char *rel, int64_t *size)
{
    char *full = xasprintf("%s/%s", dir, rel);
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(full);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0)
        *size = (int64_t)st.st_size;
    return fd;
}

/* The page's scripts and styles come from the gateway only: a value that
 * slipped into the page (a function's name, a log line) cannot load or
 * run anything from elsewhere. */
static void add_headers(struct httpd_req *req, const char *rel)
{
    httpd_add_header(req, "Content-Type", content_type(rel));
    httpd_add_header(req, "X-Content-Type-Options", "nosniff");
    httpd_add_header(req, "Cache-Control", "no-cache");
    httpd_add_header(req, "Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
}

static void on_ui(struct httpd_req *req, void *arg)
{
    struct gw *gw = arg;
    const char *path = httpd_req_path(req);
    if (!gw_method_is(req, "GET|HEAD"))
        return;
    if (!*gw->cfg.ui_dir) {
        gw_reply_error(req, 404, "no portal: ui_dir is not set");
        return;
    }
    if (strcmp(path, "/ui") == 0) { /* relative links need the slash */
        httpd_add_header(req, "Location", "/ui/");
        httpd_respond(req, 301, "", 0);
        return;
    }
    const char *rel = path + 4;
    if (!*rel)
        rel = "index.html";
    int64_t size = 0;
    int fd = gw_ui_path_ok(rel) ? open_file(gw->cfg.ui_dir, rel, &size) : -1;
    if (fd < 0) {
        gw_reply_error(req, 404, "not found: %.200s", path);
        return;
    }
    add_headers(req, rel);
    httpd_respond_fd(req, 200, fd, size);
}

/* The same credentials as the /system/ routes: the portal is their front. */
static bool ui_guard(struct httpd_req *req, void *arg)
{
    return gw_auth_check(arg, req) != 0;
}

void gw_ui_routes(struct gw *gw, struct httpd *h)
{
    httpd_route(h, "/ui", HTTPD_BODY_BUFFER, on_ui, gw);
    httpd_route_guard(h, ui_guard);
    httpd_route(h, "/ui/*", HTTPD_BODY_BUFFER, on_ui, gw);
    httpd_route_guard(h, ui_guard);
}
