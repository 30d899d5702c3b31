/* cfg.c -- fills a daemon's config struct from its option table: defaults,
 * then a libconfig file, then the environment.
 *
 * Every value, wherever it comes from, is turned into text and goes through
 * set_text(), so a default, a file value and an environment variable are
 * parsed and range-checked by the same code.
 *
 * Rules of libconfig (libconfig.texi): the strings it returns belong to the
 * config_t and die with config_destroy(), so they are copied into the
 * target; config_error_file() is NULL after an I/O error. */
#include "cfg.h"

#include "parse.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WHY_MAX 512              /* what went wrong with one value */
#define ENV_NAME_MAX 128         /* longest environment variable name we look up */
#define ENV_FILE_MAX (64 * 1024) /* a <name>_FILE value: a secret, not a dump */

static void *field(const struct cfg_option *o, void *target)
{
    return (char *)target + o->offset;
}

static const void *cfield(const struct cfg_option *o, const void *target)
{
    return (const char *)target + o->offset;
}

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* What a value of this option should look like, for error messages. */
static const char *expected(const struct cfg_option *o, char *buf, size_t len)
{
    switch (o->type) {
    case CFG_STRING:
        return "a string in double quotes";
    case CFG_INT:
        return "an integer";
    case CFG_BOOL:
        return "a boolean (true/false, yes/no, on/off, 1/0)";
    case CFG_DURATION:
        return "a duration such as 10s or 1m30s";
    case CFG_SIZE:
        return "a size such as 512k, 32M or 1G";
    case CFG_ENUM:
        snprintf(buf, len, "one of %s", o->choices ? o->choices : "");
        return buf;
    }
    return "a value";
}

/* Fills why with "expected X" (plus the offending text when show_got:
 * the environment message already shows it as NAME=value). */
static int bad(const struct cfg_option *o, const char *text, bool show_got, char *why,
               size_t whylen)
{
    char what[WHY_MAX];

    if (show_got)
        snprintf(why, whylen, "expected %s, got \"%s\"", expected(o, what, sizeof what), text);
    else
        snprintf(why, whylen, "expected %s", expected(o, what, sizeof what));
    return -1;
}

static void replace_str(char **slot, char *copy)
{
    free(*slot);
    *slot = copy;
}

/* Finds text among the '|'-separated words of choices, in any case. */
static int find_choice(const char *choices, const char *text, const char **word, size_t *len)
{
    size_t tlen = strlen(text);
    const char *p = choices;

    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == tlen && n > 0 && strncasecmp(p, text, n) == 0) {
            *word = p;
            *len = n;
            return 0;
        }
        if (!bar)
            return -1;
        p = bar + 1;
    }
}

static int set_enum(const struct cfg_option *o, void *target, const char *text, bool show_got,
                    char *why, size_t whylen)
{
    const char *word;
    size_t n;

    if (!o->choices || find_choice(o->choices, text, &word, &n) < 0)
        return bad(o, text, show_got, why, whylen);
    /* Store the table's spelling, so callers can strcmp() against it. */
    replace_str(field(o, target), xstrndup(word, n));
    return 0;
}

static bool in_range(const struct cfg_option *o, int64_t v)
{
    if (o->min == 0 && o->max == 0)
        return true;
    return v >= o->min && v <= o->max;
}

static void range_error(const struct cfg_option *o, int64_t v, char *why, size_t whylen)
{
    char a[32], b[32], c[32];

    if (o->type == CFG_DURATION)
        snprintf(why, whylen, "%s is out of range %s..%s", format_duration_ms(v, a, sizeof a),
                 format_duration_ms(o->min, b, sizeof b), format_duration_ms(o->max, c, sizeof c));
    else
        snprintf(why, whylen, "%" PRId64 " is out of range %" PRId64 "..%" PRId64, v, o->min,
                 o->max);
}

