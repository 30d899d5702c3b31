/* logs.h -- each function's recent output lines, kept in a ring for
 * /system/logs. Locality: loop thread. */
#ifndef GW_LOGS_H
#define GW_LOGS_H

#include <stddef.h>
#include <stdint.h>

struct gw;
struct gw_fn;

/* A line a replica wrote, kept for /system/logs. */
struct gw_logline {
    int64_t unix_ms;
    unsigned instance;
    char *text;
};

void gw_logs_add(struct gw *gw, struct gw_fn *fn, unsigned instance, const char *text, size_t len);
/* The same with the time the line was written (an engine's timestamp). */
void gw_logs_add_at(struct gw *gw, struct gw_fn *fn, unsigned instance, int64_t unix_ms,
                    const char *text, size_t len);
void gw_logs_free(struct gw_fn *fn);

#endif
