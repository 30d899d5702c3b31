/* test_gwmodel.c -- unit tests for gateway/model.c (faas-provider bodies). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../gateway/model.h"

/* Prints the whole text on a miss: a bare NULL check says nothing. */
static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing:\n%s\n--- in:\n%s", needle, text);
}

static json_t *parse(const char *body, char *err, size_t errlen)
{
    err[0] = '\0';
    return gw_deployment_parse(body, strlen(body), err, errlen);
}

/* The body must be refused with a message containing needle and, unless
 * NULL, also2. */
static void assert_rejected(const char *body, const char *needle, const char *also2)
{
    char err[256];
    json_t *dep = parse(body, err, sizeof err);

    if (dep) {
        char *text = json_dumps(dep, 0);
        fail_msg("accepted: %s\n-> %s", body, text);
    }
    assert_contains(err, needle);
    if (also2)
        assert_contains(err, also2);
}

static void valid_names(void **state)
{
    char longest[64];

    (void)state;
    assert_true(gw_valid_name("a"));
    assert_true(gw_valid_name("0"));
    assert_true(gw_valid_name("figlet"));
    assert_true(gw_valid_name("nodeinfo-2"));
    assert_true(gw_valid_name("a-b-c9"));
    assert_true(gw_valid_name("9lives"));
    memset(longest, 'a', 63);
    longest[63] = '\0';
    assert_true(gw_valid_name(longest));
}

static void invalid_names(void **state)
{
    char too_long[65];

    (void)state;
    memset(too_long, 'a', 64);
    too_long[64] = '\0';
    assert_false(gw_valid_name(too_long));
    assert_false(gw_valid_name(""));
    assert_false(gw_valid_name(NULL));
    assert_false(gw_valid_name("Figlet"));
    assert_false(gw_valid_name("my_fn"));
    assert_false(gw_valid_name("-fn"));
    assert_false(gw_valid_name("fn-"));
    assert_false(gw_valid_name("-"));
    assert_false(gw_valid_name("fn.ns"));
    assert_false(gw_valid_name("f n"));
    assert_false(gw_valid_name("fn\n"));
    assert_false(gw_valid_name("caf\xc3\xa9"));
}

static void split_plain_and_qualified(void **state)
{
    char err[256];
    char *name;
    char *ns;

    (void)state;
    assert_int_equal(gw_split_name("figlet", NULL, &name, &ns, err, sizeof err), 0);
    assert_string_equal(name, "figlet");
    assert_string_equal(ns, GW_DEFAULT_NAMESPACE);
    free(name);
    free(ns);

    assert_int_equal(gw_split_name("figlet", "", &name, &ns, err, sizeof err), 0);
    assert_string_equal(ns, "openfaas-fn");
    free(name);
    free(ns);

    assert_int_equal(gw_split_name("figlet", "staging", &name, &ns, err, sizeof err), 0);
    assert_string_equal(name, "figlet");
    assert_string_equal(ns, "staging");
    free(name);
    free(ns);

    /* A namespace in the name wins over the hint. */
    assert_int_equal(gw_split_name("figlet.dev", "staging", &name, &ns, err, sizeof err), 0);
    assert_string_equal(name, "figlet");
    assert_string_equal(ns, "dev");
    free(name);
    free(ns);

    assert_int_equal(gw_split_name("figlet.dev", NULL, &name, &ns, err, sizeof err), 0);
    assert_string_equal(ns, "dev");
    free(name);
    free(ns);
}

static void split_errors(void **state)
{
    char err[256];
    char *name = (char *)1;
    char *ns = (char *)1;

    (void)state;
    assert_int_equal(gw_split_name("My_Fn", NULL, &name, &ns, err, sizeof err), -1);
    assert_null(name);
    assert_null(ns);
    assert_contains(err, "name: \"My_Fn\" is not a valid name (DNS-1123 label");

    assert_int_equal(gw_split_name("fn", "Bad_NS", &name, &ns, err, sizeof err), -1);
    assert_contains(err, "namespace: \"Bad_NS\"");

    assert_int_equal(gw_split_name("fn.a.b", NULL, &name, &ns, err, sizeof err), -1);
    assert_contains(err, "namespace: \"a.b\"");

    assert_int_equal(gw_split_name("fn.", NULL, &name, &ns, err, sizeof err), -1);
    assert_contains(err, "namespace: \"\"");

    assert_int_equal(gw_split_name(".ns", NULL, &name, &ns, err, sizeof err), -1);
    assert_contains(err, "name: \"\"");

    assert_int_equal(gw_split_name("", NULL, &name, &ns, err, sizeof err), -1);
    assert_int_equal(gw_split_name(NULL, NULL, &name, &ns, err, sizeof err), -1);
    /* err may be NULL. */
    assert_int_equal(gw_split_name("X", NULL, &name, &ns, NULL, 0), -1);
}

