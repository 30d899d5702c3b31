/* test_cfg.c -- option tables: defaults, file, environment, errors, print. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"

struct tcfg {
    char *name;
    int64_t inflight;
    bool combine;
    int64_t timeout;
    int64_t body;
    char *mode;
    char *upstream;
};

/* Environment names are prefixed so the test's own environment cannot
 * leak in; tcfg_inflight uses its option name (env == NULL). */
static const struct cfg_option opts[] = {
    { "name", "TCFG_NAME", CFG_STRING, offsetof(struct tcfg, name), "fn", 0, 0, NULL,
      "function name" },
    { "tcfg_inflight", NULL, CFG_INT, offsetof(struct tcfg, inflight), "0", 0, 65535, NULL,
      "concurrent requests, 0 = unlimited" },
    { "combine_output", "TCFG_COMBINE", CFG_BOOL, offsetof(struct tcfg, combine), "true", 0, 0,
      NULL, "merge stderr" },
    { "exec_timeout", "TCFG_EXEC_TIMEOUT,TCFG_TIMEOUT", CFG_DURATION,
      offsetof(struct tcfg, timeout), "10s", 0, 3600000, NULL, "kill the process after this" },
    { "max_body", "TCFG_MAX_BODY", CFG_SIZE, offsetof(struct tcfg, body), "32M", 1, 1LL << 40, NULL,
      "largest request body" },
    { "mode", "TCFG_MODE", CFG_ENUM, offsetof(struct tcfg, mode), "classic", 0, 0,
      "classic|http|static", "how requests are served" },
    { "upstream_url", "TCFG_UPSTREAM", CFG_STRING, offsetof(struct tcfg, upstream), NULL, 0, 0,
      NULL, "http mode target" },
    { NULL, NULL, CFG_STRING, 0, NULL, 0, 0, NULL, NULL },
};

static const char *const env_vars[] = {
    "TCFG_NAME",      "tcfg_inflight",     "TCFG_COMBINE",       "TCFG_EXEC_TIMEOUT",
    "TCFG_TIMEOUT",   "TCFG_MAX_BODY",     "TCFG_MODE",          "TCFG_UPSTREAM",
    "TCFG_NAME_FILE", "TCFG_TIMEOUT_FILE", "tcfg_inflight_FILE",
};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof env_vars / sizeof *env_vars; i++)
        unsetenv(env_vars[i]);
    return 0;
}

