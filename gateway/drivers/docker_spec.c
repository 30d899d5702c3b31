/* docker_spec.c -- deployment -> container create body. */
#include "docker_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model.h"
#include "parse.h"
#include "xalloc.h"

void dk_spec_hash(const json_t *dep, char out[17])
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

void dk_spec_image_ref(const char *image, char *from, size_t fromlen, char *tag, size_t taglen)
{
    const char *slash = strrchr(image, '/');
    const char *last = slash ? slash + 1 : image;
    const char *colon = strrchr(last, ':');
    if (strchr(image, '@')) {
        snprintf(from, fromlen, "%s", image);
        snprintf(tag, taglen, "%s", "");
    } else if (colon) {
        snprintf(from, fromlen, "%.*s", (int)(colon - image), image);
        snprintf(tag, taglen, "%s", colon + 1);
    } else {
        snprintf(from, fromlen, "%s", image);
        snprintf(tag, taglen, "%s", "latest");
    }
}

static json_t *env_of(const json_t *dep)
{
    json_t *env = json_array();
    /* The gateway stops routing to a replica before stopping it: its
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

static json_t *labels_of(const struct dk_spec_in *in)
{
    json_t *labels = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(in->dep, "labels"), key, value)
        json_object_set(labels, key, value);
    /* Where faas-swarm keeps them, so tools that read those find them. */
    json_object_foreach(json_object_get(in->dep, "annotations"), key, value) {
        char *name = xasprintf(DK_ANNOTATION_PREFIX "%s", key);
        json_object_set(labels, name, value);
        free(name);
    }
    char replica[16];
    snprintf(replica, sizeof replica, "%u", in->replica);
    json_object_set_new(labels, DK_LABEL_INSTANCE, json_string(in->instance));
    json_object_set_new(labels, DK_LABEL_FUNCTION, json_string(in->name));
    json_object_set_new(labels, DK_LABEL_NAMESPACE, json_string(in->ns));
    json_object_set_new(labels, DK_LABEL_SPEC, json_string(in->spec));
    json_object_set_new(labels, DK_LABEL_REPLICA, json_string(replica));
    return labels;
}

/* limits -> hard limits, requests -> the engine's soft reservation. */
static void add_resources(json_t *host, const json_t *dep)
{
    const json_t *limits = json_object_get(dep, "limits");
    const json_t *requests = json_object_get(dep, "requests");
    int64_t n;
    if (gw_parse_memory(json_string_value(json_object_get(limits, "memory")), &n) == 0)
        json_object_set_new(host, "Memory", json_integer(n));
    if (gw_parse_cpu(json_string_value(json_object_get(limits, "cpu")), &n) == 0)
        json_object_set_new(host, "NanoCpus", json_integer(n * 1000000));
    if (gw_parse_memory(json_string_value(json_object_get(requests, "memory")), &n) == 0)
        json_object_set_new(host, "MemoryReservation", json_integer(n));
    /* A CPU request is a relative weight: 1024 shares per core (the
     * engine's minimum is 2). */
    if (gw_parse_cpu(json_string_value(json_object_get(requests, "cpu")), &n) == 0) {
        int64_t shares = n * 1024 / 1000;
        json_object_set_new(host, "CpuShares", json_integer(shares > 2 ? shares : 2));
    }
}

static json_t *binds_of(const struct dk_spec_in *in)
{
    json_t *binds = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(in->dep, "secrets"), i, s)
        json_array_append_new(binds, json_sprintf("%s:" DK_SECRETS_DIR "/%s:ro",
                                                  in->secret_paths[i], json_string_value(s)));
    return binds;
}

static json_t *host_config(const struct dk_spec_in *in)
{
    json_t *host = json_object();
    add_resources(host, in->dep);
    json_object_set_new(host, "Binds", binds_of(in));
    /* The engine brings a replica back after a crash or its own restart;
     * one someone stopped by hand the driver replaces. */
    json_object_set_new(host, "RestartPolicy", json_pack("{s:s}", "Name", "unless-stopped"));
    json_object_set_new(host, "SecurityOpt", json_pack("[s]", "no-new-privileges"));
    if (json_is_true(json_object_get(in->dep, "readOnlyRootFilesystem"))) {
        json_object_set_new(host, "ReadonlyRootfs", json_true());
        json_object_set_new(host, "Tmpfs", json_pack("{s:s}", "/tmp", "rw,size=64m"));
    }
    if (in->network && *in->network)
        json_object_set_new(host, "NetworkMode", json_string(in->network));
    if (in->publish) {
        char port[16];
        snprintf(port, sizeof port, "%d/tcp", DK_FUNCTION_PORT);
        json_object_set_new(
            host, "PortBindings",
            json_pack("{s:[{s:s,s:s}]}", port, "HostIp", "127.0.0.1", "HostPort", ""));
    }
    return host;
}

int dk_spec_stop_grace_s(const json_t *dep)
{
    int64_t ms = 0, most = 0;
    static const char *const keys[] = { "write_timeout", "exec_timeout" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *v = gw_dep_map_get(dep, "envVars", keys[i]);
        if (v && parse_duration_ms(v, &ms) == 0 && ms > most)
            most = ms;
    }
    int64_t s = most / 1000 + 2;
    return s < DK_STOP_GRACE_MIN_S ? DK_STOP_GRACE_MIN_S : s > 3600 ? 3600 : (int)s;
}

json_t *dk_spec_container(const struct dk_spec_in *in)
{
    char port[16];
    snprintf(port, sizeof port, "%d/tcp", DK_FUNCTION_PORT);
    json_t *c = json_object();
    json_object_set_new(c, "Image", json_string(gw_dep_str(in->dep, "image")));
    json_object_set_new(c, "Env", env_of(in->dep));
    json_object_set_new(c, "Labels", labels_of(in));
    json_object_set_new(c, "ExposedPorts", json_pack("{s:{}}", port));
    json_object_set_new(c, "HostConfig", host_config(in));
    return c;
}
