/* model.c -- validation and normalisation of the gateway's JSON bodies.
 *
 * jansson rules followed here (doc/apiref.rst): json_loadb returns a new
 * reference; json_object_get returns a borrowed one; *_set_new steals the
 * value it is given. Strings held by an object stay valid only while the
 * object holds them, so everything handed to a caller is copied. */
#include "model.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "xalloc.h"

#define NAME_MAX_LEN 63
#define NAME_RULE "(DNS-1123 label: lowercase letters, digits and '-', at most 63)"
#define REPLICAS_MAX 1000
/* How much of a client's value a message quotes. */
#define QUOTE_MAX 80
/* A replica's environment must fit exec(): Linux takes no single
 * "name=value" string past 128 KiB (MAX_ARG_STRLEN) and all of them
 * together within a quarter of the stack limit, 2 MiB by default. Beyond
 * these the function would be accepted and never start. */
#define ENV_ENTRY_MAX (128 * 1024 - 1)
#define ENV_TOTAL_MAX (1024 * 1024)
#define ENV_COUNT_MAX 1024

__attribute__((format(printf, 3, 4))) static void fail(char *err, size_t errlen, const char *fmt,
                                                       ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The JSON name of a value's type, for "expected X, got Y". */
static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "value";
}

/* Length to quote and the ellipsis to add, so a huge value cannot fill the
 * message. */
static int qlen(const char *s)
{
    size_t n = strlen(s);
    return n > QUOTE_MAX ? QUOTE_MAX : (int)n;
}

static const char *qmore(const char *s)
{
    return strlen(s) > QUOTE_MAX ? "..." : "";
}

bool gw_valid_name(const char *s)
{
    size_t n;

    if (!s)
        return false;
    n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return s[0] != '-' && s[n - 1] != '-';
}

static int bad_name(const char *field, const char *s, char *err, size_t errlen)
{
    fail(err, errlen, "%s: \"%.*s%s\" is not a valid name " NAME_RULE, field, qlen(s), s, qmore(s));
    return -1;
}

/* gw_split_name with the fields to name in messages. */
static int split(const char *full, const char *ns_hint, const char *name_field,
                 const char *ns_field, char **name, char **ns, char *err, size_t errlen)
{
    const char *dot = strchr(full, '.');
    char *n;
    char *s;

    *name = NULL;
    *ns = NULL;
    if (dot) {
        n = xstrndup(full, (size_t)(dot - full));
        s = xstrdup(dot + 1);
    } else {
        n = xstrdup(full);
        s = xstrdup(ns_hint && *ns_hint ? ns_hint : GW_DEFAULT_NAMESPACE);
    }
    if (!gw_valid_name(n)) {
        bad_name(name_field, n, err, errlen);
        goto fail;
    }
    if (!gw_valid_name(s)) {
        bad_name(ns_field, s, err, errlen);
        goto fail;
    }
    *name = n;
    *ns = s;
    return 0;
fail:
    free(n);
    free(s);
    return -1;
}

int gw_split_name(const char *full, const char *ns_hint, char **name, char **ns, char *err,
                  size_t errlen)
{
    if (!full) {
        *name = NULL;
        *ns = NULL;
        fail(err, errlen, "name: missing (expected a string)");
        return -1;
    }
    return split(full, ns_hint, "name", "namespace", name, ns, err, errlen);
}

/* Quantities ---------------------------------------------------------- */

#define FRAC_DIGITS_MAX 9

/* Reads digits[.digits] from s: the whole part, the fraction as
 * frac / scale (trailing zeros dropped, at most FRAC_DIGITS_MAX left), and
 * where the suffix starts. Returns -1 if there are no leading digits, a
 * dot without digits after it, or too large a number. */
static int read_decimal(const char *s, uint64_t *whole, uint64_t *frac, uint64_t *scale,
                        const char **rest)
{
    const char *p = s;
    const char *fstart;
    const char *fend;
    uint64_t w = 0;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (w > ((uint64_t)INT64_MAX - d) / 10)
            return -1;
        w = w * 10 + d;
    }
    *whole = w;
    *frac = 0;
    *scale = 1;
    if (*p == '.') {
        p++;
        fstart = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == fstart)
            return -1;
        fend = p;
        while (fend > fstart && fend[-1] == '0')
            fend--;
        if (fend - fstart > FRAC_DIGITS_MAX)
            return -1;
        for (const char *q = fstart; q < fend; q++) {
            *frac = *frac * 10 + (uint64_t)(*q - '0');
            *scale *= 10;
        }
    }
    *rest = p;
    return 0;
}