static int set_number(const struct cfg_option *o, void *target, const char *text, bool show_got,
                      char *why, size_t whylen)
{
    int64_t v;
    int rc;

    if (o->type == CFG_INT)
        rc = parse_int64(text, &v);
    else if (o->type == CFG_DURATION)
        rc = parse_duration_ms(text, &v);
    else
        rc = parse_size(text, &v);
    if (rc < 0)
        return bad(o, text, show_got, why, whylen);
    if (!in_range(o, v)) {
        range_error(o, v, why, whylen);
        return -1;
    }
    *(int64_t *)field(o, target) = v;
    return 0;
}

/* Parses text as option o and stores it; on error fills why. The target
 * field is left untouched on error. */
static int set_text(const struct cfg_option *o, void *target, const char *text, bool show_got,
                    char *why, size_t whylen)
{
    bool b;

    switch (o->type) {
    case CFG_STRING:
        replace_str(field(o, target), xstrdup(text));
        return 0;
    case CFG_ENUM:
        return set_enum(o, target, text, show_got, why, whylen);
    case CFG_BOOL:
        if (parse_bool(text, &b) < 0)
            return bad(o, text, show_got, why, whylen);
        *(bool *)field(o, target) = b;
        return 0;
    case CFG_INT:
    case CFG_DURATION:
    case CFG_SIZE:
        return set_number(o, target, text, show_got, why, whylen);
    }
    return bad(o, text, show_got, why, whylen);
}

/* Resets one field to "no value", freeing a string it holds. */
static void clear(const struct cfg_option *o, void *target)
{
    switch (o->type) {
    case CFG_STRING:
    case CFG_ENUM:
        replace_str(field(o, target), NULL);
        break;
    case CFG_BOOL:
        *(bool *)field(o, target) = false;
        break;
    case CFG_INT:
    case CFG_DURATION:
    case CFG_SIZE:
        *(int64_t *)field(o, target) = 0;
        break;
    }
}

static int apply_defaults(const struct cfg_option *opts, void *target, char *err, size_t errlen)
{
    char why[WHY_MAX];

    for (const struct cfg_option *o = opts; o->name; o++) {
        if (!o->def) {
            clear(o, target);
            continue;
        }
        if (set_text(o, target, o->def, true, why, sizeof why) < 0) {
            /* A bug in the daemon's table, caught at its first start. */
            errf(err, errlen, "%s: bad default: %s", o->name, why);
            return -1;
        }
    }
    return 0;
}

static const struct cfg_option *find_option(const struct cfg_option *opts, const char *name)
{
    for (const struct cfg_option *o = opts; o->name; o++) {
        if (strcmp(o->name, name) == 0)
            return o;
    }
    return NULL;
}

/* "1.500000000" -> "1.5", so a float reads back as the user wrote it. */
static void trim_float(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && s[n - 1] == '0')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.')
        s[n - 1] = '\0';
}

/* The text of a file setting, if its libconfig type suits the option:
 * strings always; numbers for numbers (and 1/0 for bools); floats for
 * durations; booleans for bools. NULL if the type does not suit. */
static const char *setting_text(const struct cfg_option *o, const config_setting_t *s, char *buf,
                                size_t len)
{
    int t = config_setting_type(s);
    bool numeric = o->type == CFG_INT || o->type == CFG_DURATION || o->type == CFG_SIZE ||
                   o->type == CFG_BOOL;

    if (t == CONFIG_TYPE_STRING)
        return config_setting_get_string(s);
    if ((t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) && numeric) {
        snprintf(buf, len, "%lld", config_setting_get_int64(s));
        return buf;
    }
    if (t == CONFIG_TYPE_FLOAT && o->type == CFG_DURATION) {
        snprintf(buf, len, "%.9f", config_setting_get_float(s));
        trim_float(buf);
        return buf;
    }
    if (t == CONFIG_TYPE_BOOL && o->type == CFG_BOOL)
        return config_setting_get_bool(s) ? "true" : "false";
    return NULL;
}