static const char full_body[] =
    "{\"service\": \"nodeinfo\", \"image\": \"ghcr.io/openfaas/nodeinfo:latest\",\n"
    " \"envProcess\": \"node index.js\",\n"
    " \"envVars\": {\"write_debug\": \"true\", \"EMPTY\": \"\"},\n"
    " \"constraints\": [\"node.platform.os == linux\"],\n"
    " \"secrets\": [\"api-key\", \"db-pass\"],\n"
    " \"labels\": {\"com.openfaas.scale.min\": \"2\"},\n"
    " \"annotations\": {\"topic\": \"orders,payments\", \"reply-topic\": \"done\"},\n"
    " \"limits\": {\"memory\": \"128Mi\", \"cpu\": \"500m\"},\n"
    " \"requests\": {\"memory\": \"64Mi\", \"cpu\": \"0.1\", \"ephemeral\": \"1Gi\"},\n"
    " \"readOnlyRootFilesystem\": true,\n"
    " \"futureField\": {\"nested\": [1, 2.5, null, \"x\"]}}";

static void deployment_round_trips(void **state)
{
    char err[256];
    json_t *dep = parse(full_body, err, sizeof err);
    json_t *sent;
    json_error_t jerr;

    (void)state;
    if (!dep)
        fail_msg("rejected: %s", err);
    assert_string_equal(gw_dep_str(dep, "service"), "nodeinfo");
    assert_string_equal(gw_dep_str(dep, "namespace"), "openfaas-fn");
    assert_string_equal(gw_dep_str(dep, "image"), "ghcr.io/openfaas/nodeinfo:latest");
    assert_string_equal(gw_dep_str(dep, "envProcess"), "node index.js");
    assert_string_equal(gw_dep_map_get(dep, "envVars", "write_debug"), "true");
    assert_string_equal(gw_dep_map_get(dep, "envVars", "EMPTY"), "");
    assert_string_equal(gw_dep_map_get(dep, "annotations", "topic"), "orders,payments");
    assert_string_equal(gw_dep_map_get(dep, "labels", "com.openfaas.scale.min"), "2");
    assert_null(gw_dep_map_get(dep, "labels", "nope"));
    assert_null(gw_dep_map_get(dep, "nomap", "topic"));
    assert_null(gw_dep_str(dep, "absent"));
    assert_null(gw_dep_str(dep, "readOnlyRootFilesystem")); /* not a string */

    /* Everything sent is kept as sent; only namespace was added. */
    sent = json_loads(full_body, 0, &jerr);
    assert_non_null(sent);
    assert_int_equal(json_object_size(dep), json_object_size(sent) + 1);
    json_object_set_new(sent, "namespace", json_string("openfaas-fn"));
    if (!json_equal(dep, sent)) {
        char *text = json_dumps(dep, JSON_SORT_KEYS);
        fail_msg("changed: %s", text);
    }
    assert_true(json_is_true(json_object_get(dep, "readOnlyRootFilesystem")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(dep, "requests"), "ephemeral")), "1Gi");
    json_decref(sent);
    json_decref(dep);
}

