/* args.c -- parsing argv against a verb's option table, and --help. */
#include "args.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

const struct opt COMMON_OPTS[] = {
    { "gateway", 'g', OPT_VALUE, "URL",
      "the gateway (else $OPENFAAS_URL, the stack file's provider.gateway, "
      "http://127.0.0.1:8080)" },
    { "namespace", 'n', OPT_VALUE, "NS", "the functions' namespace" },
    { "output", 'o', OPT_VALUE, "FORMAT", "\"json\" for scripts; human tables by default" },
    { "tls-no-verify", 0, OPT_FLAG, NULL, "do not verify the gateway's TLS certificate" },
    { "help", 'h', OPT_FLAG, NULL, "show this help" },
    OPT_END,
};

const struct verb *verb_find(const char *name)
{
    for (const struct verb *v = VERBS; v->name; v++)
        if (strcmp(v->name, name) == 0 || (v->alias && strcmp(v->alias, name) == 0))
            return v;
    return NULL;
}

static void add_table(struct args *a, const struct opt *t)
{
    for (; t && t->name && a->nopts < ARGS_MAX_OPTS; t++)
        a->opts[a->nopts++] = t;
}

static int find_long(const struct args *a, const char *name, size_t len)
{
    for (int i = 0; i < a->nopts; i++)
        if (strlen(a->opts[i]->name) == len && strncmp(a->opts[i]->name, name, len) == 0)
            return i;
    return -1;
}

static int find_short(const struct args *a, char c)
{
    for (int i = 0; i < a->nopts; i++)
        if (a->opts[i]->shrt == c)
            return i;
    return -1;
}

/* Takes the option's value: inline (--x=v, -xv) or the next argument. */
static int take_value(struct args *a, int idx, const char *inline_value, int *i, int argc,
                      char **argv, const char *spelled)
{
    const struct opt *o = a->opts[idx];
    if (o->kind == OPT_FLAG) {
        /* --flag, --flag=true or --flag=false, as faas-cli's flags take. */
        bool no = inline_value && strcmp(inline_value, "false") == 0;
        if (inline_value && !no && strcmp(inline_value, "true") != 0) {
            fprintf(stderr, "faasbus: %s is true or false, not \"%s\"\n", spelled, inline_value);
            return -1;
        }
        strlist_add(&a->values[idx], no ? "false" : "true");
        return 0;
    }
    if (!inline_value) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "faasbus: %s needs a value (%s)\n", spelled, o->meta);
            return -1;
        }
        inline_value = argv[++*i];
    }
    strlist_add(&a->values[idx], inline_value);
    return 0;
}

static int parse_one(struct args *a, int *i, int argc, char **argv)
{
    char *arg = argv[*i];
    int idx;
    const char *value = NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        idx = find_long(a, name, len);
        value = eq ? eq + 1 : NULL;
    } else {
        idx = find_short(a, arg[1]);
        value = arg[2] ? arg + 2 + (arg[2] == '=') : NULL;
    }
    if (idx < 0) {
        fprintf(stderr, "faasbus: unknown option %s (try --help)\n", arg);
        return -1;
    }
    return take_value(a, idx, value, i, argc, argv, arg);
}

int args_parse(struct args *a, const struct verb *v, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    add_table(a, v ? v->opts : NULL);
    add_table(a, COMMON_OPTS);
    a->pos = xcalloc((size_t)argc + 1, sizeof *a->pos);
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (!only_pos && strcmp(arg, "--") == 0) {
            only_pos = true;
        } else if (!only_pos && arg[0] == '-' && arg[1]) {
            if (parse_one(a, &i, argc, argv) != 0)
                return -1;
        } else {
            a->pos[a->npos++] = arg;
        }
    }
    return 0;
}

void args_free(struct args *a)
{
    for (int i = 0; i < a->nopts; i++)
        strlist_free(&a->values[i]);
    free(a->pos);
    memset(a, 0, sizeof *a);
}

static int index_of(const struct args *a, const char *name)
{
    return find_long(a, name, strlen(name));
}

bool args_has(const struct args *a, const char *name)
{
    int i = index_of(a, name);
    return i >= 0 && a->values[i].n > 0 &&
           strcmp(a->values[i].items[a->values[i].n - 1], "false") != 0;
}

bool args_flag(const struct args *a, const char *name, bool def)
{
    int i = index_of(a, name);
    if (i < 0 || a->values[i].n == 0)
        return def;
    return strcmp(a->values[i].items[a->values[i].n - 1], "false") != 0;
}

const char *args_get(const struct args *a, const char *name)
{
    int i = index_of(a, name);
    return i >= 0 && a->values[i].n ? a->values[i].items[a->values[i].n - 1] : NULL;
}

const struct strlist *args_list(const struct args *a, const char *name)
{
    static const struct strlist none;
    int i = index_of(a, name);
    return i >= 0 ? &a->values[i] : &none;
}

static void opt_help(const struct opt *o, FILE *out)
{
    char left[64];
    int n = o->shrt ? snprintf(left, sizeof left, "-%c, --%s", o->shrt, o->name)
                    : snprintf(left, sizeof left, "    --%s", o->name);
    if (o->kind != OPT_FLAG && n > 0 && (size_t)n < sizeof left)
        snprintf(left + n, sizeof left - (size_t)n, " %s", o->meta);
    fprintf(out, "  %-30s %s%s\n", left, o->help, o->kind == OPT_LIST ? " (repeatable)" : "");
}

void verb_help(const struct verb *v, FILE *out)
{
    fprintf(out, "Usage: faasbus %s %s\n\n%s\n", v->name, v->usage, v->summary);
    if (v->alias)
        fprintf(out, "Also: faasbus %s\n", v->alias);
    fprintf(out, "\nOptions:\n");
    for (const struct opt *o = v->opts; o && o->name; o++)
        opt_help(o, out);
    fprintf(out, "\nCommon options:\n");
    for (const struct opt *o = COMMON_OPTS; o->name; o++)
        opt_help(o, out);
}

void main_help(FILE *out)
{
    fprintf(out, "Usage: faasbus VERB [OPTIONS] [ARGS]\n\n"
                 "A client for the faasbus gateway and its event bus; it reads faas-cli's\n"
                 "stack files (stack.yml).\n\nVerbs:\n");
    for (const struct verb *v = VERBS; v->name; v++)
        fprintf(out, "  %-12s %s\n", v->name, v->summary);
    fprintf(out, "\n`faasbus VERB --help` shows a verb's options. Exit status: 0 on success, "
                 "1 on any error.\n");
}
