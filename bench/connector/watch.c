/* watch.c -- times a counter of a Prometheus endpoint (the connector's
 * connector_replies_total) on its way up by N, sampling it every few ms
 * over one kept-alive connection.
 *
 * The first sample is the base; as soon as it is taken, "base=<value>" is
 * printed (so the caller knows it may start the load). Sampling goes on
 * until the counter has grown by N, or the time runs out; then:
 *   n=<growth seen> first_ms=<first sample above the base> t10_ms=<> t50_ms=<>
 *   t90_ms=<when it had grown by 10%, 50%, 90% of N> last_ms=<...by N, or -1>
 *   samples=<> errors=<failed samples>
 * Times are ms after the base sample; t10..last are interpolated linearly
 * between the two samples around them (-1 if never reached). The counter
 * is the sum of every sample of METRIC, whatever its labels.
 *
 * Usage: watch URL METRIC N [TIMEOUT_S [INTERVAL_MS]]   (defaults 60, 10) */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "parse.h"
#include "xalloc.h"

struct sample {
    double ms, v;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    buf_append(arg, p, size * n);
    return size * n;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The sum of METRIC's samples in a Prometheus text page. */
static double metric_sum(const char *text, const char *name)
{
    size_t nl = strlen(name);
    double sum = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, name, nl) == 0 && (line[nl] == '{' || line[nl] == ' ')) {
            const char *sp = end ? end : line + strlen(line);
            while (sp > line && sp[-1] != ' ')
                sp--;
            sum += strtod(sp, NULL);
        }
        line = end ? end + 1 : NULL;
    }
    return sum;
}

/* When the samples first reached `level` (interpolated), -1 if never. */
static double crossing(const struct sample *s, size_t n, double level)
{
    for (size_t i = 1; i < n; i++) {
        if (s[i].v >= level) {
            if (s[i - 1].v >= level)
                return s[i - 1].ms;
            return s[i - 1].ms +
                   (level - s[i - 1].v) / (s[i].v - s[i - 1].v) * (s[i].ms - s[i - 1].ms);
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    int64_t want, timeout_s = 60, interval = 10;
    if (argc < 4 || argc > 6 || parse_int64(argv[3], &want) < 0 || want < 1 ||
        (argc > 4 && (parse_int64(argv[4], &timeout_s) < 0 || timeout_s < 1)) ||
        (argc > 5 && (parse_int64(argv[5], &interval) < 0 || interval < 1))) {
        fprintf(stderr, "usage: watch URL METRIC N [TIMEOUT_S [INTERVAL_MS]]\n");
        return 2;
    }
    const char *metric = argv[2];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct buf body;
    buf_init(&body, (size_t)64 << 20);
    curl_easy_setopt(c, CURLOPT_URL, argv[1]);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);

    struct sample *s = NULL;
    size_t ns = 0, cap = 0;
    unsigned errors = 0;
    double start = now_ms(), base = -1;
    double deadline = start + (double)timeout_s * 1e3;
    for (;;) {
        double t = now_ms();
        buf_consume(&body, body.len);
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK &&
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200) {
            const char *text = buf_cstr(&body);
            double v = text ? metric_sum(text, metric) : 0;
            if (base < 0) {
                base = v;
                start = t;
                deadline = start + (double)timeout_s * 1e3;
                printf("base=%.0f\n", base);
                fflush(stdout);
            }
            if (ns == cap) {
                cap = cap ? 2 * cap : 4096;
                s = xrealloc(s, cap * sizeof *s);
            }
            s[ns++] = (struct sample){ t - start, v - base };
            if (v - base >= (double)want)
                break;
        } else {
            errors++;
        }
        if (now_ms() > deadline)
            break;
        struct timespec ts = { .tv_sec = interval / 1000, .tv_nsec = (interval % 1000) * 1000000 };
        nanosleep(&ts, NULL);
    }
    double first = -1;
    for (size_t i = 0; i < ns; i++) {
        if (s[i].v > 0) {
            first = s[i].ms;
            break;
        }
    }
    double w = (double)want;
    printf("n=%.0f first_ms=%.1f t10_ms=%.1f t50_ms=%.1f t90_ms=%.1f last_ms=%.1f "
           "samples=%zu errors=%u\n",
           ns ? s[ns - 1].v : 0, first, crossing(s, ns, 0.1 * w), crossing(s, ns, 0.5 * w),
           crossing(s, ns, 0.9 * w), crossing(s, ns, w), ns, errors);
    free(s);
    buf_cleanup(&body);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return base < 0 ? 1 : 0;
}
