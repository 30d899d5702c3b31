/* test_cli_stack.c -- the CLI's stack-file parser: faas-cli's schema,
 * ${VAR} substitution, several files, warnings and file:line errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cli/stack.h"
#include "../../cli/subst.h"

static char warnings[4096];

static void collect(const char *msg, void *arg)
{
    (void)arg;
    size_t used = strlen(warnings);
    snprintf(warnings + used, sizeof warnings - used, "%s\n", msg);
}

static const char *fake_env(const char *name)
{
    if (strcmp(name, "REGISTRY") == 0)
        return "ghcr.io/me";
    if (strcmp(name, "EMPTY") == 0)
        return "";
    if (strcmp(name, "GW") == 0)
        return "http://gw:8080";
    return NULL;
}

static const struct stack_opts OPTS = { .lookup = fake_env, .warn = collect };

static int load(struct stack *s, const char *text, char *err, size_t errlen)
{
    warnings[0] = '\0';
    return stack_load_text(s, text, strlen(text), "stack.yml", ".", &OPTS, err, errlen);
}

static const char FULL[] = "version: 1.0\n"
                           "provider:\n"
                           "  name: openfaas\n"
                           "  gateway: ${GW}\n"
                           "functions:\n"
                           "  hello:\n"
                           "    lang: python3\n"
                           "    handler: ./hello\n"
                           "    image: ${REGISTRY}/hello:${TAG:-latest}\n"
                           "    fprocess: python3 index.py\n"
                           "    environment:\n"
                           "      write_timeout: 10s\n"
                           "      empty:\n"
                           "    secrets:\n"
                           "      - api-key\n"
                           "    labels:\n"
                           "      com.openfaas.scale.min: \"2\"\n"
                           "    annotations:\n"
                           "      topic: orders,payments\n"
                           "    limits:\n"
                           "      memory: 128Mi\n"
                           "      cpu: 500m\n"
                           "    requests:\n"
                           "      memory: 64Mi\n"
                           "    constraints:\n"
                           "      - node.platform.os == linux\n"
                           "    readonly_root_filesystem: true\n"
                           "    namespace: team\n"
                           "    skip_build: true\n"
                           "  second:\n"
                           "    image: second:1\n"
                           "configuration:\n"
                           "  templates:\n"
                           "    - name: python3-http\n"
                           "      source: https://example.invalid/templates\n";

static void test_full_schema(void **state)
{
    (void)state;
    struct stack s = { 0 };
    char err[256] = "";
    assert_int_equal(load(&s, FULL, err, sizeof err), 0);
    assert_string_equal(warnings, "");
    assert_string_equal(s.version, "1.0");
    assert_string_equal(s.provider_name, "openfaas");
    assert_string_equal(s.gateway, "http://gw:8080");
    assert_int_equal(s.nfns, 2);
    const struct stack_fn *f = stack_find(&s, "hello");
    assert_non_null(f);
    assert_int_equal(f->line, 6);
    assert_string_equal(f->lang, "python3");
    assert_string_equal(f->handler, "./hello");
    assert_string_equal(f->image, "ghcr.io/me/hello:latest");
    assert_string_equal(f->fprocess, "python3 index.py");
    assert_string_equal(kvlist_get(&f->environment, "write_timeout"), "10s");
    assert_string_equal(kvlist_get(&f->environment, "empty"), "");
    assert_int_equal(f->secrets.n, 1);
    assert_string_equal(f->secrets.items[0], "api-key");
    assert_string_equal(kvlist_get(&f->labels, "com.openfaas.scale.min"), "2");
    assert_string_equal(kvlist_get(&f->annotations, "topic"), "orders,payments");
    assert_string_equal(f->limits.memory, "128Mi");
    assert_string_equal(f->limits.cpu, "500m");
    assert_string_equal(f->requests.memory, "64Mi");
    assert_null(f->requests.cpu);
    assert_string_equal(f->constraints.items[0], "node.platform.os == linux");
    assert_true(f->readonly_root_filesystem);
    assert_string_equal(f->namespace, "team");
    f = stack_find(&s, "second");
    assert_string_equal(f->image, "second:1");
    assert_null(f->lang);
    assert_false(f->readonly_root_filesystem);
    assert_int_equal(s.templates.n, 1);
    assert_string_equal(s.templates.items[0], "python3-http");
    stack_free(&s);
}

static void expect_error(const char *text, const char *want)
{
    struct stack s = { 0 };
    char err[256] = "";
    assert_int_equal(load(&s, text, err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    assert_int_equal(s.nfns, 0);
    stack_free(&s);
}

static void test_invalid_values_name_file_and_line(void **state)
{
    (void)state;
    expect_error("provider:\n  name: openfaas\nfunctions:\n  f:\n    environment: [a, b]\n",
                 "stack.yml:5: functions.f.environment: expected a mapping");
    expect_error("functions:\n  f:\n    secrets: one\n",
                 "stack.yml:3: functions.f.secrets: expected a list");
    expect_error("functions:\n  f:\n    readonly_root_filesystem: maybe\n",
                 "stack.yml:3: functions.f.readonly_root_filesystem: expected true or false");
    expect_error("functions:\n  f:\n    image: {a: b}\n",
                 "stack.yml:3: functions.f.image: expected a string, got a mapping");
    expect_error("provider:\n  name: knative\nfunctions:\n  f:\n    image: x\n",
                 "stack.yml:2: provider.name: \"openfaas\" is the only provider");
    expect_error("functions:\n  Bad_Name:\n    image: x\n", "stack.yml:2: function name");
    expect_error("functions:\n  f:\n    image: x\n    image: y\n",
                 "stack.yml:4: functions.f: key \"image\" is given twice");
    expect_error("functions:\n  f:\n    image: ${TAG\n", "stack.yml:3: functions.f.image:");
    expect_error("functions:\n  f:\n    limits: 1G\n", "stack.yml:3: functions.f.limits:");
    expect_error("functions:\n  f: [1]\n", "stack.yml:2: function \"f\"");
    expect_error("functions:\n  f:\n   image: x\n  bad indent\n", "stack.yml:");
    expect_error("- just\n- a list\n", "stack.yml:1: expected a mapping");
    expect_error("", "stack.yml:1: the stack file is empty");
}

static void test_invalid_yaml_reports_the_line(void **state)
{
    (void)state;
    expect_error("functions:\n  f:\n    image: \"unclosed\n    lang: x\n", "invalid YAML");
    expect_error("functions:\n  f:\n    image: x\n  - item\n", "stack.yml:4:");
}

static void test_unknown_keys_warn(void **state)
{
    (void)state;
    struct stack s = { 0 };
    char err[256] = "";
    const char *text = "version: 1.0\nextra: 1\nprovider:\n  name: openfaas\n  colour: red\n"
                       "functions:\n  f:\n    image: x\n    imgae: y\n";
    assert_int_equal(load(&s, text, err, sizeof err), 0);
    assert_non_null(strstr(warnings, "stack.yml:2: unknown top-level key \"extra\""));
    assert_non_null(strstr(warnings, "stack.yml:5: unknown key \"colour\" in provider"));
    assert_non_null(strstr(warnings, "stack.yml:9: unknown key \"imgae\" in function \"f\""));
    stack_free(&s);
}

static void test_later_files_override(void **state)
{
    (void)state;
    struct stack s = { 0 };
    char err[256] = "";
    assert_int_equal(load(&s,
                          "provider:\n  name: openfaas\n  gateway: http://a\n"
                          "functions:\n  f:\n    image: one\n  g:\n    image: g\n",
                          err, sizeof err),
                     0);
    assert_int_equal(load(&s,
                          "provider:\n  gateway: http://b\n"
                          "functions:\n  f:\n    image: two\n",
                          err, sizeof err),
                     0);
    assert_int_equal(s.nfns, 2);
    assert_string_equal(s.gateway, "http://b");
    assert_string_equal(s.provider_name, "openfaas");
    assert_string_equal(stack_find(&s, "f")->image, "two");
    assert_string_equal(stack_find(&s, "g")->image, "g");
    /* A bad file leaves what was loaded untouched. */
    assert_int_equal(load(&s, "functions:\n  f:\n    image: [x]\n", err, sizeof err), -1);
    assert_string_equal(stack_find(&s, "f")->image, "two");
    stack_free(&s);
}