/* (whole + frac/scale) * mult, rounded up, into *out. frac < scale <=
 * 10^9, so frac * (mult % scale) < 10^18 cannot overflow, and
 * frac * (mult / scale) < mult. */
static int scale_up(uint64_t whole, uint64_t frac, uint64_t scale, uint64_t mult, int64_t *out)
{
    uint64_t total;
    uint64_t part;
    uint64_t rem;

    if (whole != 0 && whole > (uint64_t)INT64_MAX / mult)
        return -1;
    total = whole * mult;
    rem = frac * (mult % scale);
    part = frac * (mult / scale) + rem / scale + (rem % scale ? 1 : 0);
    if (part > (uint64_t)INT64_MAX - total)
        return -1;
    *out = (int64_t)(total + part);
    return 0;
}

static const struct {
    const char *suffix;
    uint64_t mult;
} memory_suffixes[] = {
    { "", 1 },
    { "k", UINT64_C(1000) },
    { "M", UINT64_C(1000000) },
    { "G", UINT64_C(1000000000) },
    { "T", UINT64_C(1000000000000) },
    { "Ki", UINT64_C(1) << 10 },
    { "Mi", UINT64_C(1) << 20 },
    { "Gi", UINT64_C(1) << 30 },
    { "Ti", UINT64_C(1) << 40 },
};

int gw_parse_memory(const char *s, int64_t *bytes)
{
    uint64_t whole, frac, scale;
    const char *rest;

    if (!s || read_decimal(s, &whole, &frac, &scale, &rest) != 0)
        return -1;
    for (size_t i = 0; i < sizeof memory_suffixes / sizeof *memory_suffixes; i++)
        if (strcmp(rest, memory_suffixes[i].suffix) == 0)
            return scale_up(whole, frac, scale, memory_suffixes[i].mult, bytes);
    return -1;
}

int gw_parse_cpu(const char *s, int64_t *millicores)
{
    uint64_t whole, frac, scale;
    const char *rest;

    if (!s || read_decimal(s, &whole, &frac, &scale, &rest) != 0)
        return -1;
    if (strcmp(rest, "m") == 0)
        return scale_up(whole, frac, scale, 1, millicores);
    if (*rest == '\0')
        return scale_up(whole, frac, scale, 1000, millicores);
    return -1;
}

/* Loading and field checks ------------------------------------------- */

