/* test_gateway_ui.c -- unit tests for gateway/ui.c: which paths under
 * /ui/ may name a file of the portal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../gateway/ui.h"

static void test_plain_files_pass(void **state)
{
    (void)state;
    assert_true(gw_ui_path_ok("index.html"));
    assert_true(gw_ui_path_ok("app.js"));
    assert_true(gw_ui_path_ok("img/logo-2_x.svg"));
    assert_true(gw_ui_path_ok("a/b/c.d.e"));
}

static void test_every_way_out_is_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "..",
        "../x",
        "a/../b",
        "a/..",
        ".",
        "./a",
        "a/./b",
        ".hidden",
        "a/.git/config",
        "/etc/passwd",
        "a//b",
        "a/",
        "%2e%2e/x",
        "..%2fx",
        "a\\..\\b",
        "a b",
        "a?b",
        "a\nb",
        "caf\xc3\xa9.js",
        "a;b",
        "~root",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (gw_ui_path_ok(bad[i]))
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_long_paths_are_refused(void **state)
{
    (void)state;
    char path[400];
    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    assert_false(gw_ui_path_ok(path));
    path[200] = '\0';
    assert_true(gw_ui_path_ok(path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_files_pass),
        cmocka_unit_test(test_every_way_out_is_refused),
        cmocka_unit_test(test_long_paths_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
