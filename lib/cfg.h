/* cfg.h -- settings from a table: defaults, a libconfig file, then the
 * environment, each value range-checked.
 *
 * A daemon describes its settings once, as a table of struct cfg_option
 * ending with an entry whose name is NULL; cfg_load() fills the daemon's
 * config struct from it, and cfg_print()/cfg_help() describe it from the
 * same table, so docs and code cannot drift.
 *
 * Precedence, lowest first: the option's default, the file (-c FILE), the
 * environment. Each environment name NAME may instead be given as
 * NAME_FILE, the path of a file holding the value (its final line end
 * dropped), so secrets mount in as files; NAME itself wins when both are
 * set. A setting in the file is `name = value;` at the top level;
 * a duration or size may be given as a number or a string ("1m30s",
 * "32M"). Strings in the target struct are owned by it: cfg_free(). */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
    CFG_STRING,   /* char *, NULL when unset and no default */
    CFG_INT,      /* int64_t, within [min, max] */
    CFG_BOOL,     /* bool */
    CFG_DURATION, /* int64_t milliseconds, within [min, max] ms */
    CFG_SIZE,     /* int64_t bytes, within [min, max] */
    CFG_ENUM,     /* char *, one of the '|'-separated words in `choices` */
};

struct cfg_option {
    const char *name; /* key in the file, e.g. "exec_timeout" */
    const char *env;  /* environment names, comma-separated; NULL: `name` */
    enum cfg_type type;
    size_t offset;       /* offsetof() the field in the target struct */
    const char *def;     /* default, as text in the same syntax; NULL: none */
    int64_t min, max;    /* inclusive range for INT, DURATION and SIZE;
                            min == max == 0 means unchecked */
    const char *choices; /* CFG_ENUM only: "classic|http|static" */
    const char *help;    /* one line for --help and --print-config */
};

/* Loads settings into `target`. `file` may be NULL (no file). Unknown keys
 * in the file are errors: a typo must not silently fall back to a default.
 * On error returns -1 with a message in err naming the file and line, or
 * the environment variable, and what was expected; `target` then holds
 * defaults and must still be released with cfg_free().
 * `target` must be zeroed before the first call (its string fields are
 * freed before being replaced), so loading twice into it does not leak.
 * libconfig 1.5 silently wraps file integers beyond 2^31-1: write them
 * with an L suffix (8589934592L) or as a string ("8G"). */
int cfg_load(const struct cfg_option *opts, void *target, const char *file, char *err,
             size_t errlen);

/* As cfg_load(), but top-level settings whose names are in `skip` (a
 * NULL-terminated list; NULL for none) are neither applied nor errors:
 * the daemon reads those itself (lists and groups such as the
 * connector's `routes` and its librdkafka properties). */
int cfg_load_skipping(const struct cfg_option *opts, void *target, const char *file,
                      const char *const *skip, char *err, size_t errlen);

/* Writes `name = value;  # help` for every option, in libconfig syntax, so
 * the output of --print-config is itself a valid config file. */
void cfg_print(const struct cfg_option *opts, const void *target, FILE *out);

/* Writes the option list for --help: name, environment names, default. */
void cfg_help(const struct cfg_option *opts, FILE *out);

/* Frees the strings that cfg_load() stored in `target`. */
void cfg_free(const struct cfg_option *opts, void *target);

#endif