static void test_anchors_and_merge_keys(void **state)
{
    (void)state;
    struct stack s = { 0 };
    char err[256] = "";
    const char *text = "functions:\n"
                       "  a:\n    image: a\n    environment: &common\n      x: '1'\n      y: '2'\n"
                       "  b:\n    image: b\n    environment:\n      <<: *common\n      y: '3'\n";
    assert_int_equal(load(&s, text, err, sizeof err), 0);
    const struct stack_fn *b = stack_find(&s, "b");
    assert_string_equal(kvlist_get(&b->environment, "x"), "1");
    assert_string_equal(kvlist_get(&b->environment, "y"), "3");
    stack_free(&s);
}

static void test_environment_file_overrides_inline(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_cli_stackXXXXXX";
    assert_non_null(mkdtemp(dir));
    char env_path[256], stack_path[256];
    snprintf(env_path, sizeof env_path, "%s/env.yml", dir);
    snprintf(stack_path, sizeof stack_path, "%s/stack.yml", dir);
    FILE *f = fopen(env_path, "w");
    fputs("environment:\n  db: postgres\n  level: ${LEVEL:-debug}\n", f);
    fclose(f);
    f = fopen(stack_path, "w");
    fputs("provider:\n  name: openfaas\nfunctions:\n  f:\n    image: x\n"
          "    environment:\n      db: sqlite\n      keep: 'yes'\n"
          "    environment_file:\n      - env.yml\n",
          f);
    fclose(f);
    struct stack s = { 0 };
    char err[256] = "";
    assert_int_equal(stack_load(&s, stack_path, &OPTS, err, sizeof err), 0);
    const struct stack_fn *fn = stack_find(&s, "f");
    assert_string_equal(kvlist_get(&fn->environment, "db"), "postgres");
    assert_string_equal(kvlist_get(&fn->environment, "level"), "debug");
    assert_string_equal(kvlist_get(&fn->environment, "keep"), "yes");
    stack_free(&s);
    /* A missing environment file is an error naming it. */
    unlink(env_path);
    assert_int_equal(stack_load(&s, stack_path, &OPTS, err, sizeof err), -1);
    assert_non_null(strstr(err, "stack.yml:9: environment_file: "));
    assert_non_null(strstr(err, "env.yml: No such file or directory"));
    stack_free(&s);
    unlink(stack_path);
    rmdir(dir);
}

