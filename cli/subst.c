/* subst.c -- ${VAR} expansion of stack-file values. */
#include "subst.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#define SUBST_MAX (1 << 20)

static bool name_char(char c, bool first)
{
    return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

/* Expands the ${...} that starts at in (just past "${"); returns the
 * length consumed up to and including '}', or 0 on error. */
static size_t expand_one(const char *in, subst_lookup lookup, struct buf *out, char *err,
                         size_t errlen)
{
    size_t n = 0;
    while (in[n] && name_char(in[n], n == 0))
        n++;
    if (n == 0) {
        snprintf(err, errlen, "\"${\" must be followed by a variable name");
        return 0;
    }
    const char *close = strchr(in + n, '}');
    if (!close) {
        snprintf(err, errlen, "\"${%.*s\" is not closed with \"}\"", (int)n, in);
        return 0;
    }
    char *name = xstrndup(in, n);
    const char *value = lookup(name);
    free(name);
    const char *rest = in + n;
    bool or_empty = strncmp(rest, ":-", 2) == 0;
    if (or_empty || *rest == '-') {
        const char *def = rest + (or_empty ? 2 : 1);
        if (!value || (or_empty && !*value)) {
            buf_append(out, def, (size_t)(close - def));
            return (size_t)(close - in) + 1;
        }
    } else if (rest != close) {
        snprintf(err, errlen, "\"${%.*s\": expected \"}\", \":-\" or \"-\" after the name",
                 (int)(close - in), in);
        return 0;
    }
    if (value)
        buf_append(out, value, strlen(value));
    return (size_t)(close - in) + 1;
}

char *subst_expand(const char *in, subst_lookup lookup, char *err, size_t errlen)
{
    struct buf out;
    buf_init(&out, SUBST_MAX);
    while (*in) {
        if (in[0] == '$' && in[1] == '$') {
            buf_append(&out, "$", 1);
            in += 2;
        } else if (in[0] == '$' && in[1] == '{') {
            size_t used = expand_one(in + 2, lookup, &out, err, errlen);
            if (used == 0) {
                buf_cleanup(&out);
                return NULL;
            }
            in += 2 + used;
        } else {
            buf_append(&out, in, 1);
            in++;
        }
    }
    char *s = buf_cstr(&out);
    char *copy = xstrdup(s ? s : "");
    buf_cleanup(&out);
    return copy;
}
