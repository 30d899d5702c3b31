/* args.h -- the CLI's verbs and their options, described once as tables:
 * the parser, --help, the shell completions and the man page all read
 * the same tables, so they cannot drift apart. */
#ifndef CLI_ARGS_H
#define CLI_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "stack.h"

enum opt_kind {
    OPT_FLAG,  /* --async */
    OPT_VALUE, /* --gateway URL (the last one given wins) */
    OPT_LIST,  /* --env K=V, repeatable */
};

struct opt {
    const char *name; /* long name, without "--" */
    char shrt;        /* one-letter alias, or 0 */
    enum opt_kind kind;
    const char *meta; /* what the value is, for --help: "URL" */
    const char *help;
};

/* clang-format off */
#define OPT_END { NULL, 0, OPT_FLAG, NULL, NULL }
/* clang-format on */
#define ARGS_MAX_OPTS 48

/* A flag's values are "true" or "false"; a value option's what was given. */
struct args {
    const struct opt *opts[ARGS_MAX_OPTS]; /* the verb's, then the common ones */
    struct strlist values[ARGS_MAX_OPTS];  /* per option */
    int nopts;
    char **pos; /* positional arguments, borrowed from argv */
    int npos;
};

struct ctx;

struct verb {
    const char *name;
    const char *alias;   /* faas-cli's other name ("ls", "rm"), or NULL */
    const char *usage;   /* "NAME [--replicas N]" */
    const char *summary; /* one line */
    const struct opt *opts;
    int (*run)(struct ctx *c);
    int min_pos, max_pos; /* positional arguments accepted; max -1: any */
};

/* Options every verb takes (--gateway, --output, --help, ...). */
extern const struct opt COMMON_OPTS[];
/* Every verb, ending with an entry whose name is NULL. */
extern const struct verb VERBS[];

const struct verb *verb_find(const char *name);

/* Parses argv (after the verb) into *a. Returns 0, or -1 with a message
 * on stderr for an unknown option or a missing value. */
int args_parse(struct args *a, const struct verb *v, int argc, char **argv);
void args_free(struct args *a);

/* Whether the option was given; a flag given as --flag=false was not. */
bool args_has(const struct args *a, const char *name);
/* A flag's value, `def` when it was not given (--update defaults true). */
bool args_flag(const struct args *a, const char *name, bool def);
/* The last value given, or NULL. */
const char *args_get(const struct args *a, const char *name);
const struct strlist *args_list(const struct args *a, const char *name);

void verb_help(const struct verb *v, FILE *out);
void main_help(FILE *out);

#endif
