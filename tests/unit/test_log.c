/* test_log.c -- level gating, the line format, truncation, signal lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define TS_RE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "

struct capture {
    int saved_fd;
    char path[64];
};

/* Points stderr (fd 2, which log.c writes to) at a fresh temp file. */
static void capture_begin(struct capture *cap)
{
    strcpy(cap->path, "/tmp/test_log_XXXXXX");
    int fd = mkstemp(cap->path);
    assert_true(fd >= 0);
    /* O_APPEND: concurrent writers in the thread test never overwrite. */
    assert_int_equal(fcntl(fd, F_SETFL, O_APPEND), 0);
    cap->saved_fd = dup(STDERR_FILENO);
    assert_true(cap->saved_fd >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

/* Restores stderr and returns what was written (caller frees). */
static char *capture_end(struct capture *cap, size_t *len)
{
    struct stat st;

    assert_true(dup2(cap->saved_fd, STDERR_FILENO) >= 0);
    close(cap->saved_fd);
    FILE *fp = fopen(cap->path, "r");
    assert_non_null(fp);
    assert_int_equal(fstat(fileno(fp), &st), 0);
    char *buf = calloc(1, (size_t)st.st_size + 1);
    assert_non_null(buf);
    *len = fread(buf, 1, (size_t)st.st_size, fp);
    assert_int_equal(*len, st.st_size);
    fclose(fp);
    unlink(cap->path);
    return buf;
}

static void assert_matches(const char *text, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    if (rc != 0)
        fail_msg("\"%s\" does not match /%s/", text, pattern);
}

static size_t count_char(const char *s, size_t len, char c)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == c;
    return n;
}

static int evaluated;

static int side_effect(void)
{
    evaluated++;
    return 7;
}

static int setup(void **state)
{
    (void)state;
    log_init("testd", LOGL_INFO);
    return 0;
}

static void test_default_threshold_is_info(void **state)
{
    (void)state;
    /* Runs before any setup() touches it. */
    assert_int_equal(log_threshold, LOGL_INFO);
}

static void test_gating_skips_arguments(void **state)
{
    struct capture cap;
    size_t len;

    (void)state;
    evaluated = 0;
    capture_begin(&cap);
    log_debug("test", "value %d", side_effect());
    char *out = capture_end(&cap, &len);
    assert_int_equal(evaluated, 0);
    assert_int_equal(len, 0);
    free(out);

    capture_begin(&cap);
    log_info("test", "value %d", side_effect());
    log_error("test", "value %d", side_effect());
    out = capture_end(&cap, &len);
    assert_int_equal(evaluated, 2);
    assert_int_equal(count_char(out, len, '\n'), 2);
    free(out);
}

static void test_line_format(void **state)
{
    struct capture cap;
    size_t len;
    char year[8];
    time_t now = time(NULL);
    struct tm tm;

    (void)state;
    capture_begin(&cap);
    log_info("proc", "Forking fprocess. pid=%d", 42);
    log_warn(NULL, "no component");
    char *out = capture_end(&cap, &len);
    char *second = strchr(out, '\n') + 1;
    assert_matches(out, TS_RE "info testd proc: Forking fprocess\\. pid=42\n");
    assert_matches(second, TS_RE "warn testd -: no component\n$");
    /* The timestamp is the current UTC time, not local or garbage. */
    gmtime_r(&now, &tm);
    strftime(year, sizeof year, "%Y-%m", &tm);
    assert_memory_equal(out, year, 7);
    free(out);
}

static void test_truncation_keeps_one_line(void **state)
{
    struct capture cap;
    size_t len;
    size_t big = 20000;
    char *msg = malloc(big + 1);

    (void)state;
    assert_non_null(msg);
    memset(msg, 'x', big);
    msg[big] = '\0';
    capture_begin(&cap);
    log_info("test", "%s", msg);
    log_info("test", "after");
    char *out = capture_end(&cap, &len);
    char *first_nl = strchr(out, '\n');
    assert_non_null(first_nl);
    size_t first_len = (size_t)(first_nl - out) + 1;
    assert_true(first_len < big);
    assert_true(first_len <= 4096);
    assert_int_equal(count_char(out, first_len, 'x'),
                     first_len - 1 - strlen("2026-11-27T10:00:00.123Z info testd test: ") - 3);
    assert_memory_equal(first_nl - 3, "...", 3);
    /* The next call starts a fresh line: nothing of msg spilled over. */
    assert_matches(first_nl + 1, TS_RE "info testd test: after\n$");
    free(out);
    free(msg);
}

static void test_embedded_newline_stays_one_line(void **state)
{
    struct capture cap;
    size_t len;

    (void)state;
    capture_begin(&cap);
    log_error("http", "bad header\nforged line\r");
    char *out = capture_end(&cap, &len);
    assert_int_equal(count_char(out, len, '\n'), 1);
    assert_matches(out, TS_RE "error testd http: bad header forged line \n$");
    free(out);
}

static void test_from_signal(void **state)
{
    struct capture cap;
    size_t len;

    (void)state;
    capture_begin(&cap);
    log_from_signal("SIGTERM received, draining\n");
    log_from_signal("second");
    char *out = capture_end(&cap, &len);
    assert_int_equal(count_char(out, len, '\n'), 2);
    assert_matches(out, TS_RE "info testd signal: SIGTERM received, "
                              "draining\n"
                              "[0-9]{4}.* signal: second\n$");
    free(out);
}

static void test_level_names(void **state)
{
    enum log_level lv = LOGL_ERROR;

    (void)state;
    assert_int_equal(log_level_parse("debug", &lv), 0);
    assert_int_equal(lv, LOGL_DEBUG);
    assert_int_equal(log_level_parse("WARN", &lv), 0);
    assert_int_equal(lv, LOGL_WARN);
    assert_int_equal(log_level_parse("error", &lv), 0);
    assert_int_equal(lv, LOGL_ERROR);
    assert_int_equal(log_level_parse("verbose", &lv), -1);
    assert_int_equal(log_level_parse("", &lv), -1);
    assert_int_equal(lv, LOGL_ERROR);
    assert_string_equal(log_level_name(LOGL_INFO), "info");
    assert_string_equal(log_level_name(LOGL_DEBUG), "debug");
    assert_string_equal(log_level_name((enum log_level)99), "?");
}

#define THREADS 4
#define LINES 1000

static void *writer(void *arg)
{
    long id = (long)(intptr_t)arg;
    char pad[600];

    /* Long lines make a torn write likely if lines were written in parts. */
    memset(pad, 'a' + (int)id, sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        log_info("thr", "id=%ld i=%d %s end", id, i, pad);
    return NULL;
}

static void test_threads_do_not_interleave(void **state)
{
    struct capture cap;
    pthread_t tid[THREADS];
    size_t len;

    (void)state;
    capture_begin(&cap);
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, writer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    char *out = capture_end(&cap, &len);
    assert_int_equal(count_char(out, len, '\n'), THREADS * LINES);
    for (char *line = out; *line != '\0';) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        assert_matches(line, TS_RE "info testd thr: id=[0-9] i=[0-9]+ "
                                   "(a+|b+|c+|d+) end$");
        line = nl + 1;
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_threshold_is_info),
        cmocka_unit_test_setup(test_gating_skips_arguments, setup),
        cmocka_unit_test_setup(test_line_format, setup),
        cmocka_unit_test_setup(test_truncation_keeps_one_line, setup),
        cmocka_unit_test_setup(test_embedded_newline_stays_one_line, setup),
        cmocka_unit_test_setup(test_from_signal, setup),
        cmocka_unit_test(test_level_names),
        cmocka_unit_test_setup(test_threads_do_not_interleave, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
