/* parse.c -- strict parsing of durations, sizes, booleans and integers.
 *
 * strtoll/strtod are lenient (leading blanks, signs, hex, "inf", exponents),
 * so each parser first checks which characters it will accept, then lets the
 * C library do the arithmetic, then checks the whole string was consumed. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_PER_MS 1000000LL

struct unit {
    const char *name;
    double ns;
};

/* Go's time.ParseDuration units; both spellings of the micro sign. */
static const struct unit duration_units[] = {
    { "ns", 1.0 },        { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, /* U+00B5 MICRO SIGN */
    { "\xce\xbcs", 1e3 },                                      /* U+03BC GREEK SMALL LETTER MU */
    { "ms", 1e6 },        { "s", 1e9 },  { "m", 60e9 },        { "h", 3600e9 },
};

/* Length of the "123", "1.5", ".5" or "5." prefix of s; 0 if none. */
static size_t number_span(const char *s)
{
    size_t n = 0;
    size_t digits = 0;
    int dots = 0;

    for (; s[n] != '\0'; n++) {
        if (isdigit((unsigned char)s[n]))
            digits++;
        else if (s[n] == '.' && dots == 0)
            dots++;
        else
            break;
    }
    return digits > 0 ? n : 0;
}

/* Parses exactly `len` chars of s, already checked by number_span(). */
static int decimal(const char *s, size_t len, double *out)
{
    char tmp[64];
    char *end;

    if (len >= sizeof tmp)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    *out = strtod(tmp, &end);
    if (errno != 0 || *end != '\0')
        return -1;
    return 0;
}

static const struct unit *find_unit(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof duration_units / sizeof *duration_units; i++) {
        const struct unit *u = &duration_units[i];
        if (strlen(u->name) == len && memcmp(u->name, s, len) == 0)
            return u;
    }
    return NULL;
}

/* v units (v >= 0) as whole nanoseconds; -1 if that overflows int64_t
 * or rounds a non-zero v to nothing.
 * Adding 0.5 before truncating rounds to nearest without needing libm. */
static int to_ns(double v, double unit, int64_t *out)
{
    double ns = v * unit + 0.5;

    /* 2^63 is exact in a double; anything at or above it overflows. */
    if (ns >= 9223372036854775808.0)
        return -1;
    *out = (int64_t)ns;
    /* A non-zero amount below half a nanosecond would read as 0, which
     * settings take as "never": refuse it rather than turn it around. */
    if (v > 0 && *out == 0)
        return -1;
    return 0;
}

/* Adds one "<number><unit>" term to *ns; returns chars consumed or 0. */
static size_t duration_term(const char *s, int64_t *ns)
{
    size_t nlen = number_span(s);
    double v;

    if (nlen == 0 || decimal(s, nlen, &v) < 0)
        return 0;
    size_t ulen = 0;
    while (s[nlen + ulen] != '\0' && s[nlen + ulen] != '.' &&
           !isdigit((unsigned char)s[nlen + ulen]))
        ulen++;
    const struct unit *u = find_unit(s + nlen, ulen);
    if (!u)
        return 0;
    int64_t term;
    if (to_ns(v, u->ns, &term) < 0 || term > INT64_MAX - *ns)
        return 0;
    *ns += term;
    return nlen + ulen;
}

int parse_duration_ms(const char *s, int64_t *out_ms)
{
    int64_t ns = 0;
    double secs;
    size_t n = number_span(s);

    if (n > 0 && s[n] == '\0') {
        /* A bare number is seconds: OpenFaaS writes exec_timeout=10. */
        if (decimal(s, n, &secs) < 0 || to_ns(secs, 1e9, &ns) < 0)
            return -1;
    } else {
        if (*s == '\0')
            return -1;
        while (*s != '\0') {
            size_t used = duration_term(s, &ns);
            if (used == 0)
                return -1;
            s += used;
        }
    }
    /* Round up, so "10us" is 1ms rather than a surprising 0 (no timeout).
     * Within a few ns of the limit, that rounding makes a duration whose
     * own nanoseconds no longer fit: refused, like any that does not. */
    int64_t ms = ns / NS_PER_MS + (ns % NS_PER_MS != 0);
    if (ms > INT64_MAX / NS_PER_MS)
        return -1;
    *out_ms = ms;
    return 0;
}

/* Shift for a size suffix ("", "b", "k", "kb", "kib", ...), -1 if bad. */
static int size_shift(const char *suffix)
{
    static const char prefixes[] = "kmgtpe";
    const char *p;

    if (*suffix == '\0' || strcasecmp(suffix, "b") == 0)
        return 0;
    p = strchr(prefixes, tolower((unsigned char)*suffix));
    if (!p)
        return -1;
    suffix++;
    if (*suffix != '\0' && strcasecmp(suffix, "b") != 0 && strcasecmp(suffix, "ib") != 0)
        return -1;
    return 10 * (int)(p - prefixes + 1);
}

int parse_size(const char *s, int64_t *out)
{
    char *end;
    long long v;
    int shift;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0)
        return -1;
    shift = size_shift(end);
    if (shift < 0 || (shift > 0 && v > (INT64_MAX >> shift)))
        return -1;
    *out = (int64_t)v << shift;
    return 0;
}

int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "true", "1", "yes", "on" };
    static const char *const no[] = { "false", "0", "no", "off" };

    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int parse_int64(const char *s, int64_t *out)
{
    const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
    char *end;
    long long v;

    /* strtoll would skip blanks and accept "- 5"; we take digits only. */
    if (!isdigit((unsigned char)*digits))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* "S[.fff]s" with the fraction's trailing zeros trimmed ("1.5s"). */
static void format_seconds(char *out, size_t len, unsigned long long s, unsigned long long frac)
{
    if (frac == 0) {
        snprintf(out, len, "%llus", s);
        return;
    }
    char digits[24];
    snprintf(digits, sizeof digits, "%03llu", frac);
    for (size_t n = strlen(digits); n > 0 && digits[n - 1] == '0'; n--)
        digits[n - 1] = '\0';
    snprintf(out, len, "%llu.%ss", s, digits);
}

char *format_duration_ms(int64_t ms, char *buf, unsigned long len)
{
    /* Unsigned magnitude, so INT64_MIN does not overflow when negated. */
    unsigned long long m = ms < 0 ? 0ULL - (unsigned long long)ms : (unsigned long long)ms;
    const char *sign = ms < 0 ? "-" : "";
    char h[24] = "", min[24] = "", sec[48] = "";

    if (len == 0)
        return buf;
    if (m < 1000) {
        snprintf(buf, len, "%s%llu%s", sign, m, m == 0 ? "s" : "ms");
        return buf;
    }
    if (m >= 3600000)
        snprintf(h, sizeof h, "%lluh", m / 3600000);
    if (m / 60000 % 60 != 0)
        snprintf(min, sizeof min, "%llum", m / 60000 % 60);
    if (m % 60000 != 0)
        format_seconds(sec, sizeof sec, m / 1000 % 60, m % 1000);
    snprintf(buf, len, "%s%s%s%s", sign, h, min, sec);
    return buf;
}
