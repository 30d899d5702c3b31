/* new.c -- `faasbus new NAME --lang L`: a handler folder from a template
 * and the function's entry in the stack file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fb.h"
#include "templates.h"
#include "xalloc.h"

static int list_templates(const struct ctx *c)
{
    json_t *j = json_array();
    for (const struct template *t = template_all(); t->lang; t++) {
        if (!c->json)
            printf("%-8s fprocess: %s\n", t->lang, t->fprocess);
        json_array_append_new(j, json_pack("{s:s, s:s}", "lang", t->lang, "fprocess",
                                           t->fprocess));
    }
    if (c->json)
        fb_print_json(j);
    json_decref(j);
    return 0;
}

static int write_file(const char *path, const char *text, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return fb_error("%s: %s", path, strerror(errno));
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    if (close(fd) != 0 || n != (ssize_t)len)
        return fb_error("%s: write error", path);
    /* The replicas may run as another user: the handler must be readable. */
    chmod(path, (mode_t)mode);
    return 0;
}

static char *stack_entry(const char *name, const struct template *t, const char *gateway,
                         bool with_header)
{
    char *head = with_header ? xasprintf("version: 1.0\nprovider:\n  name: openfaas\n"
                                         "  gateway: %s\nfunctions:\n", gateway)
                             : xstrdup("");
    char *s = xasprintf("%s  %s:\n    lang: %s\n    handler: ./%s\n    image: %s:latest\n"
                        "    fprocess: %s\n", head, name, t->lang, name, name, t->fprocess);
    free(head);
    return s;
}

/* Appends the entry, then reads the file back: if the function is not
 * where it should be (the file did not end in its functions section),
 * the file is restored and the user told. */
static int add_to_stack(const char *path, const char *name, const struct template *t,
                        const char *gateway)
{
    bool exists = access(path, F_OK) == 0;
    struct stat st;
    off_t old_size = exists && stat(path, &st) == 0 ? st.st_size : 0;
    if (exists) {
        struct stack s = { 0 };
        char err[512];
        int rc = stack_load(&s, path, NULL, err, sizeof err);
        bool dup = rc == 0 && stack_find(&s, name);
        stack_free(&s);
        if (rc != 0)
            return fb_error("%s", err);
        if (dup)
            return fb_error("%s already has a function \"%s\"", path, name);
    }
    char *entry = stack_entry(name, t, gateway, !exists);
    FILE *f = fopen(path, "a");
    int rc = 0;
    if (!f || fputs(entry, f) < 0 || fclose(f) != 0)
        rc = fb_error("%s: %s", path, strerror(errno));
    free(entry);
    if (rc != 0 || !exists)
        return rc;
    struct stack s = { 0 };
    char err[512];
    bool ok = stack_load(&s, path, NULL, err, sizeof err) == 0 && stack_find(&s, name);
    stack_free(&s);
    if (!ok) {
        if (truncate(path, old_size) != 0)
            return fb_error("%s: could not restore it: %s", path, strerror(errno));
        return fb_error("%s does not end with its functions: add the function by hand", path);
    }
    return 0;
}

/* Whether the stack file names lang under configuration.templates. */
static bool listed_in_stack(const char *path, const char *lang)
{
    struct stack s = { 0 };
    char err[256];
    bool found = false;
    if (stack_load(&s, path ? path : "stack.yml", NULL, err, sizeof err) == 0)
        for (size_t i = 0; i < s.templates.n; i++)
            found = found || strcmp(s.templates.items[i], lang) == 0;
    stack_free(&s);
    return found;
}

int cmd_new(struct ctx *c)
{
    if (args_has(&c->a, "list"))
        return list_templates(c);
    if (c->a.npos != 1)
        return fb_error("new: NAME is required (or --list)");
    const char *name = c->a.pos[0], *lang = args_get(&c->a, "lang");
    if (!lang)
        return fb_error("new: --lang is required (see faasbus new --list)");
    const struct template *t = template_find(lang);
    if (!t && listed_in_stack(args_get(&c->a, "append"), lang))
        return fb_error("new: \"%s\" is one of the stack's configuration.templates, which "
                        "come from a source this client does not fetch; the built-in "
                        "templates are shell, python, node and c", lang);
    if (!t)
        return fb_error("new: no template \"%s\" (see faasbus new --list)", lang);
    struct stack probe = { 0 };
    char err[256];
    char *text = xasprintf("functions:\n  %s:\n    image: x\n", name);
    int bad = stack_load_text(&probe, text, strlen(text), "NAME", ".", NULL, err, sizeof err);
    free(text);
    stack_free(&probe);
    if (bad)
        return fb_error("new: \"%s\": use lowercase letters, digits and '-'", name);
    if (mkdir(name, 0755) != 0)
        return fb_error("new: %s: %s", name, strerror(errno));
    chmod(name, 0755);
    for (const struct template_file *f = t->files; f->name; f++) {
        char *path = xasprintf("%s/%s", name, f->name);
        int rc = write_file(path, f->text, f->mode);
        free(path);
        if (rc != 0)
            return rc;
    }
    fb_resolve(c);
    const char *stack = args_get(&c->a, "append");
    if (add_to_stack(stack ? stack : "stack.yml", name, t, c->gateway) != 0)
        return 1;
    if (!c->json)
        printf("Function created in folder: %s\nStack file written: %s\n", name,
               stack ? stack : "stack.yml");
    fb_json_result(c, name, "created");
    return 0;
}
