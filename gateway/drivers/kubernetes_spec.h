/* kubernetes_spec.h -- a function as Kubernetes objects, and back.
 *
 * A function is a Deployment and a Service named after it, with the
 * conventions of faas-netes that users' tooling relies on: the label
 * faas_function=<name> on the Deployment, its pods and the Service's
 * selector; fprocess from envProcess; secrets in one read-only projected
 * volume at /var/openfaas/secrets (a file per secret). Every object also
 * carries app.kubernetes.io/managed-by=faasbus, the label the driver
 * lists by, so it never touches what others made. The FunctionDeployment
 * as deployed rides along in an annotation, so a restarted gateway (or
 * another replica) serves the fields the objects do not hold.
 *
 * Pure functions on JSON; any thread. */
#ifndef KUBERNETES_SPEC_H
#define KUBERNETES_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define K8S_LABEL_FUNCTION "faas_function"
#define K8S_LABEL_MANAGED "app.kubernetes.io/managed-by"
#define K8S_MANAGER "faasbus"
#define K8S_ANNOTATION_DEP "com.faasbus.deployment"
#define K8S_ANNOTATION_SCALER "com.faasbus.autoscaler"
#define K8S_SECRETS_PATH "/var/openfaas/secrets"
#define K8S_PORT 8080

struct k8s_spec_in {
    const json_t *dep; /* the validated FunctionDeployment */
    const char *name, *ns;
    int replicas;
    const char *pull_policy; /* Always | IfNotPresent | Never */
};

/* The Deployment to create (NULL with a message in err when the
 * deployment cannot be expressed). */
json_t *k8s_spec_deployment(const struct k8s_spec_in *in, char *err, size_t errlen);
json_t *k8s_spec_service(const char *name, const char *ns);

/* A JSON merge patch (RFC 7386) that turns the object `from` into `to`
 * for every field either has: what `from` had and `to` lacks is null;
 * arrays are replaced whole. */
json_t *k8s_merge_diff(const json_t *from, const json_t *to);

/* The update of a Deployment made from old (a spec of the same function)
 * to new: its labels, annotations and pod template, not its replicas
 * (the scale stands), as a merge patch. */
json_t *k8s_spec_update(const json_t *old_deployment, const json_t *new_deployment);

/* A Secret holding one key, the secret's name. resource_version: for an
 * update (PUT), else NULL. */
json_t *k8s_spec_secret(const char *name, const char *ns, const unsigned char *value, size_t len,
                        const char *resource_version);

/* The FunctionDeployment a Deployment holds: the annotation's, with what
 * the cluster says now for image, envProcess, envVars, labels and
 * annotations. NULL if it is not a function's Deployment. */
json_t *k8s_spec_read(const json_t *deployment);

/* A constraint "label=value" -> label and value; false for any other
 * form (Swarm's "node.labels.x == y", "!=", no '='). */
bool k8s_spec_constraint(const char *c, char *key, size_t keylen, char *value, size_t vlen);

#endif