/* Writes text to a new temp file; path receives its name. */
static void write_file(char *path, const char *text)
{
    strcpy(path, "/tmp/test_cfg_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* Loads text as a config file; returns cfg_load's result. */
static int load_text(struct tcfg *c, const char *text, char *err, size_t len)
{
    char path[64];
    write_file(path, text);
    int rc = cfg_load(opts, c, path, err, len);
    unlink(path);
    return rc;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static void assert_defaults(const struct tcfg *c)
{
    assert_string_equal(c->name, "fn");
    assert_int_equal(c->inflight, 0);
    assert_true(c->combine);
    assert_int_equal(c->timeout, 10000);
    assert_int_equal(c->body, 32 << 20);
    assert_string_equal(c->mode, "classic");
    assert_null(c->upstream);
}

static void test_defaults(void **state)
{
    struct tcfg c = { 0 };
    char err[256] = "untouched";

    (void)state;
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_defaults(&c);
    cfg_free(opts, &c);
    assert_null(c.name);
    assert_null(c.mode);
}

static void test_file_values(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    assert_int_equal(load_text(&c,
                               "# comment\n"
                               "name = \"echo\";\n"
                               "tcfg_inflight = 100;\n"
                               "combine_output = false;\n"
                               "exec_timeout = \"1m30s\";\n"
                               "max_body = \"64KB\";\n"
                               "mode = \"HTTP\";\n"
                               "upstream_url = \"http://127.0.0.1:3000\";\n",
                               err, sizeof err),
                     0);
    assert_string_equal(c.name, "echo");
    assert_int_equal(c.inflight, 100);
    assert_false(c.combine);
    assert_int_equal(c.timeout, 90000);
    assert_int_equal(c.body, 64 * 1024);
    assert_string_equal(c.mode, "http"); /* the table's spelling */
    assert_string_equal(c.upstream, "http://127.0.0.1:3000");
    cfg_free(opts, &c);
}

static void test_file_numbers_and_strings(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    /* Bare numbers: seconds for durations, bytes for sizes; a float
     * duration; a bool as a string. */
    assert_int_equal(load_text(&c,
                               "exec_timeout = 15;\nmax_body = 2048;\ncombine_output = \"no\";\n",
                               err, sizeof err),
                     0);
    assert_int_equal(c.timeout, 15000);
    assert_int_equal(c.body, 2048);
    assert_false(c.combine);
    assert_int_equal(load_text(&c,
                               "exec_timeout = 1.5;\n"
                               "max_body = 8589934592L;\n",
                               err, sizeof err),
                     0);
    assert_int_equal(c.timeout, 1500);
    assert_int_equal(c.body, 8589934592LL);
    cfg_free(opts, &c);
}

static void test_env_overrides_file(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    setenv("TCFG_NAME", "from-env", 1);
    setenv("tcfg_inflight", "7", 1);
    setenv("TCFG_TIMEOUT", "2s", 1); /* the second name of the list */
    setenv("TCFG_MODE", "static", 1);
    setenv("TCFG_COMBINE", "off", 1);
    assert_int_equal(load_text(&c,
                               "name = \"from-file\";\n"
                               "exec_timeout = 5;\n"
                               "combine_output = true;\n"
                               "max_body = \"1M\";\n",
                               err, sizeof err),
                     0);
    assert_string_equal(c.name, "from-env");
    assert_int_equal(c.inflight, 7);
    assert_int_equal(c.timeout, 2000);
    assert_string_equal(c.mode, "static");
    assert_false(c.combine);
    assert_int_equal(c.body, 1 << 20); /* no env: the file's value stays */

    /* With both names set, the first in the list wins. */
    setenv("TCFG_EXEC_TIMEOUT", "3s", 1);
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), 0);
    assert_int_equal(c.timeout, 3000);
    cfg_free(opts, &c);
}

static void test_unknown_key(void **state)
{
    struct tcfg c = { 0 };
    char err[256];
    char path[64];

    (void)state;
    write_file(path, "name = \"x\";\n\nexec_timout = 5;\n");
    assert_int_equal(cfg_load(opts, &c, path, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:3: unknown setting \"exec_timout\"", path);
    assert_string_equal(err, want);
    /* On error the target holds the defaults, not the file's "x". */
    assert_defaults(&c);
    unlink(path);
    cfg_free(opts, &c);
}

static void test_bad_duration_names_line(void **state)
{
    struct tcfg c = { 0 };
    char err[256];
    char path[64];
    char want[256];

    (void)state;
    write_file(path, "name = \"x\";\n# two\n# three\n# four\n# five\n"
                     "# six\nexec_timeout = \"abc\";\n");
    assert_int_equal(cfg_load(opts, &c, path, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s:7: exec_timeout: expected a duration "
             "such as 10s or 1m30s, got \"abc\"",
             path);
    assert_string_equal(err, want);
    unlink(path);
    cfg_free(opts, &c);
}

static void test_wrong_type_in_file(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    assert_int_equal(load_text(&c, "name = 5;\n", err, sizeof err), -1);
    assert_contains(err, ":1: name: expected a string in double quotes, "
                         "got a number");
    assert_int_equal(load_text(&c, "tcfg_inflight = \"12x\";\n", err, sizeof err), -1);
    assert_contains(err, ":1: tcfg_inflight: expected an integer, got \"12x\"");
    assert_int_equal(load_text(&c, "\nmax_body = [1, 2];\n", err, sizeof err), -1);
    assert_contains(err, ":2: max_body: expected a size");
    assert_contains(err, "got an array");
    cfg_free(opts, &c);
}

static void test_syntax_error(void **state)
{
    struct tcfg c = { 0 };
    char err[256];
    char path[64];
    char want[128];

    (void)state;
    write_file(path, "name = \"x\";\nmode = ;\n");
    assert_int_equal(cfg_load(opts, &c, path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: ", path);
    assert_contains(err, want);
    assert_contains(err, "syntax error");
    unlink(path);
    cfg_free(opts, &c);
}

static void test_env_error_names_variable(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    setenv("TCFG_EXEC_TIMEOUT", "abc", 1);
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), -1);
    assert_string_equal(err, "TCFG_EXEC_TIMEOUT=abc (environment): expected "
                             "a duration such as 10s or 1m30s");
    assert_defaults(&c);
    unsetenv("TCFG_EXEC_TIMEOUT");
    setenv("TCFG_COMBINE", "maybe", 1);
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), -1);
    assert_contains(err, "TCFG_COMBINE=maybe (environment): expected a boolean");
    cfg_free(opts, &c);
}

static void test_range_errors(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    assert_int_equal(load_text(&c, "tcfg_inflight = 70000;\n", err, sizeof err), -1);
    assert_contains(err, ":1: tcfg_inflight: 70000 is out of range 0..65535");
    assert_int_equal(load_text(&c, "exec_timeout = \"2h\";\n", err, sizeof err), -1);
    assert_contains(err, "exec_timeout: 2h is out of range 0s..1h");
    assert_int_equal(load_text(&c, "max_body = 0;\n", err, sizeof err), -1);
    assert_contains(err, "max_body: 0 is out of range 1..1099511627776");
    setenv("tcfg_inflight", "-1", 1);
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), -1);
    assert_string_equal(err, "tcfg_inflight=-1 (environment): -1 is out of "
                             "range 0..65535");
    /* The edges themselves are allowed. */
    setenv("tcfg_inflight", "65535", 1);
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), 0);
    assert_int_equal(c.inflight, 65535);
    cfg_free(opts, &c);
}

