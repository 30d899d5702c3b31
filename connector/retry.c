/* retry.c -- outcome classification and exponential backoff. */
#include "retry.h"

#include <curl/curl.h>
#include <string.h>

#include "parse.h"

enum cn_verdict cn_retry_verdict(const struct cn_retry *rt, const struct cn_invoke_result *res)
{
    switch (res->kind) {
    case CN_INVOKE_UNREACHABLE:
        return CN_VERDICT_WAIT;
    case CN_INVOKE_BROKEN:
        return CN_VERDICT_RETRY;
    case CN_INVOKE_TOO_LARGE:
        return CN_VERDICT_FAIL;
    case CN_INVOKE_ANSWERED:
        break;
    }
    if (res->status >= 200 && res->status <= 299)
        return CN_VERDICT_OK;
    return cn_retry_code(rt, res->status) ? CN_VERDICT_RETRY : CN_VERDICT_FAIL;
}

int64_t cn_retry_delay(const struct cn_retry *rt, int attempt, int64_t retry_after_ms,
                       double unit_random)
{
    int64_t wait = rt->min_wait_ms;

    for (int i = 1; i < attempt && wait < rt->max_wait_ms; i++)
        wait *= 2;
    if (wait > rt->max_wait_ms)
        wait = rt->max_wait_ms;
    /* Equal jitter: never less than half the backoff, so retries of many
     * records spread out without collapsing to zero. */
    int64_t half = wait / 2;
    wait = half + (int64_t)((double)(wait - half) * unit_random);
    if (retry_after_ms > wait)
        wait = retry_after_ms;
    return wait > rt->max_wait_ms ? rt->max_wait_ms : wait;
}

int64_t cn_retry_after_ms(const char *value, time_t now)
{
    int64_t secs;

    if (!value || !*value)
        return -1;
    if (parse_int64(value, &secs) == 0)
        return secs < 0 ? -1 : (secs > INT64_MAX / 1000 ? INT64_MAX : secs * 1000);
    time_t when = curl_getdate(value, NULL);
    if (when == (time_t)-1)
        return -1;
    return when <= now ? 0 : (int64_t)(when - now) * 1000;
}
