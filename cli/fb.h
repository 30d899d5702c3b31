/* fb.h -- what every verb of the faasbus CLI shares: the resolved
 * gateway and credentials, the output mode, HTTP calls and messages. */
#ifndef CLI_FB_H
#define CLI_FB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "args.h"
#include "buf.h"
#include "cli.h" /* FAASBUS_VERSION */
#include "stack.h"

#define FB_DEFAULT_GATEWAY "http://127.0.0.1:8080"

struct ctx {
    const struct verb *verb;
    struct args a;
    struct stack stack; /* loaded for verbs with --yaml */
    bool have_stack;
    char *gateway;         /* without a trailing '/' */
    char *user, *password; /* NULL: no credentials */
    bool tls_no_verify;
    bool json; /* -o json */
    bool tty;  /* stdout is a terminal: colours allowed */
};

/* Prints "faasbus: ..." on stderr; returns 1, faas-cli's exit status for
 * every failure, so a verb can `return fb_error(...)`. */
int fb_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wraps text in a colour (ANSI SGR code such as "1" or "32") when stdout
 * is a terminal; returns a static buffer, so use it at once. */
const char *fb_colour(const struct ctx *c, const char *code, const char *text);

/* Loads the stack files of --yaml (default ./stack.yml when it exists and
 * `required` is false). Returns 0, or 1 after printing the error. */
int fb_load_stack(struct ctx *c, bool required);

/* Settles the gateway and credentials (flags, environment, stack file,
 * saved logins). */
void fb_resolve(struct ctx *c);

/* "name" or "name.ns" with --namespace applied. */
char *fb_qualified(const struct ctx *c, const char *name);

/* --- HTTP -------------------------------------------------------------- */

struct fb_resp {
    long status; /* 0 when the gateway could not be reached */
    struct buf body;
    char error[256]; /* libcurl's message when status is 0 */
    char *call_id;   /* X-Call-Id of the answer, if any */
};

struct fb_req {
    const char *method;
    const char *path; /* joined to the gateway; or a full URL */
    const char *body;
    size_t body_len;
    const struct strlist *headers; /* "Name: value" lines */
    bool auth;                     /* send the saved credentials */
    /* Called with each piece of the body as it arrives instead of keeping
     * it; returns false to stop. */
    bool (*stream)(const char *data, size_t len, void *arg);
    void *stream_arg;
};

/* "Content-Type: application/json", for the /system bodies. */
extern const struct strlist FB_JSON_HEADERS;

/* Runs one request. Returns 0 when an HTTP answer came (any status), -1
 * when none did (resp->error says why). Free with fb_resp_free(). */
int fb_http(const struct ctx *c, const struct fb_req *r, struct fb_resp *resp);
void fb_resp_free(struct fb_resp *r);

/* A GET of JSON under /system; NULL after printing the error (and *rc set
 * to the exit status). `what` names the thing for a 404. */
json_t *fb_get_json(const struct ctx *c, const char *path, const char *what, int *rc);

/* Prints the error for an answer that is not what the verb wanted. */
int fb_http_error(const struct ctx *c, const struct fb_resp *r, const char *doing);

/* Prints JSON (-o json), pretty, and returns 0. */
int fb_print_json(json_t *v);
/* With -o json, prints {"name": name, "result": result} for a verb that
 * changes one thing (secret create, login, publish...). */
void fb_json_result(const struct ctx *c, const char *name, const char *result);

/* --- verbs ------------------------------------------------------------- */

/* up's builds (build.c): a handler's Makefile, then (image drivers) its
 * image with the docker CLI, pushed when push is set. 0, or 1 after the
 * error was printed. */
struct stack_fn;
int fb_build_handler(const char *dir);
int fb_build_image(const struct stack_fn *fn, const char *dir, bool push);

int cmd_deploy(struct ctx *c);
int cmd_up(struct ctx *c);
int cmd_remove(struct ctx *c);
int cmd_list(struct ctx *c);
int cmd_describe(struct ctx *c);
int cmd_invoke(struct ctx *c);
int cmd_logs(struct ctx *c);
int cmd_scale(struct ctx *c);
int cmd_secret(struct ctx *c);
int cmd_namespace(struct ctx *c);
int cmd_login(struct ctx *c);
int cmd_logout(struct ctx *c);
int cmd_version(struct ctx *c);
int cmd_topics(struct ctx *c);
int cmd_publish(struct ctx *c);
int cmd_subscribe(struct ctx *c);
int cmd_new(struct ctx *c);
int cmd_completion(struct ctx *c);
int cmd_man(struct ctx *c);

#endif

/* --- shared by verbs --------------------------------------------------- */

/* Whether a stack function is picked by --filter GLOB / --regex RE.
 * Returns 1 yes, 0 no, -1 (after printing) for a bad regex. */
int fb_matches(const struct ctx *c, const char *name);

/* Splits "K=V" (or "K: V" when colon is true); returns 0, or -1 after
 * printing what `flag` expected. *key is a new string; *value points
 * into arg. */
int fb_split_kv(const char *arg, const char *flag, bool colon, char **key, const char **value);

/* Reads all of stdin (at most 64 MiB) into b. */
int fb_read_stdin(struct buf *b);
