/* test_kubernetes_spec.c -- unit tests for the kubernetes driver's pure
 * parts: gateway/drivers/kubernetes_spec.c (a function as a Deployment,
 * Service and Secret, the update patch, and reading a Deployment back)
 * and gateway/drivers/k8s_config.c (kubeconfig parsing). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../gateway/drivers/k8s_config.h"
#include "../../gateway/drivers/kubernetes_spec.h"
#include "../../gateway/model.h"

static json_t *dep_of(const char *body)
{
    char err[256];
    json_t *dep = gw_deployment_parse(body, strlen(body), err, sizeof err);
    if (!dep)
        fail_msg("rejected: %s", err);
    return dep;
}

static json_t *deployment_of(json_t *dep, int replicas)
{
    char err[256] = "";
    struct k8s_spec_in in = { .dep = dep,
                              .name = json_string_value(json_object_get(dep, "service")),
                              .ns = json_string_value(json_object_get(dep, "namespace")),
                              .replicas = replicas,
                              .pull_policy = "IfNotPresent" };
    json_t *d = k8s_spec_deployment(&in, err, sizeof err);
    if (!d)
        fail_msg("no deployment: %s", err);
    return d;
}

static json_t *at(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = strtok(buf, "/"); p && v; p = strtok(NULL, "/"))
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(p)) : json_object_get(v, p);
    return v;
}

static const char *str_at(json_t *v, const char *path)
{
    return json_string_value(at(v, path));
}

static void deployment_follows_faas_netes(void **state)
{
    (void)state;
    json_t *dep = dep_of("{\"service\":\"envfn\",\"image\":\"functions/alpine:latest\","
                         "\"envProcess\":\"env\",\"envVars\":{\"A\":\"1\"},"
                         "\"labels\":{\"team\":\"blue\",\"com.openfaas.scale.min\":\"2\"},"
                         "\"annotations\":{\"topic\":\"orders\"},\"secrets\":[\"s1\"],"
                         "\"limits\":{\"memory\":\"128Mi\"},\"requests\":{\"cpu\":\"100m\"},"
                         "\"constraints\":[\"disktype=ssd\"],\"readOnlyRootFilesystem\":true}");
    json_t *d = deployment_of(dep, 2);
    assert_string_equal(str_at(d, "kind"), "Deployment");
    assert_string_equal(str_at(d, "metadata/namespace"), "openfaas-fn");
    assert_string_equal(str_at(d, "metadata/labels/faas_function"), "envfn");
    assert_string_equal(
        json_string_value(json_object_get(at(d, "metadata/labels"), K8S_LABEL_MANAGED)),
        K8S_MANAGER);
    assert_string_equal(str_at(d, "metadata/labels/team"), "blue");
    assert_string_equal(str_at(d, "metadata/annotations/topic"), "orders");
    assert_int_equal(json_integer_value(at(d, "spec/replicas")), 2);
    assert_string_equal(str_at(d, "spec/selector/matchLabels/faas_function"), "envfn");
    assert_int_equal(json_integer_value(at(d, "spec/strategy/rollingUpdate/maxUnavailable")), 0);
    assert_string_equal(str_at(d, "spec/template/metadata/labels/faas_function"), "envfn");
    json_t *c = at(d, "spec/template/spec/containers/0");
    assert_string_equal(str_at(c, "name"), "envfn");
    assert_string_equal(str_at(c, "image"), "functions/alpine:latest");
    assert_string_equal(str_at(c, "imagePullPolicy"), "IfNotPresent");
    assert_string_equal(str_at(c, "env/0/name"), "fprocess");
    assert_string_equal(str_at(c, "env/0/value"), "env");
    assert_string_equal(str_at(c, "env/1/name"), "A");
    assert_int_equal(json_integer_value(at(c, "ports/0/containerPort")), 8080);
    assert_string_equal(str_at(c, "readinessProbe/httpGet/path"), "/_/health");
    assert_string_equal(str_at(c, "livenessProbe/httpGet/path"), "/_/health");
    assert_string_equal(str_at(c, "resources/limits/memory"), "128Mi");
    assert_string_equal(str_at(c, "resources/requests/cpu"), "100m");
    assert_true(json_is_true(at(c, "securityContext/readOnlyRootFilesystem")));
    assert_string_equal(str_at(c, "volumeMounts/0/mountPath"), K8S_SECRETS_PATH);
    assert_true(json_is_true(at(c, "volumeMounts/0/readOnly")));
    assert_string_equal(str_at(c, "volumeMounts/1/mountPath"), "/tmp");
    json_t *pod = at(d, "spec/template/spec");
    assert_string_equal(str_at(pod, "volumes/0/projected/sources/0/secret/name"), "s1");
    assert_non_null(at(pod, "volumes/1/emptyDir"));
    assert_string_equal(str_at(pod, "nodeSelector/disktype"), "ssd");
    json_decref(d);
    json_decref(dep);
}

static void fields_not_given_are_not_made(void **state)
{
    (void)state;
    json_t *dep = dep_of("{\"service\":\"fn\",\"image\":\"img\"}");
    json_t *d = deployment_of(dep, 1);
    json_t *c = at(d, "spec/template/spec/containers/0");
    assert_int_equal(json_array_size(json_object_get(c, "env")), 0);
    assert_null(json_object_get(c, "volumeMounts"));
    assert_null(json_object_get(c, "securityContext"));
    assert_null(at(d, "spec/template/spec/volumes"));
    assert_null(at(d, "spec/template/spec/nodeSelector"));
    json_decref(d);
    json_decref(dep);
}

static void only_label_value_constraints_select_nodes(void **state)
{
    (void)state;
    json_t *dep = dep_of("{\"service\":\"fn\",\"image\":\"img\",\"constraints\":"
                         "[\"node.platform.os == linux\",\"zone = a\",\"ssd\"]}");
    json_t *d = deployment_of(dep, 1);
    json_t *sel = at(d, "spec/template/spec/nodeSelector");
    assert_int_equal(json_object_size(sel), 1);
    assert_string_equal(str_at(sel, "zone"), "a");
    char k[64], v[64];
    assert_false(k8s_spec_constraint("node.role != manager", k, sizeof k, v, sizeof v));
    assert_false(k8s_spec_constraint("=a", k, sizeof k, v, sizeof v));
    assert_true(k8s_spec_constraint("kubernetes.io/hostname=n1", k, sizeof k, v, sizeof v));
    assert_string_equal(k, "kubernetes.io/hostname");
    assert_string_equal(v, "n1");
    json_decref(d);
    json_decref(dep);
}

static void the_deployment_reads_back_as_deployed(void **state)
{
    (void)state;
    json_t *dep = dep_of("{\"service\":\"fn\",\"image\":\"img:1\",\"envProcess\":\"cat\","
                         "\"labels\":{\"team\":\"a\"},\"annotations\":{\"topic\":\"t\"}}");
    json_t *d = deployment_of(dep, 1);
    /* As the server gives it back: its own annotations and a kubectl edit. */
    json_object_set_new(at(d, "metadata/annotations"), "deployment.kubernetes.io/revision",
                        json_string("3"));
    json_object_set_new(at(d, "spec/template/spec/containers/0"), "image", json_string("img:2"));
    json_t *back = k8s_spec_read(d);
    assert_non_null(back);
    assert_string_equal(str_at(back, "image"), "img:2");
    assert_string_equal(str_at(back, "envProcess"), "cat");
    assert_int_equal(json_object_size(json_object_get(back, "labels")), 1);
    assert_string_equal(str_at(back, "labels/team"), "a");
    assert_int_equal(json_object_size(json_object_get(back, "annotations")), 1);
    assert_null(json_object_get(back, "envVars")); /* none deployed: absent */
    json_decref(back);
    json_decref(d);
    json_decref(dep);
}

