/* logs.c -- /system/logs, NDJSON lines printed as they arrive. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fb.h"
#include "xalloc.h"

struct printer {
    const struct ctx *c;
    struct buf partial; /* a line not yet ended by '\n' */
};

static void print_line(const struct printer *p, const char *line, size_t len)
{
    if (p->c->json) {
        fwrite(line, 1, len, stdout);
        fputc('\n', stdout);
        return;
    }
    json_t *j = json_loadb(line, len, 0, NULL);
    if (!j) {
        fwrite(line, 1, len, stdout);
        fputc('\n', stdout);
        return;
    }
    const char *ts = json_string_value(json_object_get(j, "timestamp"));
    const char *inst = json_string_value(json_object_get(j, "instance"));
    const char *text = json_string_value(json_object_get(j, "text"));
    printf("%s %s (%s) %s\n", ts ? ts : "", json_string_value(json_object_get(j, "name")),
           inst ? inst : "", text ? text : "");
    json_decref(j);
}

static bool on_chunk(const char *data, size_t len, void *arg)
{
    struct printer *p = arg;
    if (buf_append(&p->partial, data, len) != 0)
        return false;
    const char *start = buf_peek(&p->partial);
    const char *nl;
    while ((nl = memchr(start, '\n', p->partial.len)) != NULL) {
        size_t n = (size_t)(nl - start);
        if (n)
            print_line(p, start, n);
        buf_consume(&p->partial, n + 1);
        start = buf_peek(&p->partial);
    }
    fflush(stdout);
    return true;
}

static void add_param(struct buf *b, const char *key, const char *value)
{
    char *ev = curl_easy_escape(NULL, value, 0);
    buf_append(b, "&", 1);
    buf_append(b, key, strlen(key));
    buf_append(b, "=", 1);
    buf_append(b, ev, strlen(ev));
    curl_free(ev);
}

/* A Go-style duration ("90s", "5m", "1h30m") in seconds, or -1. */
static double duration_s(const char *s)
{
    static const struct {
        const char *unit;
        double secs;
    } units[] = {
        { "ms", 0.001 },
        { "s", 1 },
        { "m", 60 },
        { "h", 3600 },
    };
    double total = 0;
    if (!*s)
        return -1;
    while (*s) {
        char *end;
        double n = strtod(s, &end);
        if (end == s || n < 0)
            return -1;
        size_t i = 0;
        while (i < 4 && strncmp(end, units[i].unit, strlen(units[i].unit)) != 0)
            i++;
        /* A bare number is seconds, as the gateway takes it. */
        if (i == 4 && *end)
            return -1;
        total += n * (i == 4 ? 1 : units[i].secs);
        s = i == 4 ? end : end + strlen(units[i].unit);
    }
    return total;
}

/* --since 5m as an RFC 3339 time, which the gateway takes. */
static int since_time(const char *dur, char *out, size_t len)
{
    double secs = duration_s(dur);
    if (secs < 0)
        return -1;
    time_t t = time(NULL) - (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return 0;
}

/* faas-cli spells follow as --tail=true|false and the count as --lines;
 * --tail N is a count here too. Returns -1 for a bad value. */
static int tail_flags(const struct ctx *c, const char **lines, bool *follow)
{
    const char *tail = args_get(&c->a, "tail");
    *lines = args_get(&c->a, "lines");
    *follow = args_has(&c->a, "follow");
    if (!tail)
        return 0;
    if (strcmp(tail, "true") == 0 || strcmp(tail, "false") == 0) {
        *follow = *follow || strcmp(tail, "true") == 0;
        return 0;
    }
    char *end;
    long n = strtol(tail, &end, 10);
    if (*end || n < 0)
        return -1;
    *lines = tail;
    return 0;
}

int cmd_logs(struct ctx *c)
{
    fb_resolve(c);
    char *name = fb_qualified(c, c->a.pos[0]);
    struct buf path;
    buf_init(&path, 1 << 16);
    buf_append(&path, "/system/logs?name=", 18);
    buf_append(&path, name, strlen(name));
    const char *since = args_get(&c->a, "since"), *since_t = args_get(&c->a, "since-time");
    const char *lines = NULL;
    bool follow = false;
    char stamp[64];
    int rc = 0;
    if (tail_flags(c, &lines, &follow) != 0)
        rc = fb_error("--tail: a number of lines, or true/false (follow), not \"%s\"",
                      args_get(&c->a, "tail"));
    else if (lines)
        add_param(&path, "tail", lines);
    if (rc == 0 && since && since_time(since, stamp, sizeof stamp) != 0)
        rc = fb_error("--since: a duration such as 30s, 5m or 2h, not \"%s\"", since);
    else if (rc == 0 && (since || since_t))
        add_param(&path, "since", since ? stamp : since_t);
    add_param(&path, "follow", follow ? "true" : "false");
    if (rc == 0) {
        struct printer p = { c, { 0 } };
        buf_init(&p.partial, 1 << 20);
        struct fb_req req = { .method = "GET",
                              .path = buf_cstr(&path),
                              .auth = true,
                              .stream = on_chunk,
                              .stream_arg = &p };
        struct fb_resp resp;
        /* Only a 200 streams; an error's body is kept for its message. */
        bool answered = fb_http(c, &req, &resp) == 0;
        if (answered && resp.status == 404)
            rc = fb_error("function %s not found", name);
        else if (!answered || resp.status != 200)
            rc = fb_http_error(c, &resp, "logs");
        else if (p.partial.len)
            print_line(&p, buf_peek(&p.partial), p.partial.len);
        fb_resp_free(&resp);
        buf_cleanup(&p.partial);
    }
    buf_cleanup(&path);
    free(name);
    return rc;
}
