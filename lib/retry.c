/* retry.c -- retry policy and backoff. */
#include "retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "parse.h"

#define MAX_CODE 640
/* A Retry-After beyond this is taken as this: a server cannot park a call
 * for days. */
#define RETRY_AFTER_CAP_MS (INT64_C(3600) * 1000)

static int set_codes(struct retry_policy *p, const char *list, char *err, size_t errlen)
{
    uint64_t codes[10] = { 0 };
    const char *s = list;
    while (*s) {
        char *end;
        long code = strtol(s, &end, 10);
        if (end == s || code < 100 || code >= MAX_CODE || (*end && *end != ',' && *end != ' ')) {
            snprintf(err, errlen, "codes: \"%s\" is not a comma list of HTTP statuses", list);
            return -1;
        }
        codes[code / 64] |= UINT64_C(1) << (code % 64);
        s = end + strspn(end, ", ");
    }
    memcpy(p->codes, codes, sizeof codes);
    return 0;
}

void retry_policy_init(struct retry_policy *p, int64_t attempts, int64_t min_wait_ms,
                       int64_t max_wait_ms)
{
    char err[128];
    memset(p, 0, sizeof *p);
    p->attempts = attempts < 1 ? 1 : attempts;
    p->min_wait_ms = min_wait_ms;
    p->max_wait_ms = max_wait_ms < min_wait_ms ? min_wait_ms : max_wait_ms;
    set_codes(p, RETRY_DEFAULT_CODES, err, sizeof err);
}

static int set_wait(int64_t *field, const char *key, const char *value, char *err, size_t errlen)
{
    int64_t ms;
    if (parse_duration_ms(value, &ms) < 0 || ms < 0) {
        snprintf(err, errlen, "%s: \"%s\" is not a duration (e.g. 500ms, 10s)", key, value);
        return -1;
    }
    *field = ms;
    return 0;
}

int retry_policy_set(struct retry_policy *p, const char *key, const char *value, char *err,
                     size_t errlen)
{
    int rc;
    if (strcmp(key, "attempts") == 0) {
        int64_t n;
        rc = parse_int64(value, &n) == 0 && n >= 1 && n <= 1000 ? 0 : -1;
        if (rc < 0)
            snprintf(err, errlen, "attempts: \"%s\" is not a number from 1 to 1000", value);
        else
            p->attempts = n;
    } else if (strcmp(key, "codes") == 0) {
        rc = set_codes(p, value, err, errlen);
    } else if (strcmp(key, "min_wait") == 0) {
        rc = set_wait(&p->min_wait_ms, key, value, err, errlen);
    } else if (strcmp(key, "max_wait") == 0) {
        rc = set_wait(&p->max_wait_ms, key, value, err, errlen);
    } else {
        snprintf(err, errlen, "unknown retry setting \"%s\"", key);
        return -1;
    }
    if (p->max_wait_ms < p->min_wait_ms)
        p->max_wait_ms = p->min_wait_ms;
    return rc;
}

bool retry_status(const struct retry_policy *p, long status)
{
    return status >= 0 && status < MAX_CODE && (p->codes[status / 64] >> (status % 64)) & 1;
}

int64_t retry_delay_ms(const struct retry_policy *p, int64_t attempt, int64_t retry_after_ms)
{
    int64_t d = p->min_wait_ms;
    for (int64_t i = 1; i < attempt && d < p->max_wait_ms; i++)
        d *= 2;
    if (d > p->max_wait_ms)
        d = p->max_wait_ms;
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint32_t)rand();
    int64_t half = d / 2;
    d = half + (half > 0 ? (int64_t)(r % (uint64_t)(half + 1)) : 0);
    if (retry_after_ms > RETRY_AFTER_CAP_MS)
        retry_after_ms = RETRY_AFTER_CAP_MS;
    return retry_after_ms > d ? retry_after_ms : d;
}

int64_t retry_after_parse(const char *value, time_t now)
{
    if (!value || !*value)
        return -1;
    char *end;
    long long secs = strtoll(value, &end, 10);
    if (end != value && *end == '\0')
        return secs < 0 ? -1 : secs > INT64_MAX / 1000 ? INT64_MAX : secs * 1000;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!rest || *rest)
        return -1;
    time_t at = timegm(&tm);
    return at <= now ? 0 : (int64_t)(at - now) * 1000;
}
