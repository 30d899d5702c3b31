/* nats_config.c -- checking and parsing the NATS settings. */
#include "nats_config.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "subject.h"
#include "xalloc.h"

/* Where a setting's value came from, for an error message: the
 * environment wins over the file, as in cfg.c. */
static void where(const char *name, const char *file, char *out, size_t len)
{
    config_t cf;
    const config_setting_t *s;

    snprintf(out, len, "%s", name);
    if (getenv(name)) {
        snprintf(out, len, "environment variable %s", name);
        return;
    }
    if (!file)
        return;
    config_init(&cf);
    if (config_read_file(&cf, file) && (s = config_lookup(&cf, name)))
        snprintf(out, len, "%s:%d: %s", file, config_setting_source_line(s), name);
    config_destroy(&cf);
}

static int fail(const char *name, const char *file, char *err, size_t errlen, const char *why)
{
    char w[512];

    where(name, file, w, sizeof w);
    snprintf(err, errlen, "%s: %s", w, why);
    return -1;
}

static int check_subjects(const char *text, char *why, size_t whylen)
{
    for (const char *p = text; *p;) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        char *s = xstrndup(p, n);
        bool ok = cn_subject_valid(s, true);
        if (!ok)
            snprintf(why, whylen,
                     "\"%s\" is not a NATS subject (dot-separated tokens; "
                     "* for one token, > for the rest)",
                     s);
        free(s);
        if (!ok)
            return -1;
        p += n;
    }
    return 0;
}

int cn_nats_config_check(const struct cn_config *cfg, const char *file, char *err, size_t errlen)
{
    char why[400];
    struct cn_stream_spec *v = NULL;
    int n;

    if (!*cfg->nats_url && (*cfg->subjects || *cfg->streams))
        return fail(*cfg->subjects ? "subjects" : "streams", file, err, errlen,
                    "set, but nats_url is empty");
    if (check_subjects(cfg->subjects, why, sizeof why) < 0)
        return fail("subjects", file, err, errlen, why);
    n = cn_streams_parse(cfg->streams, &v, why, sizeof why);
    cn_streams_free(v, n);
    if (n < 0)
        return fail("streams", file, err, errlen, why);
    if (!*cfg->nats_key_header || strpbrk(cfg->nats_key_header, ": \t\r\n"))
        return fail("nats_key_header", file, err, errlen, "expected a header name");
    return 0;
}

/* Stream names cannot hold dots, wildcards or blanks (NATS rules). */
static bool stream_name_ok(const char *s)
{
    return *s && strlen(s) <= 255 && !strpbrk(s, ".*> \t\r\n/\\");
}

static int parse_one(const char *item, struct cn_stream_spec *out, char *why, size_t whylen)
{
    const char *colon = strchr(item, ':');

    out->stream = colon ? xstrndup(item, (size_t)(colon - item)) : xstrdup(item);
    out->filter = colon ? xstrdup(colon + 1) : NULL;
    if (!stream_name_ok(out->stream)) {
        snprintf(why, whylen,
                 "\"%s\": \"%s\" is not a stream name (no dots, wildcards or "
                 "blanks)",
                 item, out->stream);
        return -1;
    }
    if (out->filter && !cn_subject_valid(out->filter, true)) {
        snprintf(why, whylen, "\"%s\": \"%s\" is not a NATS subject filter", item, out->filter);
        return -1;
    }
    return 0;
}

int cn_streams_parse(const char *text, struct cn_stream_spec **out, char *why, size_t whylen)
{
    int n = 0;

    *out = NULL;
    for (const char *p = text; *p;) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len == 0)
            break;
        char *item = xstrndup(p, len);
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        int rc = parse_one(item, &(*out)[n++], why, whylen);
        free(item);
        if (rc < 0) {
            cn_streams_free(*out, n);
            *out = NULL;
            return -1;
        }
        p += len;
    }
    return n;
}

void cn_streams_free(struct cn_stream_spec *v, int n)
{
    for (int i = 0; v && i < n; i++) {
        free(v[i].stream);
        free(v[i].filter);
    }
    free(v);
}

char *cn_stream_durable(const char *group, const struct cn_stream_spec *s)
{
    char *name = xasprintf("%s_%s%s%s", group, s->stream, s->filter ? "_" : "",
                           s->filter ? s->filter : "");

    for (char *c = name; *c; c++) {
        if (*c == '.' || *c == '*' || *c == '>' || *c == ' ' || *c == '\t' || *c == '/' ||
            *c == '\\')
            *c = *c == '>' ? 'G' : *c == '*' ? 'S' : '_';
    }
    return name;
}
