/* list.h -- intrusive doubly-linked lists.
 *
 * An element holds a struct list_node; its owner holds a struct list
 * (first and last). Adding and removing are O(1) and allocate nothing; an
 * element may sit in several lists through several nodes. LIST_ENTRY()
 * turns a node back into its element. A zeroed struct list is empty.
 *
 *     struct job { ...; struct list_node node; };
 *     for (struct list_node *it = jobs.first; it; it = it->next) {
 *         struct job *j = LIST_ENTRY(it, struct job, node);
 *         ...
 *     }
 *
 * The loop above may not remove `it`; take `it->next` first to do so. */
#ifndef LIST_H
#define LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
    struct list_node *prev, *next;
};

struct list {
    struct list_node *first, *last;
};

static inline void *list_entry_at(const struct list_node *n, size_t offset)
{
    return n ? (void *)((const char *)n - offset) : NULL;
}

/* The element that holds node as its `member`; NULL for a NULL node.
 * node is evaluated once (it may be list_pop_front(...)). */
#define LIST_ENTRY(node, type, member) ((type *)list_entry_at((node), offsetof(type, member)))

static inline bool list_empty(const struct list *l)
{
    return l->first == NULL;
}

static inline void list_push_back(struct list *l, struct list_node *n)
{
    n->next = NULL;
    n->prev = l->last;
    if (l->last)
        l->last->next = n;
    else
        l->first = n;
    l->last = n;
}

static inline void list_push_front(struct list *l, struct list_node *n)
{
    n->prev = NULL;
    n->next = l->first;
    if (l->first)
        l->first->prev = n;
    else
        l->last = n;
    l->first = n;
}

/* n must be in l. */
static inline void list_remove(struct list *l, struct list_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        l->first = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->last = n->prev;
    n->prev = n->next = NULL;
}

/* Removes and returns the first node, or NULL if l is empty. */
static inline struct list_node *list_pop_front(struct list *l)
{
    struct list_node *n = l->first;

    /* list_remove() spelled out for the first node: the analyzer cannot
     * know that a first node has no prev, and saw it stay first. */
    if (n) {
        l->first = n->next;
        if (l->first)
            l->first->prev = NULL;
        else
            l->last = NULL;
        n->prev = n->next = NULL;
    }
    return n;
}

#endif
