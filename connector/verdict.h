/* verdict.h -- what an invocation's outcome means for a record: done,
 * another try, a wait for the gateway, or a final failure. (How long to
 * wait is lib/retry.h's.) */
#ifndef CN_VERDICT_H
#define CN_VERDICT_H

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

enum cn_verdict cn_retry_verdict(const struct retry_policy *rt, const struct cn_invoke_result *res);

#endif