static void deployment_minimal_and_namespaces(void **state)
{
    char err[256];
    json_t *dep;

    (void)state;
    dep = parse("{\"service\":\"fn\",\"image\":\"img\"}", err, sizeof err);
    assert_non_null(dep);
    assert_int_equal(json_object_size(dep), 3);
    assert_string_equal(gw_dep_str(dep, "namespace"), GW_DEFAULT_NAMESPACE);
    json_decref(dep);

    /* "fn.ns" is split; the service keeps only the bare name. */
    dep = parse("{\"service\":\"fn.dev\",\"image\":\"img\"}", err, sizeof err);
    assert_non_null(dep);
    assert_string_equal(gw_dep_str(dep, "service"), "fn");
    assert_string_equal(gw_dep_str(dep, "namespace"), "dev");
    json_decref(dep);

    dep = parse("{\"service\":\"fn\",\"image\":\"img\",\"namespace\":\"staging\"}", err,
                sizeof err);
    assert_non_null(dep);
    assert_string_equal(gw_dep_str(dep, "namespace"), "staging");
    json_decref(dep);

    /* The name's namespace wins over the field. */
    dep = parse("{\"service\":\"fn.dev\",\"image\":\"img\",\"namespace\":\"staging\"}", err,
                sizeof err);
    assert_non_null(dep);
    assert_string_equal(gw_dep_str(dep, "namespace"), "dev");
    json_decref(dep);

    /* An empty namespace means none, as Go's omitempty would. */
    dep = parse("{\"service\":\"fn\",\"image\":\"img\",\"namespace\":\"\"}", err, sizeof err);
    assert_non_null(dep);
    assert_string_equal(gw_dep_str(dep, "namespace"), GW_DEFAULT_NAMESPACE);
    json_decref(dep);
}

static void deployment_nulls_are_absent(void **state)
{
    char err[256];
    json_t *dep = parse("{\"service\":\"fn\",\"image\":\"img\",\"labels\":null,"
                        "\"envVars\":null,\"limits\":{\"memory\":null,\"cpu\":\"1\"},"
                        "\"namespace\":null,\"secrets\":null,\"other\":null}",
                        err, sizeof err);

    (void)state;
    if (!dep)
        fail_msg("rejected: %s", err);
    assert_null(json_object_get(dep, "labels"));
    assert_null(json_object_get(dep, "envVars"));
    assert_null(json_object_get(dep, "secrets"));
    assert_null(json_object_get(json_object_get(dep, "limits"), "memory"));
    assert_string_equal(gw_dep_str(dep, "namespace"), GW_DEFAULT_NAMESPACE);
    /* Unknown fields are not ours to touch, null or not. */
    assert_true(json_is_null(json_object_get(dep, "other")));
    json_decref(dep);
}

static void deployment_required_fields(void **state)
{
    (void)state;
    assert_rejected("{\"image\":\"img\"}", "service: missing (expected a string)", NULL);
    assert_rejected("{\"service\":null,\"image\":\"img\"}", "service: missing", NULL);
    assert_rejected("{\"service\":7,\"image\":\"img\"}", "service: expected a string, got number",
                    NULL);
    assert_rejected("{\"service\":\"My_Fn\",\"image\":\"img\"}",
                    "service: \"My_Fn\" is not a valid name (DNS-1123 label: lowercase "
                    "letters, digits and '-', at most 63)",
                    NULL);
    assert_rejected("{\"service\":\"\",\"image\":\"img\"}", "service: \"\" is not", NULL);
    assert_rejected("{\"service\":\"fn.Dev\",\"image\":\"img\"}", "namespace: \"Dev\"", NULL);
    assert_rejected("{\"service\":\"fn\"}", "image: missing (expected a non-empty string)", NULL);
    assert_rejected("{\"service\":\"fn\",\"image\":\"\"}",
                    "image: expected a non-empty string, got \"\"", NULL);
    assert_rejected("{\"service\":\"fn\",\"image\":[\"img\"]}",
                    "image: expected a non-empty string, got array", NULL);
}

