/* store.c -- functions and secrets on disk, under state_dir:
 *
 *   functions/<namespace>/<name>.json   {"deployment", "replicas", "createdAt"}
 *   secrets/<namespace>/<name>          the value, mode 0600
 *
 * Every write goes to a temporary file that is synced and renamed over
 * the old one, so a crash leaves either the old state or the new, never a
 * torn file. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autoscale.h"
#include "driver.h"
#include "functions.h"
#include "gw.h"
#include "log.h"
#include "model.h"
#include "xalloc.h"

int gw_mkdirs(const char *path, mode_t mode)
{
    char *copy = xstrdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST) {
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir(copy, mode) < 0 && errno != EEXIST ? -1 : 0;
    free(copy);
    return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int gw_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = -1;
    if (fd >= 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0)
        rc = 0;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -1;
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    if (rc == 0) { /* the rename itself must reach the disk */
        char *dir = xstrdup(path);
        *strrchr(dir, '/') = '\0';
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    return rc;
}

static char *fn_path(const struct gw *gw, const char *name, const char *ns)
{
    return xasprintf("%s/functions/%s/%s.json", gw->cfg.state_dir, ns, name);
}

/* A driver whose engine holds the functions keeps none here. */
static bool engine_keeps(const struct gw *gw)
{
    return gw->driver && gw->driver->engine_state;
}

int gw_store_save(struct gw *gw, const struct gw_fn *fn)
{
    if (engine_keeps(gw))
        return gw->driver->save ? gw->driver->save(gw, fn) : 0;
    char *dir = xasprintf("%s/functions/%s", gw->cfg.state_dir, fn->ns);
    char *path = fn_path(gw, fn->name, fn->ns);
    json_t *doc = json_pack("{s:O, s:i, s:s, s:o}", "deployment", fn->dep, "replicas",
                            (json_int_t)fn->desired, "createdAt", fn->created_at, "autoscaler",
                            gw_autoscale_save(fn));
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    /* Only the gateway's user reads deployments: envVars hold API keys, and
     * replicas run as other users on this host. */
    int rc = gw_mkdirs(dir, 0700) == 0 && text ? gw_write_file(path, text, strlen(text), 0600) : -1;
    if (rc < 0)
        log_error("store", "cannot save function %s.%s to %s: %s", fn->name, fn->ns, path,
                  strerror(errno));
    free(text);
    json_decref(doc);
    free(path);
    free(dir);
    return rc;
}

void gw_store_delete(struct gw *gw, const char *name, const char *ns)
{
    if (engine_keeps(gw))
        return;
    char *path = fn_path(gw, name, ns);
    if (unlink(path) < 0 && errno != ENOENT)
        log_error("store", "cannot remove %s: %s", path, strerror(errno));
    free(path);
}

/* Recreates one function from its file; a damaged file is skipped with a
 * message (the others still come back). */
static void load_one(struct gw *gw, const char *path, const char *ns)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    json_t *dep = doc ? json_object_get(doc, "deployment") : NULL;
    char err[256];
    char *text = dep ? json_dumps(dep, JSON_COMPACT) : NULL;
    json_t *valid = text ? gw_deployment_parse(text, strlen(text), err, sizeof err) : NULL;
    if (!valid) {
        log_error("store", "skipping %s: %s", path,
                  doc ? (text ? err : "no deployment") : jerr.text);
    } else {
        const char *name = json_string_value(json_object_get(valid, "service"));
        struct gw_fn *fn = gw_fn_add(gw, name, ns, valid);
        json_t *replicas = json_object_get(doc, "replicas");
        if (json_is_integer(replicas) && json_integer_value(replicas) >= 0 &&
            json_integer_value(replicas) <= 1000)
            fn->desired = (int)json_integer_value(replicas);
        const char *created = json_string_value(json_object_get(doc, "createdAt"));
        if (created)
            snprintf(fn->created_at, sizeof fn->created_at, "%s", created);
        gw_autoscale_restore(fn, json_object_get(doc, "autoscaler"));
        log_info("store", "restored function %s.%s replicas=%d", name, ns, fn->desired);
    }
    free(text);
    json_decref(doc);
}

/* A temporary file of gw_write_file whose writer died before its rename:
 * "<name>.tmp.<pid>" with that pid gone. */
static bool stale_temp(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    if (!t)
        return false;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    return end != t + 5 && !*end && pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 &&
           errno == ESRCH;
}

static void load_namespace(struct gw *gw, const char *dir, const char *ns)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    chmod(dir, 0700); /* state written by older versions was 0755 */
    while (d && (e = readdir(d))) {
        if (stale_temp(e->d_name)) {
            char *tmp = xasprintf("%s/%s", dir, e->d_name);
            log_info("store", "removing %s, left by a gateway that died while writing it", tmp);
            unlink(tmp);
            free(tmp);
            continue;
        }
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        chmod(path, 0600);
        load_one(gw, path, ns);
        free(path);
    }
    if (d)
        closedir(d);
}

int gw_store_load(struct gw *gw, char *err, size_t errlen)
{
    if (engine_keeps(gw))
        return 0;
    char *root = xasprintf("%s/functions", gw->cfg.state_dir);
    if (gw_mkdirs(root, 0700) < 0 || chmod(root, 0700) < 0) {
        snprintf(err, errlen, "state_dir: cannot create %s: %s", root, strerror(errno));
        free(root);
        return -1;
    }
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !gw_valid_name(e->d_name))
            continue;
        char *dir = xasprintf("%s/%s", root, e->d_name);
        load_namespace(gw, dir, e->d_name);
        free(dir);
    }
    if (d)
        closedir(d);
    free(root);
    return 0;
}

/* --- secrets ------------------------------------------------------------ */

char *gw_secret_path(const struct gw *gw, const char *name, const char *ns)
{
    return xasprintf("%s/secrets/%s/%s", gw->cfg.state_dir, ns, name);
}

int gw_secret_write(struct gw *gw, const char *name, const char *ns, const unsigned char *value,
                    size_t len, char *err, size_t errlen)
{
    char *dir = xasprintf("%s/secrets/%s", gw->cfg.state_dir, ns);
    char *path = gw_secret_path(gw, name, ns);
    int rc = gw_mkdirs(dir, 0700) == 0 ? gw_write_file(path, value, len, 0600) : -1;
    if (rc < 0)
        snprintf(err, errlen, "cannot store the secret: %s", strerror(errno));
    free(path);
    free(dir);
    return rc;
}

int gw_secret_remove(struct gw *gw, const char *name, const char *ns)
{
    char *path = gw_secret_path(gw, name, ns);
    int rc = unlink(path);
    free(path);
    return rc;
}

bool gw_secret_exists(struct gw *gw, const char *name, const char *ns)
{
    char *path = gw_secret_path(gw, name, ns);
    bool ok = access(path, F_OK) == 0;
    free(path);
    return ok;
}

json_t *gw_secret_list(struct gw *gw, const char *ns)
{
    json_t *list = json_array();
    char *dir = xasprintf("%s/secrets/%s", gw->cfg.state_dir, ns);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (gw_valid_name(e->d_name))
            json_array_append_new(list,
                                  json_pack("{s:s, s:s}", "name", e->d_name, "namespace", ns));
    if (d)
        closedir(d);
    free(dir);
    return list;
}
