/* model.h -- the gateway's request bodies (OpenFaaS faas-provider types):
 * parsing, validation and normalisation with jansson.
 *
 * A deployment is kept as the validated json_t object itself, so every
 * field a client sent (unknown ones too) round-trips exactly; the getters
 * below read it. All parsers take the raw body (not NUL-terminated), load
 * it with JSON_REJECT_DUPLICATES, refuse "\u0000" inside strings (so every
 * string is a C string), and on error return NULL/-1 with a one-line
 * message in err that names the field and says what was expected. err may
 * be NULL; a message longer than errlen is cut.
 *
 * Pure functions: no global state, safe from any thread. */
#ifndef GW_MODEL_H
#define GW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define GW_DEFAULT_NAMESPACE "openfaas-fn"

/* DNS-1123 label: 1..63 chars, [a-z0-9-], starts and ends alphanumeric.
 * NULL is not a valid name. */
bool gw_valid_name(const char *s);

/* Splits "name" or "name.namespace" at the first '.'. A namespace given
 * separately (ns_hint: a ?namespace= query or the JSON field) is used only
 * when the name has none; with neither, the namespace is
 * GW_DEFAULT_NAMESPACE. ns_hint may be NULL or empty (= not given).
 * Returns: 0 and two new strings in *name and *ns (caller frees both), or
 * -1 with *name = *ns = NULL and a message in err if either part is not a
 * DNS-1123 label (so "a.b.c" fails: "b.c" is not a label). */
int gw_split_name(const char *full, const char *ns_hint, char **name, char **ns, char *err,
                  size_t errlen);

/* Parses and validates a FunctionDeployment body.
 * Returns: a new json_t object (caller decrefs) in which "namespace" is
 * set (from a "name.ns" service, else the "namespace" field, else
 * GW_DEFAULT_NAMESPACE) and "service" is the bare name; or NULL with the
 * message in err.
 * Checks: a JSON object (a syntax error reports jansson's line and
 * column); "service" required string, a valid name or "name.ns"; "image"
 * required non-empty string; "namespace" a string, valid when non-empty
 * (empty means not given); "envProcess" string; "envVars", "labels",
 * "annotations" objects whose values are all strings (envVars keys must
 * also be non-empty and free of '='); "constraints", "secrets" arrays of
 * strings (secret names valid DNS-1123 labels); "limits", "requests"
 * objects with optional "memory" (gw_parse_memory) and "cpu"
 * (gw_parse_cpu) strings; "readOnlyRootFilesystem" bool.
 * Normalisation: a known optional field set to null is removed (Go's
 * decoder treats null as absent); unknown fields, and unknown keys inside
 * limits/requests, are kept as they are (OpenFaaS ignores them).
 * Messages look like `envVars.FOO: expected a string, got number`,
 * `secrets[1]: "A" is not a valid name (...)`, `image: missing (expected
 * a non-empty string)`. */
json_t *gw_deployment_parse(const char *body, size_t len, char *err, size_t errlen);

/* Parses a ScaleServiceRequest {"serviceName": "fn", "replicas": N}
 * ("service" is accepted when "serviceName" is absent; an optional
 * "serviceNamespace" string is folded in, see below). replicas must be a
 * JSON integer 0..1000 and is required.
 * Returns: 0 with *service a new string (caller frees) and *replicas set,
 * or -1 with *service = NULL and a message in err. *service is "fn" or
 * "fn.ns" (the body's serviceNamespace is appended when the name carries
 * none), already checked, ready for gw_split_name(service, query_ns):
 * faas-cli sends the namespace only in the ?namespace= query. */
int gw_scale_parse(const char *body, size_t len, char **service, int64_t *replicas, char *err,
                   size_t errlen);

/* Parses a DeleteFunctionRequest {"functionName": "fn", "namespace": "ns"?}
 * ("fn.ns" is accepted too).
 * Returns: 0 with *name a new bare name and *ns a new namespace (caller
 * frees both), or -1 with both NULL and a message in err.
 * Note: *ns is NULL on success when the body names no namespace (neither
 * "fn.ns" nor a non-empty "namespace"): faas-cli sends it only in the
 * ?namespace= query, so the caller applies the query or
 * GW_DEFAULT_NAMESPACE itself. */
int gw_delete_parse(const char *body, size_t len, char **name, char **ns, char *err, size_t errlen);

/* Parses a Secret {"name", "namespace"?, "value"?, "rawValue"?}. name must
 * be a DNS-1123 label; namespace, when non-empty, too (*ns gets
 * GW_DEFAULT_NAMESPACE otherwise). With need_value (create/update) exactly
 * one of "value" (a string, may be empty) or "rawValue" (standard base64,
 * padded, no whitespace, as Go encodes []byte) is required; null counts as
 * absent. Without need_value (delete) both are ignored, value/value_len may
 * be NULL, and *value is set to NULL / *value_len to 0 when given.
 * Returns: 0 with new *name, *ns and *value (caller frees all three;
 * *value holds *value_len bytes, may contain NULs, and is followed by an
 * extra '\0' for convenience), or -1 with all outputs NULL/0 and a message
 * in err. */
/* *ns is NULL when the body names no namespace (the caller applies
 * ?namespace= or the default). */
int gw_secret_parse(const char *body, size_t len, bool need_value, char **name, char **ns,
                    unsigned char **value, size_t *value_len, char *err, size_t errlen);

/* Reads a Kubernetes memory quantity into bytes: digits, an optional
 * decimal part (at most 9 significant fraction digits), an optional suffix
 * Ki Mi Gi Ti (binary) or k M G T (decimal); "128Mi", "1G", "1.5Gi",
 * "134217728". A fraction of a byte rounds up, as Kubernetes does.
 * Returns: 0 with *bytes set, or -1 if malformed or above INT64_MAX. */
int gw_parse_memory(const char *s, int64_t *bytes);

/* Reads a CPU quantity into millicores: "500m" -> 500, "0.5" -> 500,
 * "2" -> 2000; a fraction of a millicore rounds up ("0.0001" -> 1).
 * Returns: 0 with *millicores set, or -1 if malformed or out of range. */
int gw_parse_cpu(const char *s, int64_t *millicores);

/* Getters on a validated deployment. Returns: the field's string (borrowed;
 * valid while dep lives and that field is not changed), or NULL if the
 * field is absent or not a string. */
const char *gw_dep_str(const json_t *dep, const char *field);

/* The string value of key in the object field map ("labels",
 * "annotations", "envVars"); borrowed like gw_dep_str, NULL if the map or
 * the key is absent. */
const char *gw_dep_map_get(const json_t *dep, const char *map, const char *key);

#endif