static void deployment_field_types(void **state)
{
    (void)state;
#define DEP(rest) "{\"service\":\"fn\",\"image\":\"img\"," rest "}"
    assert_rejected(DEP("\"namespace\":3"), "namespace: expected a string, got number", NULL);
    assert_rejected(DEP("\"namespace\":\"Bad\""), "namespace: \"Bad\" is not a valid name", NULL);
    assert_rejected(DEP("\"envProcess\":true"), "envProcess: expected a string, got boolean", NULL);
    assert_rejected(DEP("\"envVars\":{\"FOO\":1}"), "envVars.FOO: expected a string, got number",
                    NULL);
    assert_rejected(DEP("\"envVars\":[\"FOO=1\"]"), "envVars: expected an object", "got array");
    assert_rejected(DEP("\"envVars\":{\"A=B\":\"x\"}"), "envVars: \"A=B\" is not a valid", NULL);
    assert_rejected(DEP("\"envVars\":{\"\":\"x\"}"), "envVars: \"\" is not a valid", NULL);
    assert_rejected(DEP("\"labels\":{\"a\":\"b\",\"c\":null}"),
                    "labels.c: expected a string, got null", NULL);
    assert_rejected(DEP("\"annotations\":{\"topic\":{\"x\":1}}"),
                    "annotations.topic: expected a string, got object", NULL);
    assert_rejected(DEP("\"annotations\":\"topic=x\""),
                    "annotations: expected an object of strings, got string", NULL);
    assert_rejected(DEP("\"constraints\":\"a\""),
                    "constraints: expected an array of strings, got string", NULL);
    assert_rejected(DEP("\"constraints\":[\"a\",2]"),
                    "constraints[1]: expected a string, got number", NULL);
    assert_rejected(DEP("\"secrets\":[\"ok\",\"Not_Ok\"]"),
                    "secrets[1]: \"Not_Ok\" is not a valid name", NULL);
    assert_rejected(DEP("\"secrets\":[false]"), "secrets[0]: expected a string, got boolean", NULL);
    assert_rejected(DEP("\"limits\":\"128Mi\""), "limits: expected an object, got string", NULL);
    assert_rejected(DEP("\"limits\":{\"memory\":\"128MB\"}"),
                    "limits.memory: expected a memory quantity", "got \"128MB\"");
    assert_rejected(DEP("\"limits\":{\"memory\":128}"), "limits.memory: expected a memory quantity",
                    "got number");
    assert_rejected(DEP("\"requests\":{\"cpu\":\"half\"}"), "requests.cpu: expected a CPU quantity",
                    "got \"half\"");
    assert_rejected(DEP("\"requests\":{\"cpu\":\"-1\"}"), "requests.cpu:", NULL);
    assert_rejected(DEP("\"readOnlyRootFilesystem\":\"true\""),
                    "readOnlyRootFilesystem: expected a boolean, got string", NULL);
#undef DEP
}

/* A body built around one value of n copies of c, freed by the caller. */
static char *dep_with(const char *before, size_t n, char c, const char *after)
{
    size_t len = strlen(before) + n + strlen(after) + 1;
    char *body = malloc(len);
    assert_non_null(body);
    strcpy(body, before);
    memset(body + strlen(before), c, n);
    strcpy(body + strlen(before) + n, after);
    return body;
}

/* What a replica could never exec is refused at deploy, not left to fail
 * with E2BIG in the log after a 202. */
static void deployment_env_must_fit_exec(void **state)
{
    (void)state;
    char err[256];
    const char *head = "{\"service\":\"fn\",\"image\":\"img\",";
    char *body = dep_with("{\"service\":\"fn\",\"image\":\"img\",\"envProcess\":\"", 1024 * 1024,
                          'a', "\"}");
    assert_rejected(body, "envProcess: ", "more than a process environment takes");
    free(body);
    body = dep_with("{\"service\":\"fn\",\"image\":\"img\",\"envVars\":{\"K\":\"", 200 * 1024, 'b',
                    "\"}}");
    assert_rejected(body, "envVars.K: ", "more than one variable may hold");
    free(body);

    /* Ten variables of 120 KiB each: every one fits, together they do not. */
    char *vars = malloc(10 * (120 * 1024 + 16) + 64);
    assert_non_null(vars);
    strcpy(vars, head);
    strcat(vars, "\"envVars\":{");
    for (int i = 0; i < 10; i++) {
        size_t at = strlen(vars);
        at += (size_t)sprintf(vars + at, "%s\"K%d\":\"", i ? "," : "", i);
        memset(vars + at, 'c', 120 * 1024);
        strcpy(vars + at + 120 * 1024, "\"");
    }
    strcat(vars, "}}");
    assert_rejected(vars, "envVars and envProcess: ", "bytes together");
    free(vars);

    body = dep_with("{\"service\":\"fn\",\"image\":\"img\",\"envProcess\":\"", 100 * 1024, 'd',
                    "\"}");
    json_t *dep = parse(body, err, sizeof err);
    assert_non_null(dep);
    json_decref(dep);
    free(body);
}

