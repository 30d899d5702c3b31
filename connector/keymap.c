/* keymap.c -- chained hashing (FNV-1a), doubling past a load of 3/4. */
#include "keymap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct entry {
    struct entry *next;
    uint64_t hash;
    void *value;
    size_t len;
    unsigned char key[]; /* len bytes */
};

struct keymap {
    struct entry **slots;
    size_t nslots; /* a power of two */
    size_t count;
};

#define FIRST_SLOTS 16

static uint64_t hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = UINT64_C(14695981039346656037);

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

struct keymap *keymap_new(void)
{
    struct keymap *m = xcalloc(1, sizeof *m);

    m->nslots = FIRST_SLOTS;
    m->slots = xcalloc(m->nslots, sizeof(struct entry *));
    return m;
}

void keymap_free(struct keymap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nslots; i++) {
        for (struct entry *e = m->slots[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(m->slots);
    free(m);
}

static struct entry **find(const struct keymap *m, const void *key, size_t len, uint64_t hash)
{
    struct entry **at = &m->slots[hash & (m->nslots - 1)];

    for (; *at; at = &(*at)->next) {
        const struct entry *e = *at;
        if (e->hash == hash && e->len == len && memcmp(e->key, key, len) == 0)
            break;
    }
    return at;
}

void *keymap_get(const struct keymap *m, const void *key, size_t len)
{
    struct entry **at = find(m, key, len, hash_bytes(key, len));

    return *at ? (*at)->value : NULL;
}

static void grow(struct keymap *m)
{
    size_t n = m->nslots * 2;
    struct entry **slots = xcalloc(n, sizeof(struct entry *));

    for (size_t i = 0; i < m->nslots; i++) {
        for (struct entry *e = m->slots[i], *next; e; e = next) {
            next = e->next;
            e->next = slots[e->hash & (n - 1)];
            slots[e->hash & (n - 1)] = e;
        }
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = n;
}

void keymap_put(struct keymap *m, const void *key, size_t len, void *value)
{
    uint64_t hash = hash_bytes(key, len);
    struct entry **at = find(m, key, len, hash);

    if (*at) {
        (*at)->value = value;
        return;
    }
    struct entry *e = xmalloc(sizeof *e + len);
    e->next = NULL;
    e->hash = hash;
    e->value = value;
    e->len = len;
    if (len)
        memcpy(e->key, key, len);
    *at = e;
    if (++m->count > m->nslots / 4 * 3)
        grow(m);
}

void *keymap_del(struct keymap *m, const void *key, size_t len)
{
    struct entry **at = find(m, key, len, hash_bytes(key, len));
    struct entry *e = *at;
    void *value;

    if (!e)
        return NULL;
    *at = e->next;
    value = e->value;
    free(e);
    m->count--;
    return value;
}

size_t keymap_count(const struct keymap *m)
{
    return m->count;
}

void keymap_each(const struct keymap *m,
                 void (*fn)(void *arg, const void *key, size_t len, void *value), void *arg)
{
    for (size_t i = 0; i < m->nslots; i++) {
        for (const struct entry *e = m->slots[i]; e; e = e->next)
            fn(arg, e->key, e->len, e->value);
    }
}

void **keymap_values(const struct keymap *m)
{
    void **all = xcalloc(keymap_count(m) + 1, sizeof *all), **next = all;

    for (size_t i = 0; i < m->nslots; i++) {
        for (const struct entry *e = m->slots[i]; e; e = e->next)
            *next++ = e->value;
    }
    return all;
}
