/* test_docker_spec.c -- unit tests for the docker driver's pure parts:
 * gateway/drivers/docker_spec.c (deployment -> container) and the
 * engine client's stream framing and escaping (gateway/engine/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../gateway/drivers/docker_int.h"
#include "../../gateway/drivers/docker_spec.h"
#include "../../gateway/engine/docker_api.h"
#include "../../gateway/model.h"

static json_t *dep_of(const char *body)
{
    char err[256];
    json_t *dep = gw_deployment_parse(body, strlen(body), err, sizeof err);
    if (!dep)
        fail_msg("rejected: %s", err);
    return dep;
}

static json_t *container_of(json_t *dep, const char *const *paths)
{
    struct dk_spec_in in = { .dep = dep,
                             .name = "fn",
                             .ns = "openfaas-fn",
                             .instance = "gw1",
                             .spec = "0123456789abcdef",
                             .replica = 7,
                             .publish = 1,
                             .secret_paths = paths };
    return dk_spec_container(&in);
}

static void container_carries_the_deployment(void **state)
{
    (void)state;
    json_t *dep = dep_of("{\"service\":\"fn\",\"image\":\"img:1\",\"envProcess\":\"cat\","
                         "\"envVars\":{\"A\":\"b c\"},\"labels\":{\"team\":\"x\"},"
                         "\"secrets\":[\"key\"],\"limits\":{\"memory\":\"64Mi\",\"cpu\":\"500m\"},"
                         "\"readOnlyRootFilesystem\":true}");
    const char *paths[] = { "/state/secrets/openfaas-fn/key", NULL };
    json_t *c = container_of(dep, paths);
    char *text = json_dumps(c, JSON_SORT_KEYS);
    json_t *env = json_object_get(c, "Env");
    assert_string_equal(json_string_value(json_object_get(c, "Image")), "img:1");
    assert_string_equal(json_string_value(json_array_get(env, 0)), "healthcheck_interval=0s");
    assert_string_equal(json_string_value(json_array_get(env, 1)), "fprocess=cat");
    assert_string_equal(json_string_value(json_array_get(env, 2)), "A=b c");
    json_t *labels = json_object_get(c, "Labels");
    assert_string_equal(json_string_value(json_object_get(labels, "team")), "x");
    assert_string_equal(json_string_value(json_object_get(labels, DK_LABEL_INSTANCE)), "gw1");
    assert_string_equal(json_string_value(json_object_get(labels, DK_LABEL_REPLICA)), "7");
    json_t *host = json_object_get(c, "HostConfig");
    assert_int_equal(json_integer_value(json_object_get(host, "Memory")), 64 << 20);
    assert_int_equal(json_integer_value(json_object_get(host, "NanoCpus")), 500000000);
    assert_true(json_is_true(json_object_get(host, "ReadonlyRootfs")));
    assert_non_null(json_object_get(json_object_get(host, "Tmpfs"), "/tmp"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(host, "Binds"), 0)),
                        "/state/secrets/openfaas-fn/key:/var/openfaas/secrets/key:ro");
    json_t *bind = json_array_get(
        json_object_get(json_object_get(host, "PortBindings"), "8080/tcp"), 0);
    assert_string_equal(json_string_value(json_object_get(bind, "HostIp")), "127.0.0.1");
    assert_null(json_object_get(host, "Privileged"));
    free(text);
    json_decref(c);
    json_decref(dep);
}

static void a_minimal_deployment_adds_nothing_it_was_not_asked_for(void **state)
{
    (void)state;
    json_t *dep = dep_of("{\"service\":\"fn\",\"image\":\"img\"}");
    const char *paths[] = { NULL };
    json_t *c = container_of(dep, paths);
    json_t *host = json_object_get(c, "HostConfig");
    assert_int_equal(json_array_size(json_object_get(c, "Env")), 1);
    assert_null(json_object_get(host, "Memory"));
    assert_null(json_object_get(host, "ReadonlyRootfs"));
    assert_int_equal(json_array_size(json_object_get(host, "Binds")), 0);
    json_decref(c);
    json_decref(dep);
}

static void equal_deployments_hash_equal(void **state)
{
    (void)state;
    json_t *a = dep_of(
        "{\"service\":\"fn\",\"image\":\"img\",\"envVars\":{\"A\":\"1\",\"B\":\"2\"}}");
    json_t *b = dep_of(
        "{\"envVars\":{\"B\":\"2\",\"A\":\"1\"},\"image\":\"img\",\"service\":\"fn\"}");
    json_t *c = dep_of(
        "{\"service\":\"fn\",\"image\":\"img\",\"envVars\":{\"A\":\"1\",\"B\":\"3\"}}");
    char ha[17], hb[17], hc[17];
    dk_spec_hash(a, ha);
    dk_spec_hash(b, hb);
    dk_spec_hash(c, hc);
    assert_string_equal(ha, hb);
    assert_string_not_equal(ha, hc);
    assert_int_equal(strlen(ha), 16);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static void the_stop_grace_covers_the_functions_timeouts(void **state)
{
    (void)state;
    json_t *plain = dep_of("{\"service\":\"fn\",\"image\":\"img\"}");
    json_t *slow = dep_of("{\"service\":\"fn\",\"image\":\"img\","
                          "\"envVars\":{\"write_timeout\":\"30s\",\"exec_timeout\":\"1m\"}}");
    assert_int_equal(dk_spec_stop_grace_s(plain), DK_STOP_GRACE_MIN_S);
    assert_int_equal(dk_spec_stop_grace_s(slow), 62);
    json_decref(plain);
    json_decref(slow);
}

static void image_references_split_for_a_pull(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        { "busybox", "busybox", "latest" },
        { "faasbus/test:1.2", "faasbus/test", "1.2" },
        { "localhost:5000/fn", "localhost:5000/fn", "latest" },
        { "localhost:5000/fn:v2", "localhost:5000/fn", "v2" },
        { "img@sha256:abcd", "img@sha256:abcd", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char from[128], tag[64];
        dk_spec_image_ref(cases[i][0], from, sizeof from, tag, sizeof tag);
        assert_string_equal(from, cases[i][1]);
        assert_string_equal(tag, cases[i][2]);
    }
}

struct collected {
    char out[64], err[64];
};

static void collect(void *arg, int stream, const char *data, size_t len)
{
    struct collected *c = arg;
    char *to = stream == 2 ? c->err : c->out;
    size_t have = strlen(to);
    assert_true(have + len < sizeof c->out);
    memcpy(to + have, data, len);
    to[have + len] = '\0';
}

static void frames_are_demultiplexed_across_any_split(void **state)
{
    (void)state;
    static const unsigned char raw[] = {
        1, 0, 0, 0, 0,   0,    0, 3, 'a', 'b', '\n', 2, 0, 0, 0,
        0, 0, 0, 2, 'e', '\n', 1, 0, 0,   0,   0,    0, 0, 1, 'c'
    };
    for (size_t cut = 1; cut <= sizeof raw; cut++) {
        struct collected c = { "", "" };
        struct dkr_demux d = { 0 };
        for (size_t at = 0; at < sizeof raw; at += cut) {
            size_t n = at + cut > sizeof raw ? sizeof raw - at : cut;
            dkr_demux_feed(&d, (const char *)raw + at, n, collect, &c);
        }
        assert_string_equal(c.out, "ab\nc");
        assert_string_equal(c.err, "e\n");
    }
}

static int published(const char *ports)
{
    json_error_t e;
    json_t *c = json_pack("{s:o}", "Ports", json_loads(ports, 0, &e));
    int port = dkr_published_port(c, 8080);
    json_decref(c);
    return port;
}

/* The IPv4 side only: an engine may publish a task's IPv6 side on a port
 * that on IPv4 is another container's. */
