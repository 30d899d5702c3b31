/* log.h -- one line per event on stderr:
 *
 *   2026-11-27T10:00:00.123Z info watchdog proc: Forking fprocess. pid=42
 *
 * The level is checked before the arguments are evaluated, so a debug line
 * that builds an expensive argument costs nothing when debug is off. */
#ifndef LOG_H
#define LOG_H

enum log_level { LOGL_ERROR = 0, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

/* Set once at start-up, before threads exist; read-only afterwards. */
extern enum log_level log_threshold;

/* Names the daemon in every line. `name` is borrowed and must outlive us. */
void log_init(const char *name, enum log_level level);

/* Parses "error", "warn", "info" or "debug". Returns 0, or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_write(enum log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line in the classic OpenFaaS watchdog's format, which tools read:
 * "2026/11/27 10:00:00 Forking fprocess." (UTC, no level, no daemon
 * name). Written at level info, in one write(2) like log_write. */
void log_classic_write(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define log_classic(...)                    \
    do {                                    \
        if (LOGL_INFO <= log_threshold)     \
            log_classic_write(__VA_ARGS__); \
    } while (0)

/* Async-signal-safe: write(2) of a fixed message, no formatting. */
void log_from_signal(const char *msg);

#define log_at(level, comp, ...)                     \
    do {                                             \
        if ((level) <= log_threshold)                \
            log_write((level), (comp), __VA_ARGS__); \
    } while (0)
#define log_error(comp, ...) log_at(LOGL_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_at(LOGL_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_at(LOGL_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_at(LOGL_DEBUG, comp, __VA_ARGS__)

#endif