static void test_raw_values_without_substitution(void **state)
{
    (void)state;
    struct stack s = { 0 };
    char err[256] = "";
    const struct stack_opts raw = { .lookup = fake_env, .raw = true };
    const char *text = "functions:\n  f:\n    image: ${REGISTRY}/f\n    fprocess: ${UNCLOSED\n";
    assert_int_equal(stack_load_text(&s, text, strlen(text), "s.yml", ".", &raw, err, sizeof err),
                     0);
    assert_string_equal(stack_find(&s, "f")->image, "${REGISTRY}/f");
    assert_string_equal(stack_find(&s, "f")->fprocess, "${UNCLOSED");
    stack_free(&s);
}

static void test_substitution(void **state)
{
    (void)state;
    char err[128];
    struct {
        const char *in, *out;
    } cases[] = {
        { "${REGISTRY}/fn", "ghcr.io/me/fn" },
        { "${UNSET}", "" },
        { "${UNSET:-def}", "def" },
        { "${EMPTY:-def}", "def" },
        { "${EMPTY-def}", "" },
        { "${UNSET-def}", "def" },
        { "$$HOME and $PATH", "$HOME and $PATH" },
        { "a${REGISTRY:-x}b", "aghcr.io/meb" },
        { "no vars", "no vars" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = subst_expand(cases[i].in, fake_env, err, sizeof err);
        assert_non_null(got);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
    assert_null(subst_expand("${", fake_env, err, sizeof err));
    assert_null(subst_expand("${A", fake_env, err, sizeof err));
    assert_null(subst_expand("${A?x}", fake_env, err, sizeof err));
    assert_null(subst_expand("${1A}", fake_env, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_schema),
        cmocka_unit_test(test_invalid_values_name_file_and_line),
        cmocka_unit_test(test_invalid_yaml_reports_the_line),
        cmocka_unit_test(test_unknown_keys_warn),
        cmocka_unit_test(test_later_files_override),
        cmocka_unit_test(test_anchors_and_merge_keys),
        cmocka_unit_test(test_environment_file_overrides_inline),
        cmocka_unit_test(test_raw_values_without_substitution),
        cmocka_unit_test(test_substitution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
