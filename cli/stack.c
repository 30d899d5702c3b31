/* stack.c -- faas-cli's stack-file schema on top of ynode.c. */
#include "stack.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "ynode.h"

#define STACK_FILE_MAX (4 << 20)

/* Keys faas-cli reads for building images; a deploy has no use for them,
 * and they must not be reported as unknown. */
static const char *const BUILD_KEYS[] = {
    "skip_build", "build_args", "build_options", "build_secrets", "registry_auth", "platforms", NULL
};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* DNS-1123 label, as the gateway and Kubernetes want a function name. */
static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
            return false;
    return true;
}

static char *path_in(const char *dir, const char *path)
{
    return path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", dir, path);
}

static int read_all(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *data = xmalloc(STACK_FILE_MAX + 1);
    size_t n = fread(data, 1, STACK_FILE_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > STACK_FILE_MAX) {
        snprintf(err, errlen, "%s: %s", path, bad ? "read error" : "larger than 4 MiB");
        free(data);
        return -1;
    }
    data[n] = '\0';
    *out = data;
    *len = n;
    return 0;
}

/* Parses text into doc; a syntax error names the line libyaml saw. */
static int load_doc(yaml_document_t *doc, const char *text, size_t len, const char *name, char *err,
                    size_t errlen)
{
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int ok = yaml_parser_load(&p, doc);
    if (!ok)
        snprintf(err, errlen, "%s:%zu: invalid YAML: %s%s%s", name,
                 (p.problem_mark.line ? p.problem_mark.line : p.context_mark.line) + 1,
                 p.problem ? p.problem : "syntax error", p.context ? " " : "",
                 p.context ? p.context : "");
    yaml_parser_delete(&p);
    return ok ? 0 : -1;
}

/* --- environment_file -------------------------------------------------- */

static int env_file_pair(struct yctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    if (strcmp(key, "environment") == 0)
        return ykvmap(c, v, "environment", arg);
    ywarn(c, k, "unknown key \"%s\" in an environment file (only \"environment\")", key);
    return 0;
}

/* `at` is the environment_file key, named when the file cannot be read. */
static int load_env_file(struct yctx *parent, const yaml_node_t *at, const char *rel,
                         struct kvlist *env)
{
    char *path = path_in(parent->dir, rel);
    char *text = NULL;
    size_t len = 0;
    yaml_document_t doc;
    char why[256];
    int rc = read_all(path, &text, &len, why, sizeof why);
    if (rc != 0)
        yfail(parent, at, "environment_file: %s", why);
    if (rc == 0 && (rc = load_doc(&doc, text, len, path, parent->err, parent->errlen)) == 0) {
        struct yctx c = *parent;
        c.doc = &doc;
        c.file = path;
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root && root->type == YAML_MAPPING_NODE)
            rc = ymap_each(&c, root, "environment file", env_file_pair, env);
        else if (root && !ynode_is_null(root))
            rc = yfail(&c, root, "expected a mapping with an \"environment\" key");
        yaml_document_delete(&doc);
    }
    free(text);
    free(path);
    return rc;
}

/* --- one function ------------------------------------------------------ */

struct fn_parse {
    struct stack_fn *fn;
    struct strlist env_files;
    const yaml_node_t *env_files_at;
    char what[128];
};

static const struct {
    const char *key;
    size_t offset;
} STRING_FIELDS[] = {
    { "lang", offsetof(struct stack_fn, lang) },
    { "handler", offsetof(struct stack_fn, handler) },
    { "image", offsetof(struct stack_fn, image) },
    { "fprocess", offsetof(struct stack_fn, fprocess) },
    { "namespace", offsetof(struct stack_fn, namespace) },
};

static int resource_pair(struct yctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    struct resources *r = arg;
    if (strcmp(key, "memory") == 0)
        return yscalar(c, v, "memory", &r->memory);
    if (strcmp(key, "cpu") == 0)
        return yscalar(c, v, "cpu", &r->cpu);
    ywarn(c, k, "unknown resource \"%s\" (memory and cpu are used)", key);
    return 0;
}

static int resources(struct yctx *c, yaml_node_t *v, const char *what, struct resources *r)
{
    if (ynode_is_null(v))
        return 0;
    if (v->type != YAML_MAPPING_NODE)
        return yfail(c, v, "%s: expected a mapping with memory and cpu", what);
    return ymap_each(c, v, what, resource_pair, r);
}

