/* swarm_spec.c -- deployment -> ServiceSpec. */
#include "swarm_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model.h"
#include "xalloc.h"

void sw_spec_hash(const json_t *dep, char out[17])
{
    char *text = json_dumps(dep, JSON_COMPACT | JSON_SORT_KEYS);
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
    for (const char *p = text ? text : ""; *p; p++) {
        h ^= (unsigned char)*p;
        h *= UINT64_C(1099511628211);
    }
    free(text);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void sw_spec_service_name(const char *instance, const char *name, const char *ns, char *out,
                          size_t len)
{
    snprintf(out, len, "%s-%s-%s", instance, ns, name);
}

static json_t *env_of(const json_t *dep)
{
    json_t *env = json_array();
    /* The gateway stops routing to a task before Swarm stops it: its
     * watchdog may drain at once (the function's envVars may say else). */
    json_array_append_new(env, json_string("healthcheck_interval=0s"));
    const char *fprocess = gw_dep_str(dep, "envProcess");
    if (fprocess && *fprocess)
        json_array_append_new(env, json_sprintf("fprocess=%s", fprocess));
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(dep, "envVars"), key, value)
        json_array_append_new(env, json_sprintf("%s=%s", key, json_string_value(value)));
    return env;
}

static json_t *labels_of(const struct sw_spec_in *in)
{
    json_t *labels = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(in->dep, "labels"), key, value)
        json_object_set(labels, key, value);
    json_object_foreach(json_object_get(in->dep, "annotations"), key, value) {
        char *name = xasprintf(SW_ANNOTATION_PREFIX "%s", key);
        json_object_set(labels, name, value);
        free(name);
    }
    json_object_set_new(labels, SW_LABEL_INSTANCE, json_string(in->instance));
    json_object_set_new(labels, SW_LABEL_FUNCTION, json_string(in->name));
    json_object_set_new(labels, SW_LABEL_NAMESPACE, json_string(in->ns));
    json_object_set_new(labels, SW_LABEL_SPEC, json_string(in->spec));
    return labels;
}

/* limits -> Limits, requests -> Reservations (what the scheduler
 * reserves on a node before placing a task there). */
static json_t *resources_of(const json_t *dep)
{
    json_t *res = json_object();
    static const char *const from[] = { "limits", "requests" };
    static const char *const to[] = { "Limits", "Reservations" };
    for (int i = 0; i < 2; i++) {
        const json_t *src = json_object_get(dep, from[i]);
        json_t *dst = json_object();
        int64_t n;
        if (gw_parse_memory(json_string_value(json_object_get(src, "memory")), &n) == 0)
            json_object_set_new(dst, "MemoryBytes", json_integer(n));
        if (gw_parse_cpu(json_string_value(json_object_get(src, "cpu")), &n) == 0)
            json_object_set_new(dst, "NanoCPUs", json_integer(n * 1000000));
        json_object_set_new(res, to[i], dst);
    }
    return res;
}

static json_t *task_template(const struct sw_spec_in *in)
{
    json_t *c = json_object();
    json_object_set_new(c, "Image", json_string(gw_dep_str(in->dep, "image")));
    json_object_set_new(c, "Env", env_of(in->dep));
    json_object_set_new(c, "Labels", labels_of(in));
    if (json_is_true(json_object_get(in->dep, "readOnlyRootFilesystem"))) {
        /* The watchdog and most functions still need a scratch /tmp. */
        json_object_set_new(c, "ReadOnly", json_true());
        json_object_set_new(c, "Mounts",
                            json_pack("[{s:s,s:s,s:{s:I}}]", "Type", "tmpfs", "Target", "/tmp",
                                      "TmpfsOptions", "SizeBytes", (json_int_t)64 << 20));
    }
    if (in->secrets)
        json_object_set(c, "Secrets", (json_t *)in->secrets);
    json_t *constraints = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in->dep, "constraints"), i, v)
        json_array_append(constraints, v);
    json_t *t = json_pack("{s:o,s:o,s:{s:s},s:{s:o}}", "ContainerSpec", c, "Resources",
                          resources_of(in->dep), "RestartPolicy", "Condition", "any", "Placement",
                          "Constraints", constraints);
    if (in->network && *in->network)
        json_object_set_new(t, "Networks", json_pack("[{s:s}]", "Target", in->network));
    return t;
}

json_t *sw_spec_service(const struct sw_spec_in *in)
{
    char name[256];
    sw_spec_service_name(in->instance, in->name, in->ns, name, sizeof name);
    /* Each task publishes 8080 on a free port of its node (host mode):
     * the gateway reaches the very task it picked, not the routing mesh,
     * and no virtual IP is needed (dnsrr). */
    json_t *ports = json_pack("[{s:s,s:i,s:s}]", "Protocol", "tcp", "TargetPort", SW_FUNCTION_PORT,
                              "PublishMode", "host");
    json_t *labels = labels_of(in);
    return json_pack("{s:s,s:o,s:o,s:{s:{s:i}},s:{s:i,s:s,s:s},s:{s:s,s:o}}", "Name", name,
                     "Labels", labels, "TaskTemplate", task_template(in), "Mode", "Replicated",
                     "Replicas", (int)in->replicas, "UpdateConfig", "Parallelism", 1, "Order",
                     "start-first", "FailureAction", "continue", "EndpointSpec", "Mode", "dnsrr",
                     "Ports", ports);
}
