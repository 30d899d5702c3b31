/* reply.h -- how the gateway's HTTP handlers answer: JSON, one-line text
 * errors as OpenFaaS words them, answers a driver gives later, and the
 * request checks that answer for themselves when they fail. */
#ifndef GW_REPLY_H
#define GW_REPLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct httpd_req;

/* Answers with JSON (takes the reference). */
void gw_reply_json(struct httpd_req *req, int status, json_t *body);
/* Answers with a one-line text error, as OpenFaaS does. */
void gw_reply_error(struct httpd_req *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Unix milliseconds as RFC 3339 UTC with milliseconds (40 bytes do). */
void gw_format_time(int64_t unix_ms, char *out, size_t len);
/* ?namespace= or the default; caller frees. 400 and NULL if invalid. */
char *gw_query_namespace(struct httpd_req *req);
/* A request a driver answers later (pass gw_later_answer and the
 * returned arg as its gw_answer_fn); a client that leaves first is
 * forgotten and the answer dropped. */
void *gw_later(struct httpd_req *req);
void gw_later_answer(void *arg, int status, json_t *body, const char *message);
/* True if the method is one of a '|'-separated list; else 405 answered. */
int gw_method_is(struct httpd_req *req, const char *methods);

#endif