static void deployment_env_names_hold_no_control_bytes(void **state)
{
    (void)state;
    assert_rejected("{\"service\":\"fn\",\"image\":\"img\",\"envVars\":{\"A\\nB\":\"x\"}}",
                    "is not a valid variable name", "control bytes");
    assert_rejected("{\"service\":\"fn\",\"image\":\"img\",\"envVars\":{\"A\\tB\":\"x\"}}",
                    "is not a valid variable name", NULL);
}

static void deployment_bad_json(void **state)
{
    char err[256];

    (void)state;
    assert_rejected("{\"service\": \"fn\",\n \"image\": }", "invalid JSON at line 2, column", NULL);
    assert_rejected("{\"service\":\"fn\",\"service\":\"fn2\",\"image\":\"i\"}", "invalid JSON",
                    "duplicate");
    assert_rejected("[1,2]", "expected a JSON object, got array", NULL);
    assert_rejected("\"fn\"", "invalid JSON at line 1", NULL);
    assert_rejected("{} trailing", "invalid JSON", NULL);
    assert_rejected("{\"service\":\"f\\u0000n\",\"image\":\"i\"}", "invalid JSON", NULL);
    assert_rejected("", "empty body", NULL);
    assert_null(gw_deployment_parse(NULL, 0, err, sizeof err));
    /* The length is honoured: the body need not be NUL-terminated. */
    assert_null(gw_deployment_parse("{\"service\":\"fn\",\"image\":\"i\"}", 10, err, sizeof err));
    assert_contains(err, "invalid JSON");
    /* A long value is cut in the message, and the message in a small
     * buffer stays terminated. */
    {
        char body[600];
        char small[16];
        snprintf(body, sizeof body, "{\"service\":\"%0300d\",\"image\":\"i\"}", 0);
        assert_rejected(body, "...\" is not a valid name", NULL);
        assert_null(gw_deployment_parse(body, strlen(body), small, sizeof small));
        assert_int_equal(strlen(small), sizeof small - 1);
    }
}

static void scale_requests(void **state)
{
    char err[256];
    char *svc;
    int64_t n = -1;

    (void)state;
#define SCALE(b) gw_scale_parse(b, strlen(b), &svc, &n, err, sizeof err)
    assert_int_equal(SCALE("{\"serviceName\":\"fn\",\"replicas\":3}"), 0);
    assert_string_equal(svc, "fn");
    assert_int_equal(n, 3);
    free(svc);

    assert_int_equal(SCALE("{\"service\":\"fn\",\"replicas\":0}"), 0);
    assert_string_equal(svc, "fn");
    assert_int_equal(n, 0);
    free(svc);

    assert_int_equal(SCALE("{\"serviceName\":\"fn.dev\",\"replicas\":1000}"), 0);
    assert_string_equal(svc, "fn.dev");
    assert_int_equal(n, 1000);
    free(svc);

    assert_int_equal(SCALE("{\"serviceName\":\"fn\",\"serviceNamespace\":\"dev\","
                           "\"replicas\":1}"),
                     0);
    assert_string_equal(svc, "fn.dev");
    free(svc);

    assert_int_equal(SCALE("{\"serviceName\":\"fn\",\"serviceNamespace\":\"\","
                           "\"replicas\":1}"),
                     0);
    assert_string_equal(svc, "fn");
    free(svc);

    assert_int_equal(SCALE("{\"replicas\":1}"), -1);
    assert_null(svc);
    assert_contains(err, "serviceName: missing");
    assert_int_equal(SCALE("{\"serviceName\":\"Fn\",\"replicas\":1}"), -1);
    assert_contains(err, "serviceName: \"Fn\" is not a valid name");
    assert_int_equal(SCALE("{\"serviceName\":\"fn\"}"), -1);
    assert_contains(err, "replicas: missing");
    assert_int_equal(SCALE("{\"serviceName\":\"fn\",\"replicas\":1001}"), -1);
    assert_contains(err, "replicas: expected an integer 0..1000, got 1001");
    assert_int_equal(SCALE("{\"serviceName\":\"fn\",\"replicas\":-1}"), -1);
    assert_contains(err, "replicas: expected an integer 0..1000, got -1");
    assert_int_equal(SCALE("{\"serviceName\":\"fn\",\"replicas\":1.5}"), -1);
    assert_contains(err, "replicas: expected an integer 0..1000, got number");
    assert_int_equal(SCALE("{\"serviceName\":\"fn\",\"replicas\":\"2\"}"), -1);
    assert_contains(err, "got string");
    assert_int_equal(SCALE("{\"serviceName\":\"fn\",\"replicas\":1"), -1);
    assert_contains(err, "invalid JSON at line 1");
    assert_null(svc);
#undef SCALE
}

