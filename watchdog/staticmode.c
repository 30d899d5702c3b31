/* staticmode.c -- of-watchdog's static mode: files under static_path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"
#include "wd.h"

static const struct {
    const char *ext, *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".htm", "text/html; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".json", "application/json" },
    { ".txt", "text/plain; charset=utf-8" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".jpg", "image/jpeg" },
    { ".jpeg", "image/jpeg" },
    { ".gif", "image/gif" },
    { ".ico", "image/x-icon" },
    { ".wasm", "application/wasm" },
    { ".xml", "text/xml; charset=utf-8" },
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes path into out. Returns -1 on a bad escape, a NUL, or a
 * ".." segment: nothing outside static_path can be named. */
static int decode_path(const char *path, char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = path; *p; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = hi * 16 + lo;
            p += 2;
        }
        if (n + 1 >= outlen)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return strstr(out, "/../") || (n >= 3 && strcmp(out + n - 3, "/..") == 0) ? -1 : 0;
}

static void serve(struct httpd_req *req, void *arg)
{
    const struct wd *wd = arg;
    const char *method = httpd_req_method(req);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        httpd_add_header(req, "Allow", "GET, HEAD");
        httpd_respondf(req, 405, "method %s not allowed\n", method);
        return;
    }
    char rel[2048], full[4096];
    if (decode_path(httpd_req_path(req), rel, sizeof rel) < 0) {
        httpd_respondf(req, 400, "bad path\n");
        return;
    }
    snprintf(full, sizeof full, "%s%s", wd->cfg.static_path, rel);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
        strncat(full, rel[strlen(rel) - 1] == '/' ? "index.html" : "/index.html",
                sizeof full - strlen(full) - 1);
    }
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        httpd_respondf(req, 404, "not found: %s\n", httpd_req_path(req));
        return;
    }
    httpd_add_header(req, "Content-Type", content_type(full));
    httpd_respond_fd(req, 200, fd, st.st_size);
}

int wd_static_init(struct wd *wd, char *err, size_t errlen)
{
    struct stat st;
    if (stat(wd->cfg.static_path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "static_path: %s is not a directory", wd->cfg.static_path);
        return -1;
    }
    httpd_route(wd->http, "*", HTTPD_BODY_BUFFER, serve, wd);
    return 0;
}
