/* test_urlenc.c -- unit tests for lib/urlenc.c (percent-encoding). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "urlenc.h"

static void reserved_characters_are_encoded(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(url_escape("{\"a\":[\"b=c\"]}", "", out, sizeof out),
                        "%7B%22a%22%3A%5B%22b%3Dc%22%5D%7D");
    assert_string_equal(url_escape("app=x,faas_function in (a b)", "", out, sizeof out),
                        "app%3Dx%2Cfaas_function%20in%20%28a%20b%29");
    assert_string_equal(url_escape("A-z_0.9~", "", out, sizeof out), "A-z_0.9~");
}

static void keep_leaves_the_given_characters(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(url_escape("faasbus/test:1@x", "/:@", out, sizeof out), "faasbus/test:1@x");
    assert_string_equal(url_escape("a/b", "", out, sizeof out), "a%2Fb");
}

static void a_character_that_does_not_fit_is_left_out_whole(void **state)
{
    (void)state;
    char out[5];
    assert_string_equal(url_escape("a b", "", out, 4), "a"); /* "%20" needs 3 + NUL */
    assert_string_equal(url_escape("abcdef", "", out, sizeof out), "abcd");
    assert_string_equal(url_escape("\xff", "", out, sizeof out), "%FF");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reserved_characters_are_encoded),
        cmocka_unit_test(keep_leaves_the_given_characters),
        cmocka_unit_test(a_character_that_does_not_fit_is_left_out_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
