/* retry.c -- retry policy and backoff. */
#include "retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "randpool.h"

static void set_code(uint64_t *codes, long c)
{
    codes[c / 64] |= UINT64_C(1) << (c % 64);
}

/* One "NNN" or "NNN-MMM" item of a code list. */
static int code_item(const char *item, size_t n, uint64_t *codes)
{
    char text[32];
    if (n == 0 || n >= sizeof text)
        return -1;
    memcpy(text, item, n);
    text[n] = '\0';
    char *dash = strchr(text, '-');
    if (dash)
        *dash = '\0';
    int64_t lo, hi;
    if (parse_int64(text, &lo) < 0 || (dash && parse_int64(dash + 1, &hi) < 0))
        return -1;
    if (!dash)
        hi = lo;
    if (lo < 100 || hi >= RETRY_STATUS_MAX || lo > hi)
        return -1;
    for (int64_t c = lo; c <= hi; c++)
        set_code(codes, (long)c);
    return 0;
}

static int set_codes(struct retry_policy *p, const char *list, char *err, size_t errlen)
{
    uint64_t codes[sizeof p->codes / sizeof p->codes[0]] = { 0 };
    for (const char *s = list + strspn(list, ", "); *s; s += strspn(s, ", ")) {
        size_t n = strcspn(s, ", ");
        if (code_item(s, n, codes) < 0) {
            snprintf(err, errlen, "expected status codes such as \"429,500-599\", got \"%s\"",
                     list);
            return -1;
        }
        s += n;
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
    p->max_wait_ms = max_wait_ms;
    set_codes(p, RETRY_DEFAULT_CODES, err, sizeof err);
}

static int set_wait(int64_t *field, const char *value, char *err, size_t errlen)
{
    int64_t ms;
    if (parse_duration_ms(value, &ms) < 0 || ms < 0) {
        snprintf(err, errlen, "expected a duration such as 500ms or 10s, got \"%s\"", value);
        return -1;
    }
    *field = ms;
    return 0;
}

int retry_policy_set(struct retry_policy *p, const char *key, const char *value, char *err,
                     size_t errlen)
{
    if (strcmp(key, "attempts") == 0) {
        int64_t n;
        if (parse_int64(value, &n) < 0 || n < 1 || n > 1000) {
            snprintf(err, errlen, "expected a number from 1 to 1000, got \"%s\"", value);
            return -1;
        }
        p->attempts = n;
        return 0;
    }
    if (strcmp(key, "codes") == 0)
        return set_codes(p, value, err, errlen);
    if (strcmp(key, "min_wait") == 0)
        return set_wait(&p->min_wait_ms, value, err, errlen);
    if (strcmp(key, "max_wait") == 0)
        return set_wait(&p->max_wait_ms, value, err, errlen);
    snprintf(err, errlen, "unknown retry setting \"%s\"", key);
    return -1;
}

bool retry_status(const struct retry_policy *p, long status)
{
    return status >= 0 && status < RETRY_STATUS_MAX && (p->codes[status / 64] >> (status % 64)) & 1;
}

void retry_codes_format(const struct retry_policy *p, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (long c = 0; c < RETRY_STATUS_MAX; c++) {
        if (!retry_status(p, c))
            continue;
        long end = c;
        while (end + 1 < RETRY_STATUS_MAX && retry_status(p, end + 1))
            end++;
        int n = end > c ? snprintf(out + used, len - used, "%s%ld-%ld", used ? "," : "", c, end)
                        : snprintf(out + used, len - used, "%s%ld", used ? "," : "", c);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
        c = end;
    }
}

int64_t retry_backoff_ms(const struct retry_policy *p, int64_t attempt, int64_t retry_after_ms,
                         double unit_random)
{
    int64_t cap = p->max_wait_ms > p->min_wait_ms ? p->max_wait_ms : p->min_wait_ms;
    int64_t wait = p->min_wait_ms;
    for (int64_t i = 1; i < attempt && wait < cap; i++)
        wait *= 2;
    if (wait > cap)
        wait = cap;
    int64_t half = wait / 2;
    wait = half + (int64_t)((double)(wait - half) * unit_random);
    if (retry_after_ms > wait)
        wait = retry_after_ms;
    return wait > cap ? cap : wait;
}

int64_t retry_delay_ms(const struct retry_policy *p, int64_t attempt, int64_t retry_after_ms)
{
    uint32_t r;
    rand_bytes(&r, sizeof r);
    return retry_backoff_ms(p, attempt, retry_after_ms, (double)r / 4294967296.0);
}

int64_t retry_after_parse(const char *value, time_t now)
{
    if (!value || !*value)
        return -1;
    int64_t secs;
    if (parse_int64(value, &secs) == 0)
        return secs < 0 ? -1 : secs > INT64_MAX / 1000 ? INT64_MAX : secs * 1000;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!rest || *rest)
        return -1;
    time_t at = timegm(&tm);
    return at <= now ? 0 : (int64_t)(at - now) * 1000;
}
