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
