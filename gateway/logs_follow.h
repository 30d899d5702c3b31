/* logs_follow.h -- /system/logs answered from the lines the gateway keeps
 * (logs.h): NDJSON, one {"name","namespace","instance","timestamp","text"}
 * a line, and, with follow, the lines written after. Locality: loop
 * thread. */
#ifndef GW_LOGS_FOLLOW_H
#define GW_LOGS_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

struct buf;
struct gw;
struct gw_fn;
struct httpd_req;

/* Appends one line as NDJSON to b (dropped when b is full). */
void gw_logs_ndjson(struct buf *b, const char *name, const char *ns, const char *instance,
                    int64_t unix_ms, const char *text);
/* Answers req with fn's kept lines (the last `tail` when > 0, those from
 * since_ms on); with follow, the stream stays open for new lines. */
void gw_logs_stream(struct gw *gw, struct httpd_req *req, struct gw_fn *fn, int64_t tail,
                    int64_t since_ms, bool follow);
/* New lines for fn: its followers get them. */
void gw_logs_notify(struct gw *gw, struct gw_fn *fn);
/* fn is being removed: its followers' streams end. */
void gw_logs_forget(struct gw *gw, struct gw_fn *fn);

#endif