static void delete_requests(void **state)
{
    char err[256];
    char *name;
    char *ns;

    (void)state;
#define DEL(b) gw_delete_parse(b, strlen(b), &name, &ns, err, sizeof err)
    assert_int_equal(DEL("{\"functionName\":\"fn\"}"), 0);
    assert_string_equal(name, "fn");
    assert_null(ns); /* the caller applies ?namespace= or the default */
    free(name);

    assert_int_equal(DEL("{\"functionName\":\"fn\",\"namespace\":\"dev\"}"), 0);
    assert_string_equal(name, "fn");
    assert_string_equal(ns, "dev");
    free(name);
    free(ns);

    assert_int_equal(DEL("{\"functionName\":\"fn.prod\",\"namespace\":\"dev\"}"), 0);
    assert_string_equal(name, "fn");
    assert_string_equal(ns, "prod");
    free(name);
    free(ns);

    assert_int_equal(DEL("{\"functionName\":\"fn\",\"namespace\":\"\"}"), 0);
    assert_null(ns);
    free(name);

    assert_int_equal(DEL("{}"), -1);
    assert_null(name);
    assert_null(ns);
    assert_contains(err, "functionName: missing");
    assert_int_equal(DEL("{\"functionName\":\"fn\",\"namespace\":\"NS\"}"), -1);
    assert_contains(err, "namespace: \"NS\"");
    assert_int_equal(DEL("{\"functionName\":\"a_b\"}"), -1);
    assert_contains(err, "functionName: \"a_b\"");
    assert_int_equal(DEL("{\"functionName\":[]}"), -1);
    assert_contains(err, "functionName: expected a string, got array");
#undef DEL
}

#define SECRET(b, need) \
    gw_secret_parse(b, strlen(b), need, &name, &ns, &value, &vlen, err, sizeof err)

static void secret_values(void **state)
{
    char err[256];
    char *name;
    char *ns;
    unsigned char *value;
    size_t vlen;
    static const unsigned char binary[] = { 0x00, 0xff, 0x10, 0x00, 0x80 };

    (void)state;
    assert_int_equal(SECRET("{\"name\":\"api-key\",\"value\":\"s3cr3t\"}", true), 0);
    assert_string_equal(name, "api-key");
    assert_null(ns); /* no namespace in the body: the caller's ?namespace= applies */
    assert_int_equal(vlen, 6);
    assert_memory_equal(value, "s3cr3t", 7);
    free(name);
    free(ns);
    free(value);

    assert_int_equal(SECRET("{\"name\":\"k\",\"namespace\":\"dev\",\"value\":\"\"}", true), 0);
    assert_string_equal(ns, "dev");
    assert_int_equal(vlen, 0);
    assert_int_equal(value[0], 0);
    free(name);
    free(ns);
    free(value);

    /* Go encodes []byte as padded standard base64. */
    assert_int_equal(SECRET("{\"name\":\"bin\",\"rawValue\":\"AP8QAIA=\"}", true), 0);
    assert_int_equal(vlen, sizeof binary);
    assert_memory_equal(value, binary, sizeof binary);
    assert_int_equal(value[vlen], 0);
    free(name);
    free(ns);
    free(value);

    assert_int_equal(SECRET("{\"name\":\"b\",\"rawValue\":\"aGVsbG8gd29ybGQ=\"}", true), 0);
    assert_int_equal(vlen, 11);
    assert_memory_equal(value, "hello world", 11);
    free(name);
    free(ns);
    free(value);

    assert_int_equal(SECRET("{\"name\":\"b\",\"rawValue\":\"YWI=\",\"value\":null}", true), 0);
    assert_int_equal(vlen, 2);
    assert_memory_equal(value, "ab", 2);
    free(name);
    free(ns);
    free(value);

    assert_int_equal(SECRET("{\"name\":\"b\",\"rawValue\":\"YQ==\"}", true), 0);
    assert_int_equal(vlen, 1);
    free(name);
    free(ns);
    free(value);

    assert_int_equal(SECRET("{\"name\":\"b\",\"rawValue\":\"\"}", true), 0);
    assert_int_equal(vlen, 0);
    free(name);
    free(ns);
    free(value);

    /* Delete: no value needed, none returned even when sent. */
    assert_int_equal(SECRET("{\"name\":\"gone\",\"value\":\"x\"}", false), 0);
    assert_string_equal(name, "gone");
    assert_null(value);
    assert_int_equal(vlen, 0);
    free(name);
    free(ns);
    assert_int_equal(
        gw_secret_parse("{\"name\":\"gone\"}", 15, false, &name, &ns, NULL, NULL, err, sizeof err),
        0);
    free(name);
    free(ns);
}

