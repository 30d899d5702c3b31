/* reload.c -- SIGHUP (reload.h). Only what is read afresh each time it is
 * used changes in place: the routes and their defaults, which the next
 * table rebuild takes, and the log threshold. The rest sized or opened
 * something at start (the consumer, the NATS connection, the listener,
 * the in-flight bounds), so a change there waits for a restart. */
#include "reload.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cn.h"
#include "log.h"
#include "refresh.h"
#include "subject.h"

static const struct {
    const char *name;
    size_t off;
} restart_only[] = {
#define S(f)                              \
    {                                     \
#f, offsetof(struct cn_config, f) \
    }
    S(gateway_url),    S(brokers),         S(default_bus),    S(topics),         S(group),
    S(initial_offset), S(nats_url),        S(subjects),       S(streams),        S(bind_address),
    S(callback_url),   S(callback_secret), S(gateway_tls_ca), S(gateway_socket),
#undef S
};

static const char *text_at(const struct cn_config *cfg, size_t off)
{
    const char *s = *(char *const *)((const char *)cfg + off);

    return s ? s : "";
}

static void warn_restart_only(const struct cn_config *old, const struct cn_config *fresh)
{
    for (size_t i = 0; i < sizeof restart_only / sizeof restart_only[0]; i++) {
        if (strcmp(text_at(old, restart_only[i].off), text_at(fresh, restart_only[i].off)) != 0)
            log_warn("cfg",
                     "reload: %s changed: it takes effect at the next restart "
                     "(the running value stays)",
                     restart_only[i].name);
    }
    if (old->port != fresh->port)
        log_warn("cfg", "reload: port changed: it takes effect at the next restart");
    if (old->max_inflight != fresh->max_inflight)
        log_warn("cfg", "reload: max_inflight changed: it takes effect at the next restart");
}

static void swap_in_place(struct cn_config *old, struct cn_config *fresh)
{
    struct cn_route *routes = old->routes;
    size_t n = old->nroutes;
    char *level_name = old->log_level;
    enum log_level level;

    old->routes = fresh->routes;
    old->nroutes = fresh->nroutes;
    fresh->routes = routes; /* freed with fresh */
    fresh->nroutes = n;
    old->defaults = fresh->defaults;
    if (log_level_parse(fresh->log_level, &level) == 0) {
        old->log_level = fresh->log_level;
        fresh->log_level = level_name;
        log_threshold = level;
    }
}

void cn_reload(struct cn *cn)
{
    struct cn_config fresh;
    char err[1024];
    struct cn_config *cfg = &cn->cfg;

    log_info("cfg", "SIGHUP: reading %s again", cn->conf_file ? cn->conf_file : "(no file)");
    if (cn_config_load(&fresh, cn->conf_file, err, sizeof err) < 0) {
        log_error("cfg", "reload refused, the running config stays: %s", err);
        cn_config_free(&fresh);
        /* Loading set the buses of names; those of the running config hold. */
        cn_buses_set(*cfg->brokers, *cfg->nats_url, cfg->default_bus);
        return;
    }
    warn_restart_only(cfg, &fresh);
    swap_in_place(cfg, &fresh);
    cn_config_free(&fresh);
    cn_buses_set(*cfg->brokers, *cfg->nats_url, cfg->default_bus);
    log_info("cfg",
             "reload: %zu config route(s), log_level %s; the routing table is "
             "rebuilt now",
             cfg->nroutes, cfg->log_level);
    cn_refresh_now(cn->refresh);
}
