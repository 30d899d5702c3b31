/* process_sandbox.h -- what a replica runs in: an unprivileged user (when the
 * gateway is root), a private temporary directory for its lock file and
 * its secrets, and a cgroup with its limits. Made at each start of a
 * replica, removed when it has exited. */
#ifndef GW_SANDBOX_H
#define GW_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "process_limits.h"

/* Where OpenFaaS functions read their secrets (OpenFaaS's path). */
#define GW_SECRETS_MOUNT "/var/openfaas/secrets"

struct gw;
struct gw_fn;

struct gw_sandbox {
    char *tmpdir;      /* TMPDIR of the replica: its watchdog's lock file */
    char *secrets_dir; /* tmpdir/secrets: one file per secret the function lists */
    /* GW_SECRETS_MOUNT when secrets_dir is bind-mounted there in the
     * replica's own mount namespace (root only), else NULL. */
    const char *secrets_mount;
    struct gw_cgroup cg;
    bool drop_user;
    uid_t uid;
    gid_t gid;
};

/* Returns 0, or -1 with a message in err (the replica cannot start). */
int gw_sandbox_make(struct gw_sandbox *sb, struct gw *gw, const struct gw_fn *fn, unsigned id,
                    char *err, size_t errlen);
void gw_sandbox_remove(struct gw_sandbox *sb);
/* At exit: frees the table of functions' uids. */
void gw_sandbox_forget_uids(void);

#endif