static int fn_pair(struct yctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    struct fn_parse *p = arg;
    struct stack_fn *fn = p->fn;
    char what[192];
    snprintf(what, sizeof what, "%s.%s", p->what, key);
    for (size_t i = 0; i < sizeof STRING_FIELDS / sizeof *STRING_FIELDS; i++)
        if (strcmp(key, STRING_FIELDS[i].key) == 0)
            return ynode_is_null(v)
                       ? 0
                       : yscalar(c, v, what, (char **)((char *)fn + STRING_FIELDS[i].offset));
    if (strcmp(key, "environment") == 0)
        return ykvmap(c, v, what, &fn->environment);
    if (strcmp(key, "labels") == 0)
        return ykvmap(c, v, what, &fn->labels);
    if (strcmp(key, "annotations") == 0)
        return ykvmap(c, v, what, &fn->annotations);
    if (strcmp(key, "secrets") == 0)
        return ystrlist(c, v, what, &fn->secrets);
    if (strcmp(key, "constraints") == 0)
        return ystrlist(c, v, what, &fn->constraints);
    if (strcmp(key, "environment_file") == 0) {
        p->env_files_at = k;
        return ystrlist(c, v, what, &p->env_files);
    }
    if (strcmp(key, "limits") == 0)
        return resources(c, v, what, &fn->limits);
    if (strcmp(key, "requests") == 0)
        return resources(c, v, what, &fn->requests);
    if (strcmp(key, "readonly_root_filesystem") == 0)
        return ynode_is_null(v) ? 0 : ybool(c, v, what, &fn->readonly_root_filesystem);
    if (!in_list(BUILD_KEYS, key))
        ywarn(c, k, "unknown key \"%s\" in function \"%s\"", key, fn->name);
    return 0;
}

static int parse_fn(struct yctx *c, const char *name, yaml_node_t *k, yaml_node_t *v,
                    struct stack_fn *fn)
{
    memset(fn, 0, sizeof *fn);
    fn->name = xstrdup(name);
    fn->file = xstrdup(c->file);
    fn->dir = xstrdup(c->dir);
    fn->line = ynode_line(k);
    if (!valid_name(name))
        return yfail(c, k,
                     "function name \"%s\": use lowercase letters, digits and '-' "
                     "(at most 63, not starting or ending with '-')",
                     name);
    if (v->type != YAML_MAPPING_NODE)
        return yfail(c, v, "function \"%s\": expected a mapping of its settings", name);
    struct fn_parse p = { .fn = fn };
    snprintf(p.what, sizeof p.what, "functions.%s", name);
    int rc = ymap_each(c, v, p.what, fn_pair, &p);
    /* Files override the inline environment, later files earlier ones. */
    for (size_t i = 0; rc == 0 && i < p.env_files.n; i++)
        rc = load_env_file(c, p.env_files_at, p.env_files.items[i], &fn->environment);
    strlist_free(&p.env_files);
    return rc;
}

static void add_fn(struct stack *s, struct stack_fn *fn)
{
    for (size_t i = 0; i < s->nfns; i++)
        if (strcmp(s->fns[i].name, fn->name) == 0) {
            stack_fn_free(&s->fns[i]);
            s->fns[i] = *fn;
            return;
        }
    s->fns = xrealloc(s->fns, (s->nfns + 1) * sizeof *s->fns);
    s->fns[s->nfns++] = *fn;
}

static int functions_pair(struct yctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
                          void *arg)
{
    struct stack_fn fn;
    if (parse_fn(c, key, k, v, &fn) != 0) {
        stack_fn_free(&fn);
        return -1;
    }
    add_fn(arg, &fn);
    return 0;
}

/* --- provider and configuration ---------------------------------------- */

static int provider_pair(struct yctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    struct stack *s = arg;
    if (strcmp(key, "name") == 0) {
        if (yscalar(c, v, "provider.name", &s->provider_name) != 0)
            return -1;
        if (strcmp(s->provider_name, "openfaas") != 0 && strcmp(s->provider_name, "faas") != 0)
            return yfail(c, v, "provider.name: \"openfaas\" is the only provider, got \"%s\"",
                         s->provider_name);
        return 0;
    }
    if (strcmp(key, "gateway") == 0)
        return yscalar(c, v, "provider.gateway", &s->gateway);
    if (strcmp(key, "network") != 0)
        ywarn(c, k, "unknown key \"%s\" in provider", key);
    return 0;
}

