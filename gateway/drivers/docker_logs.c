/* docker_logs.c -- a container's stdout and stderr as the function's log
 * lines: GET /containers/{id}/logs?follow=1, demultiplexed, cut into
 * lines per stream, handed to gw_logs_add so /system/logs is the same on
 * every driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/docker_api.h"
#include "../gw.h"
#include "../logs.h"
#include "docker_int.h"
#include "lines.h"
#include "xalloc.h"

#define LINE_MAX_LEN 4096

struct dk_logs {
    struct dk_replica *r;
    struct dkr_stream *s;
    struct dkr_demux dm;
    struct lines out, err;
};

size_t dk_logs_stamp(const char *line, size_t len, int64_t *unix_ms)
{
    struct tm tm = { 0 };
    char head[32];
    size_t n = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, line, n);
    head[n] = '\0';
    const char *rest = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return 0;
    int64_t ms = 0, scale = 100;
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
            ms += (*rest - '0') * scale;
    const char *end = memchr(rest, ' ', (size_t)(head + n - rest));
    if (*rest != 'Z' || !end)
        return 0;
    *unix_ms = (int64_t)timegm(&tm) * 1000 + ms;
    return (size_t)(end - head) + 1;
}

static void take_line(void *arg, const char *line, size_t len)
{
    struct dk_logs *l = arg;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t at = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    size_t skip = dk_logs_stamp(line, len, &at);
    gw_logs_add_at(dk_state.gw, l->r->f->fn, l->r->instance, at, line + skip, len - skip);
}

static void take_payload(void *arg, int stream, const char *data, size_t len)
{
    struct dk_logs *l = arg;
    lines_feed(stream == 2 ? &l->err : &l->out, data, len);
}

static void on_data(void *arg, const char *data, size_t len)
{
    struct dk_logs *l = arg;
    dkr_demux_feed(&l->dm, data, len, take_payload, l);
}

static void logs_free(struct dk_logs *l)
{
    lines_flush(&l->out);
    lines_flush(&l->err);
    lines_cleanup(&l->out);
    lines_cleanup(&l->err);
    free(l);
}

/* The container stopped (or the engine went away): its last words are
 * in; a restarted container gets a new stream from the next listing. */
static void on_end(void *arg)
{
    struct dk_logs *l = arg;
    l->r->logs = NULL;
    l->r->logs_ended = (int64_t)time(NULL);
    logs_free(l);
}

void dk_logs_start(struct dk_replica *r, int64_t since)
{
    if (r->logs || !r->id[0])
        return;
    struct dk_logs *l = xcalloc(1, sizeof *l);
    l->r = r;
    lines_init(&l->out, LINE_MAX_LEN, take_line, l);
    lines_init(&l->err, LINE_MAX_LEN, take_line, l);
    char path[192];
    snprintf(path, sizeof path,
             "/containers/%s/logs?follow=1&stdout=1&stderr=1&timestamps=1&since=%lld", r->id,
             (long long)since);
    r->logs = l;
    l->s = dkr_stream_start(dk_state.e, path, on_data, on_end, l);
    if (!l->s) {
        r->logs = NULL;
        logs_free(l);
    }
}

void dk_logs_stop(struct dk_replica *r)
{
    struct dk_logs *l = r->logs;
    if (!l)
        return;
    dkr_stream_stop(l->s);
    r->logs = NULL;
    logs_free(l);
}
