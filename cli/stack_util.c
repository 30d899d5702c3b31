/* stack_util.c -- the small containers of a parsed stack file. */
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "xalloc.h"

const char *kvlist_get(const struct kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return l->items[i].value;
    return NULL;
}

void kvlist_set(struct kvlist *l, const char *key, const char *value)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].key, key) == 0) {
            free(l->items[i].value);
            l->items[i].value = xstrdup(value);
            return;
        }
    l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
    l->items[l->n].key = xstrdup(key);
    l->items[l->n].value = xstrdup(value);
    l->n++;
}

void kvlist_free(struct kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void strlist_add(struct strlist *l, const char *s)
{
    l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
    l->items[l->n++] = xstrdup(s);
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void stack_fn_free(struct stack_fn *f)
{
    free(f->name);
    free(f->lang);
    free(f->handler);
    free(f->image);
    free(f->fprocess);
    free(f->namespace);
    kvlist_free(&f->environment);
    kvlist_free(&f->labels);
    kvlist_free(&f->annotations);
    strlist_free(&f->secrets);
    strlist_free(&f->constraints);
    free(f->limits.memory);
    free(f->limits.cpu);
    free(f->requests.memory);
    free(f->requests.cpu);
    free(f->file);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

void stack_free(struct stack *s)
{
    for (size_t i = 0; i < s->nfns; i++)
        stack_fn_free(&s->fns[i]);
    free(s->fns);
    free(s->version);
    free(s->provider_name);
    free(s->gateway);
    strlist_free(&s->templates);
    memset(s, 0, sizeof *s);
}

const struct stack_fn *stack_find(const struct stack *s, const char *name)
{
    for (size_t i = 0; i < s->nfns; i++)
        if (strcmp(s->fns[i].name, name) == 0)
            return &s->fns[i];
    return NULL;
}
