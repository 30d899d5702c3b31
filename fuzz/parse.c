/* parse.c -- fuzzes the setting parsers (durations, sizes, integers,
 * booleans) with any string. What they accept is never negative, a
 * duration with a non-zero digit is never 0 ("never"), and a duration
 * formatted back reads as the same duration. */
#include "parse.h"
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_duration(const char *s)
{
    int64_t ms;
    if (parse_duration_ms(s, &ms) != 0)
        return;
    if (ms < 0 || (ms == 0 && strpbrk(s, "123456789")))
        abort();
    char text[96];
    int64_t again;
    if (parse_duration_ms(format_duration_ms(ms, text, sizeof text), &again) != 0 || again != ms)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_duration(s);
    int64_t n;
    if (parse_size(s, &n) == 0 && n < 0)
        abort();
    parse_int64(s, &n);
    bool b;
    parse_bool(s, &b);
    free(s);
    return 0;
}
