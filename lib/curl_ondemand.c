/* curl_ondemand.c -- the gateway and the connector load libcurl the first
 * time they call it.
 *
 * Linked the usual way, libcurl maps a dozen libraries (GnuTLS through
 * LDAP, Kerberos through GSSAPI, libssh2, nghttp2, ...) whose constructors
 * run at start: 3.6 MB of a gateway's resident memory, more than a third,
 * for a client that the process driver never uses (its health checks are
 * lib/hprobe; the proxy is lib/proxy). The engine drivers, callbacks and
 * the connectors page do use it: their first call loads it here. A
 * connector with an http:// gateway never does (its calls and its route
 * refresh are lib/h1call); an https:// one loads it with its first
 * request.
 *
 * This file defines the libcurl functions those daemons call, with
 * libcurl's own prototypes, so no caller changes and the rest of lib/
 * stays shared with the daemons that link libcurl directly; only
 * faasbus-gateway and faasbus-connector link this file instead of
 * -lcurl. Each forwards to the real function, loaded once (with
 * curl_global_init, which libcurl wants before anything else and on one
 * thread: pthread_once gives both). A function added to a caller and
 * missing here fails the link, never the run.
 *
 * The variadic setters pass their one argument on with the type libcurl
 * reads it as, which the option's number says (curl.h, CURLOPTTYPE_*). */
#define CURL_DISABLE_TYPECHECK /* its macros would rename our definitions */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#include "log.h"

/* The ABI curl.h describes (libcurl's SONAME since 7.16). */
#define LIBCURL "libcurl.so.4"

static struct {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *curl);
    void (*easy_reset)(CURL *curl);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode code);
    void (*free)(void *p);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *multi);
    CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
    CURLMcode (*multi_add_handle)(CURLM *multi, CURL *curl);
    CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *curl);
    CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t s, int ev_bitmask, int *running);
    CURLMsg *(*multi_info_read)(CURLM *multi, int *msgs_in_queue);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *data);
    void (*slist_free_all)(struct curl_slist *list);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *handle);
    CURLUcode (*url_get)(CURLU *handle, CURLUPart what, char **part, unsigned flags);
    CURLUcode (*url_set)(CURLU *handle, CURLUPart what, const char *part, unsigned flags);
} real;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static CURLcode init_result = CURLE_FAILED_INIT;
static int loaded;

/* Without libcurl the daemon cannot do what it was asked (a driver's
 * engine, a callback, an https:// gateway): as if the dynamic loader had
 * refused it at start. */
static void unavailable(const char *why)
{
    log_error("main", "%s cannot be loaded: %s", LIBCURL, why);
    abort();
}

static void resolve(void *lib, void **slot, const char *name)
{
    *slot = dlsym(lib, name);
    if (!*slot)
        unavailable(dlerror());
}

#define RESOLVE(field) resolve(lib, (void **)&real.field, "curl_" #field)

static void load(void)
{
    void *lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        unavailable(dlerror());
    RESOLVE(global_init);
    RESOLVE(global_cleanup);
    RESOLVE(easy_init);
    RESOLVE(easy_cleanup);
    RESOLVE(easy_reset);
    RESOLVE(easy_setopt);
    RESOLVE(easy_getinfo);
    RESOLVE(easy_strerror);
    RESOLVE(free);
    RESOLVE(multi_init);
    RESOLVE(multi_cleanup);
    RESOLVE(multi_setopt);
    RESOLVE(multi_add_handle);
    RESOLVE(multi_remove_handle);
    RESOLVE(multi_socket_action);
    RESOLVE(multi_info_read);
    RESOLVE(slist_append);
    RESOLVE(slist_free_all);
    RESOLVE(url);
    RESOLVE(url_cleanup);
    RESOLVE(url_get);
    RESOLVE(url_set);
    init_result = real.global_init(CURL_GLOBAL_DEFAULT);
    loaded = 1;
}

static void need(void)
{
    pthread_once(&load_once, load);
}

/* The real function, libcurl loaded first if it was not. */
#define REAL(field) (need(), real.field)

CURLcode curl_global_init(long flags)
{
    (void)flags; /* loading inits with CURL_GLOBAL_DEFAULT, all we use */
    need();
    return init_result;
}

/* Only a libcurl that was loaded has anything to clean up. */
void curl_global_cleanup(void)
{
    if (loaded)
        real.global_cleanup();
}

CURL *curl_easy_init(void)
{
    return REAL(easy_init)();
}

void curl_easy_cleanup(CURL *curl)
{
    REAL(easy_cleanup)(curl);
}

void curl_easy_reset(CURL *curl)
{
    REAL(easy_reset)(curl);
}

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    /* The branches differ in the type va_arg takes, which the clone check
     * does not see. */
    // NOLINTBEGIN(bugprone-branch-clone)
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = REAL(easy_setopt)(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = REAL(easy_setopt)(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = REAL(easy_setopt)(curl, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = REAL(easy_setopt)(curl, option, va_arg(ap, curl_off_t));
    else
        rc = REAL(easy_setopt)(curl, option, va_arg(ap, void *));
    // NOLINTEND(bugprone-branch-clone)
    va_end(ap);
    return rc;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    va_list ap;
    va_start(ap, info);
    CURLcode rc = REAL(easy_getinfo)(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

const char *curl_easy_strerror(CURLcode code)
{
    return REAL(easy_strerror)(code);
}

void curl_free(void *p)
{
    if (p)
        REAL(free)(p);
}

CURLM *curl_multi_init(void)
{
    return REAL(multi_init)();
}

CURLMcode curl_multi_cleanup(CURLM *multi)
{
    return REAL(multi_cleanup)(multi);
}

CURLMcode curl_multi_setopt(CURLM *multi, CURLMoption option, ...)
{
    va_list ap;
    va_start(ap, option);
    CURLMcode rc;
    // NOLINTBEGIN(bugprone-branch-clone): as in curl_easy_setopt
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = REAL(multi_setopt)(multi, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = REAL(multi_setopt)(multi, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = REAL(multi_setopt)(multi, option, va_arg(ap, void (*)(void)));
    else
        rc = REAL(multi_setopt)(multi, option, va_arg(ap, curl_off_t));
    // NOLINTEND(bugprone-branch-clone)
    va_end(ap);
    return rc;
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *curl)
{
    return REAL(multi_add_handle)(multi, curl);
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *curl)
{
    return REAL(multi_remove_handle)(multi, curl);
}

CURLMcode curl_multi_socket_action(CURLM *multi, curl_socket_t s, int ev_bitmask, int *running)
{
    return REAL(multi_socket_action)(multi, s, ev_bitmask, running);
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *msgs_in_queue)
{
    return REAL(multi_info_read)(multi, msgs_in_queue);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
    return REAL(slist_append)(list, data);
}

void curl_slist_free_all(struct curl_slist *list)
{
    if (list)
        REAL(slist_free_all)(list);
}

CURLU *curl_url(void)
{
    return REAL(url)();
}

void curl_url_cleanup(CURLU *handle)
{
    if (handle)
        REAL(url_cleanup)(handle);
}

CURLUcode curl_url_get(CURLU *handle, CURLUPart what, char **part, unsigned flags)
{
    return REAL(url_get)(handle, what, part, flags);
}

CURLUcode curl_url_set(CURLU *handle, CURLUPart what, const char *part, unsigned flags)
{
    return REAL(url_set)(handle, what, part, flags);
}
