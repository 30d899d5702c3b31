/* retry.h -- what an invocation's outcome means, and how long to wait
 * before the next try. Pure functions (the caller passes the random
 * number and the clock), so the policy is unit-tested. */
#ifndef CN_RETRY_H
#define CN_RETRY_H

#include <stdint.h>
#include <time.h>

#include "invoke.h"
#include "routes.h"

enum cn_verdict {
    CN_VERDICT_OK,    /* 2xx */
    CN_VERDICT_RETRY, /* worth another try; counts as an attempt */
    CN_VERDICT_WAIT,  /* the gateway could not be reached at all: try again
                         later without spending an attempt (an outage of the
                         gateway must not turn a stream into dead letters) */
    CN_VERDICT_FAIL,  /* final: goes to the error topic */
};

enum cn_verdict cn_retry_verdict(const struct cn_retry *rt, const struct cn_invoke_result *res);

/* The wait before try number attempt + 1, after `attempt` tries: min_wait
 * doubled each time, with jitter (half of it random, from unit_random in
 * [0, 1)), at least Retry-After (retry_after_ms, -1 if none), never more
 * than max_wait. */
int64_t cn_retry_delay(const struct cn_retry *rt, int attempt, int64_t retry_after_ms,
                       double unit_random);

/* A Retry-After value (delay-seconds or an HTTP-date) in ms from `now`;
 * -1 if it does not parse. A date in the past is 0. */
int64_t cn_retry_after_ms(const char *value, time_t now);

#endif
