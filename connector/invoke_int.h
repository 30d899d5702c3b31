/* invoke_int.h -- what a function call is, shared by invoke.c (the
 * request, the http:// client) and invoke_curl.c (https:// over
 * libcurl). */
#ifndef CN_INVOKE_INT_H
#define CN_INVOKE_INT_H

#include <curl/curl.h>
#include <stddef.h>

#include "buf.h"
#include "curlloop.h"
#include "h1call.h"
#include "invoke.h"

#define HEADER_VALUE_MAX 1024 /* longest response header value we keep */
/* Request header lines kept in the call itself: a record with a handful
 * of headers needs no more. Beyond, the list goes on the heap. */
#define HDR_NODES 24
#define CONNECT_TIMEOUT_MS 5000

struct cn_call {
    struct loop *lp;
    struct h1call h1; /* http:// */
    struct curlloop *cl;
    CURL *easy; /* https:// */
    struct curlloop_job job;
    /* The request's header lines, built into one buffer ("Name: value\r\n"
     * each) that goes out as it is over http://, and is cut into strings
     * for a libcurl list whose nodes point into it over https://: no
     * allocation per line (malloc and free were a fifth of the loop
     * thread's time in a profile; curl_slist_append makes two a line). */
    struct buf hdr_text;
    size_t nhdrs;
    struct curl_slist *hdrs;
    struct curl_slist *hdr_more; /* the nodes when HDR_NODES are too few */
    struct curl_slist hdr_node[HDR_NODES];
    struct loop_timer *failed; /* a call that could not start reports later */
    struct buf body;           /* the answer over https:// (h1 keeps its own) */
    char content_type[HEADER_VALUE_MAX];
    char reply_topic[HEADER_VALUE_MAX];
    char retry_after[HEADER_VALUE_MAX];
    char errbuf[CURL_ERROR_SIZE];
    double start;
    cn_invoke_fn *fn;
    void *arg;
    const struct cn_invoke_async *async; /* while the request is built; NULL: sync */
    struct cn_invoke_pool *pool;         /* where it goes when done, or NULL */
    struct cn_call *next_free;           /* in pool->free */
};

/* Reports the answer (its headers are in the call's slots) and lets
 * the call go. */
void cn_invoke_finish(struct cn_call *c, struct cn_invoke_result *r);

/* Sends the call, whose header lines are built, over libcurl. */
void cn_invoke_start_curl(struct cn_call *c, const struct cn_invoke_opts *o, const char *url,
                          const struct cn_record *rec);
/* Lets go of what libcurl held for the call (none if it never used it). */
void cn_invoke_release_curl(struct cn_call *c);

#endif