static void an_update_patch_removes_what_went(void **state)
{
    (void)state;
    json_t *a = dep_of("{\"service\":\"fn\",\"image\":\"img:1\",\"labels\":{\"x\":\"1\"}}");
    json_t *b = dep_of("{\"service\":\"fn\",\"image\":\"img:2\"}");
    json_t *da = deployment_of(a, 1), *db = deployment_of(b, 5);
    json_t *patch = k8s_spec_update(da, db);
    assert_true(json_is_null(at(patch, "metadata/labels/x")));
    assert_true(json_is_null(at(patch, "spec/template/metadata/labels/x")));
    assert_string_equal(str_at(patch, "spec/template/spec/containers/0/image"), "img:2");
    assert_null(at(patch, "spec/replicas")); /* the scale stands */
    json_decref(patch);
    json_decref(da);
    json_decref(db);
    json_decref(a);
    json_decref(b);
}

static void service_and_secret_shapes(void **state)
{
    (void)state;
    json_t *s = k8s_spec_service("fn", "ns1");
    assert_string_equal(str_at(s, "spec/selector/faas_function"), "fn");
    assert_int_equal(json_integer_value(at(s, "spec/ports/0/port")), 8080);
    json_decref(s);
    json_t *sec = k8s_spec_secret("s1", "ns1", (const unsigned char *)"v", 1, "7");
    assert_string_equal(str_at(sec, "stringData/s1"), "v");
    assert_string_equal(str_at(sec, "metadata/resourceVersion"), "7");
    json_decref(sec);
    sec = k8s_spec_secret("s2", "ns1", (const unsigned char *)"\xff\x00", 2, NULL);
    assert_string_equal(str_at(sec, "data/s2"), "/wA=");
    assert_null(at(sec, "metadata/resourceVersion"));
    json_decref(sec);
}

/* --- kubeconfig ------------------------------------------------------------ */

