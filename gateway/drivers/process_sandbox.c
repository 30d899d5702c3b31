/* process_sandbox.c -- user, temporary directory, secrets and limits of a replica. */
#include "process_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../functions.h"
#include "../gw.h"
#include "../model.h"
#include "../store.h"
#include "log.h"
#include "xalloc.h"

static int copy_secret(struct gw *gw, const struct gw_sandbox *sb, const char *name, const char *ns)
{
    char *from = gw_secret_path(gw, name, ns);
    char *to = xasprintf("%s/%s", sb->secrets_dir, name);
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0400);
    char chunk[8192];
    ssize_t n = 0;
    while (out >= 0 && (n = read(in, chunk, sizeof chunk)) > 0)
        if (write(out, chunk, (size_t)n) != n)
            n = -1;
    int rc = in >= 0 && out >= 0 && n == 0 ? 0 : -1;
    if (rc == 0 && sb->drop_user && fchown(out, sb->uid, sb->gid) < 0)
        rc = -1;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(from);
    free(to);
    return rc;
}

/* Whether replicas can have GW_SECRETS_MOUNT: only root may make mount
 * namespaces, and a container may forbid it even to root. Tried once, in
 * a child, so a refusal costs nothing later. */
static bool secrets_mount_usable(void)
{
    static int usable = -1;
    if (usable >= 0)
        return usable;
    usable = 0;
    const char *why = "the gateway does not run as root";
    if (geteuid() == 0 && gw_mkdirs(GW_SECRETS_MOUNT, 0755) < 0) {
        why = "cannot make " GW_SECRETS_MOUNT;
    } else if (geteuid() == 0) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(unshare(CLONE_NEWNS) == 0 && /* "none": see lib/proc.c */
                          mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0
                      ? 0
                      : 1);
        int st = 0;
        usable = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        why = "no mount namespace allowed here";
    }
    if (usable)
        log_info("replica", "functions read their secrets at " GW_SECRETS_MOUNT
                            " (a private mount per replica)");
    else
        log_warn("replica",
                 "functions read their secrets only at $secret_mount_path, not at " GW_SECRETS_MOUNT
                 ": %s",
                 why);
    return usable;
}

/* The functions given a uid of their own, in order: the n-th is
 * function_uid_base + n for the gateway's life, so every replica of a
 * function shares its uid and no two functions do. */
static char **uid_owners;
static size_t nuid_owners;

static uid_t function_uid(const struct gw *gw, const struct gw_fn *fn)
{
    char *label = xasprintf("%s.%s", fn->name, fn->ns);
    size_t i = 0;
    while (i < nuid_owners && strcmp(uid_owners[i], label) != 0)
        i++;
    if (i == nuid_owners) {
        uid_owners = xrealloc(uid_owners, (nuid_owners + 1) * sizeof *uid_owners);
        uid_owners[nuid_owners++] = label;
    } else {
        free(label);
    }
    return (uid_t)(gw->cfg.function_uid_base + (int64_t)i);
}

static int find_user(struct gw_sandbox *sb, const struct gw *gw, const struct gw_fn *fn, char *err,
                     size_t errlen)
{
    const char *user = gw->cfg.function_user;
    if (geteuid() != 0)
        return 0;
    if (gw->cfg.function_uid_base > 0) {
        sb->drop_user = true;
        sb->uid = function_uid(gw, fn);
        sb->gid = (gid_t)sb->uid;
        return 0;
    }
    if (!user || !*user)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "function_user: no user named %s", user);
        return -1;
    }
    sb->drop_user = pw->pw_uid != 0;
    sb->uid = pw->pw_uid;
    sb->gid = pw->pw_gid;
    return 0;
}

void gw_sandbox_forget_uids(void)
{
    for (size_t i = 0; i < nuid_owners; i++)
        free(uid_owners[i]);
    free(uid_owners);
    uid_owners = NULL;
    nuid_owners = 0;
}

static void limits_of(const struct gw_fn *fn, struct gw_limits *l)
{
    memset(l, 0, sizeof *l);
    const json_t *lim = json_object_get(fn->dep, "limits");
    const char *mem = json_string_value(json_object_get(lim, "memory"));
    const char *cpu = json_string_value(json_object_get(lim, "cpu"));
    if (mem)
        gw_parse_memory(mem, &l->memory_bytes);
    if (cpu)
        gw_parse_cpu(cpu, &l->cpu_millis);
}

int gw_sandbox_make(struct gw_sandbox *sb, struct gw *gw, const struct gw_fn *fn, unsigned id,
                    char *err, size_t errlen)
{
    memset(sb, 0, sizeof *sb);
    if (find_user(sb, gw, fn, err, errlen) < 0)
        return -1;
    const char *base = getenv("TMPDIR");
    char *tmpl = xasprintf("%s/faasbus-%s.%s-%u-XXXXXX", base && *base ? base : "/tmp", fn->name,
                           fn->ns, id);
    sb->tmpdir = mkdtemp(tmpl);
    if (!sb->tmpdir) {
        snprintf(err, errlen, "cannot make a temporary directory: %s", strerror(errno));
        free(tmpl);
        return -1;
    }
    sb->secrets_dir = xasprintf("%s/secrets", sb->tmpdir);
    mkdir(sb->secrets_dir, 0700);
    if (sb->drop_user &&
        (chown(sb->tmpdir, sb->uid, sb->gid) < 0 || chown(sb->secrets_dir, sb->uid, sb->gid) < 0)) {
        snprintf(err, errlen, "cannot hand %s to the function user: %s", sb->tmpdir,
                 strerror(errno));
        gw_sandbox_remove(sb);
        return -1;
    }
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(fn->dep, "secrets"), i, s)
        if (copy_secret(gw, sb, json_string_value(s), fn->ns) < 0)
            log_warn("replica", "cannot give secret %s to function %s.%s", json_string_value(s),
                     fn->name, fn->ns);
    sb->secrets_mount = secrets_mount_usable() ? GW_SECRETS_MOUNT : NULL;
    struct gw_limits l;
    limits_of(fn, &l);
    /* The gateway's pid keeps two gateways on one host (each with an
     * "echo") out of each other's cgroups: ending a replica kills
     * everything in its cgroup. */
    char *cgname = xasprintf("%d-%s.%s-%u", (int)getpid(), fn->name, fn->ns, id);
    gw_cgroup_make(&sb->cg, cgname, &l);
    free(cgname);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void gw_sandbox_remove(struct gw_sandbox *sb)
{
    if (sb->tmpdir)
        nftw(sb->tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    gw_cgroup_remove(&sb->cg);
    XFREE(sb->tmpdir);
    XFREE(sb->secrets_dir);
}
