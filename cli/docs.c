/* docs.c -- bash and zsh completion and the man page, written from the
 * same verb and option tables the parser reads. */
#include <stdio.h>
#include <string.h>

#include "fb.h"

static void opt_words(const struct opt *t, FILE *out)
{
    for (; t && t->name; t++) {
        fprintf(out, " --%s", t->name);
        if (t->shrt)
            fprintf(out, " -%c", t->shrt);
    }
}

/* Verbs whose first argument is a deployed function. */
static bool takes_function(const char *verb)
{
    static const char *const verbs[] = { "describe", "invoke", "logs", "scale", "remove", NULL };
    for (const char *const *v = verbs; *v; v++)
        if (strcmp(*v, verb) == 0)
            return true;
    return false;
}

static void bash(FILE *out)
{
    fputs("# bash completion for faasbus (faasbus completion bash)\n"
          "_faasbus() {\n"
          "    local cur verb\n"
          "    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
          "    verb=\"${COMP_WORDS[1]}\"\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "        COMPREPLY=($(compgen -W \"",
          out);
    for (const struct verb *v = VERBS; v->name; v++)
        fprintf(out, "%s%s%s%s", v == VERBS ? "" : " ", v->name, v->alias ? " " : "",
                v->alias ? v->alias : "");
    fputs("\" -- \"$cur\"))\n        return\n    fi\n", out);
    /* A verb whose argument is a deployed function completes its name
     * from the gateway (quietly: no gateway, no names). */
    fputs("    case \"$verb\" in\n    ", out);
    const char *sep = "";
    for (const struct verb *v = VERBS; v->name; v++)
        if (takes_function(v->name)) {
            fprintf(out, "%s%s%s%s", sep, v->name, v->alias ? "|" : "", v->alias ? v->alias : "");
            sep = "|";
        }
    fputs(")\n"
          "        if [ \"${cur#-}\" = \"$cur\" ]; then\n"
          "            COMPREPLY=($(compgen -W \"$(faasbus list -q 2>/dev/null)\" -- \"$cur\"))\n"
          "            return\n"
          "        fi\n"
          "        ;;\n"
          "    esac\n"
          "    case \"$verb\" in\n",
          out);
    for (const struct verb *v = VERBS; v->name; v++) {
        fprintf(out, "    %s%s%s)\n        COMPREPLY=($(compgen -W \"", v->name,
                v->alias ? "|" : "", v->alias ? v->alias : "");
        opt_words(v->opts, out);
        opt_words(COMMON_OPTS, out);
        if (strcmp(v->name, "secret") == 0)
            fputs(" create update list remove", out);
        fputs("\" -- \"$cur\"))\n        ;;\n", out);
    }
    fputs("    esac\n}\ncomplete -o default -F _faasbus faasbus\n", out);
}

/* zsh wants ':' and '[' in descriptions escaped. */
static void zsh_text(const char *s, FILE *out)
{
    for (; *s; s++) {
        if (*s == ':' || *s == '[' || *s == ']' || *s == '\'' || *s == '\\')
            fputc(*s == '\'' ? '"' : '\\', out);
        if (*s != '\'')
            fputc(*s, out);
    }
}

static void zsh_opts(const struct opt *t, FILE *out)
{
    for (; t && t->name; t++) {
        fprintf(out, "        '%s--%s%s[", t->kind == OPT_LIST ? "*" : "", t->name,
                t->kind == OPT_FLAG ? "" : "=");
        zsh_text(t->help, out);
        fputs("]", out);
        if (t->kind != OPT_FLAG)
            fprintf(out, ":%s:%s", t->meta, strcmp(t->name, "yaml") == 0 ? "_files" : "");
        fputs("'\n", out);
    }
}

static void zsh(FILE *out)
{
    fputs("#compdef faasbus\n# zsh completion for faasbus (faasbus completion zsh)\n"
          "_faasbus() {\n    local -a verbs\n    verbs=(\n",
          out);
    for (const struct verb *v = VERBS; v->name; v++) {
        fprintf(out, "        '%s:", v->name);
        zsh_text(v->summary, out);
        fputs("'\n", out);
    }
    fputs("    )\n    if (( CURRENT == 2 )); then\n"
          "        _describe 'verb' verbs\n        return\n    fi\n"
          "    case ${words[2]} in\n",
          out);
    for (const struct verb *v = VERBS; v->name; v++) {
        fprintf(out, "    %s%s%s)\n        _arguments \\\n", v->name, v->alias ? "|" : "",
                v->alias ? v->alias : "");
        zsh_opts(v->opts, out);
        zsh_opts(COMMON_OPTS, out);
        fputs(takes_function(v->name)
                  ? "        '1:function:{compadd -- $(faasbus list -q 2>/dev/null)}'\n        ;;\n"
                  : "        '*:argument:_files'\n        ;;\n",
              out);
    }
    fputs("    esac\n}\n_faasbus \"$@\"\n", out);
}

int cmd_completion(struct ctx *c)
{
    const char *shell = c->a.pos[0];
    if (strcmp(shell, "bash") == 0)
        bash(stdout);
    else if (strcmp(shell, "zsh") == 0)
        zsh(stdout);
    else
        return fb_error("completion: bash or zsh, not \"%s\"", shell);
    return 0;
}

/* roff needs '-' and '\' escaped, and a leading '.' kept from being a
 * request. */
static void roff(const char *s, FILE *out)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out); /* a line must not start a request */
    for (; *s; s++) {
        if (*s == '-' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
}

static void man_opts(const struct opt *t, FILE *out)
{
    for (; t && t->name; t++) {
        fputs(".TP\n", out);
        if (t->shrt)
            fprintf(out, "\\fB\\-%c\\fR, ", t->shrt);
        fputs("\\fB\\-\\-", out);
        roff(t->name, out);
        fputs("\\fR", out);
        if (t->kind != OPT_FLAG)
            fprintf(out, " \\fI%s\\fR", t->meta);
        fputc('\n', out);
        roff(t->help, out);
        fputs(t->kind == OPT_LIST ? " (repeatable)\n" : "\n", out);
    }
}

int cmd_man(struct ctx *c)
{
    (void)c;
    FILE *out = stdout;
    fprintf(out,
            ".TH FAASBUS 1 \"\" \"faasbus %s\" \"User Commands\"\n"
            ".SH NAME\nfaasbus \\- client for the faasbus gateway and its event bus\n"
            ".SH SYNOPSIS\n\\fBfaasbus\\fR \\fIVERB\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n"
            ".SH DESCRIPTION\nDeploys, calls and watches functions on a faasbus (or "
            "OpenFaaS) gateway, reading faas\\-cli's stack files (stack.yml), and "
            "publishes to and reads from the Kafka topics and NATS subjects its "
            "connector routes.\n.SH VERBS\n",
            FAASBUS_VERSION);
    for (const struct verb *v = VERBS; v->name; v++) {
        fputs(".SS \"", out);
        roff(v->name, out);
        fputc(' ', out);
        roff(v->usage, out);
        fputs("\"\n", out);
        roff(v->summary, out);
        fputc('\n', out);
        if (v->alias)
            fprintf(out, "Also spelled \\fB%s\\fR.\n", v->alias);
        man_opts(v->opts, out);
    }
    fputs(".SH COMMON OPTIONS\n", out);
    man_opts(COMMON_OPTS, out);
    fputs(".SH ENVIRONMENT\n"
          ".TP\n\\fBOPENFAAS_URL\\fR\nthe gateway, when \\-\\-gateway is not given\n"
          ".TP\n\\fBFAASBUS_USER\\fR, \\fBFAASBUS_PASSWORD\\fR (or \\fBOPENFAAS_USER\\fR, "
          "\\fBOPENFAAS_PASSWORD\\fR)\nbasic\\-auth credentials, over saved logins\n"
          ".TP\n\\fBFAASBUS_CONFIG\\fR\nthe folder of the saved logins (default ~/.faasbus); "
          "faas\\-cli's \\fBOPENFAAS_CONFIG\\fR (~/.openfaas) is read too\n"
          ".TP\n\\fBFAASBUS_CONNECTOR\\fR\nthe connector's API, for topics\n"
          ".TP\n\\fBFAASBUS_BROKERS\\fR, \\fBFAASBUS_NATS_URL\\fR\nthe buses, for publish and "
          "subscribe\n"
          ".TP\n\\fBNO_COLOR\\fR\nno colours even on a terminal\n"
          ".SH EXIT STATUS\n0 on success, 1 on any error (as faas\\-cli).\n"
          ".SH FILES\n\\fI~/.faasbus/config.yml\\fR saved logins, mode 0600\n",
          out);
    return 0;
}
