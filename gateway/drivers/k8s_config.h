/* k8s_config.h -- where the Kubernetes API is and how to prove who we are:
 * a kubeconfig file (its current context) or, inside a pod, the service
 * account's token and CA.
 *
 * DESIGN: the rules client-go follows, so a user's kubectl setup works as
 * it is: KUBECONFIG (the first of its files that exists), else in-cluster
 * when KUBERNETES_SERVICE_HOST is set and the token file is there, else
 * ~/.kube/config. Certificates and keys come as files or as inline
 * base64 data (*-data fields); relative paths are relative to the
 * kubeconfig's directory. Loading reads files once, at start.
 *
 * Pure apart from reading the files named; any thread. */
#ifndef K8S_CONFIG_H
#define K8S_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct k8s_creds {
    char *server;               /* "https://host:port", no trailing slash */
    char *token;                /* bearer token, or NULL */
    char *token_file;           /* re-read when it changes (rotation), or NULL */
    char *ca_file, *ca_pem;     /* the CA to check the server: a file or PEM bytes */
    char *cert_file, *cert_pem; /* client certificate: a file or PEM bytes */
    char *key_file, *key_pem;   /* its key */
    bool insecure;              /* insecure-skip-tls-verify */
    char *ns;                   /* the context's namespace (in-cluster: the pod's), or NULL */
    char *source;               /* for logs: "kubeconfig PATH, context NAME" or "in-cluster" */
    char *config_path;          /* the kubeconfig read, or NULL: its token is read again
                                * when the file changes (a rotated token) */
    char *config_context;       /* the context asked for, or NULL */
};

/* Parses kubeconfig text (YAML or JSON) and takes its current context
 * (or `context` when not NULL). dir: the file's directory, for relative
 * paths. Returns 0, or -1 with a message in err. */
int k8s_config_parse(const char *text, size_t len, const char *dir, const char *context,
                     struct k8s_creds *out, char *err, size_t errlen);

/* In-cluster: host and port from the environment, the token and CA under
 * sa_dir. Returns 0, 1 when not in a cluster, -1 with a message. */
int k8s_config_in_cluster(const char *sa_dir, struct k8s_creds *out, char *err, size_t errlen);

/* The whole rule. kubeconfig: the gateway's setting (may be NULL or "":
 * then KUBECONFIG, in-cluster, ~/.kube/config in that order). */
int k8s_config_load(const char *kubeconfig, const char *context, struct k8s_creds *out, char *err,
                    size_t errlen);

void k8s_creds_free(struct k8s_creds *c);

#endif
