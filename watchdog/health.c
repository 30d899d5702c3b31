/* health.c -- /_/health, /_/ready and the lock file.
 *
 * OpenFaaS marks a replica healthy by a lock file in the temporary
 * directory: probes (and `fwatchdog -run-healthcheck`) look for it, and
 * removing it on SIGTERM takes the replica out of rotation before it
 * stops. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "wd.h"

const char *wd_lock_path(char *buf, unsigned long len)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(buf, len, "%s/.lock", dir);
    return buf;
}

int wd_lock_write(char *err, unsigned long errlen)
{
    char path[4096];
    wd_lock_path(path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write the lock file %s: %s", path, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

void wd_lock_remove(void)
{
    char path[4096];
    unlink(wd_lock_path(path, sizeof path));
}

static bool lock_present(void)
{
    char path[4096];
    return access(wd_lock_path(path, sizeof path), F_OK) == 0;
}

bool wd_healthy(const struct wd *wd)
{
    if (wd->draining)
        return false;
    if (!wd->cfg.suppress_lock && !lock_present())
        return false;
    if (wd->cfg.mode == WD_HTTP && !wd_upstream_ready(wd->up))
        return false;
    return true;
}

static void on_health(struct httpd_req *req, void *arg)
{
    const struct wd *wd = arg;
    if (wd_healthy(wd))
        httpd_respond(req, 200, "OK", 2);
    else
        httpd_respondf(req, 503, "unhealthy%s\n", wd->draining ? ": shutting down" : "");
}

static void on_ready(struct httpd_req *req, void *arg)
{
    const struct wd *wd = arg;
    bool full = wd->cfg.max_inflight > 0 && wd->inflight >= (unsigned)wd->cfg.max_inflight;
    if (!wd_healthy(wd))
        httpd_respondf(req, 503, "not ready\n");
    else if (full)
        httpd_respondf(req, 429, "not ready: at max_inflight\n");
    else
        httpd_respond(req, 200, "OK", 2);
}

void wd_health_routes(struct wd *wd, struct httpd *h)
{
    httpd_route(h, "/_/health", HTTPD_BODY_BUFFER, on_health, wd);
    httpd_route(h, "/_/ready", HTTPD_BODY_BUFFER, on_ready, wd);
}
