/* bus.c -- topics, publish and subscribe: the verbs faas-cli lacks. */
#include "bus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "table.h"
#include "xalloc.h"

int bus_target(const struct ctx *c, const char *topic, struct bus_target *t)
{
    const char *kind = args_get(&c->a, "bus");
    memset(t, 0, sizeof *t);
    t->name = topic;
    if (strncmp(topic, "nats:", 5) == 0) {
        t->nats = true;
        t->name = topic + 5;
    } else if (strncmp(topic, "kafka:", 6) == 0) {
        t->name = topic + 6;
    }
    if (kind && strcmp(kind, "nats") != 0 && strcmp(kind, "kafka") != 0)
        return fb_error("--bus: kafka or nats, not \"%s\"", kind);
    if (kind)
        t->nats = strcmp(kind, "nats") == 0;
    if (!*t->name)
        return fb_error("the topic is empty");
    t->brokers = args_get(&c->a, "brokers");
    if (!t->brokers)
        t->brokers = getenv("FAASBUS_BROKERS");
    if (!t->brokers || !*t->brokers)
        t->brokers = "127.0.0.1:9092";
    t->nats_url = args_get(&c->a, "nats-url");
    if (!t->nats_url)
        t->nats_url = getenv("FAASBUS_NATS_URL");
    if (!t->nats_url)
        t->nats_url = getenv("NATS_URL");
    if (!t->nats_url || !*t->nats_url)
        t->nats_url = "nats://127.0.0.1:4222";
    return 0;
}

long bus_count(const struct ctx *c)
{
    const char *s = args_get(&c->a, "count");
    return s ? atol(s) : 0;
}

double bus_timeout(const struct ctx *c)
{
    const char *s = args_get(&c->a, "timeout");
    return s ? atof(s) : 0;
}

static bool printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static json_t *bytes_json(const char *s, size_t len)
{
    json_t *j = s ? json_stringn(s, len) : json_null();
    if (!j) { /* not UTF-8: base64, marked so */
        char *b = base64_encode((const unsigned char *)s, len);
        j = json_pack("{s:s}", "base64", b);
        free(b);
    }
    return j;
}

void bus_print_record(const struct ctx *c, const char *where, const char *key, size_t key_len,
                      const char *const *names, const char *const *values, const size_t *value_lens,
                      int nheaders, const char *value, size_t len)
{
    if (c->json) {
        json_t *h = json_object();
        for (int i = 0; i < nheaders; i++)
            json_object_set_new(h, names[i], bytes_json(values[i], value_lens[i]));
        json_t *j = json_pack("{s:s, s:o, s:o, s:o}", "source", where, "key",
                              bytes_json(key, key_len), "headers", h, "value",
                              bytes_json(value, len));
        char *s = json_dumps(j, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(j);
    } else {
        printf("%s", fb_colour(c, "1", where));
        if (key)
            printf(" key=%.*s", (int)key_len, key);
        for (int i = 0; i < nheaders; i++)
            printf(" %s=%.*s", names[i], (int)value_lens[i], values[i] ? values[i] : "");
        putchar('\n');
        if (printable(value, len))
            fwrite(value, 1, len, stdout);
        else
            printf("(%zu bytes, not text)", len);
        putchar('\n');
    }
    fflush(stdout);
}

int cmd_publish(struct ctx *c)
{
    struct bus_target t;
    if (bus_target(c, c->a.pos[0], &t) != 0)
        return 1;
    struct buf value;
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "Reading from STDIN - hit (Control + D) to stop.\n");
    int rc = fb_read_stdin(&value);
    if (rc == 0)
        rc = t.nats ? nats_publish(c, &t, &value) : kafka_publish(c, &t, &value);
    buf_cleanup(&value);
    return rc;
}

int cmd_subscribe(struct ctx *c)
{
    struct bus_target t;
    if (bus_target(c, c->a.pos[0], &t) != 0)
        return 1;
    return t.nats ? nats_subscribe(c, &t) : kafka_subscribe(c, &t);
}

/* --- topics: the connector's routes with counts from its /metrics ------ */

