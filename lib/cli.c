/* cli.c -- the daemons' shared command line. */
#include "cli.h"

#include <string.h>

int cli_parse(int argc, char **argv, const char *name, void (*usage)(FILE *out), struct cli *out)
{
    out->file = NULL;
    out->print_config = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            out->file = argv[++i];
        } else if (strcmp(argv[i], "--print-config") == 0) {
            out->print_config = true;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("%s %s\n", name, FAASBUS_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "%s: unknown argument %s (try --help)\n", name, argv[i]);
            return 2;
        }
    }
    return -1;
}
