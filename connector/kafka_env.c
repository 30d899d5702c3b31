/* kafka_env.c -- KAFKA_<PROPERTY> environment variables (kafka_env.h). */
#include "kafka_env.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "xalloc.h"

#define PREFIX "KAFKA_"
#define FILE_SUFFIX "_FILE"
#define VALUE_MAX (64 * 1024) /* a PEM bundle fits; a wrong path does not flood */

extern char **environ;

/* The file's content without its final line end; NULL with err. */
static char *read_value(const char *var, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *buf;
    size_t n;

    if (!f) {
        snprintf(err, errlen, "%s=%s (environment): cannot read it: %s", var, path,
                 strerror(errno));
        return NULL;
    }
    buf = xmalloc(VALUE_MAX + 1);
    n = fread(buf, 1, VALUE_MAX + 1, f);
    fclose(f);
    if (n > VALUE_MAX) {
        snprintf(err, errlen, "%s=%s (environment): larger than %d bytes", var, path, VALUE_MAX);
        free(buf);
        return NULL;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return buf;
}

static void add(struct cn_kprops *props, const char *name, size_t len, char *value, const char *var)
{
    char *lower = xmalloc(len + 1);

    for (size_t i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    lower[len] = '\0';
    props->v = xrealloc(props->v, (props->n + 1) * sizeof *props->v);
    /* line 0: kconf.c names the variable, not a file line */
    props->v[props->n++] = (struct cn_kprop){ lower, value, xasprintf("%s (environment)", var), 0 };
}

int cn_kafka_env(struct cn_kprops *props, char *err, size_t errlen)
{
    size_t plen = strlen(PREFIX), slen = strlen(FILE_SUFFIX);

    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || strncmp(*e, PREFIX, plen) != 0 || eq - *e <= (ptrdiff_t)plen)
            continue;
        char *var = xstrndup(*e, (size_t)(eq - *e));
        const char *name = var + plen;
        size_t len = strlen(name);
        char *value;
        if (len > slen && strcmp(name + len - slen, FILE_SUFFIX) == 0) {
            len -= slen;
            value = read_value(var, eq + 1, err, errlen);
            if (!value) {
                free(var);
                return -1;
            }
        } else {
            value = xstrdup(eq + 1);
        }
        add(props, name, len, value, var);
        free(var);
    }
    return 0;
}