static const char *kind_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    default:
        return "a number";
    }
}

static int apply_setting(const struct cfg_option *o, void *target, const config_setting_t *s,
                         char *why, size_t whylen)
{
    char buf[64];
    char what[WHY_MAX];
    const char *text = setting_text(o, s, buf, sizeof buf);

    if (!text) {
        snprintf(why, whylen, "expected %s, got %s", expected(o, what, sizeof what), kind_name(s));
        return -1;
    }
    return set_text(o, target, text, true, why, whylen);
}

static bool skipped(const char *const *skip, const char *name)
{
    for (; skip && *skip; skip++) {
        if (strcmp(*skip, name) == 0)
            return true;
    }
    return false;
}

static int apply_file(const struct cfg_option *opts, void *target, const config_t *cf,
                      const char *file, const char *const *skip, char *err, size_t errlen)
{
    const config_setting_t *root = config_root_setting(cf);
    int count = config_setting_length(root);
    char why[WHY_MAX];

    for (int i = 0; i < count; i++) {
        const config_setting_t *s = config_setting_get_elem(root, i);
        const char *name = config_setting_name(s);
        const char *where = config_setting_source_file(s);
        unsigned line = config_setting_source_line(s);
        const struct cfg_option *o = find_option(opts, name);

        if (!where)
            where = file;
        if (!o && skipped(skip, name))
            continue;
        if (!o) {
            errf(err, errlen, "%s:%u: unknown setting \"%s\"", where, line, name);
            return -1;
        }
        if (apply_setting(o, target, s, why, sizeof why) < 0) {
            errf(err, errlen, "%s:%u: %s: %s", where, line, name, why);
            return -1;
        }
    }
    return 0;
}

static int read_file(config_t *cf, const char *file, char *err, size_t errlen)
{
    /* Open it ourselves first: libconfig says only "file I/O error". */
    FILE *fp = fopen(file, "re");

    if (!fp) {
        errf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
        return -1;
    }
    fclose(fp);
    if (config_read_file(cf, file))
        return 0;
    if (config_error_type(cf) == CONFIG_ERR_FILE_IO) {
        errf(err, errlen, "%s: cannot read the file", file);
        return -1;
    }
    errf(err, errlen, "%s:%d: %s", config_error_file(cf) ? config_error_file(cf) : file,
         config_error_line(cf), config_error_text(cf));
    return -1;
}

static int load_file(const struct cfg_option *opts, void *target, const char *file,
                     const char *const *skip, char *err, size_t errlen)
{
    config_t cf;
    int rc;

    config_init(&cf);
    rc = read_file(&cf, file, err, errlen);
    if (rc == 0)
        rc = apply_file(opts, target, &cf, file, skip, err, errlen);
    config_destroy(&cf);
    return rc;
}

/* The value of the first of o's environment names that is set (even to
 * ""), with that name copied to var; NULL if none is set. */
static const char *find_env(const struct cfg_option *o, char *var, size_t varlen)
{
    const char *p = o->env ? o->env : o->name;

    while (*p != '\0') {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        if (n > 0 && n < varlen) {
            memcpy(var, p, n);
            var[n] = '\0';
            const char *val = getenv(var);
            if (val)
                return val;
        }
        p += n;
    }
    return NULL;
}

/* The content of a <name>_FILE variable's file without its final line
 * end (a mounted secret), or NULL with why. New string. */
