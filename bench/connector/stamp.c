/* stamp.c -- the moment each line arrives: reads lines on stdin (kcat -C
 * -u output, one record a line) and writes each back followed by a space
 * and the CLOCK_REALTIME microseconds at which the read(2) that brought
 * it returned. Lines are written when stdin ends (kcat exited), so that
 * writing costs nothing while records arrive.
 *
 * Usage: kcat -C -u ... -f '%k %s\n' | stamp > FILE */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

int main(void)
{
    static char buf[1 << 16];
    char *part = NULL; /* a line not yet ended */
    size_t plen = 0;
    ssize_t n;

    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    while ((n = read(0, buf, sizeof buf)) > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        char *p = buf, *end = buf + n, *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
            if (plen) {
                fwrite(part, 1, plen, stdout);
                plen = 0;
            }
            fwrite(p, 1, (size_t)(nl - p), stdout);
            printf(" %lld\n", us);
            p = nl + 1;
        }
        if (p < end) {
            part = xrealloc(part, plen + (size_t)(end - p));
            memcpy(part + plen, p, (size_t)(end - p));
            plen += (size_t)(end - p);
        }
    }
    free(part);
    return fflush(stdout) == 0 ? 0 : 1;
}
