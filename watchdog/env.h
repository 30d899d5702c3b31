/* env.h -- the environment a function process gets for one request:
 * the watchdog's own environment plus OpenFaaS's Http_* variables. */
#ifndef WD_ENV_H
#define WD_ENV_H

#include <stdint.h>

struct httpd_req;

/* Builds a NULL-terminated "NAME=value" array: every variable of `base`
 * (NULL-terminated; typically environ), then Http_<Header> for each
 * request header (names canonical, '-' as '_', first value wins),
 * Http_Method, Http_Path, Http_Query (when there is one), Http_Host, and,
 * when body_len >= 0, Http_Content_Length and Http_ContentLength.
 * Free with wd_env_free. */
char **wd_env_build(char *const *base, const struct httpd_req *req, int64_t body_len);
void wd_env_free(char **env);

/* Canonical MIME header form, as Go spells it: "content-type" ->
 * "Content-Type". Writes into out (at most outlen bytes with NUL). */
void wd_canonical_header(const char *name, char *out, unsigned long outlen);

#endif