/* Sums the samples of metric `name` whose label `label` is `value`. */
static double metric_sum(const char *text, const char *name, const char *label, const char *value)
{
    double sum = 0;
    char *want = xasprintf("%s=\"%s\"", label, value);
    size_t nlen = strlen(name);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, name, nlen) == 0 && line[nlen] == '{') {
            char *copy = xstrndup(line, len);
            char *close = strchr(copy, '}');
            if (close) {
                *close = '\0';
                char *hit = strstr(copy, want);
                if (hit && (hit[-1] == '{' || hit[-1] == ','))
                    sum += atof(close + 1);
            }
            free(copy);
        }
        line = end ? end + 1 : NULL;
    }
    free(want);
    return sum;
}

static const char *connector_url(const struct ctx *c)
{
    const char *u = args_get(&c->a, "connector");
    if (!u || !*u)
        u = getenv("FAASBUS_CONNECTOR");
    return u && *u ? u : "http://127.0.0.1:8081";
}

static int fetch(const struct ctx *c, const char *path, struct fb_resp *resp)
{
    struct fb_req req = { .method = "GET", .path = path };
    if (fb_http(c, &req, resp) != 0 || resp->status != 200) {
        int rc = resp->status ? fb_error("%s: the connector answered %ld", path, resp->status)
                              : fb_error("cannot reach the connector at %s: %s", connector_url(c),
                                         resp->error);
        fb_resp_free(resp);
        return rc;
    }
    return 0;
}

static void print_routes(const struct ctx *c, json_t *routes, const char *metrics)
{
    static const char *const header[] = { "TOPIC",    "FUNCTION", "REPLY-TOPIC", "ERROR-TOPIC",
                                          "MESSAGES", "REPLIES",  "DEAD-LETTERS" };
    struct table t;
    table_init(&t, 7, header);
    size_t i;
    json_t *r;
    json_array_foreach(routes, i, r) {
        const char *fn = json_string_value(json_object_get(r, "function"));
        const char *topic = json_string_value(json_object_get(r, "topic"));
        const char *reply = json_string_value(json_object_get(r, "reply_topic"));
        const char *error = json_string_value(json_object_get(r, "error_topic"));
        char msgs[32], replies[32], dead[32];
        snprintf(msgs, sizeof msgs, "%.0f",
                 metric_sum(metrics, "connector_messages_total", "topic", topic));
        snprintf(replies, sizeof replies, "%.0f",
                 metric_sum(metrics, "connector_replies_total", "function", fn));
        snprintf(dead, sizeof dead, "%.0f",
                 metric_sum(metrics, "connector_dead_letters_total", "function", fn));
        const char *row[] = { topic,   fn,  reply ? reply : "-", error ? error : "-", msgs,
                              replies, dead };
        table_row(&t, row);
    }
    table_print(&t, stdout, c->tty);
}

int cmd_topics(struct ctx *c)
{
    /* topics talks to the connector, not the gateway: its URL is the base
     * the paths are joined to. */
    c->tls_no_verify = args_has(&c->a, "tls-no-verify");
    c->gateway = xstrdup(connector_url(c));
    for (size_t n = strlen(c->gateway); n > 0 && c->gateway[n - 1] == '/'; n--)
        c->gateway[n - 1] = '\0';
    struct fb_resp routes, metrics;
    int rc = fetch(c, "/routes", &routes);
    if (rc == 0 && (rc = fetch(c, "/metrics", &metrics)) != 0)
        fb_resp_free(&routes);
    if (rc != 0)
        return rc;
    json_t *j = json_loadb(buf_peek(&routes.body), routes.body.len, 0, NULL);
    json_t *list = json_object_get(j, "routes");
    const char *text = buf_cstr(&metrics.body);
    if (!json_is_array(list)) {
        rc = fb_error("the connector's /routes has no \"routes\" list");
    } else if (c->json) {
        size_t i;
        json_t *r;
        json_array_foreach(list, i, r) {
            const char *fn = json_string_value(json_object_get(r, "function"));
            const char *topic = json_string_value(json_object_get(r, "topic"));
            json_object_set_new(
                r, "counts",
                json_pack("{s:f, s:f, s:f}", "messages",
                          metric_sum(text, "connector_messages_total", "topic", topic), "replies",
                          metric_sum(text, "connector_replies_total", "function", fn),
                          "dead_letters",
                          metric_sum(text, "connector_dead_letters_total", "function", fn)));
        }
        fb_print_json(list);
    } else {
        print_routes(c, list, text ? text : "");
    }
    json_decref(j);
    fb_resp_free(&routes);
    fb_resp_free(&metrics);
    return rc;
}