/* Returns a new object, or NULL with a message. */
static json_t *load_object(const char *body, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root;

    if (!body || len == 0) {
        fail(err, errlen, "empty body: expected a JSON object");
        return NULL;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        fail(err, errlen, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
             jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        fail(err, errlen, "expected a JSON object, got %s", type_name(root));
        json_decref(root);
        return NULL;
    }
    return root;
}

/* An optional field: returns it (borrowed), or NULL when absent or null. */
static json_t *opt(json_t *obj, const char *field)
{
    json_t *v = json_object_get(obj, field);
    return json_is_null(v) ? NULL : v;
}

static int want(const json_t *v, bool ok, const char *field, const char *what, char *err,
                size_t errlen)
{
    if (ok)
        return 0;
    fail(err, errlen, "%s: expected %s, got %s", field, what, type_name(v));
    return -1;
}

/* An optional string field: *out is its value or NULL. */
static int opt_string(json_t *obj, const char *field, const char **out, char *err, size_t errlen)
{
    json_t *v = opt(obj, field);

    *out = NULL;
    if (!v)
        return 0;
    if (want(v, json_is_string(v), field, "a string", err, errlen) != 0)
        return -1;
    *out = json_string_value(v);
    return 0;
}

/* A required string field; empty is allowed unless nonempty. */
static int req_string(json_t *obj, const char *field, bool nonempty, const char **out, char *err,
                      size_t errlen)
{
    const char *what = nonempty ? "a non-empty string" : "a string";
    json_t *v = opt(obj, field);

    *out = NULL;
    if (!v) {
        fail(err, errlen, "%s: missing (expected %s)", field, what);
        return -1;
    }
    if (want(v, json_is_string(v), field, what, err, errlen) != 0)
        return -1;
    *out = json_string_value(v);
    if (nonempty && !**out) {
        fail(err, errlen, "%s: expected %s, got \"\"", field, what);
        return -1;
    }
    return 0;
}

/* A variable name exec() and a shell can carry: not empty, no '=', no
 * control byte (a newline would start another variable in an env file). */
static bool env_name_ok(const char *key)
{
    if (!*key)
        return false;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p == '=' || *p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Bytes one "name=value" string takes in a replica's environment. */
static size_t env_entry_size(const char *key, const char *value)
{
    return strlen(key) + 1 + strlen(value) + 1;
}

/* envProcess and envVars together must fit a replica's exec(). */
static int check_env_size(json_t *dep, char *err, size_t errlen)
{
    json_t *vars = json_object_get(dep, "envVars");
    const char *proc = json_string_value(json_object_get(dep, "envProcess"));
    size_t total = proc ? env_entry_size("fprocess", proc) : 0;
    const char *key;
    json_t *v;

    if (total > ENV_ENTRY_MAX) {
        fail(err, errlen,
             "envProcess: %zu bytes, more than a process environment takes "
             "(at most %d)",
             total, ENV_ENTRY_MAX);
        return -1;
    }
    if (json_object_size(vars) > ENV_COUNT_MAX) {
        fail(err, errlen, "envVars: %zu variables, at most %d", json_object_size(vars),
             ENV_COUNT_MAX);
        return -1;
    }
    json_object_foreach(vars, key, v) {
        size_t n = env_entry_size(key, json_string_value(v));
        if (n > ENV_ENTRY_MAX) {
            fail(err, errlen,
                 "envVars.%.*s%s: %zu bytes, more than one variable may hold "
                 "(at most %d)",
                 qlen(key), key, qmore(key), n, ENV_ENTRY_MAX);
            return -1;
        }
        total += n;
    }
    if (total > ENV_TOTAL_MAX) {
        fail(err, errlen, "envVars and envProcess: %zu bytes together, at most %d", total,
             ENV_TOTAL_MAX);
        return -1;
    }
    return 0;
}

/* A map of strings (envVars, labels, annotations). */
static int check_string_map(json_t *map, const char *field, bool env, char *err, size_t errlen)
{
    const char *key;
    json_t *v;

    if (want(map, json_is_object(map), field, "an object of strings", err, errlen) != 0)
        return -1;
    json_object_foreach(map, key, v) {
        if (env && !env_name_ok(key)) {
            fail(err, errlen,
                 "%s: \"%.*s%s\" is not a valid variable name (expected "
                 "a non-empty name without '=' or control bytes)",
                 field, qlen(key), key, qmore(key));
            return -1;
        }
        if (!json_is_string(v)) {
            fail(err, errlen, "%s.%.*s%s: expected a string, got %s", field, qlen(key), key,
                 qmore(key), type_name(v));
            return -1;
        }
    }
    return 0;
}

/* An array of strings (constraints, secrets), names checked if names. */
static int check_string_array(const json_t *arr, const char *field, bool names, char *err,
                              size_t errlen)
{
    size_t i;
    json_t *v;

    if (want(arr, json_is_array(arr), field, "an array of strings", err, errlen) != 0)
        return -1;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) {
            fail(err, errlen, "%s[%zu]: expected a string, got %s", field, i, type_name(v));
            return -1;
        }
        if (names && !gw_valid_name(json_string_value(v))) {
            char where[64];
            snprintf(where, sizeof where, "%s[%zu]", field, i);
            return bad_name(where, json_string_value(v), err, errlen);
        }
    }
    return 0;
}

