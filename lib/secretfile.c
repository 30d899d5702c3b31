/* secretfile.c -- reading a credential file. */
#include "secretfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *secretfile_read(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return NULL;
    char line[512];
    char *out = fgets(line, sizeof line, f) ? xstrdup(line) : NULL;
    fclose(f);
    if (out)
        out[strcspn(out, "\r\n")] = '\0';
    return out;
}
