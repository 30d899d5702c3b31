/* docker_spec.h -- a function's deployment as Docker Engine objects: the
 * body of POST /containers/create for one replica, the labels that find
 * it again, and the image reference to pull. Pure: no I/O, no state. */
#ifndef GW_DOCKER_SPEC_H
#define GW_DOCKER_SPEC_H

#include <jansson.h>
#include <stdint.h>

/* Labels the driver puts on every container it makes. */
#define DK_LABEL_INSTANCE "com.faasbus.instance" /* which gateway owns it */
#define DK_LABEL_FUNCTION "com.faasbus.function"
#define DK_LABEL_NAMESPACE "com.faasbus.namespace"
#define DK_LABEL_SPEC "com.faasbus.spec"       /* deployment hash */
#define DK_LABEL_REPLICA "com.faasbus.replica" /* instance number */
/* A deployment's annotations become labels under this prefix. */
#define DK_ANNOTATION_PREFIX "com.openfaas.annotations."

/* The port every OpenFaaS function image listens on. */
#define DK_FUNCTION_PORT 8080
#define DK_SECRETS_DIR "/var/openfaas/secrets"

struct dk_spec_in {
    const json_t *dep; /* the validated deployment */
    const char *name, *ns;
    const char *instance; /* the gateway's instance name */
    const char *spec;     /* dk_spec_hash(dep) */
    unsigned replica;
    const char *network; /* NULL or "": the engine's default bridge */
    int publish;         /* publish 8080 on a free 127.0.0.1 port */
    /* Host path of each secret in dep's "secrets", same order. */
    const char *const *secret_paths;
};

#define DK_STOP_GRACE_MIN_S 5

/* Seconds a replica's container gets between SIGTERM and SIGKILL: long
 * enough for its watchdog to finish a call (the function's write_timeout
 * or exec_timeout, plus 2 s), at least DK_STOP_GRACE_MIN_S. */
int dk_spec_stop_grace_s(const json_t *dep);

/* The POST /containers/create body. Returns: a new object. */
json_t *dk_spec_container(const struct dk_spec_in *in);

/* A stable hash (hex, 16 chars) of what makes a replica: the deployment
 * with its keys sorted. Two equal deployments give equal hashes. */
void dk_spec_hash(const json_t *dep, char out[17]);

/* The image split for POST /images/create: fromImage and tag ("latest"
 * when the reference has none; a digest reference keeps its digest in
 * fromImage and an empty tag). Writes into the two buffers. */
void dk_spec_image_ref(const char *image, char *from, size_t fromlen, char *tag, size_t taglen);

#endif