static const char KUBECONFIG[] = "apiVersion: v1\n"
                                 "kind: Config\n"
                                 "current-context: b\n"
                                 "clusters:\n"
                                 "- name: c1\n"
                                 "  cluster:\n"
                                 "    server: https://127.0.0.1:6443/\n"
                                 "    certificate-authority-data: LS0tLS1CRUdJTg==\n"
                                 "- name: c2\n"
                                 "  cluster:\n"
                                 "    server: https://10.0.0.1\n"
                                 "    certificate-authority: ca.crt\n"
                                 "    insecure-skip-tls-verify: true\n"
                                 "contexts:\n"
                                 "- name: a\n"
                                 "  context: {cluster: c2, user: u2}\n"
                                 "- name: b\n"
                                 "  context:\n"
                                 "    cluster: c1\n"
                                 "    user: u1\n"
                                 "    namespace: team\n"
                                 "users:\n"
                                 "- name: u1\n"
                                 "  user:\n"
                                 "    token: abc.def\n"
                                 "- name: u2\n"
                                 "  user:\n"
                                 "    client-certificate-data: Y2VydA==\n"
                                 "    client-key-data: a2V5\n";

static void kubeconfig_current_context_with_a_token(void **state)
{
    (void)state;
    struct k8s_creds c;
    char err[256] = "";
    assert_int_equal(
        k8s_config_parse(KUBECONFIG, strlen(KUBECONFIG), "/x", NULL, &c, err, sizeof err), 0);
    assert_string_equal(c.server, "https://127.0.0.1:6443");
    assert_string_equal(c.token, "abc.def");
    assert_string_equal(c.ca_pem, "-----BEGIN");
    assert_null(c.ca_file);
    assert_string_equal(c.ns, "team");
    assert_false(c.insecure);
    k8s_creds_free(&c);
}

static void kubeconfig_client_certificate_data(void **state)
{
    (void)state;
    struct k8s_creds c;
    char err[256] = "";
    /* c2's CA is a file relative to the kubeconfig: it must exist. */
    char dir[] = "/tmp/k8scfgXXXXXX";
    assert_non_null(mkdtemp(dir));
    char ca[64];
    snprintf(ca, sizeof ca, "%s/ca.crt", dir);
    FILE *f = fopen(ca, "w");
    fputs("pem", f);
    fclose(f);
    assert_int_equal(
        k8s_config_parse(KUBECONFIG, strlen(KUBECONFIG), dir, "a", &c, err, sizeof err), 0);
    assert_string_equal(c.server, "https://10.0.0.1");
    assert_string_equal(c.cert_pem, "cert");
    assert_string_equal(c.key_pem, "key");
    assert_string_equal(c.ca_file, ca);
    assert_true(c.insecure);
    assert_null(c.token);
    k8s_creds_free(&c);
    unlink(ca);
    rmdir(dir);
}

static void kubeconfig_errors_say_what(void **state)
{
    (void)state;
    struct k8s_creds c;
    char err[256] = "";
    assert_int_equal(
        k8s_config_parse(KUBECONFIG, strlen(KUBECONFIG), "/x", "nope", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "context \"nope\" not found"));
    assert_int_equal(
        k8s_config_parse(KUBECONFIG, strlen(KUBECONFIG), "/nonexistent", "a", &c, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "ca.crt"));
    const char *bad = "current-context: x\ncontexts: [";
    assert_int_equal(k8s_config_parse(bad, strlen(bad), "/x", NULL, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "YAML"));
    const char *json = "{\"current-context\":\"j\",\"contexts\":[{\"name\":\"j\",\"context\":"
                       "{\"cluster\":\"k\"}}],\"clusters\":[{\"name\":\"k\",\"cluster\":"
                       "{\"server\":\"https://h:1\"}}]}";
    assert_int_equal(k8s_config_parse(json, strlen(json), "/x", NULL, &c, err, sizeof err), 0);
    assert_string_equal(c.server, "https://h:1");
    k8s_creds_free(&c);
}

static void in_cluster_needs_the_environment(void **state)
{
    (void)state;
    struct k8s_creds c;
    char err[256] = "";
    char dir[] = "/tmp/k8ssaXXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[64];
    const char *files[] = { "token", "ca.crt", "namespace" };
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        FILE *f = fopen(p, "w");
        fputs(i == 2 ? "openfaas\n" : "x\n", f);
        fclose(f);
    }
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(k8s_config_in_cluster(dir, &c, err, sizeof err), 1);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(k8s_config_in_cluster(dir, &c, err, sizeof err), 0);
    assert_string_equal(c.server, "https://10.96.0.1:443");
    assert_string_equal(c.ns, "openfaas");
    assert_non_null(strstr(c.token_file, "/token"));
    k8s_creds_free(&c);
    unsetenv("KUBERNETES_SERVICE_HOST");
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deployment_follows_faas_netes),
        cmocka_unit_test(fields_not_given_are_not_made),
        cmocka_unit_test(only_label_value_constraints_select_nodes),
        cmocka_unit_test(the_deployment_reads_back_as_deployed),
        cmocka_unit_test(an_update_patch_removes_what_went),
        cmocka_unit_test(service_and_secret_shapes),
        cmocka_unit_test(kubeconfig_current_context_with_a_token),
        cmocka_unit_test(kubeconfig_client_certificate_data),
        cmocka_unit_test(kubeconfig_errors_say_what),
        cmocka_unit_test(in_cluster_needs_the_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
