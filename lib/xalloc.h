/* xalloc.h -- allocation that never returns NULL.
 *
 * Small fixed-size objects come from these: running out of memory logs
 * and aborts (the supervisor restarts us). Anything sized by a request or
 * a message must pass a hard limit first (see buf.h). */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a new string formatted like printf; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Returns the given strings joined, up to a NULL; caller frees. For the
 * per-call paths, where printf's format parsing shows in the profile. */
char *xconcat(const char *first, ...) __attribute__((sentinel));

/* Frees and clears the pointer, so a second XFREE is harmless. */
#define XFREE(p)    \
    do {            \
        free(p);    \
        (p) = NULL; \
    } while (0)

#endif
