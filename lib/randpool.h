/* randpool.h -- random bytes for ids and jitter, drawn from the kernel a
 * pool at a time.
 *
 * A call id wants 16 random bytes per call; one getrandom() for each was
 * about 1% of the gateway's time per proxied call. These come from a
 * per-thread pool of kernel randomness, refilled when it runs out, and
 * are not for keys (callsign.c draws its own). A process that forks
 * without exec and draws in both would repeat bytes: none of ours does. */
#ifndef RANDPOOL_H
#define RANDPOOL_H

#include <stddef.h>

/* Fills out with n random bytes. Falls back to rand() only if the kernel
 * gives none (getrandom failing), so it always returns filled. */
void rand_bytes(void *out, size_t n);

#endif