static int template_pair(struct yctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    char **name = arg;
    if (strcmp(key, "name") == 0)
        return yscalar(c, v, "configuration.templates[].name", name);
    if (strcmp(key, "source") != 0 && strcmp(key, "path") != 0)
        ywarn(c, k, "unknown key \"%s\" in a template", key);
    return 0;
}

static int templates(struct yctx *c, yaml_node_t *v, struct stack *s)
{
    if (ynode_is_null(v))
        return 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return yfail(c, v, "configuration.templates: expected a list of {name, source}");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *t = yaml_document_get_node(c->doc, *it);
        if (t->type != YAML_MAPPING_NODE)
            return yfail(c, t, "configuration.templates: expected {name, source}");
        char *name = NULL;
        int rc = ymap_each(c, t, "configuration.templates[]", template_pair, &name);
        if (rc == 0 && !name)
            rc = yfail(c, t, "configuration.templates: a template needs a name");
        if (rc == 0)
            strlist_add(&s->templates, name);
        free(name);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int configuration_pair(struct yctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
                              void *arg)
{
    if (strcmp(key, "templates") == 0)
        return templates(c, v, arg);
    if (strcmp(key, "copy") == 0) {
        struct strlist ignored = { 0 };
        int rc = ystrlist(c, v, "configuration.copy", &ignored);
        strlist_free(&ignored);
        return rc;
    }
    ywarn(c, k, "unknown key \"%s\" in configuration", key);
    return 0;
}

static int mapping_of(struct yctx *c, yaml_node_t *v, const char *what, ypair_fn each, void *arg)
{
    if (ynode_is_null(v))
        return 0;
    if (v->type != YAML_MAPPING_NODE)
        return yfail(c, v, "%s: expected a mapping", what);
    return ymap_each(c, v, what, each, arg);
}

static int top_pair(struct yctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    struct stack *s = arg;
    if (strcmp(key, "version") == 0)
        return yscalar(c, v, "version", &s->version);
    if (strcmp(key, "provider") == 0)
        return mapping_of(c, v, "provider", provider_pair, s);
    if (strcmp(key, "functions") == 0)
        return mapping_of(c, v, "functions", functions_pair, s);
    if (strcmp(key, "configuration") == 0)
        return mapping_of(c, v, "configuration", configuration_pair, s);
    ywarn(c, k, "unknown top-level key \"%s\"", key);
    return 0;
}

/* --- loading ----------------------------------------------------------- */

static void take(char **dst, char **src)
{
    if (*src) {
        free(*dst);
        *dst = *src;
        *src = NULL;
    }
}

/* Moves what `add` holds into s, the later file winning. */
static void merge(struct stack *s, struct stack *add)
{
    take(&s->version, &add->version);
    take(&s->provider_name, &add->provider_name);
    take(&s->gateway, &add->gateway);
    for (size_t i = 0; i < add->nfns; i++)
        add_fn(s, &add->fns[i]);
    add->nfns = 0;
    for (size_t i = 0; i < add->templates.n; i++)
        strlist_add(&s->templates, add->templates.items[i]);
    stack_free(add);
}

int stack_load_text(struct stack *s, const char *text, size_t len, const char *name,
                    const char *dir, const struct stack_opts *o, char *err, size_t errlen)
{
    yaml_document_t doc;
    if (load_doc(&doc, text, len, name, err, errlen) != 0)
        return -1;
    struct yctx c = { &doc, name, dir, o, err, errlen };
    struct stack add = { 0 };
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc;
    if (!root || ynode_is_null(root))
        rc = yfail(&c, NULL, "the stack file is empty");
    else if (root->type != YAML_MAPPING_NODE)
        rc = yfail(&c, root, "expected a mapping with version, provider and functions");
    else
        rc = ymap_each(&c, root, "stack", top_pair, &add);
    yaml_document_delete(&doc);
    if (rc != 0) {
        stack_free(&add);
        return -1;
    }
    merge(s, &add);
    return 0;
}

int stack_load(struct stack *s, const char *path, const struct stack_opts *o, char *err,
               size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    if (read_all(path, &text, &len, err, errlen) != 0)
        return -1;
    char *copy = xstrdup(path);
    int rc = stack_load_text(s, text, len, path, dirname(copy), o, err, errlen);
    free(copy);
    free(text);
    return rc;
}
