/* ynode.c -- typed reads of libyaml nodes, each error naming file:line. */
#include "ynode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

int ynode_line(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

int yfail(struct yctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    int used = snprintf(c->err, c->errlen, "%s:%d: ", c->file, n ? ynode_line(n) : 1);
    if (used < 0 || (size_t)used >= c->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + used, c->errlen - (size_t)used, fmt, ap);
    va_end(ap);
    return -1;
}

void ywarn(struct yctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    if (!c->opts || !c->opts->warn)
        return;
    char msg[512];
    int used = snprintf(msg, sizeof msg, "%s:%d: ", c->file, ynode_line(n));
    va_list ap;
    va_start(ap, fmt);
    if (used > 0 && (size_t)used < sizeof msg)
        vsnprintf(msg + used, sizeof msg - (size_t)used, fmt, ap);
    va_end(ap);
    c->opts->warn(msg, c->opts->warn_arg);
}

const char *ynode_text(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool ynode_is_null(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *t = ynode_text(n);
    return !*t || strcmp(t, "~") == 0 || strcasecmp(t, "null") == 0;
}

static const char *kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "a scalar";
    }
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

int yscalar(struct yctx *c, const yaml_node_t *n, const char *what, char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return yfail(c, n, "%s: expected a string, got %s", what, kind(n));
    if (c->opts && c->opts->raw) {
        free(*out);
        *out = xstrdup(ynode_text(n));
        return 0;
    }
    char msg[256];
    subst_lookup lookup = c->opts && c->opts->lookup ? c->opts->lookup : env_lookup;
    char *v = subst_expand(ynode_text(n), lookup, msg, sizeof msg);
    if (!v)
        return yfail(c, n, "%s: %s", what, msg);
    free(*out);
    *out = v;
    return 0;
}

int ybool(struct yctx *c, const yaml_node_t *n, const char *what, bool *out)
{
    static const char *const yes[] = { "true", "yes", "on" };
    static const char *const no[] = { "false", "no", "off" };
    char *v = NULL;
    if (yscalar(c, n, what, &v) != 0 || !v)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            free(v);
            return 0;
        }
    }
    yfail(c, n, "%s: expected true or false, got \"%s\"", what, v);
    free(v);
    return -1;
}

struct kv_target {
    const char *what;
    struct kvlist *out;
};

static int kv_pair(struct yctx *c, const char *key, yaml_node_t *key_node, yaml_node_t *value,
                   void *arg)
{
    (void)key_node;
    struct kv_target *t = arg;
    char what[160];
    snprintf(what, sizeof what, "%s.%s", t->what, key);
    char *v = NULL;
    if (ynode_is_null(value))
        v = xstrdup("");
    else if (yscalar(c, value, what, &v) != 0)
        return -1;
    kvlist_set(t->out, key, v);
    free(v);
    return 0;
}

int ykvmap(struct yctx *c, const yaml_node_t *n, const char *what, struct kvlist *out)
{
    if (ynode_is_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return yfail(c, n, "%s: expected a mapping of names to values, got %s", what, kind(n));
    struct kv_target t = { what, out };
    return ymap_each(c, (yaml_node_t *)n, what, kv_pair, &t);
}

int ystrlist(struct yctx *c, const yaml_node_t *n, const char *what, struct strlist *out)
{
    if (ynode_is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return yfail(c, n, "%s: expected a list, got %s", what, kind(n));
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        char *v = NULL;
        if (yscalar(c, item, what, &v) != 0)
            return -1;
        strlist_add(out, v);
        free(v);
    }
    return 0;
}

static int merge_each(struct yctx *c, yaml_node_t *src, const char *what, ypair_fn each, void *arg)
{
    if (src->type == YAML_MAPPING_NODE)
        return ymap_each(c, src, what, each, arg);
    if (src->type != YAML_SEQUENCE_NODE)
        return yfail(c, src, "%s: \"<<\" merges a mapping or a list of mappings", what);
    for (yaml_node_item_t *it = src->data.sequence.items.start; it < src->data.sequence.items.top;
         it++) {
        yaml_node_t *m = yaml_document_get_node(c->doc, *it);
        if (m->type != YAML_MAPPING_NODE)
            return yfail(c, m, "%s: \"<<\" merges a mapping or a list of mappings", what);
        if (ymap_each(c, m, what, each, arg) != 0)
            return -1;
    }
    return 0;
}

static bool seen_before(struct yctx *c, yaml_node_pair_t *start, yaml_node_pair_t *p)
{
    const char *key = ynode_text(yaml_document_get_node(c->doc, p->key));
    for (yaml_node_pair_t *q = start; q < p; q++) {
        const char *k = ynode_text(yaml_document_get_node(c->doc, q->key));
        if (k && strcmp(k, key) == 0)
            return true;
    }
    return false;
}

int ymap_each(struct yctx *c, yaml_node_t *map, const char *what, ypair_fn each, void *arg)
{
    yaml_node_pair_t *start = map->data.mapping.pairs.start, *top = map->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        if (k->type != YAML_SCALAR_NODE)
            return yfail(c, k, "%s: a key must be a string, got %s", what, kind(k));
        if (strcmp(ynode_text(k), "<<") == 0 &&
            merge_each(c, yaml_document_get_node(c->doc, p->value), what, each, arg) != 0)
            return -1;
    }
    for (yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const char *key = ynode_text(k);
        if (strcmp(key, "<<") == 0)
            continue;
        if (seen_before(c, start, p))
            return yfail(c, k, "%s: key \"%s\" is given twice", what, key);
        if (each(c, key, k, yaml_document_get_node(c->doc, p->value), arg) != 0)
            return -1;
    }
    return 0;
}
