/* subst.h -- ${VAR} and ${VAR:-default} in stack-file values, as faas-cli
 * expands them: an unset variable becomes "" unless a default is given. */
#ifndef CLI_SUBST_H
#define CLI_SUBST_H

#include <stddef.h>

/* Looks a name up; returns NULL when unset. getenv() fits. */
typedef const char *(*subst_lookup)(const char *name);

/* Returns a new string with every ${...} replaced (caller frees), or NULL
 * with a message in err for an unclosed "${" or a bad variable name.
 * ${VAR:-def} uses def when VAR is unset or empty, ${VAR-def} only when
 * it is unset; "$$" is a literal "$"; any other "$" stays as it is. */
char *subst_expand(const char *in, subst_lookup lookup, char *err, size_t errlen);

#endif
