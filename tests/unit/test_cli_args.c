/* test_cli_args.c -- the CLI's option parser: long and short spellings,
 * inline values, repeatable options, "--", and refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../cli/args.h"

/* argv as main() gets it: writable copies, alive until the next call. */
static char *copies[16];

static int parse(struct args *a, const char *verb, const char *const *argv, int argc)
{
    for (int i = 0; i < 16; i++) {
        free(copies[i]);
        copies[i] = i < argc ? strdup(argv[i]) : NULL;
    }
    return args_parse(a, verb_find(verb), argc, copies);
}

static void test_spellings_and_lists(void **state)
{
    (void)state;
    const char *const argv[] = { "-f",  "a.yml",  "--yaml=b.yml", "-eK=V",    "--env",
                                 "X=1", "--wait", "-gHTTP",       "--filter", "fn*" };
    struct args a;
    assert_int_equal(parse(&a, "deploy", argv, 10), 0);
    const struct strlist *files = args_list(&a, "yaml");
    assert_int_equal(files->n, 2);
    assert_string_equal(files->items[0], "a.yml");
    assert_string_equal(files->items[1], "b.yml");
    assert_int_equal(args_list(&a, "env")->n, 2);
    assert_string_equal(args_list(&a, "env")->items[0], "K=V");
    assert_true(args_has(&a, "wait"));
    assert_false(args_has(&a, "readonly"));
    assert_string_equal(args_get(&a, "gateway"), "HTTP");
    assert_string_equal(args_get(&a, "filter"), "fn*");
    assert_null(args_get(&a, "regex"));
    assert_int_equal(a.npos, 0);
    args_free(&a);
}

static void test_flags_take_true_and_false(void **state)
{
    (void)state;
    const char *const argv[] = { "--wait", "--wait=false", "--update=false", "--replace=true" };
    struct args a;
    assert_int_equal(parse(&a, "deploy", argv, 4), 0);
    assert_false(args_has(&a, "wait")); /* the last one given wins */
    assert_false(args_flag(&a, "update", true));
    assert_true(args_flag(&a, "replace", false));
    assert_true(args_flag(&a, "env-subst", true)); /* not given: the default */
    args_free(&a);
}

static void test_positionals_and_double_dash(void **state)
{
    (void)state;
    const char *const argv[] = { "one", "-g", "u", "--", "--not-an-option" };
    struct args a;
    assert_int_equal(parse(&a, "remove", argv, 5), 0);
    assert_int_equal(a.npos, 2);
    assert_string_equal(a.pos[0], "one");
    assert_string_equal(a.pos[1], "--not-an-option");
    args_free(&a);
}

static void test_refusals(void **state)
{
    (void)state;
    struct args a;
    const char *const unknown[] = { "--nope" };
    assert_int_equal(parse(&a, "list", unknown, 1), -1);
    args_free(&a);
    const char *const missing[] = { "--gateway" };
    assert_int_equal(parse(&a, "list", missing, 1), -1);
    args_free(&a);
    const char *const flag_value[] = { "--verbose=yes" };
    assert_int_equal(parse(&a, "list", flag_value, 1), -1);
    args_free(&a);
    /* An option of another verb is unknown here. */
    const char *const other[] = { "--replicas", "2" };
    assert_int_equal(parse(&a, "list", other, 2), -1);
    args_free(&a);
}

static void test_every_verb_has_help_and_unique_options(void **state)
{
    (void)state;
    for (const struct verb *v = VERBS; v->name; v++) {
        assert_non_null(v->summary);
        assert_non_null(v->usage);
        assert_ptr_equal(verb_find(v->name), v);
        if (v->alias)
            assert_ptr_equal(verb_find(v->alias), v);
        /* No option may shadow a common one or another of the verb's. */
        struct args a;
        assert_int_equal(args_parse(&a, v, 0, NULL), 0);
        for (int i = 0; i < a.nopts; i++)
            for (int j = i + 1; j < a.nopts; j++) {
                assert_string_not_equal(a.opts[i]->name, a.opts[j]->name);
                if (a.opts[i]->shrt)
                    assert_int_not_equal(a.opts[i]->shrt, a.opts[j]->shrt);
            }
        args_free(&a);
    }
    assert_null(verb_find("frobnicate"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings_and_lists),
        cmocka_unit_test(test_flags_take_true_and_false),
        cmocka_unit_test(test_positionals_and_double_dash),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_every_verb_has_help_and_unique_options),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    for (int i = 0; i < 16; i++)
        free(copies[i]);
    return failed;
}
