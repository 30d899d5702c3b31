/* swarm_spec.h -- a function's deployment as a Docker Swarm service: the
 * body of POST /services/create (and /services/{id}/update), and the
 * labels that find the service again. Pure: no I/O, no state. */
#ifndef GW_SWARM_SPEC_H
#define GW_SWARM_SPEC_H

#include <jansson.h>

/* Labels on every service the driver makes (and on its containers). */
#define SW_LABEL_INSTANCE "com.faasbus.instance" /* which gateway owns it */
#define SW_LABEL_FUNCTION "com.faasbus.function"
#define SW_LABEL_NAMESPACE "com.faasbus.namespace"
#define SW_LABEL_SPEC "com.faasbus.spec" /* deployment hash */
#define SW_ANNOTATION_PREFIX "com.openfaas.annotations."

#define SW_FUNCTION_PORT 8080
#define SW_SECRETS_DIR "/var/openfaas/secrets"

struct sw_spec_in {
    const json_t *dep; /* the validated deployment */
    const char *name, *ns;
    const char *instance; /* the gateway's instance name */
    const char *spec;     /* sw_spec_hash(dep) */
    unsigned replicas;
    const char *network;   /* NULL or "": none beyond the default */
    const json_t *secrets; /* ContainerSpec.Secrets, may be NULL */
};

/* The service's name on the swarm: unique per gateway instance, since
 * several gateways may share one swarm. Into out (cut to len). */
void sw_spec_service_name(const char *instance, const char *name, const char *ns, char *out,
                          size_t len);

/* The ServiceSpec. Returns: a new object. */
json_t *sw_spec_service(const struct sw_spec_in *in);

/* A stable hash (hex, 16 chars) of the deployment with sorted keys. */
void sw_spec_hash(const json_t *dep, char out[17]);

#endif