static void the_published_port_is_the_ipv4_bindings(void **state)
{
    (void)state;
    assert_int_equal(published("[{\"IP\":\"::\",\"PrivatePort\":8080,\"PublicPort\":32771,"
                               "\"Type\":\"tcp\"},{\"IP\":\"0.0.0.0\",\"PrivatePort\":8080,"
                               "\"PublicPort\":32772,\"Type\":\"tcp\"}]"),
                     32772);
    assert_int_equal(published("[{\"IP\":\"127.0.0.1\",\"PrivatePort\":8080,"
                               "\"PublicPort\":32768,\"Type\":\"tcp\"}]"),
                     32768);
    /* What 127.0.0.1 cannot reach, or is not our port. */
    assert_int_equal(published("[{\"IP\":\"::\",\"PrivatePort\":8080,\"PublicPort\":32771}]"), 0);
    assert_int_equal(published("[{\"IP\":\"10.0.0.5\",\"PrivatePort\":8080,\"PublicPort\":1}]"), 0);
    assert_int_equal(published("[{\"IP\":\"0.0.0.0\",\"PrivatePort\":8080,\"PublicPort\":5,"
                               "\"Type\":\"udp\"},{\"IP\":\"0.0.0.0\",\"PrivatePort\":9090,"
                               "\"PublicPort\":6}]"),
                     0);
    assert_int_equal(published("[{\"PrivatePort\":8080}]"), 0); /* exposed, not published */
    assert_int_equal(published("[]"), 0);
}

static void a_label_filter_is_json_whatever_the_value(void **state)
{
    (void)state;
    json_t *f = dkr_label_filter("com.faasbus.instance", "gw\"1\\");
    char *text = json_dumps(f, JSON_COMPACT);
    assert_string_equal(text, "{\"label\":[\"com.faasbus.instance=gw\\\"1\\\\\"]}");
    free(text);
    json_decref(f);
}

static void engine_timestamps_lead_log_lines(void **state)
{
    (void)state;
    int64_t ms = -1;
    const char *line = "2026-12-03T20:11:24.027123456Z hello";
    size_t skip = dk_logs_stamp(line, strlen(line), &ms);
    assert_string_equal(line + skip, "hello");
    assert_int_equal(ms, INT64_C(1796328684027));
    ms = -1;
    assert_int_equal(dk_logs_stamp("no stamp here", 13, &ms), 0);
    assert_int_equal(ms, -1);
    assert_int_equal(dk_logs_stamp("2026-12-03T20:11:24", 19, &ms), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(container_carries_the_deployment),
        cmocka_unit_test(a_minimal_deployment_adds_nothing_it_was_not_asked_for),
        cmocka_unit_test(equal_deployments_hash_equal),
        cmocka_unit_test(image_references_split_for_a_pull),
        cmocka_unit_test(the_stop_grace_covers_the_functions_timeouts),
        cmocka_unit_test(frames_are_demultiplexed_across_any_split),
        cmocka_unit_test(the_published_port_is_the_ipv4_bindings),
        cmocka_unit_test(a_label_filter_is_json_whatever_the_value),
        cmocka_unit_test(engine_timestamps_lead_log_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
