/* main.c -- faasbus, the command-line client: picks the verb, parses its
 * options, settles the gateway and runs it. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fb.h"

static int run_verb(const struct verb *v, int argc, char **argv)
{
    struct ctx c = { .verb = v };
    int rc = 1;
    if (args_parse(&c.a, v, argc, argv) != 0)
        goto out;
    if (args_has(&c.a, "help")) {
        verb_help(v, stdout);
        rc = 0;
        goto out;
    }
    if (c.a.npos < v->min_pos || (v->max_pos >= 0 && c.a.npos > v->max_pos)) {
        fprintf(stderr, "Usage: faasbus %s %s\n(try faasbus %s --help)\n", v->name, v->usage,
                v->name);
        goto out;
    }
    const char *output = args_get(&c.a, "output");
    if (output && strcmp(output, "json") != 0 && strcmp(output, "table") != 0) {
        rc = fb_error("--output: \"json\" or \"table\", not \"%s\"", output);
        goto out;
    }
    c.json = output && strcmp(output, "json") == 0;
    c.tty = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    /* -f for a verb that reads only the gateway from it (list, invoke...). */
    if (args_has(&c.a, "yaml") && fb_load_stack(&c, true) != 0)
        goto out;
    rc = v->run(&c);
out:
    args_free(&c.a);
    stack_free(&c.stack);
    free(c.gateway);
    free(c.user);
    free(c.password);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc >= 3 && verb_find(argv[2])) {
            verb_help(verb_find(argv[2]), stdout);
            return 0;
        }
        main_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("faasbus %s\n", FAASBUS_VERSION);
        return 0;
    }
    const struct verb *v = verb_find(argv[1]);
    if (!v) {
        fprintf(stderr, "faasbus: unknown verb \"%s\" (try faasbus --help)\n", argv[1]);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run_verb(v, argc - 2, argv + 2);
    curl_global_cleanup();
    return rc;
}
