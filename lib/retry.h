/* retry.h -- when and how long to wait before trying a call again: the
 * policy shared by the queue worker and the connector, configured by
 * OpenFaaS's retry annotations (com.openfaas.retry.attempts, .codes,
 * .min_wait, .max_wait) over a daemon's defaults.
 *
 * Waits grow exponentially from min_wait, are capped at max_wait and
 * jittered (half fixed, half random) so that many failures at once do not
 * come back at once; a Retry-After from the server is a floor. */
#ifndef RETRY_H
#define RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RETRY_DEFAULT_CODES "408,429,500,502,503,504"

struct retry_policy {
    int64_t attempts;    /* calls in all, the first included (>= 1) */
    int64_t min_wait_ms; /* first wait */
    int64_t max_wait_ms; /* cap */
    uint64_t codes[10];  /* bit per HTTP status 0..639 that is retryable */
};

/* attempts, waits, and RETRY_DEFAULT_CODES. */
void retry_policy_init(struct retry_policy *p, int64_t attempts, int64_t min_wait_ms,
                       int64_t max_wait_ms);
/* Sets one part from its text: key is "attempts", "codes" (comma list of
 * statuses), "min_wait" or "max_wait" (durations: "500ms", "10s", or bare
 * seconds). Returns 0, or -1 with a message in err. */
int retry_policy_set(struct retry_policy *p, const char *key, const char *value, char *err,
                     size_t errlen);
bool retry_status(const struct retry_policy *p, long status);
/* The wait after failed attempt `attempt` (1 = the first call failed).
 * retry_after_ms < 0 when the answer had no Retry-After. */
int64_t retry_delay_ms(const struct retry_policy *p, int64_t attempt, int64_t retry_after_ms);
/* A Retry-After value (delta seconds or an HTTP date) as milliseconds
 * from `now`; -1 if it is neither. */
int64_t retry_after_parse(const char *value, time_t now);

#endif
