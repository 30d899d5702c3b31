/* drop.c -- a function goes: its parked calls, its log followers, then
 * the registry let go of it, in that order (a call or a follower may
 * still point at fn until it has heard). */
#include "drop.h"

#include "functions.h"
#include "invoke.h"
#include "logs_follow.h"

void gw_fn_drop(struct gw *gw, struct gw_fn *fn)
{
    gw_invoke_forget(gw, fn);
    gw_logs_forget(gw, fn);
    gw_fn_unlink(gw, fn);
    gw_fn_free(gw, fn);
}
