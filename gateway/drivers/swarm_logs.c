/* swarm_logs.c -- a function's output from its service's logs.
 *
 * DESIGN: one followed GET /services/{id}/logs per function (Swarm
 * gathers every task's output, on any node), with timestamps and
 * details, so each line says which task wrote it: that task's slot is
 * the line's instance. A stream that ends (the engine restarted, the
 * service was replaced) is started again by the next listing, from the
 * last line's time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/docker_api.h"
#include "../gw.h"
#include "../logs.h"
#include "../logs_follow.h"
#include "swarm_int.h"
#include "xalloc.h"

#define D sw_state
#define MAX_LINE 16384

struct sw_logs {
    struct sw_fn *f;
    struct dkr_stream *s;
    struct dkr_demux demux;
    char line[MAX_LINE];
    size_t len;
};

/* "2026-12-04T00:46:41.167120054Z " -> unix ms. Returns the prefix's
 * length, 0 if the line has none. */
static size_t stamp(const char *p, size_t len, int64_t *ms)
{
    struct tm tm = { 0 };
    int n = 0;
    if (len < 21 || sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t frac = 0, scale = 1000;
    size_t i = (size_t)n;
    if (i < len && p[i] == '.')
        for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++)
            if (scale > 1) {
                scale /= 10;
                frac += (p[i] - '0') * scale;
            }
    if (i >= len || p[i] != 'Z')
        return 0;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return i + 1 < len && p[i + 1] == ' ' ? i + 2 : i + 1;
}

/* The slot of the task named in the details ("...,com.docker.swarm.
 * task.id=ID "), 0 when not (or no longer) known. */
static unsigned slot_of(const struct sw_fn *f, const char *details, size_t len)
{
    static const char key[] = "com.docker.swarm.task.id=";
    for (size_t i = 0; i + sizeof key - 1 <= len; i++)
        if (memcmp(details + i, key, sizeof key - 1) == 0) {
            const char *id = details + i + sizeof key - 1;
            size_t n = strcspn(id, ", ");
            for (unsigned k = 0; k < f->n; k++)
                if (strlen(f->t[k]->id) == n && memcmp(f->t[k]->id, id, n) == 0)
                    return f->t[k]->slot;
            return 0;
        }
    return 0;
}

static void take_line(struct sw_logs *l, const char *p, size_t len)
{
    int64_t ms = 0;
    size_t skip = stamp(p, len, &ms);
    if (!skip)
        ms = (int64_t)time(NULL) * 1000;
    p += skip;
    len -= skip;
    const char *sp = memchr(p, ' ', len);
    unsigned slot = 0;
    if (sp && memchr(p, '=', (size_t)(sp - p))) { /* the details */
        slot = slot_of(l->f, p, (size_t)(sp - p));
        len -= (size_t)(sp + 1 - p);
        p = sp + 1;
    }
    l->f->logs_since = ms / 1000;
    gw_logs_add_at(D.gw, l->f->fn, slot, ms, p, len);
}

static void on_piece(void *arg, int stream, const char *data, size_t len)
{
    (void)stream;
    struct sw_logs *l = arg;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' || l->len == MAX_LINE) {
            take_line(l, l->line, l->len);
            l->len = 0;
            if (data[i] == '\n')
                continue;
        }
        l->line[l->len++] = data[i];
    }
}

static void on_data(void *arg, const char *data, size_t len)
{
    struct sw_logs *l = arg;
    dkr_demux_feed(&l->demux, data, len, on_piece, l);
    gw_logs_notify(D.gw, l->f->fn);
}

static void on_end(void *arg)
{
    struct sw_logs *l = arg;
    l->f->logs = NULL;
    free(l);
}

void sw_logs_start(struct sw_fn *f)
{
    if (f->logs || !f->service[0])
        return;
    struct sw_logs *l = xcalloc(1, sizeof *l);
    l->f = f;
    char path[256];
    snprintf(path, sizeof path,
             "/services/%s/logs?follow=1&stdout=1&stderr=1&timestamps=1&details=1&since=%lld",
             f->service, (long long)f->logs_since);
    l->s = dkr_stream_start(D.e, path, on_data, on_end, l);
    if (!l->s) {
        free(l);
        return;
    }
    f->logs = l;
}

void sw_logs_stop(struct sw_fn *f)
{
    if (!f->logs)
        return;
    dkr_stream_stop(f->logs->s);
    free(f->logs);
    f->logs = NULL;
}
