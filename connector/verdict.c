/* verdict.c -- outcome classification. */
#include "verdict.h"

#include "retry.h"

enum cn_verdict cn_retry_verdict(const struct retry_policy *rt, const struct cn_invoke_result *res)
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
    return retry_status(rt, res->status) ? CN_VERDICT_RETRY : CN_VERDICT_FAIL;
}
