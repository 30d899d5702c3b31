/* parse.h -- strict parsing of the values settings are made of.
 *
 * Every parser takes the whole string: trailing junk is an error, so
 * "10x" is never silently 10. All return 0 on success, -1 on error. */
#ifndef PARSE_H
#define PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* A duration, as milliseconds. A bare number means seconds (OpenFaaS's
 * habit: exec_timeout=10); otherwise Go's forms: "1m30s", "500ms", "1.5s",
 * "2h", "10us" (rounded up to 1ms when non-zero). Negative is an error. */
int parse_duration_ms(const char *s, int64_t *out_ms);

/* A byte count: "1048576", "512k", "32M", "1G", "32MiB", "64KB" (all
 * binary multiples). Negative is an error. */
int parse_size(const char *s, int64_t *out);

/* true/false, 1/0, yes/no, on/off (any case). */
int parse_bool(const char *s, bool *out);

/* A decimal integer that fits int64_t. */
int parse_int64(const char *s, int64_t *out);

/* Formats a duration in ms the way parse_duration_ms reads it back
 * ("1m30s", "250ms", "0s"). Returns buf. */
char *format_duration_ms(int64_t ms, char *buf, unsigned long len);

#endif
