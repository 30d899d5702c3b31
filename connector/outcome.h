/* outcome.h -- what a call's result means for its branch (outcome.c): a
 * reply, a retry after a backoff, or a dead letter. The dispatcher reaches
 * it only through these ops, which main.c hands to cn_dispatch_new(). */
#ifndef CN_OUTCOME_H
#define CN_OUTCOME_H

#include "dispatch.h"

extern const struct cn_branch_ops cn_outcome_ops;

#endif