static void test_enum_error(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    assert_int_equal(load_text(&c, "mode = \"fork\";\n", err, sizeof err), -1);
    assert_contains(err, ":1: mode: expected one of classic|http|static, "
                         "got \"fork\"");
    assert_string_equal(c.mode, "classic");
    setenv("TCFG_MODE", "htt", 1);
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), -1);
    assert_string_equal(err, "TCFG_MODE=htt (environment): expected one of "
                             "classic|http|static");
    cfg_free(opts, &c);
}

static void test_missing_file(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    assert_int_equal(cfg_load(opts, &c, "/tmp/test_cfg_no_such_file.conf", err, sizeof err), -1);
    assert_string_equal(err, "/tmp/test_cfg_no_such_file.conf: cannot open: "
                             "No such file or directory");
    assert_defaults(&c);
    cfg_free(opts, &c);
}

static void test_bad_default(void **state)
{
    static const struct cfg_option broken[] = {
        { "t", "TCFG_T", CFG_DURATION, 0, "10 s", 0, 0, NULL, "x" },
        { NULL, NULL, CFG_STRING, 0, NULL, 0, 0, NULL, NULL },
    };
    int64_t t = 0;
    char err[256];

    (void)state;
    assert_int_equal(cfg_load(broken, &t, NULL, err, sizeof err), -1);
    assert_contains(err, "t: bad default: expected a duration");
}

/* Prints c, loads the output back into a fresh struct, compares. */
static void round_trip(const struct tcfg *c)
{
    struct tcfg back = { 0 };
    char path[64];
    char err[256];

    strcpy(path, "/tmp/test_cfg_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    cfg_print(opts, c, fp);
    fclose(fp);
    if (cfg_load(opts, &back, path, err, sizeof err) != 0)
        fail_msg("printed config does not load: %s", err);
    unlink(path);
    assert_string_equal(back.name, c->name);
    assert_int_equal(back.inflight, c->inflight);
    assert_int_equal(back.combine, c->combine);
    assert_int_equal(back.timeout, c->timeout);
    assert_int_equal(back.body, c->body);
    assert_string_equal(back.mode, c->mode);
    if (c->upstream)
        assert_string_equal(back.upstream, c->upstream);
    else
        assert_null(back.upstream);
    cfg_free(opts, &back);
}

static void test_print_round_trip(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), 0);
    round_trip(&c); /* defaults, with an unset string */
    assert_int_equal(load_text(&c,
                               "name = \"a \\\"quoted\\\" \\\\ name\\n\\ttab\\x01\";\n"
                               "tcfg_inflight = 65535;\ncombine_output = false;\n"
                               "exec_timeout = \"59m3.004s\";\nmax_body = \"1T\";\n"
                               "mode = \"static\";\nupstream_url = \"\";\n",
                               err, sizeof err),
                     0);
    assert_string_equal(c.name, "a \"quoted\" \\ name\n\ttab\x01");
    round_trip(&c);
    cfg_free(opts, &c);
}

static void test_print_format(void **state)
{
    struct tcfg c = { 0 };
    char *text = NULL;
    size_t len = 0;
    char err[256];

    (void)state;
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), 0);
    FILE *fp = open_memstream(&text, &len);
    assert_non_null(fp);
    cfg_print(opts, &c, fp);
    fclose(fp);
    assert_contains(text, "name = \"fn\";  # function name\n");
    assert_contains(text, "exec_timeout = \"10s\";  # kill the process");
    assert_contains(text, "max_body = 33554432;");
    assert_contains(text, "combine_output = true;");
    assert_contains(text, "\n# upstream_url = \"\";");
    free(text);
    cfg_free(opts, &c);
}

