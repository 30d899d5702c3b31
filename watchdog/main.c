/* main.c -- faasbus-watchdog: the per-replica HTTP front of a function.
 * Parses arguments, loads settings, and runs the watchdog (serve.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "wd.h"

#ifndef FAASBUS_VERSION
#define FAASBUS_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fprintf(out, "Usage: faasbus-watchdog [-c FILE] [--print-config] [-run-healthcheck]\n"
                 "                        [--version] [--help]\n\n"
                 "Runs a function behind HTTP, as OpenFaaS's watchdogs do: a process per\n"
                 "request (mode classic, serializing, streaming), a long-running HTTP server\n"
                 "it proxies to (mode http), or files (mode static). Settings come from the\n"
                 "environment (OpenFaaS's names), else from FILE, else the defaults below.\n\n"
                 "Options:\n"
                 "  -c FILE            read settings from a libconfig file\n"
                 "  --print-config     print the effective settings and exit\n"
                 "  -run-healthcheck   exit 0 if the lock file exists, else 1\n"
                 "  --version          print the version and exit\n"
                 "  --help             print this help and exit\n\n"
                 "Settings (file key / environment variable, default):\n");
    wd_config_help(out);
    fprintf(out, "\nEndpoints: /_/health, /_/ready, /metrics (on metrics_port); every other\n"
                 "path invokes the function.\n");
}

/* --- main --------------------------------------------------------------- */

struct args {
    const char *file;
    bool print_config, healthcheck;
};

/* Returns -1 to exit 0 (--help, --version), 1 on a usage error, else 0. */
static int parse_args(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-c") == 0 && i + 1 < argc) {
            a->file = argv[++i];
        } else if (strcmp(s, "--print-config") == 0) {
            a->print_config = true;
        } else if (strcmp(s, "-run-healthcheck") == 0 || strcmp(s, "--run-healthcheck") == 0) {
            a->healthcheck = true;
        } else if (strcmp(s, "--version") == 0 || strcmp(s, "-version") == 0) {
            printf("faasbus-watchdog %s\n", FAASBUS_VERSION);
            return -1;
        } else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            usage(stdout);
            return -1;
        } else {
            fprintf(stderr, "faasbus-watchdog: unknown argument %s (try --help)\n", s);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct args a = { 0 };
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : 2;
    static struct wd wd;
    char err[512];
    log_init("watchdog", LOGL_INFO);
    if (wd_config_load(&wd.cfg, a.file, err, sizeof err) < 0) {
        if (a.healthcheck) /* a probe needs no valid config */
            goto healthcheck;
        fprintf(stderr, "faasbus-watchdog: %s\n", err);
        wd_config_free(&wd.cfg);
        return 2;
    }
    if (a.print_config) {
        wd_config_print(&wd.cfg, stdout);
        wd_config_free(&wd.cfg);
        return 0;
    }
    if (a.healthcheck) {
    healthcheck:;
        char path[4096];
        wd_config_free(&wd.cfg);
        return access(wd_lock_path(path, sizeof path), F_OK) == 0 ? 0 : 1;
    }
    enum log_level level;
    if (log_level_parse(wd.cfg.log_level, &level) == 0)
        log_threshold = level;
    rc = wd_serve(&wd);
    wd_shutdown(&wd);
    return rc;
}
