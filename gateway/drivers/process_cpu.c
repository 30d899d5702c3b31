/* process_cpu.c -- CPU time of a function's replicas on this host, for the
 * autoscaler's cpu type: each watchdog's own time plus that of the
 * children it has reaped (fork mode's per-call processes), read from
 * /proc/<pid>/stat. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../functions.h"
#include "../replica.h"
#include "process_cpu.h"

/* utime + stime + cutime + cstime of pid in clock ticks; -1 if it is gone. */
static long long ticks_of(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    /* comm may hold spaces and parentheses: fields start after the last
     * ')', with the state (field 3); utime..cstime are fields 14 to 17. */
    const char *p = strrchr(line, ')');
    if (!p)
        return -1;
    p++;
    long long sum = 0;
    for (int field = 3; field <= 17; field++) {
        while (*p == ' ')
            p++;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (field >= 14) {
            if (end == p)
                return -1;
            sum += v;
        }
        p = end == p ? p + strcspn(p, " ") : end;
    }
    return sum;
}

double gw_process_cpu_seconds(const struct gw_fn *fn)
{
    long long ticks = 0;
    for (unsigned i = 0; i < fn->nreplicas; i++) {
        const struct gw_replica *r = fn->replicas[i];
        long long t = r->running && r->proc.pid > 0 ? ticks_of(r->proc.pid) : -1;
        if (t > 0)
            ticks += t;
    }
    long hz = sysconf(_SC_CLK_TCK);
    return (double)ticks / (double)(hz > 0 ? hz : 100);
}
