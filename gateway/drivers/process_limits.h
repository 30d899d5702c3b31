/* process_limits.h -- a replica's memory and CPU limits, enforced by a cgroup of
 * its own (v1 or v2, whichever controller this host gives us) made under
 * the gateway's own cgroup, else by an address-space rlimit (memory). */
#ifndef GW_LIMITS_H
#define GW_LIMITS_H

#include <stdint.h>

struct gw_limits {
    int64_t memory_bytes; /* 0: none */
    int64_t cpu_millis;   /* 0: none */
};

struct gw_cgroup {
    char *dirs[3];     /* created, removed by gw_cgroup_remove */
    char *procs[4];    /* cgroup.procs files to join; NULL-terminated */
    int64_t rlimit_as; /* when no memory controller: the rlimit instead */
};

/* Makes cgroups for `name` (unique per replica) with the limits set, and
 * always one the replica's processes can be found by (even those that
 * left its process group), where the host lets us. Never fails the
 * replica: what cannot be enforced is logged. */
void gw_cgroup_make(struct gw_cgroup *cg, const char *name, const struct gw_limits *l);
/* SIGKILLs every process still in the replica's cgroups. */
void gw_cgroup_kill(const struct gw_cgroup *cg);
/* Kills what is left and removes the cgroups. */
void gw_cgroup_remove(struct gw_cgroup *cg);
/* Kills and removes the replica cgroups of gateways that died without
 * cleaning up (kill -9), so their leftovers neither run nor pile up. */
void gw_cgroup_sweep(void);

#endif