static void secret_errors(void **state)
{
    static const char *const bad_b64[] = {
        "YWI",      /* missing padding */
        "YQ=",      /* short padding */
        "Y===",     /* too much padding */
        "YQ==YQ==", /* padding in the middle */
        "YW I",     /* whitespace */
        "YWI=\n",   /* trailing newline */
        "YW-_",     /* URL alphabet */
        "YR==",     /* non-zero bits under the padding */
        "YWJ=",     /* likewise, one pad */
        "=YWI",
    };
    char err[256];
    char body[128];
    char *name;
    char *ns;
    unsigned char *value;
    size_t vlen;

    (void)state;
    for (size_t i = 0; i < sizeof bad_b64 / sizeof *bad_b64; i++) {
        json_t *o = json_pack("{s:s, s:s}", "name", "k", "rawValue", bad_b64[i]);
        char *b = json_dumps(o, 0);
        if (gw_secret_parse(b, strlen(b), true, &name, &ns, &value, &vlen, err, sizeof err) == 0)
            fail_msg("accepted rawValue \"%s\"", bad_b64[i]);
        assert_null(name);
        assert_null(ns);
        assert_null(value);
        assert_int_equal(vlen, 0);
        assert_contains(err, "rawValue: expected standard base64");
        free(b);
        json_decref(o);
    }
    assert_int_equal(SECRET("{\"name\":\"k\",\"rawValue\":\"YWI\"}", true), -1);
    assert_contains(err, "got a length of 3, not a multiple of 4");
    assert_int_equal(SECRET("{\"name\":\"k\",\"rawValue\":\"YW-_\"}", true), -1);
    assert_contains(err, "invalid at offset 2");
    assert_int_equal(SECRET("{\"name\":\"k\"}", true), -1);
    assert_contains(err, "value: missing");
    assert_int_equal(SECRET("{\"name\":\"k\",\"value\":null,\"rawValue\":null}", true), -1);
    assert_contains(err, "value: missing");
    assert_int_equal(SECRET("{\"name\":\"k\",\"value\":\"a\",\"rawValue\":\"YQ==\"}", true), -1);
    assert_contains(err, "value, rawValue: expected only one of them");
    assert_int_equal(SECRET("{\"name\":\"k\",\"value\":1}", true), -1);
    assert_contains(err, "value: expected a string, got number");
    assert_int_equal(SECRET("{\"name\":\"k\",\"rawValue\":[1,2]}", true), -1);
    assert_contains(err, "rawValue: expected a string, got array");
    assert_int_equal(SECRET("{\"value\":\"x\"}", true), -1);
    assert_contains(err, "name: missing");
    assert_int_equal(SECRET("{\"name\":\"Key_1\",\"value\":\"x\"}", true), -1);
    assert_contains(err, "name: \"Key_1\" is not a valid name");
    assert_int_equal(SECRET("{\"name\":\"k\",\"namespace\":\"N\",\"value\":\"x\"}", true), -1);
    assert_contains(err, "namespace: \"N\"");
    snprintf(body, sizeof body, "{\"name\":\"k\",\"value\":\"x\"");
    assert_int_equal(SECRET(body, false), -1);
    assert_contains(err, "invalid JSON");
    assert_null(value);
}

