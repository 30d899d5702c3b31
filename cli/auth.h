/* auth.h -- saved logins, in faas-cli's config.yml format:
 *
 *   authconfigs:
 *   - gateway: http://127.0.0.1:8080
 *     auth: basic
 *     token: base64(user:password)
 *
 * Ours is $FAASBUS_CONFIG/config.yml (default ~/.faasbus), written with
 * mode 0600; faas-cli's $OPENFAAS_CONFIG/config.yml (default ~/.openfaas)
 * is read when ours has no entry for the gateway. */
#ifndef CLI_AUTH_H
#define CLI_AUTH_H

#include <stddef.h>

/* The path of our file (caller frees). */
char *auth_path(void);
/* Finds credentials for gateway; returns 0 and sets *user and *password
 * (caller frees), or -1 when no file holds them. */
int auth_lookup(const char *gateway, char **user, char **password);
int auth_save(const char *gateway, const char *user, const char *password, char *err,
              size_t errlen);
/* Returns 0 when removed, 1 when there was no entry, -1 on error. */
int auth_remove(const char *gateway, char *err, size_t errlen);

#endif
