/* auth.c -- reading and writing config.yml logins. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "base64.h"
#include "xalloc.h"

struct entry {
    char *gateway, *auth, *token;
};

struct entries {
    struct entry *e;
    size_t n;
};

static char *config_dir(const char *env, const char *home_sub)
{
    const char *dir = getenv(env);
    if (dir && *dir)
        return xstrdup(dir);
    const char *home = getenv("HOME");
    return xasprintf("%s/%s", home && *home ? home : ".", home_sub);
}

char *auth_path(void)
{
    char *dir = config_dir("FAASBUS_CONFIG", ".faasbus");
    char *p = xasprintf("%s/config.yml", dir);
    free(dir);
    return p;
}

static char *faas_cli_path(void)
{
    char *dir = config_dir("OPENFAAS_CONFIG", ".openfaas");
    char *p = xasprintf("%s/config.yml", dir);
    free(dir);
    return p;
}

static bool same_gateway(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la && a[la - 1] == '/')
        la--;
    while (lb && b[lb - 1] == '/')
        lb--;
    return la == lb && strncmp(a, b, la) == 0;
}

static const char *text_of(yaml_document_t *d, int id)
{
    yaml_node_t *n = yaml_document_get_node(d, id);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void read_entry(yaml_document_t *d, yaml_node_t *m, struct entries *out)
{
    struct entry e = { 0 };
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = text_of(d, p->key), *v = text_of(d, p->value);
        if (!k || !v)
            continue;
        char **slot = strcmp(k, "gateway") == 0 ? &e.gateway
                      : strcmp(k, "auth") == 0  ? &e.auth
                      : strcmp(k, "token") == 0 ? &e.token
                                                : NULL;
        if (slot && !*slot)
            *slot = xstrdup(v);
    }
    if (!e.gateway) {
        free(e.auth);
        free(e.token);
        return;
    }
    out->e = xrealloc(out->e, (out->n + 1) * sizeof *out->e);
    out->e[out->n++] = e;
}

/* Reads a config.yml; a missing or unreadable file is no entries. */
static void read_entries(const char *path, struct entries *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    yaml_parser_t p;
    yaml_document_t d;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    if (yaml_parser_load(&p, &d)) {
        yaml_node_t *root = yaml_document_get_root_node(&d);
        for (yaml_node_pair_t *q =
                 root && root->type == YAML_MAPPING_NODE ? root->data.mapping.pairs.start : NULL;
             q && q < root->data.mapping.pairs.top; q++) {
            const char *k = text_of(&d, q->key);
            yaml_node_t *list = yaml_document_get_node(&d, q->value);
            if (!k || strcmp(k, "authconfigs") != 0 || list->type != YAML_SEQUENCE_NODE)
                continue;
            for (yaml_node_item_t *it = list->data.sequence.items.start;
                 it < list->data.sequence.items.top; it++) {
                yaml_node_t *m = yaml_document_get_node(&d, *it);
                if (m->type == YAML_MAPPING_NODE)
                    read_entry(&d, m, out);
            }
        }
        yaml_document_delete(&d);
    }
    yaml_parser_delete(&p);
    fclose(f);
}

static void free_entries(struct entries *es)
{
    for (size_t i = 0; i < es->n; i++) {
        free(es->e[i].gateway);
        free(es->e[i].auth);
        free(es->e[i].token);
    }
    free(es->e);
    es->e = NULL;
    es->n = 0;
}

static int decode_token(const char *token, char **user, char **password)
{
    size_t len = 0, bad = 0;
    unsigned char *raw = base64_decode(token, strlen(token), &len, &bad);
    char *colon = raw ? memchr(raw, ':', len) : NULL;
    if (!colon) {
        free(raw);
        return -1;
    }
    *user = xstrndup((char *)raw, (size_t)(colon - (char *)raw));
    *password = xstrdup(colon + 1);
    free(raw);
    return 0;
}

static int lookup_in(const char *path, const char *gateway, char **user, char **password)
{
    struct entries es = { 0 };
    read_entries(path, &es);
    int rc = -1;
    for (size_t i = 0; i < es.n && rc != 0; i++)
        if (same_gateway(es.e[i].gateway, gateway) && es.e[i].token &&
            (!es.e[i].auth || strcmp(es.e[i].auth, "basic") == 0))
            rc = decode_token(es.e[i].token, user, password);
    free_entries(&es);
    return rc;
}

int auth_lookup(const char *gateway, char **user, char **password)
{
    char *ours = auth_path(), *theirs = faas_cli_path();
    int rc = lookup_in(ours, gateway, user, password);
    if (rc != 0)
        rc = lookup_in(theirs, gateway, user, password);
    free(ours);
    free(theirs);
    return rc;
}

/* A double-quoted YAML scalar: gateways and tokens need no more. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Writes next to the file and renames over it, so a crash leaves the old
 * file or the new one, never half of one; 0600 from the start. */
static int write_entries(const char *path, const struct entries *es, char *err, size_t errlen)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (slash && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    free(dir);
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(tmp);
        return -1;
    }
    fputs("authconfigs:\n", f);
    for (size_t i = 0; i < es->n; i++) {
        fputs("- gateway: ", f);
        put_quoted(f, es->e[i].gateway);
        fputs("\n  auth: ", f);
        put_quoted(f, es->e[i].auth ? es->e[i].auth : "basic");
        fputs("\n  token: ", f);
        put_quoted(f, es->e[i].token ? es->e[i].token : "");
        fputc('\n', f);
    }
    int bad = fflush(f) != 0 || fsync(fd) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int auth_save(const char *gateway, const char *user, const char *password, char *err, size_t errlen)
{
    char *path = auth_path();
    struct entries es = { 0 };
    read_entries(path, &es);
    char *pair = xasprintf("%s:%s", user, password);
    char *token = base64_encode((const unsigned char *)pair, strlen(pair));
    free(pair);
    size_t i = 0;
    while (i < es.n && !same_gateway(es.e[i].gateway, gateway))
        i++;
    if (i == es.n) {
        es.e = xrealloc(es.e, (es.n + 1) * sizeof *es.e);
        es.e[es.n++] = (struct entry){ xstrdup(gateway), NULL, NULL };
    }
    free(es.e[i].auth);
    free(es.e[i].token);
    es.e[i].auth = xstrdup("basic");
    es.e[i].token = token;
    int rc = write_entries(path, &es, err, errlen);
    free_entries(&es);
    free(path);
    return rc;
}

int auth_remove(const char *gateway, char *err, size_t errlen)
{
    char *path = auth_path();
    struct entries es = { 0 }, kept = { 0 };
    read_entries(path, &es);
    kept.e = xcalloc(es.n + 1, sizeof *kept.e);
    for (size_t i = 0; i < es.n; i++)
        if (!same_gateway(es.e[i].gateway, gateway))
            kept.e[kept.n++] = (struct entry){ xstrdup(es.e[i].gateway),
                                               es.e[i].auth ? xstrdup(es.e[i].auth) : NULL,
                                               es.e[i].token ? xstrdup(es.e[i].token) : NULL };
    int rc = kept.n == es.n ? 1 : write_entries(path, &kept, err, errlen);
    free_entries(&kept);
    free_entries(&es);
    free(path);
    return rc;
}
