/* process_limits.c -- cgroup v1 and v2 for replica limits.
 *
 * Where a controller lives is read at run time: /proc/self/cgroup names
 * our cgroup per hierarchy, /proc/self/mountinfo where each hierarchy is
 * mounted. A replica's cgroup is made under ours (never at the root), so
 * the gateway itself can run inside a container or a systemd slice. */
#include "process_limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "xalloc.h"

/* True if the comma-separated `list` holds `tok`. */
static bool has_token(const char *list, size_t listlen, const char *tok)
{
    size_t len = strlen(tok);
    for (const char *p = list, *end = list + listlen; p < end;) {
        size_t n = strcspn(p, ",");
        if (p + n > end)
            n = (size_t)(end - p);
        if (n == len && strncmp(p, tok, len) == 0)
            return true;
        p += n + 1;
    }
    return false;
}

/* The n-th space-separated field of s (0-based), as pointer and length. */
static const char *field(const char *s, int n, size_t *len)
{
    for (; n > 0 && s; n--) {
        s = strchr(s, ' ');
        s = s ? s + 1 : NULL;
    }
    if (s)
        *len = strcspn(s, " \n");
    return s;
}

/* The mount point of the v1 hierarchy with `controller`, or of cgroup2
 * when controller is NULL. Returns a new string or NULL. */
static char *mount_of(const char *controller)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[1024], *found = NULL;
    while (f && !found && fgets(line, sizeof line, f)) {
        const char *sep = strstr(line, " - ");
        size_t mlen, tlen, olen;
        const char *mnt = field(line, 4, &mlen);
        const char *type = sep ? field(sep + 3, 0, &tlen) : NULL;
        const char *opts = sep ? field(sep + 3, 2, &olen) : NULL;
        if (!mnt || !type || !opts)
            continue;
        bool v2 = tlen == 7 && strncmp(type, "cgroup2", 7) == 0;
        bool v1 = tlen == 6 && strncmp(type, "cgroup", 6) == 0;
        if ((!controller && v2) || (controller && v1 && has_token(opts, olen, controller)))
            found = xstrndup(mnt, mlen);
    }
    if (f)
        fclose(f);
    return found;
}

/* Our path in the hierarchy with `controller` (v1), or the v2 path when
 * controller is NULL ("0::/path"). Returns a new string or NULL. */
static char *self_path(const char *controller)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[1024], *found = NULL;
    while (f && !found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        size_t clen = (size_t)(c2 - c1 - 1);
        if (controller ? has_token(c1 + 1, clen, controller) : (clen == 0 && line[0] == '0'))
            found = xstrdup(c2 + 1);
    }
    if (f)
        fclose(f);
    return found;
}