static char *read_value_file(const char *path, char *why, size_t whylen)
{
    FILE *f = fopen(path, "re");
    char *buf;
    size_t n;

    if (!f) {
        snprintf(why, whylen, "cannot read it: %s", strerror(errno));
        return NULL;
    }
    buf = xmalloc(ENV_FILE_MAX + 1);
    n = fread(buf, 1, ENV_FILE_MAX + 1, f);
    fclose(f);
    if (n > ENV_FILE_MAX) {
        snprintf(why, whylen, "larger than %d bytes", ENV_FILE_MAX);
        free(buf);
        return NULL;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return buf;
}

/* Like find_env(), for <name>_FILE: the value read from that file, with
 * the variable's name in var and the path in *path. New string, or NULL
 * (unset, or unreadable: then why is filled). */
static char *find_env_file(const struct cfg_option *o, char *var, size_t varlen, const char **path,
                           char *why, size_t whylen)
{
    const char *p = o->env ? o->env : o->name;

    why[0] = '\0';
    while (*p != '\0') {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        if (n > 0 && n + sizeof "_FILE" <= varlen) {
            snprintf(var, varlen, "%.*s_FILE", (int)n, p);
            *path = getenv(var);
            if (*path)
                return read_value_file(*path, why, whylen);
        }
        p += n;
    }
    return NULL;
}

static int load_env_file(const struct cfg_option *o, void *target, char *err, size_t errlen)
{
    char why[WHY_MAX];
    char var[ENV_NAME_MAX];
    const char *path = NULL;
    char *val = find_env_file(o, var, sizeof var, &path, why, sizeof why);
    int rc = 0;

    if (!val && why[0]) {
        errf(err, errlen, "%s=%s (environment): %s", var, path, why);
        return -1;
    }
    if (val && set_text(o, target, val, false, why, sizeof why) < 0) {
        errf(err, errlen, "%s=%s (environment): %s", var, path, why);
        rc = -1;
    }
    free(val);
    return rc;
}

static int load_env(const struct cfg_option *opts, void *target, char *err, size_t errlen)
{
    char why[WHY_MAX];
    char var[ENV_NAME_MAX];

    for (const struct cfg_option *o = opts; o->name; o++) {
        const char *val = find_env(o, var, sizeof var);
        if (!val) {
            if (load_env_file(o, target, err, errlen) < 0)
                return -1;
            continue;
        }
        if (set_text(o, target, val, false, why, sizeof why) < 0) {
            errf(err, errlen, "%s=%s (environment): %s", var, val, why);
            return -1;
        }
    }
    return 0;
}

int cfg_load(const struct cfg_option *opts, void *target, const char *file, char *err,
             size_t errlen)
{
    return cfg_load_skipping(opts, target, file, NULL, err, errlen);
}

int cfg_load_skipping(const struct cfg_option *opts, void *target, const char *file,
                      const char *const *skip, char *err, size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
    if (apply_defaults(opts, target, err, errlen) < 0)
        return -1;
    if (file && load_file(opts, target, file, skip, err, errlen) < 0)
        goto fail;
    if (load_env(opts, target, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    /* Promised by cfg.h: on error the target holds the defaults. */
    apply_defaults(opts, target, NULL, 0);
    return -1;
}

/* A libconfig string literal: quotes, backslashes and control bytes are
 * escaped so that any value reads back unchanged. */
static void print_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Integers beyond 32 bits need libconfig's L suffix to stay int64. */
static void print_int(FILE *out, int64_t v)
{
    bool wide = v > INT32_MAX || v < INT32_MIN;

    fprintf(out, "%" PRId64 "%s", v, wide ? "L" : "");
}

static void print_value(const struct cfg_option *o, const void *target, FILE *out)
{
    const void *f = cfield(o, target);
    char buf[32];

    switch (o->type) {
    case CFG_STRING:
    case CFG_ENUM:
        print_quoted(out, *(char *const *)f);
        break;
    case CFG_BOOL:
        fputs(*(const bool *)f ? "true" : "false", out);
        break;
    case CFG_DURATION:
        print_quoted(out, format_duration_ms(*(const int64_t *)f, buf, sizeof buf));
        break;
    case CFG_INT:
    case CFG_SIZE:
        print_int(out, *(const int64_t *)f);
        break;
    }
}

static bool is_unset(const struct cfg_option *o, const void *target)
{
    return (o->type == CFG_STRING || o->type == CFG_ENUM) &&
           *(char *const *)cfield(o, target) == NULL;
}

/* Output that is pasted into bug reports keeps no secrets. */
static bool is_secret(const struct cfg_option *o)
{
    static const char *const words[] = { "password", "token", "secret" };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t n = strlen(o->name), w = strlen(words[i]);
        if (o->type == CFG_STRING && n >= w && strcmp(o->name + n - w, words[i]) == 0)
            return true;
    }
    return false;
}

void cfg_print(const struct cfg_option *opts, const void *target, FILE *out)
{
    for (const struct cfg_option *o = opts; o->name; o++) {
        bool unset = is_unset(o, target);
        if (unset) {
            /* Commented out: reading it back leaves the string unset. */
            fprintf(out, "# %s = \"\";", o->name);
        } else {
            fprintf(out, "%s = ", o->name);
            if (is_secret(o))
                fputs("\"(hidden)\"", out);
            else
                print_value(o, target, out);
            fputc(';', out);
        }
        if (o->help || unset)
            fprintf(out, "  # %s%s", o->help ? o->help : "", unset ? " (unset)" : "");
        fputc('\n', out);
    }
}

static const char *type_name(const struct cfg_option *o)
{
    static const char *const names[] = {
        [CFG_STRING] = "string",     [CFG_INT] = "int",   [CFG_BOOL] = "bool",
        [CFG_DURATION] = "duration", [CFG_SIZE] = "size", [CFG_ENUM] = "enum",
    };

    /* For an enum the choices are what the reader needs. */
    if (o->type == CFG_ENUM && o->choices)
        return o->choices;
    if ((unsigned)o->type >= sizeof names / sizeof *names)
        return "?";
    return names[o->type];
}

static const char *env_names(const struct cfg_option *o)
{
    return o->env ? o->env : o->name;
}

static const char *def_text(const struct cfg_option *o)
{
    return o->def ? o->def : "-";
}

/* The help text, with the range when there is one. */
static const char *help_text(const struct cfg_option *o, char *buf, size_t len)
{
    char a[32], b[32];
    const char *help = o->help ? o->help : "";

    if (o->min == 0 && o->max == 0)
        return help;
    if (o->type == CFG_DURATION)
        snprintf(buf, len, "%s (%s..%s)", help, format_duration_ms(o->min, a, sizeof a),
                 format_duration_ms(o->max, b, sizeof b));
    else
        snprintf(buf, len, "%s (%" PRId64 "..%" PRId64 ")", help, o->min, o->max);
    return buf;
}

static int widest(int w, const char *s)
{
    int n = (int)strlen(s);

    return n > w ? n : w;
}

void cfg_help(const struct cfg_option *opts, FILE *out)
{
    int wn = (int)strlen("OPTION"), we = (int)strlen("ENVIRONMENT");
    int wt = (int)strlen("TYPE"), wd = (int)strlen("DEFAULT");
    char buf[WHY_MAX];

    for (const struct cfg_option *o = opts; o->name; o++) {
        wn = widest(wn, o->name);
        we = widest(we, env_names(o));
        wt = widest(wt, type_name(o));
        wd = widest(wd, def_text(o));
    }
    fprintf(out, "  %-*s  %-*s  %-*s  %-*s  %s\n", wn, "OPTION", we, "ENVIRONMENT", wt, "TYPE", wd,
            "DEFAULT", "DESCRIPTION");
    for (const struct cfg_option *o = opts; o->name; o++)
        fprintf(out, "  %-*s  %-*s  %-*s  %-*s  %s\n", wn, o->name, we, env_names(o), wt,
                type_name(o), wd, def_text(o), help_text(o, buf, sizeof buf));
}

void cfg_free(const struct cfg_option *opts, void *target)
{
    for (const struct cfg_option *o = opts; o->name; o++) {
        if (o->type == CFG_STRING || o->type == CFG_ENUM)
            replace_str(field(o, target), NULL);
    }
}