static void test_help(void **state)
{
    char *text = NULL;
    size_t len = 0;

    (void)state;
    FILE *fp = open_memstream(&text, &len);
    assert_non_null(fp);
    cfg_help(opts, fp);
    fclose(fp);
    assert_contains(text, "TCFG_EXEC_TIMEOUT,TCFG_TIMEOUT");
    assert_contains(text, "classic|http|static");
    /* With env == NULL the option's own name is its variable. */
    const char *row = strstr(text, "  tcfg_inflight ");
    assert_non_null(row);
    const char *env = strstr(row + 3, "tcfg_inflight");
    assert_non_null(env);
    assert_true(strchr(row, '\n') > env);
    /* Aligned: every line's help text starts in the same column. */
    const char *helps[] = { "function name", "merge stderr", "kill the process",
                            "largest request body", "http mode target" };
    long col = -1;
    for (size_t i = 0; i < sizeof helps / sizeof *helps; i++) {
        const char *at = strstr(text, helps[i]);
        assert_non_null(at);
        const char *bol = at;
        while (bol > text && bol[-1] != '\n')
            bol--;
        if (col < 0)
            col = at - bol;
        assert_int_equal(at - bol, col);
    }
    assert_contains(text, "10s");
    free(text);
}

static void test_repeated_load_no_leaks(void **state)
{
    struct tcfg c = { 0 };
    char err[256];

    (void)state;
    /* Each load replaces every string; LeakSanitizer fails the run if a
     * replaced one was not freed. */
    setenv("TCFG_UPSTREAM", "http://env", 1);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(load_text(&c,
                                   "name = \"n\";\nmode = \"http\";\n"
                                   "upstream_url = \"http://file\";\n",
                                   err, sizeof err),
                         0);
        assert_string_equal(c.upstream, "http://env");
        assert_int_equal(load_text(&c, "mode = 1;\n", err, sizeof err), -1);
        assert_null(c.upstream);
        unsetenv("TCFG_UPSTREAM");
        assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), 0);
        setenv("TCFG_UPSTREAM", "http://env", 1);
    }
    cfg_free(opts, &c);
    cfg_free(opts, &c); /* a second free is harmless */
    assert_null(c.name);
}

static void overwrite(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
}

static void test_env_values_from_files(void **state)
{
    struct tcfg c = { 0 };
    char err[512], name[64], timeout[64];

    (void)state;
    write_file(name, "from-secret\r\n");
    write_file(timeout, "4s\n");
    setenv("TCFG_NAME_FILE", name, 1);
    setenv("TCFG_TIMEOUT_FILE", timeout, 1); /* the second name, _FILE */
    assert_int_equal(load_text(&c, "name = \"from-file\";\n", err, sizeof err), 0);
    assert_string_equal(c.name, "from-secret");
    assert_int_equal(c.timeout, 4000);
    /* The variable itself wins over its _FILE. */
    setenv("TCFG_NAME", "from-env", 1);
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), 0);
    assert_string_equal(c.name, "from-env");
    /* A bad value is reported with the variable and its file. */
    overwrite(timeout, "soon\n");
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "TCFG_TIMEOUT_FILE="));
    assert_non_null(strstr(err, timeout));
    unlink(name);
    unlink(timeout);
    /* A file that cannot be read stops the load. */
    setenv("tcfg_inflight_FILE", "/nonexistent/inflight", 1);
    assert_int_equal(cfg_load(opts, &c, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "tcfg_inflight_FILE=/nonexistent/inflight (environment): "
                                "cannot read it"));
    cfg_free(opts, &c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, clear_env, clear_env)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_file_values),
        T(test_file_numbers_and_strings),
        T(test_env_overrides_file),
        T(test_env_values_from_files),
        T(test_unknown_key),
        T(test_bad_duration_names_line),
        T(test_wrong_type_in_file),
        T(test_syntax_error),
        T(test_env_error_names_variable),
        T(test_range_errors),
        T(test_enum_error),
        T(test_missing_file),
        T(test_bad_default),
        T(test_print_round_trip),
        T(test_print_format),
        T(test_help),
        T(test_repeated_load_no_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
