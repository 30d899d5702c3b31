/* verbs.c -- the table of verbs and their options (faas-cli's names where
 * faas-cli has the verb). */
#include "args.h"
#include "fb.h"

#define STACK_OPT                                                                        \
    {                                                                                    \
        "yaml", 'f', OPT_LIST, "FILE", "stack file (default ./stack.yml); several merge" \
    }
#define FILTER_OPTS                                                                      \
    { "filter", 0, OPT_VALUE, "GLOB", "only the stack's functions whose name matches" }, \
    {                                                                                    \
        "regex", 0, OPT_VALUE, "REGEX", "only the stack's functions whose name matches"  \
    }

static const struct opt DEPLOY_OPTS[] = {
    STACK_OPT,
    FILTER_OPTS,
    { "env", 'e', OPT_LIST, "K=V", "set an environment variable, over the stack file's" },
    { "label", 'l', OPT_LIST, "K=V", "set a label" },
    { "annotation", 0, OPT_LIST, "K=V", "set an annotation (e.g. topic=orders)" },
    { "secret", 0, OPT_LIST, "NAME", "give the function a secret" },
    { "constraint", 0, OPT_LIST, "EXPR", "a placement constraint" },
    { "image", 0, OPT_VALUE, "IMAGE", "deploy one function without a stack file: its image" },
    { "name", 0, OPT_VALUE, "NAME", "... its name" },
    { "fprocess", 0, OPT_VALUE, "CMD", "... the process the watchdog runs" },
    { "readonly", 0, OPT_FLAG, NULL, "a read-only root filesystem" },
    { "wait", 0, OPT_FLAG, NULL, "wait until every function has a ready replica" },
    { "update", 0, OPT_FLAG, NULL,
      "update a deployed function in place (default; =false: create only)" },
    { "replace", 0, OPT_FLAG, NULL, "remove each function first, then create it" },
    { "env-subst", 0, OPT_FLAG, NULL,
      "expand ${VAR} in the stack file (default; =false: as written)" },
    { "timeout", 0, OPT_VALUE, "SECONDS", "how long --wait waits (default 60)" },
    { "skip-push", 0, OPT_FLAG, NULL, "up: build images but do not push them" },
    OPT_END,
};

static const struct opt REMOVE_OPTS[] = { STACK_OPT, FILTER_OPTS, OPT_END };

static const struct opt LIST_OPTS[] = {
    STACK_OPT,
    { "verbose", 'v', OPT_FLAG, NULL, "also show image and available replicas" },
    { "quiet", 'q', OPT_FLAG, NULL, "names only" },
    { "sort", 0, OPT_VALUE, "KEY", "name (default) or invocations" },
    OPT_END,
};

static const struct opt INVOKE_OPTS[] = {
    STACK_OPT,
    { "async", 'a', OPT_FLAG, NULL, "queue the call (202 and an X-Call-Id) instead of waiting" },
    { "header", 'H', OPT_LIST, "K=V", "a request header (K=V or \"K: V\")" },
    { "query", 0, OPT_LIST, "K=V", "a query-string parameter" },
    { "method", 'm', OPT_VALUE, "METHOD", "HTTP method (default POST)" },
    { "content-type", 0, OPT_VALUE, "TYPE", "the body's Content-Type (default text/plain)" },
    { "callback-url", 0, OPT_VALUE, "URL", "with --async: where the result is POSTed" },
    OPT_END,
};

static const struct opt LOGS_OPTS[] = {
    STACK_OPT,
    { "follow", 0, OPT_FLAG, NULL, "keep printing new lines until interrupted" },
    { "tail", 't', OPT_VALUE, "N", "only the last N lines (faas-cli's --tail=true|false: follow)" },
    { "lines", 0, OPT_VALUE, "N", "only the last N lines (faas-cli's name)" },
    { "since", 0, OPT_VALUE, "DURATION", "only lines newer than this (30s, 5m, 1h30m)" },
    { "since-time", 0, OPT_VALUE, "RFC3339", "only lines newer than this time" },
    OPT_END,
};

static const struct opt SCALE_OPTS[] = {
    STACK_OPT,
    { "replicas", 'r', OPT_VALUE, "N", "the number of replicas (0 scales to zero)" },
    OPT_END,
};

static const struct opt SECRET_OPTS[] = {
    { "from-literal", 0, OPT_VALUE, "VALUE", "the secret's value (else --from-file or stdin)" },
    { "from-file", 0, OPT_VALUE, "FILE", "read the value from a file" },
    { "trim", 0, OPT_FLAG, NULL, "drop trailing newlines of the value" },
    OPT_END,
};

static const struct opt LOGIN_OPTS[] = {
    { "username", 'u', OPT_VALUE, "USER", "the gateway's user (default admin)" },
    { "password", 'p', OPT_VALUE, "PASSWORD", "the password (better: --password-stdin)" },
    { "password-stdin", 's', OPT_FLAG, NULL, "read the password from stdin" },
    OPT_END,
};

