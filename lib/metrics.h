/* metrics.h -- Prometheus counters, gauges and histograms, rendered in the
 * text exposition format 0.0.4.
 *
 * A metric is a family with fixed label names (possibly none); each
 * distinct tuple of label values is a series, created on first use.
 * Updates are thread-safe (one mutex per family: the series lookup is a
 * short list walk, and updates are rare next to the work they count). */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct metrics;
struct metric;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* `labels` is a comma-separated list of label names ("code,method"), or
 * NULL for none. Names and help are copied. The returned metric is owned
 * by `m` and lives until metrics_free(). */
struct metric *metrics_counter(struct metrics *m, const char *name, const char *help,
                               const char *labels);
struct metric *metrics_gauge(struct metrics *m, const char *name, const char *help,
                             const char *labels);
/* `bounds`: ascending upper bounds, copied; +Inf is implied. */
struct metric *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                 const char *labels, const double *bounds, size_t nbounds);

/* `values` holds one string per label name, in order (NULL if no labels).
 * metric_add works on counters (v >= 0) and gauges; metric_set on gauges;
 * metric_observe on histograms. */
void metric_add(struct metric *mt, const char *const *values, double v);
void metric_set(struct metric *mt, const char *const *values, double v);
void metric_observe(struct metric *mt, const char *const *values, double v);

/* Drops every series of a family, so a gauge whose label values come and
 * go (per-partition lag) shows only the ones set since. */
void metric_clear(struct metric *mt);

/* Current value of a counter or gauge series (0 if it does not exist);
 * for tests and health decisions. */
double metric_value(struct metric *mt, const char *const *values);

/* Renders every family. Returns a new NUL-terminated string (caller frees)
 * and its length in *len. Label values are escaped (\\, \", \n). */
char *metrics_render(struct metrics *m, size_t *len);

/* Default latency buckets in seconds (Prometheus client defaults). */
extern const double metrics_default_buckets[];
extern const size_t metrics_default_nbuckets;

#endif
