/* decimal.c -- integers as decimal text (see decimal.h). */
#include "decimal.h"

#include <string.h>

size_t decimal_i64(char out[DECIMAL_I64_SIZE], int64_t v)
{
    char digits[DECIMAL_I64_SIZE];
    size_t i = sizeof digits, len;
    /* The magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
    uint64_t n = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    if (v < 0)
        digits[--i] = '-';
    len = sizeof digits - i;
    memcpy(out, digits + i, len);
    out[len] = '\0';
    return len;
}

size_t decimal_micros(char out[DECIMAL_MICROS_SIZE], int64_t us)
{
    uint64_t n = us < 0 ? 0 - (uint64_t)us : (uint64_t)us;
    char *at = out;
    if (us < 0)
        *at++ = '-';
    at += decimal_i64(at, (int64_t)(n / 1000000));
    *at++ = '.';
    uint64_t frac = n % 1000000;
    for (int i = 5; i >= 0; i--) {
        at[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    at[6] = '\0';
    return (size_t)(at + 6 - out);
}