static const struct opt VERSION_OPTS[] = {
    { "short-version", 0, OPT_FLAG, NULL, "the client's version alone" },
    OPT_END,
};

#define BUS_OPTS                                                                           \
    { "bus", 0, OPT_VALUE, "KIND", "kafka or nats (default: the one configured)" },        \
        { "brokers", 0, OPT_VALUE, "LIST", "Kafka brokers (else $FAASBUS_BROKERS)" },      \
    {                                                                                      \
        "nats-url", 0, OPT_VALUE, "URL", "NATS server (else $FAASBUS_NATS_URL, $NATS_URL)" \
    }

static const struct opt TOPICS_OPTS[] = {
    { "connector", 'c', OPT_VALUE, "URL",
      "the connector's API (else $FAASBUS_CONNECTOR, http://127.0.0.1:8081)" },
    OPT_END,
};

static const struct opt PUBLISH_OPTS[] = {
    BUS_OPTS,
    { "key", 'k', OPT_VALUE, "KEY", "the record's key" },
    { "header", 'H', OPT_LIST, "K=V", "a record header" },
    OPT_END,
};

static const struct opt SUBSCRIBE_OPTS[] = {
    BUS_OPTS,
    { "from-beginning", 0, OPT_FLAG, NULL, "start at the oldest record, not the next one" },
    { "count", 0, OPT_VALUE, "N", "stop after N records" },
    { "timeout", 0, OPT_VALUE, "SECONDS", "stop after this long without a record" },
    OPT_END,
};

static const struct opt NEW_OPTS[] = {
    { "lang", 0, OPT_VALUE, "LANG", "the template: shell, python, node or c" },
    { "list", 0, OPT_FLAG, NULL, "list the templates" },
    { "append", 0, OPT_VALUE, "FILE", "the stack file to add the function to (default stack.yml)" },
    OPT_END,
};

static const struct opt NO_OPTS[] = { OPT_END };
static const struct opt STACK_ONLY_OPTS[] = { STACK_OPT, OPT_END };

const struct verb VERBS[] = {
    { "deploy", NULL, "[-f stack.yml] [--filter NAME] [--env K=V]...",
      "deploy the stack file's functions (or one with --image and --name)", DEPLOY_OPTS, cmd_deploy,
      0, 0 },
    { "up", NULL, "[-f stack.yml] [--filter NAME]",
      "build where the driver runs images, then deploy", DEPLOY_OPTS, cmd_up, 0, 0 },
    { "remove", "rm", "[NAME...] [-f stack.yml]", "remove functions", REMOVE_OPTS, cmd_remove, 0,
      -1 },
    { "list", "ls", "[-v]", "list the deployed functions", LIST_OPTS, cmd_list, 0, 0 },
    { "describe", NULL, "NAME", "show one function's settings and status", STACK_ONLY_OPTS,
      cmd_describe, 1, 1 },
    { "invoke", NULL, "NAME [--async] [--header K=V]... < body",
      "call a function with stdin as the body; its answer goes to stdout", INVOKE_OPTS, cmd_invoke,
      1, 1 },
    { "logs", NULL, "NAME [--follow] [--tail N] [--since 5m]", "print a function's logs", LOGS_OPTS,
      cmd_logs, 1, 1 },
    { "scale", NULL, "NAME --replicas N", "set a function's replicas", SCALE_OPTS, cmd_scale, 1,
      1 },
    { "secret", NULL, "create|update NAME [--from-literal V|--from-file F] | list | remove NAME",
      "manage secrets", SECRET_OPTS, cmd_secret, 1, 2 },
    { "namespace", "namespaces", "list", "list the namespaces", NO_OPTS, cmd_namespace, 0, 1 },
    { "login", NULL, "[-u USER] --password-stdin",
      "check and save credentials for the gateway (mode 0600)", LOGIN_OPTS, cmd_login, 0, 0 },
    { "logout", NULL, "", "forget the gateway's saved credentials", NO_OPTS, cmd_logout, 0, 0 },
    { "version", NULL, "", "the client's and the gateway's versions", VERSION_OPTS, cmd_version, 0,
      0 },
    { "topics", NULL, "", "the connector's routes: topic, function, reply and error topics, counts",
      TOPICS_OPTS, cmd_topics, 0, 0 },
    { "publish", NULL, "TOPIC [--key K] [--header K=V]... < body",
      "publish stdin as one record to a Kafka topic or NATS subject", PUBLISH_OPTS, cmd_publish, 1,
      1 },
    { "subscribe", NULL, "TOPIC [--from-beginning] [--count N]",
      "print records of a topic or subject with their key and headers", SUBSCRIBE_OPTS,
      cmd_subscribe, 1, 1 },
    { "new", NULL, "NAME --lang LANG", "write a function from a template and its stack entry",
      NEW_OPTS, cmd_new, 0, 1 },
    { "completion", NULL, "bash|zsh", "print a shell completion script", NO_OPTS, cmd_completion, 1,
      1 },
    { "man", NULL, "", "print the man page (roff)", NO_OPTS, cmd_man, 0, 0 },
    { NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 },
};
