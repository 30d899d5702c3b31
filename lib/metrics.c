/* metrics.c -- Prometheus counters, gauges and histograms, rendered in the
 * text exposition format 0.0.4.
 *
 * DESIGN: a registry is an append-only list of families; a family is an
 * append-only list of series. The registry lock guards the family list
 * (registration may race with rendering); each family's lock guards its
 * series list and every value in it. Lookups are linear: families have a
 * handful of series, and a list keeps creation order for free, which is
 * the order we render in. Values are doubles so gauges and sums share one
 * representation; histogram buckets are exact integer counts. */
#include "metrics.h"

#include "xalloc.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

struct series {
    struct series *next;
    char **values;     /* one per label name */
    double value;      /* counter or gauge */
    uint64_t *buckets; /* histogram: nbounds + 1, NOT cumulative */
    double sum;
    uint64_t count;
};

struct metric {
    struct metric *next;
    enum kind kind;
    char *name;
    char *help;
    char **labels;
    size_t nlabels;
    double *bounds;
    size_t nbounds;
    pthread_mutex_t lock; /* guards the series list and their values */
    struct series *head;
    struct series *tail;
};

struct metrics {
    pthread_mutex_t lock; /* guards the family list */
    struct metric *head;
    struct metric *tail;
};

const double metrics_default_buckets[] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
const size_t metrics_default_nbuckets = sizeof metrics_default_buckets /
                                        sizeof metrics_default_buckets[0];

/* ---- output buffer ---------------------------------------------------- */

/* The rendered size comes from our own registrations, not from a request,
 * so growing without a hard limit is acceptable here. */
struct sbuf {
    char *p;
    size_t len;
    size_t cap;
};

static void sb_putn(struct sbuf *sb, const char *s, size_t n)
{
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 256;
        while (sb->len + n + 1 > cap)
            cap *= 2;
        sb->p = xrealloc(sb->p, cap);
        sb->cap = cap;
    }
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

static void sb_puts(struct sbuf *sb, const char *s)
{
    sb_putn(sb, s, strlen(s));
}

static void sb_putc(struct sbuf *sb, char c)
{
    sb_putn(sb, &c, 1);
}

/* Backslash and newline always; the double quote only inside label values
 * (HELP text is not quoted, so the format leaves '"' alone there). */
static void sb_escaped(struct sbuf *sb, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            sb_puts(sb, "\\\\");
        else if (*s == '\n')
            sb_puts(sb, "\\n");
        else if (*s == '"' && quote)
            sb_puts(sb, "\\\"");
        else
            sb_putc(sb, *s);
    }
}

/* Shortest of %.15g..%.17g that reads back as the same double: "0.1"
 * rather than "0.10000000000000001", and integral values like 3 print as
 * "3" with no decimal point. */
static void sb_double(struct sbuf *sb, double v)
{
    char tmp[32];

    if (isnan(v)) {
        sb_puts(sb, "NaN");
        return;
    }
    if (isinf(v)) {
        sb_puts(sb, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    sb_puts(sb, tmp);
}

static void sb_u64(struct sbuf *sb, uint64_t v)
{
    char tmp[24];

    snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    sb_puts(sb, tmp);
}

/* ---- registration ----------------------------------------------------- */

static bool name_ok(const char *s, bool colon)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                  (*s >= '0' && *s <= '9') || *s == '_' || (colon && *s == ':');
        if (!ok)
            return false;
    }
    return true;
}

/* Splits "code, method" into owned names. Bad names are programmer
 * errors: they would make the whole scrape unparseable. */
static char **split_labels(const char *labels, size_t *n)
{
    char **out = NULL;
    bool ok;

    *n = 0;
    if (!labels)
        return NULL;
    for (const char *p = labels;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        out = xrealloc(out, (*n + 1) * sizeof *out);
        out[*n] = xstrndup(p, len);
        ok = name_ok(out[*n], false) && strncmp(out[*n], "__", 2) != 0;
        assert(ok);
        (*n)++;
        if (!end)
            break;
        p = end + 1;
    }
    (void)ok;
    return out;
}

static struct series *series_new(const struct metric *mt, const char *const *values)
{
    struct series *s = xcalloc(1, sizeof *s);

    /* values is NULL exactly when there are no labels (check_values). */
    if (values) {
        s->values = xcalloc(mt->nlabels, sizeof *s->values);
        for (size_t i = 0; i < mt->nlabels; i++)
            s->values[i] = xstrdup(values[i]);
    }
    if (mt->kind == KIND_HISTOGRAM)
        s->buckets = xcalloc(mt->nbounds + 1, sizeof *s->buckets);
    return s;
}

static void series_free(struct series *s, size_t nlabels)
{
    for (size_t i = 0; s->values && i < nlabels; i++)
        free(s->values[i]);
    free(s->values);
    free(s->buckets);
    free(s);
}

/* Lock: mt->lock held on entry. */
static void series_append(struct metric *mt, struct series *s)
{
    if (mt->tail)
        mt->tail->next = s;
    else
        mt->head = s;
    mt->tail = s;
}

