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
        json_array_append_new(j, json_pack("{s:s, s:s}", "lang", t->lang, "fprocess", t->fprocess));
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
                                         "  gateway: %s\nfunctions:\n",
                                         gateway)
                             : xstrdup("");
    char *s = xasprintf("%s  %s:\n    lang: %s\n    handler: ./%s\n    image: %s:latest\n"
                        "    fprocess: %s\n",
                        head, name, t->lang, name, name, t->fprocess);
    free(head);
    return s;
}

/* The stack file's text after the entry is added, in *out (caller
 * frees): the old text (with a final newline) and the entry, or a whole
 * new file. Parsed before anything is written, so an entry that would not
 * land among the functions (a file that does not end with them), a
 * duplicate or a broken file changes nothing. */
static int stack_with_entry(const char *path, const char *name, const struct template *t,
                            const char *gateway, char **out)
{
    FILE *f = fopen(path, "rb");
    struct buf old;
    buf_init(&old, 4 << 20);
    char chunk[8192];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(&old, chunk, n) != 0)
            break;
    if (f)
        fclose(f);
    if (old.len && buf_peek(&old)[old.len - 1] != '\n')
        buf_append(&old, "\n", 1);
    char *entry = stack_entry(name, t, gateway, !f);
    buf_append(&old, entry, strlen(entry));
    free(entry);
    *out = xstrdup(buf_cstr(&old) ? buf_cstr(&old) : "");
    buf_cleanup(&old);
    struct stack s = { 0 };
    char err[512];
    struct stack probe = { 0 };
    int rc = 0;
    if (f && stack_load(&probe, path, NULL, err, sizeof err) != 0)
        rc = fb_error("%s", err);
    else if (stack_find(&probe, name))
        rc = fb_error("%s already has a function \"%s\"", path, name);
    else if (stack_load_text(&s, *out, strlen(*out), path, ".", NULL, err, sizeof err) != 0 ||
             !stack_find(&s, name))
        rc = fb_error("%s does not end with its functions: add the function by hand", path);
    stack_free(&probe);
    stack_free(&s);
    return rc;
}

static int write_stack(const char *path, const char *text)
{
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = 0;
    if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        rc = fb_error("%s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
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

/* The stack parser's own rule for a function name. */
static bool valid_name(const char *name)
{
    struct stack probe = { 0 };
    char err[256];
    char *text = xasprintf("functions:\n  %s:\n    image: x\n", name);
    int bad = stack_load_text(&probe, text, strlen(text), "NAME", ".", NULL, err, sizeof err);
    free(text);
    stack_free(&probe);
    return !bad;
}

static const struct template *pick_template(const struct ctx *c, const char *lang)
{
    const struct template *t = template_find(lang);
    if (!t && listed_in_stack(args_get(&c->a, "append"), lang))
        fb_error("new: \"%s\" is one of the stack's configuration.templates, which come "
                 "from a source this client does not fetch; the built-in templates are "
                 "shell, python, node and c",
                 lang);
    else if (!t)
        fb_error("new: no template \"%s\" (see faasbus new --list)", lang);
    return t;
}

static int write_handler(const char *name, const struct template *t)
{
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
    return 0;
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
    const struct template *t = pick_template(c, lang);
    if (!t)
        return 1;
    if (!valid_name(name))
        return fb_error("new: \"%s\": use lowercase letters, digits and '-'", name);
    fb_resolve(c);
    const char *append = args_get(&c->a, "append");
    const char *stack = append ? append : "stack.yml";
    char *text = NULL;
    int rc = stack_with_entry(stack, name, t, c->gateway, &text);
    if (rc == 0)
        rc = write_handler(name, t);
    if (rc == 0)
        rc = write_stack(stack, text);
    free(text);
    if (rc == 0 && !c->json)
        printf("Function created in folder: %s\nStack file written: %s\n", name, stack);
    if (rc == 0)
        fb_json_result(c, name, "created");
    return rc;
}
