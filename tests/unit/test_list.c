/* test_list.c -- lib/list.h: order, removal anywhere, and the element a
 * node belongs to. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "list.h"

struct item {
    int v;
    struct list_node a; /* two lists at once */
    struct list_node b;
};

static int values(const struct list *l, int *out, int max, int which)
{
    int n = 0;

    for (const struct list_node *it = l->first; it && n < max; it = it->next) {
        const struct item *x = which ? LIST_ENTRY(it, const struct item, b)
                                     : LIST_ENTRY(it, const struct item, a);
        out[n++] = x->v;
    }
    return n;
}

static void test_push_back_keeps_order_and_pop_takes_the_first(void **state)
{
    struct item it[3] = { { .v = 1 }, { .v = 2 }, { .v = 3 } };
    struct list l = { 0 };
    int got[4];
    (void)state;

    assert_true(list_empty(&l));
    for (int i = 0; i < 3; i++)
        list_push_back(&l, &it[i].a);
    assert_int_equal(values(&l, got, 4, 0), 3);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[2], 3);
    assert_ptr_equal(LIST_ENTRY(list_pop_front(&l), struct item, a), &it[0]);
    assert_ptr_equal(LIST_ENTRY(l.last, struct item, a), &it[2]);
    assert_null(it[0].a.next); /* the node taken is unlinked */
    assert_null(l.first->prev);
    assert_ptr_equal(list_pop_front(&l), &it[1].a);
    assert_ptr_equal(list_pop_front(&l), &it[2].a);
    assert_null(list_pop_front(&l));
    assert_true(list_empty(&l));
    assert_null(l.last);
    assert_null(LIST_ENTRY(l.first, struct item, a));
    list_push_back(&l, &it[1].a); /* an emptied list is as new */
    assert_ptr_equal(l.first, &it[1].a);
    assert_ptr_equal(l.last, &it[1].a);
    assert_null(it[1].a.prev);
}

static void test_remove_from_the_middle_and_the_ends(void **state)
{
    struct item it[4] = { { .v = 1 }, { .v = 2 }, { .v = 3 }, { .v = 4 } };
    struct list l = { 0 };
    int got[4];
    (void)state;

    for (int i = 3; i >= 0; i--)
        list_push_front(&l, &it[i].a);
    list_remove(&l, &it[1].a);
    assert_int_equal(values(&l, got, 4, 0), 3);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 3);
    list_remove(&l, &it[0].a);
    list_remove(&l, &it[3].a);
    assert_int_equal(values(&l, got, 4, 0), 1);
    assert_int_equal(got[0], 3);
    assert_ptr_equal(l.first, l.last);
    assert_null(it[1].a.prev);
    assert_null(it[1].a.next);
}

static void test_an_element_in_two_lists(void **state)
{
    struct item it[2] = { { .v = 1 }, { .v = 2 } };
    struct list a = { 0 }, b = { 0 };
    int got[2];
    (void)state;

    list_push_back(&a, &it[0].a);
    list_push_back(&a, &it[1].a);
    list_push_back(&b, &it[1].b);
    list_push_back(&b, &it[0].b);
    list_remove(&a, &it[0].a);
    assert_int_equal(values(&a, got, 2, 0), 1);
    assert_int_equal(got[0], 2);
    assert_int_equal(values(&b, got, 2, 1), 2);
    assert_int_equal(got[0], 2);
    assert_int_equal(got[1], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_back_keeps_order_and_pop_takes_the_first),
        cmocka_unit_test(test_remove_from_the_middle_and_the_ends),
        cmocka_unit_test(test_an_element_in_two_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
