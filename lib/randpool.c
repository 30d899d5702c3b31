/* randpool.c -- a per-thread pool of kernel randomness. */
#include "randpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum { POOL_BYTES = 512 };

static __thread unsigned char pool[POOL_BYTES];
static __thread size_t left; /* unused bytes at the end of pool */

/* A signal can cut a draw of more than 256 bytes short: go on from there. */
static void refill(void)
{
    size_t have = 0;
    while (have < sizeof pool) {
        ssize_t got = getrandom(pool + have, sizeof pool - have, 0);
        if (got <= 0 && errno != EINTR)
            break;
        if (got > 0)
            have += (size_t)got;
    }
    for (; have < sizeof pool; have++)
        pool[have] = (unsigned char)rand();
    left = sizeof pool;
}

void rand_bytes(void *out, size_t n)
{
    unsigned char *o = out;
    while (n > 0) {
        if (left == 0)
            refill();
        size_t take = n < left ? n : left;
        unsigned char *from = pool + sizeof pool - left;
        memcpy(o, from, take);
        memset(from, 0, take); /* drawn bytes are not kept */
        o += take;
        n -= take;
        left -= take;
    }
}
