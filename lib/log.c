/* log.c -- one line per event on stderr.
 *
 * Each line is formatted into a stack buffer and handed to the kernel with
 * a single write(2): lines from different threads never interleave, and no
 * lock is needed. The buffer is PIPE_BUF bytes, so a write to a pipe (a
 * container runtime, journald) is atomic too. A longer message is cut,
 * never continued on a second line. */
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES PIPE_BUF
#define TRUNC_MARK "...\n"

enum log_level log_threshold = LOGL_INFO;

static const char *daemon_name = "faasbus";

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_init(const char *name, enum log_level level)
{
    daemon_name = name ? name : "faasbus";
    log_threshold = level;
}

int log_level_parse(const char *s, enum log_level *out)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < sizeof level_names / sizeof *level_names; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = LOGL_WARN;
        return 0;
    }
    return -1;
}

const char *log_level_name(enum log_level level)
{
    if ((unsigned)level >= sizeof level_names / sizeof *level_names)
        return "?";
    return level_names[level];
}

/* Writes n digits of v, zero-padded, at p. Async-signal-safe. */
static char *put_num(char *p, long v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm):
 * plain arithmetic, because gmtime_r is not async-signal-safe. */
static void civil(long days, long *y, long *m, long *d)
{
    days += 719468;
    long era = (days >= 0 ? days : days - 146096) / 146097;
    long doe = days - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

/* Writes "2026-11-27T10:00:00.123Z" (24 chars) at p, returns the end. */
static char *put_time(char *p)
{
    struct timespec ts;
    long y, mo, d;

    clock_gettime(CLOCK_REALTIME, &ts);
    long secs = (long)(ts.tv_sec % 86400);
    civil((long)(ts.tv_sec / 86400), &y, &mo, &d);
    p = put_num(p, y, 4);
    *p++ = '-';
    p = put_num(p, mo, 2);
    *p++ = '-';
    p = put_num(p, d, 2);
    *p++ = 'T';
    p = put_num(p, secs / 3600, 2);
    *p++ = ':';
    p = put_num(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_num(p, secs % 60, 2);
    *p++ = '.';
    p = put_num(p, ts.tv_nsec / 1000000, 3);
    *p++ = 'Z';
    return p;
}

/* One write(2), retried only when interrupted before writing anything. */
static void emit(const char *line, size_t len)
{
    ssize_t n;
    do {
        n = write(STDERR_FILENO, line, len);
    } while (n < 0 && errno == EINTR);
}

/* A message with a newline would forge a second log line: flatten it. */
static void flatten(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' || s[i] == '\r')
            s[i] = ' ';
    }
}

void log_write(enum log_level level, const char *component, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    char *p = put_time(line);
    size_t room = sizeof line - sizeof TRUNC_MARK;
    int saved = errno; /* callers may log strerror(errno) after us */

    int n = snprintf(p, room - (size_t)(p - line), " %s %s %s: ", log_level_name(level),
                     daemon_name, component ? component : "-");
    size_t len = (size_t)(p - line) + (n > 0 ? (size_t)n : 0);
    if (len < room) {
        va_list ap;
        va_start(ap, fmt);
        n = vsnprintf(line + len, room - len, fmt, ap);
        va_end(ap);
        len += n > 0 ? (size_t)n : 0;
    }
    if (len >= room) {
        /* Cut: vsnprintf kept room - 1 chars; mark the cut, then newline. */
        len = room - 1;
        memcpy(line + len, TRUNC_MARK, sizeof TRUNC_MARK - 1);
        flatten(line, len);
        len += sizeof TRUNC_MARK - 1;
    } else {
        flatten(line, len);
        line[len++] = '\n';
    }
    emit(line, len);
    errno = saved;
}

/* Writes "2026/11/27 10:00:00" (19 chars) at p, returns the end. */
static char *put_classic_time(char *p)
{
    struct timespec ts;
    long y, mo, d;

    clock_gettime(CLOCK_REALTIME, &ts);
    long secs = (long)(ts.tv_sec % 86400);
    civil((long)(ts.tv_sec / 86400), &y, &mo, &d);
    p = put_num(p, y, 4);
    *p++ = '/';
    p = put_num(p, mo, 2);
    *p++ = '/';
    p = put_num(p, d, 2);
    *p++ = ' ';
    p = put_num(p, secs / 3600, 2);
    *p++ = ':';
    p = put_num(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_num(p, secs % 60, 2);
    return p;
}

void log_classic_write(const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    char *p = put_classic_time(line);
    *p++ = ' ';
    size_t len = (size_t)(p - line), room = sizeof line - 1;
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + len, room - len, fmt, ap);
    va_end(ap);
    len += n > 0 ? (size_t)n : 0;
    if (len >= room)
        len = room - 1; /* cut: vsnprintf kept room - len - 1 chars */
    flatten(line, len);
    line[len++] = '\n';
    emit(line, len);
    errno = saved;
}

/* Copies s to p without passing end. Async-signal-safe. */
static char *put_str(char *p, const char *end, const char *s)
{
    while (*s != '\0' && p < end)
        *p++ = *s++;
    return p;
}

void log_from_signal(const char *msg)
{
    char line[LINE_MAX_BYTES];
    const char *end = line + sizeof line - 1; /* keeps room for '\n' */
    int saved = errno; /* a handler must not clobber the errno it interrupted */

    char *p = put_time(line);
    p = put_str(p, end, " info ");
    p = put_str(p, end, daemon_name);
    p = put_str(p, end, " signal: ");
    p = put_str(p, end, msg ? msg : "");
    size_t len = (size_t)(p - line);
    if (line[len - 1] == '\n')
        len--;
    flatten(line, len);
    line[len++] = '\n';
    emit(line, len);
    errno = saved;
}