static bool write_file(const char *dir, const char *file, const char *value)
{
    char *path = xasprintf("%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value);
    if (fd >= 0)
        close(fd);
    free(path);
    return ok;
}

/* A new cgroup dir for the replica under ours in the hierarchy at mnt. */
static char *make_dir(const char *controller, const char *name)
{
    char *mnt = mount_of(controller), *self = self_path(controller), *dir = NULL;
    if (mnt && self) {
        dir = xasprintf("%s%s/faasbus-%s", mnt, strcmp(self, "/") == 0 ? "" : self, name);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            XFREE(dir);
    }
    free(mnt);
    free(self);
    return dir;
}

static void add_dir(struct gw_cgroup *cg, char *dir)
{
    for (int i = 0; i < 3; i++)
        if (!cg->dirs[i]) {
            cg->dirs[i] = dir;
            cg->procs[i] = xasprintf("%s/cgroup.procs", dir);
            return;
        }
    free(dir);
}

static bool limit_v1(struct gw_cgroup *cg, const char *ctrl, const char *name, const char *file,
                     const char *value, const char *file2, const char *value2)
{
    char *dir = make_dir(ctrl, name);
    if (!dir)
        return false;
    bool ok = (!file2 || write_file(dir, file2, value2)) && write_file(dir, file, value);
    if (!ok) {
        rmdir(dir);
        free(dir);
        return false;
    }
    add_dir(cg, dir);
    return true;
}

/* cgroup v2: one dir, memory.max and cpu.max, if the controllers are
 * delegated to us. */
static bool limit_v2(struct gw_cgroup *cg, const char *name, const struct gw_limits *l)
{
    char *dir = make_dir(NULL, name);
    if (!dir)
        return false;
    char value[64];
    bool ok = true;
    if (l->memory_bytes) {
        snprintf(value, sizeof value, "%lld", (long long)l->memory_bytes);
        ok = write_file(dir, "memory.max", value);
    }
    if (ok && l->cpu_millis) {
        snprintf(value, sizeof value, "%lld 100000", (long long)l->cpu_millis * 100);
        ok = write_file(dir, "cpu.max", value);
    }
    if (!ok) {
        rmdir(dir);
        free(dir);
        return false;
    }
    add_dir(cg, dir);
    return true;
}

/* A cgroup with no limit, to find the replica's processes by. */
static void membership(struct gw_cgroup *cg, const char *name)
{
    char *dir = make_dir("pids", name);
    if (!dir)
        dir = make_dir(NULL, name);
    if (dir)
        add_dir(cg, dir);
}

void gw_cgroup_make(struct gw_cgroup *cg, const char *name, const struct gw_limits *l)
{
    memset(cg, 0, sizeof *cg);
    if (!l->memory_bytes && !l->cpu_millis) {
        membership(cg, name);
        return;
    }
    if (limit_v2(cg, name, l))
        return;
    char value[64];
    bool mem_ok = !l->memory_bytes, cpu_ok = !l->cpu_millis;
    if (l->memory_bytes) {
        snprintf(value, sizeof value, "%lld", (long long)l->memory_bytes);
        mem_ok = limit_v1(cg, "memory", name, "memory.limit_in_bytes", value, NULL, NULL);
    }
    if (l->cpu_millis) {
        snprintf(value, sizeof value, "%lld", (long long)l->cpu_millis * 100);
        cpu_ok = limit_v1(cg, "cpu", name, "cpu.cfs_quota_us", value, "cpu.cfs_period_us",
                          "100000");
    }
    if (!mem_ok) {
        cg->rlimit_as = l->memory_bytes;
        log_warn("limits", "no memory cgroup for %s: limiting its address space instead", name);
    }
    if (!cpu_ok)
        log_warn("limits", "no cpu cgroup for %s: its CPU limit is not enforced", name);
    if (!cg->dirs[0])
        membership(cg, name);
}

void gw_cgroup_kill(const struct gw_cgroup *cg)
{
    for (int i = 0; i < 3 && cg->procs[i]; i++) {
        FILE *f = fopen(cg->procs[i], "re");
        char line[32];
        while (f && fgets(line, sizeof line, f)) {
            int64_t pid;
            line[strcspn(line, "\n")] = '\0';
            if (parse_int64(line, &pid) == 0 && pid > 1)
                kill((pid_t)pid, SIGKILL);
        }
        if (f)
            fclose(f);
    }
}

void gw_cgroup_remove(struct gw_cgroup *cg)
{
    gw_cgroup_kill(cg);
    for (int i = 0; i < 3; i++) {
        /* Killed processes leave their cgroup as they die: a moment. */
        for (int tries = 0; cg->dirs[i] && rmdir(cg->dirs[i]) < 0 && errno == EBUSY && tries < 100;
             tries++)
            usleep(1000);
        if (cg->dirs[i] && access(cg->dirs[i], F_OK) == 0)
            log_debug("limits", "cannot remove %s: %s", cg->dirs[i], strerror(errno));
        XFREE(cg->dirs[i]);
        XFREE(cg->procs[i]);
    }
}

/* "faasbus-<pid>-...": a replica cgroup of a gateway that no longer runs.
 * A live pid (ours, another gateway's, or a reused one) is left alone. */
static bool orphaned(const char *name)
{
    if (strncmp(name, "faasbus-", 8) != 0)
        return false;
    char *end;
    long pid = strtol(name + 8, &end, 10);
    if (end == name + 8 || *end != '-' || pid <= 1 || pid == (long)getpid())
        return false;
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static void sweep_in(const char *controller)
{
    char *mnt = mount_of(controller), *self = self_path(controller);
    char *parent = mnt && self ? xasprintf("%s%s", mnt, strcmp(self, "/") == 0 ? "" : self) : NULL;
    DIR *d = parent ? opendir(parent) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_type != DT_DIR || !orphaned(e->d_name))
            continue;
        struct gw_cgroup cg = { 0 };
        add_dir(&cg, xasprintf("%s/%s", parent, e->d_name));
        log_warn("limits",
                 "removing %s, left by a gateway that is gone, and what still runs "
                 "in it",
                 cg.dirs[0]);
        gw_cgroup_remove(&cg);
    }
    if (d)
        closedir(d);
    free(parent);
    free(mnt);
    free(self);
}

void gw_cgroup_sweep(void)
{
    static const char *const controllers[] = { "memory", "cpu", "pids" };
    for (size_t i = 0; i < sizeof controllers / sizeof controllers[0]; i++)
        sweep_in(controllers[i]);
    sweep_in(NULL); /* v2 */
}
