/* ynode.h -- reading a libyaml document tree with file:line messages. */
#ifndef CLI_YNODE_H
#define CLI_YNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "stack.h"

struct yctx {
    yaml_document_t *doc;
    const char *file;
    const char *dir;
    const struct stack_opts *opts;
    char *err;
    size_t errlen;
};

int ynode_line(const yaml_node_t *n);
/* Fills err with "file:line: ..." and returns -1. */
int yfail(struct yctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ywarn(struct yctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A plain null: "~", "null", or nothing at all after "key:". */
bool ynode_is_null(const yaml_node_t *n);
/* The raw text of a scalar, or NULL for any other node. */
const char *ynode_text(const yaml_node_t *n);

/* A scalar value with ${VAR} expanded, into *out (freed first). */
int yscalar(struct yctx *c, const yaml_node_t *n, const char *what, char **out);
/* true/false (and yes/no/on/off, as YAML 1.1 readers take them). */
int ybool(struct yctx *c, const yaml_node_t *n, const char *what, bool *out);
/* A mapping of scalars to scalars, merged into *out. */
int ykvmap(struct yctx *c, const yaml_node_t *n, const char *what, struct kvlist *out);
/* A sequence of scalars, appended to *out. */
int ystrlist(struct yctx *c, const yaml_node_t *n, const char *what, struct strlist *out);

/* Calls each(key text, value node) for every pair of a mapping, the
 * pairs of "<<" merge keys first so that explicit keys override them.
 * A key given twice, or a key that is not a scalar, is an error. */
typedef int (*ypair_fn)(struct yctx *c, const char *key, yaml_node_t *key_node, yaml_node_t *value,
                        void *arg);
int ymap_each(struct yctx *c, yaml_node_t *map, const char *what, ypair_fn each, void *arg);

#endif