static struct metric *family_new(enum kind kind, const char *name, const char *help,
                                 const char *labels)
{
    struct metric *mt = xcalloc(1, sizeof *mt);
    bool ok = name && name_ok(name, true);
    int rc;

    assert(ok);
    mt->kind = kind;
    mt->name = xstrdup(name);
    mt->help = xstrdup(help ? help : "");
    mt->labels = split_labels(labels, &mt->nlabels);
    rc = pthread_mutex_init(&mt->lock, NULL);
    assert(rc == 0);
    (void)rc;
    (void)ok;
    return mt;
}

/* A family without labels has exactly one series; creating it now makes
 * it render as 0 from the first scrape, as the official clients do, so
 * rate() sees the start instead of a series appearing mid-way. */
static struct metric *family_register(struct metrics *m, struct metric *mt)
{
    if (mt->nlabels == 0)
        series_append(mt, series_new(mt, NULL));
    pthread_mutex_lock(&m->lock);
    for (const struct metric *o = m->head; o; o = o->next)
        assert(strcmp(o->name, mt->name) != 0);
    if (m->tail)
        m->tail->next = mt;
    else
        m->head = mt;
    m->tail = mt;
    pthread_mutex_unlock(&m->lock);
    return mt;
}

static void family_free(struct metric *mt)
{
    struct series *s = mt->head;

    while (s) {
        struct series *next = s->next;
        series_free(s, mt->nlabels);
        s = next;
    }
    for (size_t i = 0; i < mt->nlabels; i++)
        free(mt->labels[i]);
    free(mt->labels);
    free(mt->bounds);
    free(mt->name);
    free(mt->help);
    pthread_mutex_destroy(&mt->lock);
    free(mt);
}

struct metrics *metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    int rc = pthread_mutex_init(&m->lock, NULL);

    assert(rc == 0);
    (void)rc;
    return m;
}

