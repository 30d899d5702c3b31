/* cli.h -- the command line the faasbus daemons share:
 *   NAME [-c FILE] [--print-config] [--version] [--help]
 * (their settings come from FILE and the environment, not from flags). */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdio.h>

#ifndef FAASBUS_VERSION
#define FAASBUS_VERSION "0.1.0"
#endif

struct cli {
    const char *file;  /* -c FILE, or NULL */
    bool print_config; /* --print-config */
};

/* Parses argv into *out. Returns -1 to go on, or the exit code once
 * --version or --help was answered (0) or an argument was refused (2,
 * with a message on stderr naming `name`). */
int cli_parse(int argc, char **argv, const char *name, void (*usage)(FILE *out), struct cli *out);

#endif
