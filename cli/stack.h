/* stack.h -- faas-cli stack files (stack.yml): the functions a user
 * deploys, read with libyaml.
 *
 * The schema is faas-cli's: `version`, `provider` {name, gateway},
 * `functions` {NAME: {lang, handler, image, fprocess, environment,
 * environment_file, secrets, labels, annotations, limits, requests,
 * constraints, readonly_root_filesystem, namespace, ...}} and
 * `configuration` {templates, copy}. Values may use ${VAR} and
 * ${VAR:-default}. An unknown key is a warning (a newer faas-cli may know
 * it); a value of the wrong shape is an error naming file:line. */
#ifndef CLI_STACK_H
#define CLI_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "subst.h"

struct kv {
    char *key, *value;
};

struct kvlist {
    struct kv *items;
    size_t n;
};

struct strlist {
    char **items;
    size_t n;
};

struct resources {
    char *memory, *cpu; /* NULL when not given */
};

struct stack_fn {
    char *name;
    char *lang, *handler, *image, *fprocess, *namespace; /* NULL: not given */
    struct kvlist environment; /* environment, then environment_file over it */
    struct kvlist labels, annotations;
    struct strlist secrets, constraints;
    struct resources limits, requests;
    bool readonly_root_filesystem;
    char *file; /* where it was defined, for messages */
    int line;
    char *dir; /* the stack file's folder: handler paths are relative to it */
};

struct stack {
    char *version;
    char *provider_name, *gateway;
    struct stack_fn *fns;
    size_t nfns;
    struct strlist templates; /* configuration.templates[].name */
};

/* Receives each warning ("stack.yml:7: unknown key ..."). */
typedef void (*stack_warn_fn)(const char *msg, void *arg);

struct stack_opts {
    subst_lookup lookup; /* NULL: getenv */
    bool raw;            /* no ${VAR} expansion (faas-cli's --env-subst=false) */
    stack_warn_fn warn;  /* NULL: warnings are dropped */
    void *warn_arg;
};

/* Reads `path` into *s, which may already hold functions from earlier
 * files: a function of the same name is replaced, provider fields given
 * here override. Returns 0, or -1 with "file:line: what" in err (then *s
 * is unchanged). *s starts zeroed; release it with stack_free(). */
int stack_load(struct stack *s, const char *path, const struct stack_opts *o, char *err,
               size_t errlen);

/* As stack_load() on text in memory; `name` names it in messages and
 * `dir` resolves relative paths (environment_file, handler). */
int stack_load_text(struct stack *s, const char *text, size_t len, const char *name,
                    const char *dir, const struct stack_opts *o, char *err, size_t errlen);

const struct stack_fn *stack_find(const struct stack *s, const char *name);
const char *kvlist_get(const struct kvlist *l, const char *key);
/* Sets key to value (a copy), replacing an earlier value. */
void kvlist_set(struct kvlist *l, const char *key, const char *value);
void kvlist_free(struct kvlist *l);
void strlist_add(struct strlist *l, const char *s);
void strlist_free(struct strlist *l);
void stack_fn_free(struct stack_fn *f);
void stack_free(struct stack *s);

#endif
