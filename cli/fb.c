/* fb.c -- messages, colours, the stack file and the gateway a verb uses. */
#include "fb.h"

#include <fnmatch.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "xalloc.h"

int fb_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("faasbus: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

void fb_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("faasbus: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const char *fb_colour(const struct ctx *c, const char *code, const char *text)
{
    static char out[1024];
    if (!c->tty)
        return text;
    snprintf(out, sizeof out, "\033[%sm%s\033[0m", code, text);
    return out;
}

static void stack_warning(const char *msg, void *arg)
{
    (void)arg;
    fb_warn("%s", msg);
}

int fb_load_stack(struct ctx *c, bool required)
{
    const struct strlist *files = args_list(&c->a, "yaml");
    static const char *const defaults[] = { "stack.yml", "stack.yaml" };
    struct stack_opts o = { .warn = stack_warning, .raw = !args_flag(&c->a, "env-subst", true) };
    char err[512];
    if (c->have_stack)
        return 0;
    if (files->n == 0) {
        for (size_t i = 0; i < 2; i++)
            if (access(defaults[i], F_OK) == 0) {
                if (stack_load(&c->stack, defaults[i], &o, err, sizeof err) != 0)
                    return fb_error("%s", err);
                c->have_stack = true;
                return 0;
            }
        return required ? fb_error("no stack file: give -f FILE (or have ./stack.yml)") : 0;
    }
    for (size_t i = 0; i < files->n; i++)
        if (stack_load(&c->stack, files->items[i], &o, err, sizeof err) != 0)
            return fb_error("%s", err);
    c->have_stack = true;
    return 0;
}

static char *trimmed(const char *url)
{
    char *s = xstrdup(url);
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

static const char *first_env(const char *const *names)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v)
            return v;
    }
    return NULL;
}

void fb_resolve(struct ctx *c)
{
    const char *gw = args_get(&c->a, "gateway");
    if (!gw || !*gw)
        gw = getenv("OPENFAAS_URL");
    if ((!gw || !*gw) && c->have_stack)
        gw = c->stack.gateway;
    c->gateway = trimmed(gw && *gw ? gw : FB_DEFAULT_GATEWAY);
    c->tls_no_verify = args_has(&c->a, "tls-no-verify");
    static const char *const users[] = { "FAASBUS_USER", "OPENFAAS_USER", NULL };
    static const char *const passwords[] = { "FAASBUS_PASSWORD", "OPENFAAS_PASSWORD", NULL };
    const char *u = first_env(users), *p = first_env(passwords);
    if (p) {
        c->user = xstrdup(u ? u : "admin");
        c->password = xstrdup(p);
    } else if (auth_lookup(c->gateway, &c->user, &c->password) != 0) {
        c->user = c->password = NULL;
    }
}

char *fb_qualified(const struct ctx *c, const char *name)
{
    const char *ns = args_get(&c->a, "namespace");
    if (ns && *ns && !strchr(name, '.'))
        return xasprintf("%s.%s", name, ns);
    return xstrdup(name);
}

int fb_matches(const struct ctx *c, const char *name)
{
    const char *glob = args_get(&c->a, "filter"), *re = args_get(&c->a, "regex");
    if (glob && fnmatch(glob, name, 0) != 0)
        return 0;
    if (re) {
        regex_t rx;
        if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
            fb_error("--regex: \"%s\" is not a valid regular expression", re);
            return -1;
        }
        int hit = regexec(&rx, name, 0, NULL, 0) == 0;
        regfree(&rx);
        return hit;
    }
    return 1;
}

int fb_split_kv(const char *arg, const char *flag, bool colon, char **key, const char **value)
{
    const char *sep = strchr(arg, '=');
    const char *c = colon ? strchr(arg, ':') : NULL;
    if (c && (!sep || c < sep))
        sep = c;
    if (!sep || sep == arg) {
        fb_error("--%s: expected KEY=VALUE, got \"%s\"", flag, arg);
        return -1;
    }
    *key = xstrndup(arg, (size_t)(sep - arg));
    *value = sep + 1;
    if (*sep == ':')
        while (**value == ' ')
            (*value)++;
    return 0;
}

int fb_read_stdin(struct buf *b)
{
    char chunk[65536];
    size_t n;
    buf_init(b, (size_t)64 << 20);
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if (buf_append(b, chunk, n) != 0)
            return fb_error("stdin: larger than 64 MiB");
    return ferror(stdin) ? fb_error("stdin: read error") : 0;
}
