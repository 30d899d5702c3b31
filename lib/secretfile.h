/* secretfile.h -- credentials kept in files, as OpenFaaS mounts them
 * (e.g. /var/openfaas/secrets/basic-auth-user). */
#ifndef SECRETFILE_H
#define SECRETFILE_H

/* The first line of dir/name without its line end (caller frees), or
 * NULL if the file cannot be read. */
char *secretfile_read(const char *dir, const char *name);

#endif
