/* deploy.c -- fuzzes the gateway's API bodies (deployments, scale, delete
 * and secret requests) with any bytes. Each parser either refuses with a
 * message or returns what its contract promises: valid names, replicas
 * within 0..1000, a secret value of the length it reports. */
#include "../gateway/model.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static void check_deployment(const char *body, size_t len)
{
    char err[256] = "";
    json_t *dep = gw_deployment_parse(body, len, err, sizeof err);
    if (!dep) {
        if (!err[0])
            abort();
        return;
    }
    const char *service = json_string_value(json_object_get(dep, "service"));
    if (!service || !*service)
        abort();
    json_decref(dep);
}

static void check_scale(const char *body, size_t len)
{
    char err[256] = "";
    char *service = NULL;
    int64_t replicas = -1;
    if (gw_scale_parse(body, len, &service, &replicas, err, sizeof err) != 0) {
        if (service || !err[0])
            abort();
        return;
    }
    if (!service || replicas < 0 || replicas > 1000)
        abort();
    free(service);
}

static void check_delete(const char *body, size_t len)
{
    char err[256] = "";
    char *name = NULL, *ns = NULL;
    if (gw_delete_parse(body, len, &name, &ns, err, sizeof err) != 0) {
        if (name || ns || !err[0])
            abort();
        return;
    }
    if (!gw_valid_name(name) || (ns && !gw_valid_name(ns)))
        abort();
    free(name);
    free(ns);
}

static void check_secret(const char *body, size_t len)
{
    char err[256] = "";
    char *name = NULL, *ns = NULL;
    unsigned char *value = NULL;
    size_t value_len = 0;
    if (gw_secret_parse(body, len, true, &name, &ns, &value, &value_len, err, sizeof err) != 0) {
        if (name || ns || value || !err[0])
            abort();
        return;
    }
    /* The promised extra '\0' must be there: ASan sees a short buffer. */
    if (!gw_valid_name(name) || !value || value[value_len] != '\0')
        abort();
    free(name);
    free(ns);
    free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    check_deployment(body, size);
    check_scale(body, size);
    check_delete(body, size);
    check_secret(body, size);
    return 0;
}