void metrics_free(struct metrics *m)
{
    struct metric *mt;

    if (!m)
        return;
    mt = m->head;
    while (mt) {
        struct metric *next = mt->next;
        family_free(mt);
        mt = next;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

struct metric *metrics_counter(struct metrics *m, const char *name, const char *help,
                               const char *labels)
{
    return family_register(m, family_new(KIND_COUNTER, name, help, labels));
}

struct metric *metrics_gauge(struct metrics *m, const char *name, const char *help,
                             const char *labels)
{
    return family_register(m, family_new(KIND_GAUGE, name, help, labels));
}

struct metric *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                 const char *labels, const double *bounds, size_t nbounds)
{
    struct metric *mt = family_new(KIND_HISTOGRAM, name, help, labels);

    /* "le" is ours; finite strictly ascending bounds keep the cumulative
     * counts monotonic, which Prometheus requires. */
    for (size_t i = 0; i < mt->nlabels; i++)
        assert(strcmp(mt->labels[i], "le") != 0);
    for (size_t i = 0; i < nbounds; i++)
        assert(isfinite(bounds[i]) && (i == 0 || bounds[i - 1] < bounds[i]));
    mt->nbounds = nbounds;
    if (nbounds) {
        mt->bounds = xmalloc(nbounds * sizeof *mt->bounds);
        memcpy(mt->bounds, bounds, nbounds * sizeof *mt->bounds);
    }
    return family_register(m, mt);
}

/* ---- updates ---------------------------------------------------------- */

/* The array carries no length, so this catches a NULL array or a missing
 * entry, not surplus values. */
static void check_values(const struct metric *mt, const char *const *values)
{
    assert((mt->nlabels == 0) == (values == NULL));
    for (size_t i = 0; values && i < mt->nlabels; i++)
        assert(values[i] != NULL);
    (void)mt;
    (void)values;
}

/* Lock: mt->lock held on entry. */
static struct series *find(struct metric *mt, const char *const *values)
{
    for (struct series *s = mt->head; s; s = s->next) {
        size_t i = 0;
        while (i < mt->nlabels && strcmp(s->values[i], values[i]) == 0)
            i++;
        if (i == mt->nlabels)
            return s;
    }
    return NULL;
}

/* Lock: mt->lock held on entry. */
static struct series *get(struct metric *mt, const char *const *values)
{
    struct series *s = find(mt, values);

    if (!s) {
        s = series_new(mt, values);
        series_append(mt, s);
    }
    return s;
}

void metric_add(struct metric *mt, const char *const *values, double v)
{
    assert(mt->kind == KIND_COUNTER || mt->kind == KIND_GAUGE);
    /* Written so NaN fails too: a counter must never go backwards. */
    assert(mt->kind != KIND_COUNTER || v >= 0);
    check_values(mt, values);
    pthread_mutex_lock(&mt->lock);
    get(mt, values)->value += v;
    pthread_mutex_unlock(&mt->lock);
}

void metric_set(struct metric *mt, const char *const *values, double v)
{
    assert(mt->kind == KIND_GAUGE);
    check_values(mt, values);
    pthread_mutex_lock(&mt->lock);
    get(mt, values)->value = v;
    pthread_mutex_unlock(&mt->lock);
}

void metric_observe(struct metric *mt, const char *const *values, double v)
{
    size_t i = 0;
    struct series *s;

    assert(mt->kind == KIND_HISTOGRAM);
    check_values(mt, values);
    /* NaN compares false everywhere and lands in +Inf only, as in the Go
     * client; the sum then turns NaN, which is the honest answer. */
    while (i < mt->nbounds && !(v <= mt->bounds[i]))
        i++;
    pthread_mutex_lock(&mt->lock);
    s = get(mt, values);
    s->buckets[i]++;
    s->sum += v;
    s->count++;
    pthread_mutex_unlock(&mt->lock);
}

void metric_clear(struct metric *mt)
{
    struct series *s;

    pthread_mutex_lock(&mt->lock);
    s = mt->head;
    mt->head = mt->tail = NULL;
    pthread_mutex_unlock(&mt->lock);
    while (s) {
        struct series *next = s->next;
        series_free(s, mt->nlabels);
        s = next;
    }
}

double metric_value(struct metric *mt, const char *const *values)
{
    const struct series *s;
    double v;

    assert(mt->kind == KIND_COUNTER || mt->kind == KIND_GAUGE);
    check_values(mt, values);
    pthread_mutex_lock(&mt->lock);
    s = find(mt, values);
    v = s ? s->value : 0;
    pthread_mutex_unlock(&mt->lock);
    return v;
}

/* ---- rendering -------------------------------------------------------- */

/* Writes `{a="x",b="y"` plus an optional le pair, and the closing brace;
 * nothing at all when there are no labels and no le. */
static void put_labels(struct sbuf *sb, const struct metric *mt, const struct series *s,
                       const double *le)
{
    if (mt->nlabels == 0 && !le)
        return;
    sb_putc(sb, '{');
    for (size_t i = 0; i < mt->nlabels; i++) {
        if (i)
            sb_putc(sb, ',');
        sb_puts(sb, mt->labels[i]);
        sb_puts(sb, "=\"");
        sb_escaped(sb, s->values[i], true);
        sb_putc(sb, '"');
    }
    if (le) {
        sb_puts(sb, mt->nlabels ? ",le=\"" : "le=\"");
        sb_double(sb, *le);
        sb_putc(sb, '"');
    }
    sb_putc(sb, '}');
}

static void put_name(struct sbuf *sb, const struct metric *mt, const char *suffix)
{
    sb_puts(sb, mt->name);
    sb_puts(sb, suffix);
}

static void render_histogram(struct sbuf *sb, const struct metric *mt, const struct series *s)
{
    uint64_t cum = 0;
    const double inf = INFINITY;

    for (size_t i = 0; i <= mt->nbounds; i++) {
        cum += s->buckets[i];
        put_name(sb, mt, "_bucket");
        put_labels(sb, mt, s, i < mt->nbounds ? &mt->bounds[i] : &inf);
        sb_putc(sb, ' ');
        sb_u64(sb, cum);
        sb_putc(sb, '\n');
    }
    put_name(sb, mt, "_sum");
    put_labels(sb, mt, s, NULL);
    sb_putc(sb, ' ');
    sb_double(sb, s->sum);
    sb_putc(sb, '\n');
    put_name(sb, mt, "_count");
    put_labels(sb, mt, s, NULL);
    sb_putc(sb, ' ');
    sb_u64(sb, s->count);
    sb_putc(sb, '\n');
}

static void render_family(struct sbuf *sb, struct metric *mt)
{
    static const char *const types[] = {
        [KIND_COUNTER] = "counter",
        [KIND_GAUGE] = "gauge",
        [KIND_HISTOGRAM] = "histogram",
    };

    sb_puts(sb, "# HELP ");
    sb_puts(sb, mt->name);
    sb_putc(sb, ' ');
    sb_escaped(sb, mt->help, false);
    sb_puts(sb, "\n# TYPE ");
    sb_puts(sb, mt->name);
    sb_putc(sb, ' ');
    sb_puts(sb, types[mt->kind]);
    sb_putc(sb, '\n');

    pthread_mutex_lock(&mt->lock);
    for (const struct series *s = mt->head; s; s = s->next) {
        if (mt->kind == KIND_HISTOGRAM) {
            render_histogram(sb, mt, s);
            continue;
        }
        put_name(sb, mt, "");
        put_labels(sb, mt, s, NULL);
        sb_putc(sb, ' ');
        sb_double(sb, s->value);
        sb_putc(sb, '\n');
    }
    pthread_mutex_unlock(&mt->lock);
}

char *metrics_render(struct metrics *m, size_t *len)
{
    struct sbuf sb = { 0 };

    sb_putn(&sb, "", 0); /* an empty registry still yields "" */
    pthread_mutex_lock(&m->lock);
    for (struct metric *mt = m->head; mt; mt = mt->next)
        render_family(&sb, mt);
    pthread_mutex_unlock(&m->lock);
    if (len)
        *len = sb.len;
    return sb.p;
}