/* limits / requests: {"memory": "128Mi"?, "cpu": "500m"?, ...}. */
static int check_resources(json_t *res, const char *field, char *err, size_t errlen)
{
    static const struct {
        const char *key;
        int (*parse)(const char *, int64_t *);
        const char *example;
    } quantities[] = {
        { "memory", gw_parse_memory,
          "a memory quantity such as \"128Mi\", \"1G\" or \"134217728\"" },
        { "cpu", gw_parse_cpu, "a CPU quantity such as \"500m\", \"0.5\" or \"2\"" },
    };

    if (want(res, json_is_object(res), field, "an object", err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof quantities / sizeof *quantities; i++) {
        json_t *v = json_object_get(res, quantities[i].key);
        const char *s;
        int64_t n;

        if (!v)
            continue;
        if (json_is_null(v)) {
            json_object_del(res, quantities[i].key);
            continue;
        }
        if (!json_is_string(v)) {
            fail(err, errlen, "%s.%s: expected %s, got %s", field, quantities[i].key,
                 quantities[i].example, type_name(v));
            return -1;
        }
        s = json_string_value(v);
        if (quantities[i].parse(s, &n) != 0) {
            fail(err, errlen, "%s.%s: expected %s, got \"%.*s%s\"", field, quantities[i].key,
                 quantities[i].example, qlen(s), s, qmore(s));
            return -1;
        }
    }
    return 0;
}

/* Checks the optional fields of a deployment, removing those set to null. */
static int check_deployment_fields(json_t *dep, char *err, size_t errlen)
{
    static const char *const optional[] = {
        "namespace",   "envProcess", "envVars", "labels",   "annotations",
        "constraints", "secrets",    "limits",  "requests", "readOnlyRootFilesystem",
    };
    /* envVars first: its keys are also checked as variable names. */
    static const char *const maps[] = { "envVars", "labels", "annotations" };
    /* secrets second: its items are also checked as names. */
    static const char *const arrays[] = { "constraints", "secrets" };
    static const char *const resources[] = { "limits", "requests" };
    const char *s;
    json_t *v;

    for (size_t i = 0; i < sizeof optional / sizeof *optional; i++)
        if (json_is_null(json_object_get(dep, optional[i])))
            json_object_del(dep, optional[i]);

    if (opt_string(dep, "namespace", &s, err, errlen) != 0)
        return -1;
    if (s && *s && !gw_valid_name(s))
        return bad_name("namespace", s, err, errlen);
    if (opt_string(dep, "envProcess", &s, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++) {
        v = opt(dep, maps[i]);
        if (v && check_string_map(v, maps[i], i == 0, err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) {
        v = opt(dep, arrays[i]);
        if (v && check_string_array(v, arrays[i], i == 1, err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof resources / sizeof *resources; i++) {
        v = opt(dep, resources[i]);
        if (v && check_resources(v, resources[i], err, errlen) != 0)
            return -1;
    }
    if (check_env_size(dep, err, errlen) != 0)
        return -1;
    v = opt(dep, "readOnlyRootFilesystem");
    if (v && want(v, json_is_boolean(v), "readOnlyRootFilesystem", "a boolean", err, errlen) != 0)
        return -1;
    return 0;
}

json_t *gw_deployment_parse(const char *body, size_t len, char *err, size_t errlen)
{
    json_t *dep = load_object(body, len, err, errlen);
    const char *service;
    const char *image;
    char *name = NULL;
    char *ns = NULL;

    if (!dep)
        return NULL;
    if (req_string(dep, "service", false, &service, err, errlen) != 0)
        goto fail;
    /* Checked before the namespace field, so a bad service is reported
     * as such even when the namespace is bad too. */
    if (!gw_valid_name(service) && !strchr(service, '.')) {
        bad_name("service", service, err, errlen);
        goto fail;
    }
    if (req_string(dep, "image", true, &image, err, errlen) != 0)
        goto fail;
    if (check_deployment_fields(dep, err, errlen) != 0)
        goto fail;
    if (split(service, gw_dep_str(dep, "namespace"), "service", "namespace", &name, &ns, err,
              errlen) != 0)
        goto fail;
    /* service points into dep: it is dead once "service" is replaced. */
    json_object_set_new(dep, "service", json_string(name));
    json_object_set_new(dep, "namespace", json_string(ns));
    free(name);
    free(ns);
    return dep;
fail:
    json_decref(dep);
    return NULL;
}

int gw_scale_parse(const char *body, size_t len, char **service, int64_t *replicas, char *err,
                   size_t errlen)
{
    json_t *req = load_object(body, len, err, errlen);
    const char *field = "serviceName";
    const char *full;
    const char *ns_hint;
    char *name = NULL;
    char *ns = NULL;
    json_t *v;
    json_int_t n;
    int rc = -1;

    *service = NULL;
    if (!req)
        return -1;
    if (!opt(req, field) && opt(req, "service"))
        field = "service";
    if (req_string(req, field, false, &full, err, errlen) != 0)
        goto out;
    if (opt_string(req, "serviceNamespace", &ns_hint, err, errlen) != 0)
        goto out;
    if (split(full, ns_hint, field, "serviceNamespace", &name, &ns, err, errlen) != 0)
        goto out;
    v = opt(req, "replicas");
    if (!v) {
        fail(err, errlen, "replicas: missing (expected an integer 0..%d)", REPLICAS_MAX);
        goto out;
    }
    if (want(v, json_is_integer(v), "replicas", "an integer 0..1000", err, errlen) != 0)
        goto out;
    n = json_integer_value(v);
    if (n < 0 || n > REPLICAS_MAX) {
        fail(err, errlen, "replicas: expected an integer 0..%d, got %lld", REPLICAS_MAX,
             (long long)n);
        goto out;
    }
    /* Without any namespace in the body, keep the bare name so the
     * caller's ?namespace= still applies. */
    if (strchr(full, '.') || (ns_hint && *ns_hint))
        *service = xasprintf("%s.%s", name, ns);
    else
        *service = xstrdup(name);
    *replicas = n;
    rc = 0;
out:
    free(name);
    free(ns);
    json_decref(req);
    return rc;
}

int gw_delete_parse(const char *body, size_t len, char **name, char **ns, char *err, size_t errlen)
{
    json_t *req = load_object(body, len, err, errlen);
    const char *full;
    const char *ns_hint;
    int rc = -1;

    *name = NULL;
    *ns = NULL;
    if (!req)
        return -1;
    if (req_string(req, "functionName", false, &full, err, errlen) != 0)
        goto out;
    if (opt_string(req, "namespace", &ns_hint, err, errlen) != 0)
        goto out;
    if (split(full, ns_hint, "functionName", "namespace", name, ns, err, errlen) != 0)
        goto out;
    if (!strchr(full, '.') && !(ns_hint && *ns_hint))
        XFREE(*ns);
    rc = 0;
out:
    json_decref(req);
    return rc;
}

/* The secret's bytes from "value" or "rawValue" (exactly one). */
static int secret_value(json_t *req, unsigned char **value, size_t *value_len, char *err,
                        size_t errlen)
{
    const char *text;
    const char *raw;
    size_t bad_at = 0;

    if (opt_string(req, "value", &text, err, errlen) != 0)
        return -1;
    if (opt_string(req, "rawValue", &raw, err, errlen) != 0)
        return -1;
    if (text && raw) {
        fail(err, errlen, "value, rawValue: expected only one of them, got both");
        return -1;
    }
    if (text) {
        *value_len = json_string_length(json_object_get(req, "value"));
        *value = xmalloc(*value_len + 1);
        memcpy(*value, text, *value_len + 1);
        return 0;
    }
    if (!raw) {
        fail(err, errlen, "value: missing (expected a string, or base64 bytes in rawValue)");
        return -1;
    }
    *value = base64_decode(raw, strlen(raw), value_len, &bad_at);
    if (!*value) {
        *value_len = 0;
        if (bad_at == SIZE_MAX)
            fail(err, errlen,
                 "rawValue: expected standard base64 (padded, no whitespace), "
                 "got a length of %zu, not a multiple of 4",
                 strlen(raw));
        else
            fail(err, errlen,
                 "rawValue: expected standard base64 (padded, no whitespace), "
                 "invalid at offset %zu",
                 bad_at);
        return -1;
    }
    return 0;
}

int gw_secret_parse(const char *body, size_t len, bool need_value, char **name, char **ns,
                    unsigned char **value, size_t *value_len, char *err, size_t errlen)
{
    json_t *req = load_object(body, len, err, errlen);
    const char *n;
    const char *s;
    int rc = -1;

    assert(!need_value || (value && value_len));
    *name = NULL;
    *ns = NULL;
    if (value)
        *value = NULL;
    if (value_len)
        *value_len = 0;
    if (!req)
        return -1;
    if (req_string(req, "name", false, &n, err, errlen) != 0)
        goto out;
    if (!gw_valid_name(n)) {
        bad_name("name", n, err, errlen);
        goto out;
    }
    if (opt_string(req, "namespace", &s, err, errlen) != 0)
        goto out;
    if (s && *s && !gw_valid_name(s)) {
        bad_name("namespace", s, err, errlen);
        goto out;
    }
    if (need_value && secret_value(req, value, value_len, err, errlen) != 0)
        goto out;
    *name = xstrdup(n);
    *ns = s && *s ? xstrdup(s) : NULL; /* the caller applies ?namespace= */
    rc = 0;
out:
    json_decref(req);
    return rc;
}

const char *gw_dep_str(const json_t *dep, const char *field)
{
    return json_string_value(json_object_get(dep, field));
}

const char *gw_dep_map_get(const json_t *dep, const char *map, const char *key)
{
    return json_string_value(json_object_get(json_object_get(dep, map), key));
}
