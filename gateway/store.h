/* store.h -- what the gateway keeps on disk under state_dir: each
 * function's deployment, scale and creation time, and the secrets. */
#ifndef GW_STORE_H
#define GW_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct gw;
struct gw_fn;

/* Writes fn's deployment, scale and creation time (atomically). */
int gw_store_save(struct gw *gw, const struct gw_fn *fn);
void gw_store_delete(struct gw *gw, const char *name, const char *ns);
/* Recreates every saved function (without starting replicas). */
int gw_store_load(struct gw *gw, char *err, size_t errlen);
/* Secrets: <state_dir>/secrets/<ns>/<name>, mode 0600. */
int gw_secret_write(struct gw *gw, const char *name, const char *ns, const unsigned char *value,
                    size_t len, char *err, size_t errlen);
int gw_secret_remove(struct gw *gw, const char *name, const char *ns);
bool gw_secret_exists(struct gw *gw, const char *name, const char *ns);
/* The secret names of a namespace, as a JSON array of {"name","namespace"}. */
json_t *gw_secret_list(struct gw *gw, const char *ns);
/* Path of a secret file (caller frees). */
char *gw_secret_path(const struct gw *gw, const char *name, const char *ns);
/* Writes `len` bytes to path atomically (temp file, fsync, rename). */
int gw_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p with `mode` for each created part. */
int gw_mkdirs(const char *path, mode_t mode);

#endif
