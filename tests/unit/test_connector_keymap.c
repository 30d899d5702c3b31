/* test_connector_keymap.c -- byte-string keys to pointers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../connector/keymap.h"

static void test_put_get_del(void **state)
{
    struct keymap *m = keymap_new();
    int a, b;
    (void)state;

    assert_null(keymap_get(m, "x", 1));
    keymap_put(m, "x", 1, &a);
    keymap_put(m, "y", 1, &b);
    assert_ptr_equal(keymap_get(m, "x", 1), &a);
    assert_ptr_equal(keymap_get(m, "y", 1), &b);
    keymap_put(m, "x", 1, &b); /* replaces */
    assert_ptr_equal(keymap_get(m, "x", 1), &b);
    assert_int_equal(keymap_count(m), 2);
    assert_ptr_equal(keymap_del(m, "x", 1), &b);
    assert_null(keymap_del(m, "x", 1));
    assert_int_equal(keymap_count(m), 1);
    keymap_free(m);
}

static void test_binary_keys_differ_by_length_and_bytes(void **state)
{
    struct keymap *m = keymap_new();
    int a, b, c;
    (void)state;

    keymap_put(m, "a\0b", 3, &a);
    keymap_put(m, "a", 1, &b);
    keymap_put(m, "", 0, &c);
    assert_ptr_equal(keymap_get(m, "a\0b", 3), &a);
    assert_ptr_equal(keymap_get(m, "a", 1), &b);
    assert_ptr_equal(keymap_get(m, "", 0), &c);
    assert_null(keymap_get(m, "a\0c", 3));
    keymap_free(m);
}

static void count_each(void *arg, const void *key, size_t len, void *value)
{
    (void)key;
    (void)len;
    (void)value;
    (*(int *)arg)++;
}

static void test_many_keys_survive_growth(void **state)
{
    struct keymap *m = keymap_new();
    static int values[5000];
    char key[32];
    int seen = 0;
    (void)state;

    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        keymap_put(m, key, strlen(key), &values[i]);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        assert_ptr_equal(keymap_get(m, key, strlen(key)), &values[i]);
    }
    keymap_each(m, count_each, &seen);
    assert_int_equal(seen, 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof key, "key-%d", i);
        assert_ptr_equal(keymap_del(m, key, strlen(key)), &values[i]);
    }
    assert_int_equal(keymap_count(m), 2500);
    keymap_free(m);
}

/* The values' array lists each value once, and it may be walked while
 * the map changes: here each entry is deleted as it is seen. */
static void test_values_can_be_walked_while_deleting(void **state)
{
    struct keymap *m = keymap_new();
    static int values[300];
    bool seen[300] = { false };
    char key[32];
    void **all;
    (void)state;

    all = keymap_values(m);
    assert_null(all[0]); /* empty: the NULL alone */
    free(all);
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "k%d", i);
        keymap_put(m, key, strlen(key), &values[i]);
    }
    all = keymap_values(m);
    size_t n = 0;
    for (void **v = all; *v; v++, n++) {
        int i = (int)((int *)*v - values);
        assert_false(seen[i]);
        seen[i] = true;
        snprintf(key, sizeof key, "k%d", i);
        assert_ptr_equal(keymap_del(m, key, strlen(key)), *v);
    }
    free(all);
    assert_int_equal(n, 300);
    assert_int_equal(keymap_count(m), 0);
    keymap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del),
        cmocka_unit_test(test_binary_keys_differ_by_length_and_bytes),
        cmocka_unit_test(test_many_keys_survive_growth),
        cmocka_unit_test(test_values_can_be_walked_while_deleting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