static void memory_quantities(void **state)
{
    static const struct {
        const char *s;
        int64_t bytes;
    } good[] = {
        { "0", 0 },
        { "134217728", 134217728 },
        { "128Mi", 134217728 },
        { "1Ki", 1024 },
        { "2Gi", INT64_C(2147483648) },
        { "1Ti", INT64_C(1099511627776) },
        { "1k", 1000 },
        { "128M", 128000000 },
        { "1G", 1000000000 },
        { "2T", INT64_C(2000000000000) },
        { "1.5Gi", INT64_C(1610612736) },
        { "0.5Ki", 512 },
        { "0.1Ki", 103 },                  /* 102.4 rounds up */
        { "0.5", 1 },                      /* half a byte rounds up */
        { "1.000000000000G", 1000000000 }, /* trailing zeros are free */
        { "0.000000001G", 1 },
        { "8388607Ti", INT64_C(8388607) << 40 },
        { "9223372036854775807", INT64_MAX },
    };
    static const char *const bad[] = {
        "",
        "Mi",
        "128MB",
        "128mi",
        "128 Mi",
        " 128Mi",
        "128Mi ",
        "-1",
        "+1",
        "1.",
        ".5",
        "1.5.5",
        "1e3",
        "0x10",
        "128K",
        "1Pi",
        "8388608Ti",
        "9223372036854775808",
        "99999999999999999999",
        "0.0000000001G",
    };
    int64_t n;

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        n = -1;
        if (gw_parse_memory(good[i].s, &n) != 0)
            fail_msg("refused \"%s\"", good[i].s);
        if (n != good[i].bytes)
            fail_msg("\"%s\" -> %lld, want %lld", good[i].s, (long long)n,
                     (long long)good[i].bytes);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (gw_parse_memory(bad[i], &n) == 0)
            fail_msg("accepted \"%s\" as %lld", bad[i], (long long)n);
    assert_int_equal(gw_parse_memory(NULL, &n), -1);
}

static void cpu_quantities(void **state)
{
    static const struct {
        const char *s;
        int64_t mc;
    } good[] = {
        { "500m", 500 },  { "0.5", 500 },  { "2", 2000 },     { "0", 0 },        { "0m", 0 },
        { "1.25", 1250 }, { "0.0001", 1 }, { "100", 100000 }, { "1500m", 1500 }, { "0.5m", 1 },
    };
    static const char *const bad[] = {
        "",   "m",  "500M", "500 m", "-1",    "half",
        "1.", ".5", "2c",   "1Gi",   "0.5mm", "9223372036854775807",
    };
    int64_t n;

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        n = -1;
        if (gw_parse_cpu(good[i].s, &n) != 0)
            fail_msg("refused \"%s\"", good[i].s);
        if (n != good[i].mc)
            fail_msg("\"%s\" -> %lld, want %lld", good[i].s, (long long)n, (long long)good[i].mc);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (gw_parse_cpu(bad[i], &n) == 0)
            fail_msg("accepted \"%s\" as %lld", bad[i], (long long)n);
    assert_int_equal(gw_parse_cpu(NULL, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_names),
        cmocka_unit_test(invalid_names),
        cmocka_unit_test(split_plain_and_qualified),
        cmocka_unit_test(split_errors),
        cmocka_unit_test(deployment_round_trips),
        cmocka_unit_test(deployment_minimal_and_namespaces),
        cmocka_unit_test(deployment_nulls_are_absent),
        cmocka_unit_test(deployment_required_fields),
        cmocka_unit_test(deployment_field_types),
        cmocka_unit_test(deployment_bad_json),
        cmocka_unit_test(scale_requests),
        cmocka_unit_test(delete_requests),
        cmocka_unit_test(secret_values),
        cmocka_unit_test(secret_errors),
        cmocka_unit_test(memory_quantities),
        cmocka_unit_test(cpu_quantities),
        cmocka_unit_test(deployment_env_must_fit_exec),
        cmocka_unit_test(deployment_env_names_hold_no_control_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
