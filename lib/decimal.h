/* decimal.h -- integers as decimal text, without printf.
 *
 * The connector writes a record's partition, offset and timestamp into
 * every call's headers and every reply's; snprintf's format parsing was
 * the largest piece of its own CPU per record after the allocator. */
#ifndef DECIMAL_H
#define DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#define DECIMAL_I64_SIZE 21 /* "-9223372036854775808" and its NUL */

/* Writes v in decimal and a NUL into out; returns the length (no NUL). */
size_t decimal_i64(char out[DECIMAL_I64_SIZE], int64_t v);

#define DECIMAL_MICROS_SIZE 28 /* "-9223372036854.775808" and its NUL, with room */

/* Writes us microseconds as seconds with six decimals ("0.001250"), as
 * printf's "%.6f" of us / 1e6 would, and a NUL; returns the length. */
size_t decimal_micros(char out[DECIMAL_MICROS_SIZE], int64_t us);

#endif
