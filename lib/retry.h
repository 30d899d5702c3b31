/* retry.h -- when and how long to wait before trying a call again: the
 * policy shared by the queue worker and the connector, configured by
 * OpenFaaS's retry annotations (com.openfaas.retry.attempts, .codes,
 * .min_wait, .max_wait) over a daemon's defaults.
 *
 * Waits grow exponentially from min_wait and are jittered (half fixed,
 * half random) so that many failures at once do not come back at once; a
 * Retry-After from the server raises the wait; max_wait caps everything. */
#ifndef RETRY_H
#define RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RETRY_DEFAULT_CODES "408,429,500,502,503,504"
#define RETRY_STATUS_MAX 600 /* statuses 0..599 */

struct retry_policy {
    int64_t attempts;                             /* calls in all, the first included (>= 1) */
    int64_t min_wait_ms;                          /* first wait */
    int64_t max_wait_ms;                          /* cap */
    uint64_t codes[(RETRY_STATUS_MAX + 63) / 64]; /* bit per retryable status */
};

/* attempts, waits, and RETRY_DEFAULT_CODES. */
void retry_policy_init(struct retry_policy *p, int64_t attempts, int64_t min_wait_ms,
                       int64_t max_wait_ms);
/* Sets one part from its text: key is "attempts" (1..1000), "codes" (a
 * comma list of statuses and ranges: "429,500-599"), "min_wait" or
 * "max_wait" (durations: "500ms", "10s", or bare seconds). Returns 0, or
 * -1 with a message in err (without the key: callers name the setting)
 * and the policy unchanged. Checking that
 * min_wait <= max_wait is the caller's, once every part is set. */
int retry_policy_set(struct retry_policy *p, const char *key, const char *value, char *err,
                     size_t errlen);
bool retry_status(const struct retry_policy *p, long status);
/* The codes back as text, ranges folded: "408,429,500-599". */
void retry_codes_format(const struct retry_policy *p, char *out, size_t len);
/* The wait after failed attempt `attempt` (1 = the first call failed),
 * with unit_random in [0, 1) choosing the jitter; retry_after_ms < 0 when
 * the answer had no Retry-After. Pure, for tests. */
int64_t retry_backoff_ms(const struct retry_policy *p, int64_t attempt, int64_t retry_after_ms,
                         double unit_random);
/* retry_backoff_ms() with a random jitter. */
int64_t retry_delay_ms(const struct retry_policy *p, int64_t attempt, int64_t retry_after_ms);
/* A Retry-After value (delta seconds or an HTTP date) as milliseconds
 * from `now`; -1 if it is neither; 0 for a date in the past. */
int64_t retry_after_parse(const char *value, time_t now);

#endif
