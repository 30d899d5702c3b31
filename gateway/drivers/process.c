/* process.c -- the process driver: each replica of a function is a
 * faasbus-watchdog process on this host.
 *
 * DESIGN: the gateway binds each replica's listening socket on
 * 127.0.0.1 (any free port) and hands it over as fd 3 (LISTEN_FDS), so
 * there is no port race and the port is known before the process runs.
 * Replicas are supervised from the loop: an exit is seen through the
 * pidfd (exitwatch), and a replica that was not asked to stop is
 * restarted with exponential backoff. A replica is ready while its
 * /_/health answers 200, checked every health_interval (every 50 ms until
 * it first is). Its stdout and stderr become the function's log lines. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../driver.h"
#include "../functions.h"
#include "../gw.h"
#include "../logs.h"
#include "../replica.h"
#include "../reply.h"
#include "decimal.h"
#include "hprobe.h"
#include "lines.h"
#include "listenfd.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "process_cpu.h"
#include "uppool.h"
#include "xalloc.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define STABLE_MS 10000
#define FIRST_PROBE_MS 50
#define STOP_GRACE_MS 5000

extern char **environ;

static void start_replica(struct loop *lp, void *arg);
static void probe(struct loop *lp, void *arg);

/* The health checks' connections to the replicas, kept alive. */
static struct uppool *probe_pool;

/* --- environment of a replica ------------------------------------------- */

struct envb {
    char **v;
    size_t n, cap;
};

static void env_push(struct envb *e, char *var)
{
    if (e->n + 2 > e->cap) {
        e->cap = e->cap ? e->cap * 2 : 32;
        e->v = xrealloc(e->v, e->cap * sizeof *e->v);
    }
    e->v[e->n++] = var;
    e->v[e->n] = NULL;
}

/* Only the host's basics pass through, and only those the function does
 * not set itself: the gateway's own settings (port, mode...) must not
 * leak into a watchdog that reads the same names, nor its HOME (root's)
 * into a function. */
static void env_base(struct envb *e, const json_t *own)
{
    static const char *const keep[] = { "PATH",         "LANG",          "LC_ALL", "TZ",
                                        "ASAN_OPTIONS", "UBSAN_OPTIONS", NULL };
    for (char **v = environ; *v; v++)
        for (const char *const *k = keep; *k; k++) {
            size_t n = strlen(*k);
            if (strncmp(*v, *k, n) == 0 && (*v)[n] == '=' && !json_object_get(own, *k))
                env_push(e, xstrdup(*v));
        }
    if (!json_object_get(own, "PATH") && !getenv("PATH"))
        env_push(e, xstrdup("PATH=/usr/local/bin:/usr/bin:/bin"));
}

static char **replica_env(const struct gw *gw, const struct gw_replica *r)
{
    struct envb e = { 0 };
    const json_t *own = json_object_get(r->fn->dep, "envVars");
    env_base(&e, own);
    env_push(&e, xstrdup("LISTEN_FDS=2")); /* the port, and the Unix socket */
    env_push(&e, xasprintf("TMPDIR=%s", r->sandbox.tmpdir));
    if (!json_object_get(own, "HOME")) /* its own, writable by its user */
        env_push(&e, xasprintf("HOME=%s", r->sandbox.tmpdir));
    env_push(&e,
             xasprintf("secret_mount_path=%s", r->sandbox.secrets_mount ? r->sandbox.secrets_mount
                                                                        : r->sandbox.secrets_dir));
    env_push(&e, xstrdup("metrics_port=0"));
    env_push(&e, xstrdup("healthcheck_interval=0s")); /* we stop routing first */
    const char *fprocess = json_string_value(json_object_get(r->fn->dep, "envProcess"));
    if (fprocess && *fprocess)
        env_push(&e, xasprintf("fprocess=%s", fprocess));
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(r->fn->dep, "envVars"), key, value)
        env_push(&e, xasprintf("%s=%s", key, json_string_value(value)));
    (void)gw;
    return e.v;
}

static void env_free(char **env)
{
    for (char **v = env; v && *v; v++)
        free(*v);
    free(env);
}

/* --- output -> log lines ------------------------------------------------ */

/* A line of the replica's output, for /system/logs. */
static void take_line(void *arg, const char *line, size_t len)
{
    struct gw_replica *r = arg;
    if (r->fn)
        gw_logs_add(r->gw, r->fn, r->id, line, len);
}

static void on_output(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    struct gw_replica *r = arg;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n > 0) {
        lines_feed(&r->out, chunk, (size_t)n);
        return;
    }
    loop_unwatch(lp, fd);
}

/* Reads what is left in the output pipe (the process has exited) and
 * logs a last unterminated line. */
static void drain_output(struct gw_replica *r)
{
    char chunk[4096];
    ssize_t n;
    for (int i = 0;
         i < 64 && r->proc.out_fd >= 0 && (n = read(r->proc.out_fd, chunk, sizeof chunk)) > 0; i++)
        lines_feed(&r->out, chunk, (size_t)n);
    lines_flush(&r->out);
}

/* --- life and death ----------------------------------------------------- */

static void release(struct gw_replica *r)
{
    struct loop *lp = r->gw->lp;
    loop_timer_cancel(lp, r->timer);
    r->timer = NULL;
    hprobe_cancel(r->probe);
    r->probe = NULL;
    proc_exitwatch_stop(&r->exitw);
    loop_unwatch(lp, r->proc.out_fd);
    proc_close(&r->proc);
    gw_sandbox_remove(&r->sandbox);
}

static void close_sockets(struct gw_replica *r)
{
    if (r->listen_fd >= 0)
        close(r->listen_fd);
    if (r->unix_fd >= 0)
        close(r->unix_fd);
    r->listen_fd = r->unix_fd = -1;
}

static void replica_free(struct gw_replica *r)
{
    release(r);
    lines_cleanup(&r->out);
    close_sockets(r);
    free(r);
}

static void forget_dying(struct gw *gw, struct gw_replica *r)
{
    for (unsigned i = 0; i < gw->ndying; i++)
        if (gw->dying[i] == r) {
            gw->dying[i] = gw->dying[--gw->ndying];
            return;
        }
}

static void on_exit_seen(void *arg)
{
    struct gw_replica *r = arg;
    int status;
    if (!proc_reap(&r->proc, &status))
        return;
    proc_signal(&r->proc, SIGKILL); /* whatever the function left behind */
    gw_cgroup_kill(&r->sandbox.cg); /* ...even outside the process group */
    drain_output(r);                /* its last words, often why it died */
    release(r);
    r->running = r->ready = false;
    if (r->stopping || !r->fn) {
        forget_dying(r->gw, r);
        replica_free(r);
        return;
    }
    /* A new port for the next one: a call libcurl re-sends after a dead
     * keep-alive connection must fail (502), not run the function twice. */
    close_sockets(r);
    r->restarts++;
    r->fn->restarts++;
    char label[256];
    snprintf(label, sizeof label, "%s.%s", r->fn->name, r->fn->ns);
    metric_add(r->gw->restarts, (const char *[]){ label }, 1);
    if (loop_now_ms() - r->started_ms > STABLE_MS)
        r->backoff_ms = BACKOFF_MIN_MS;
    log_warn("replica", "replica exited, restarting function=%s.%s instance=%u %s=%d in=%lldms",
             r->fn->name, r->fn->ns, r->id, WIFEXITED(status) ? "exit_code" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), (long long)r->backoff_ms);
    r->timer = loop_timer_add(r->gw->lp, r->backoff_ms, start_replica, r);
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
}

/* A local directory named as the image is the function's working dir. */
static const char *working_dir(const struct gw_fn *fn)
{
    const char *image = json_string_value(json_object_get(fn->dep, "image"));
    struct stat st;
    if (image && image[0] == '/' && stat(image, &st) == 0 && S_ISDIR(st.st_mode))
        return image;
    return NULL;
}

/* The port, and the abstract socket named after the gateway's pid, the
 * replica's serial and its restarts: each run's own, like its port. Not
 * fd 3 or 4, which the handing over overwrites. */
static int bind_sockets(struct gw_replica *r, char *err, size_t errlen)
{
    r->listen_fd = listenfd_bind("127.0.0.1", 0, err, errlen);
    if (r->listen_fd < 0)
        return -1;
    r->port = listenfd_port(r->listen_fd);
    snprintf(r->unix_name, sizeof r->unix_name, "@faasbus-%d-%llu-%u", (int)getpid(),
             (unsigned long long)r->serial, r->restarts);
    int fd = listenfd_bind_unix(r->unix_name, err, errlen);
    if (fd >= 0 && fd <= 4) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 5);
        if (high < 0)
            snprintf(err, errlen, "cannot move the unix socket off fd %d: %s", fd, strerror(errno));
        close(fd);
        fd = high;
    }
    if (fd < 0) {
        close_sockets(r);
        return -1;
    }
    r->unix_fd = fd;
    return 0;
}

static int spawn(struct gw *gw, struct gw_replica *r, char *err, size_t errlen)
{
    if (r->listen_fd < 0 && bind_sockets(r, err, errlen) < 0)
        return -1;
    if (gw_sandbox_make(&r->sandbox, gw, r->fn, r->id, err, errlen) < 0)
        return -1;
    char **env = replica_env(gw, r);
    char *argv[] = { gw->cfg.watchdog_path, NULL };
    const struct gw_sandbox *sb = &r->sandbox;
    struct proc_opts o = { .path = gw->cfg.watchdog_path,
                           .how = PROC_STDERR_COMBINE,
                           .pass_fd = r->listen_fd,
                           .pass_fd2 = r->unix_fd,
                           .cwd = working_dir(r->fn),
                           .drop_user = sb->drop_user,
                           .uid = sb->uid,
                           .gid = sb->gid,
                           .join = (const char *const *)sb->cg.procs,
                           .rlimit_as = sb->cg.rlimit_as,
                           .death_signal = SIGTERM, /* no replica outlives us */
                           .bind_src = sb->secrets_mount ? sb->secrets_dir : NULL,
                           .bind_dst = sb->secrets_mount };
    int rc = proc_spawn_opts(&r->proc, &o, argv, env, err, errlen);
    env_free(env);
    if (rc < 0)
        gw_sandbox_remove(&r->sandbox);
    return rc;
}

static void start_replica(struct loop *lp, void *arg)
{
    struct gw_replica *r = arg;
    char err[256];
    r->timer = NULL;
    if (spawn(r->gw, r, err, sizeof err) < 0) {
        log_error("replica", "cannot start a replica function=%s.%s: %s", r->fn->name, r->fn->ns,
                  err);
        r->timer = loop_timer_add(lp, r->backoff_ms, start_replica, r);
        r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
        return;
    }
    proc_close_in(&r->proc);
    r->running = true;
    r->started_ms = loop_now_ms();
    loop_watch(lp, r->proc.out_fd, LOOP_READ, on_output, r);
    proc_exitwatch_start(&r->exitw, lp, &r->proc, on_exit_seen, r);
    log_info("replica", "replica started function=%s.%s instance=%u pid=%d port=%d socket=%s",
             r->fn->name, r->fn->ns, r->id, (int)r->proc.pid, r->port, r->unix_name);
    r->timer = loop_timer_add(lp, FIRST_PROBE_MS, probe, r);
}

/* --- health ------------------------------------------------------------- */

static void retire_old_generations(struct gw *gw, struct gw_fn *fn);

static void on_probe(void *arg, int status, const char *error)
{
    (void)error; /* not ready is all it says */
    struct gw_replica *r = arg;
    struct gw *gw = r->gw;
    r->probe = NULL;
    bool was = r->ready;
    r->ready = r->running && !r->stopping && status == 200;
    if (r->ready != was)
        log_info("replica", "replica %s function=%s.%s instance=%u", r->ready ? "ready" : "unready",
                 r->fn ? r->fn->name : "-", r->fn ? r->fn->ns : "-", r->id);
    struct gw_fn *fn = r->fn; /* retiring may stop r itself (fn = NULL) */
    if (r->ready && !was && fn) {
        retire_old_generations(gw, fn);
        if (gw->on_replica_ready)
            gw->on_replica_ready(gw, fn);
    }
    if (r->running && !r->stopping)
        r->timer = loop_timer_add(gw->lp, r->ready ? gw->cfg.health_interval_ms : FIRST_PROBE_MS,
                                  probe, r);
}

static void probe(struct loop *lp, void *arg)
{
    (void)lp;
    struct gw_replica *r = arg;
    r->timer = NULL;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_/health", r->port);
    /* Where the calls go: ready means they can be answered there. */
    r->probe = hprobe_start(r->gw->lp, probe_pool, url, r->unix_name, 2000, on_probe, r);
}

/* --- the driver --------------------------------------------------------- */

static struct gw_replica *replica_new(struct gw *gw, struct gw_fn *fn)
{
    struct gw_replica *r = xcalloc(1, sizeof *r);
    r->gw = gw;
    r->fn = fn;
    r->id = fn->next_id++;
    r->serial = ++gw->replica_serial;
    /* Room for the longest line the watchdog writes (PIPE_BUF, one
     * write(2)), so no line reaches /system/logs in pieces. */
    lines_init(&r->out, 16384, take_line, r);
    r->generation = fn->generation;
    r->listen_fd = r->unix_fd = -1;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->proc.pid = -1;
    r->proc.in_fd = r->proc.out_fd = r->proc.err_fd = r->proc.pidfd = -1;
    fn->replicas = xrealloc(fn->replicas, (fn->nreplicas + 1) * sizeof(struct gw_replica *));
    fn->replicas[fn->nreplicas++] = r;
    return r;
}

static void detach(struct gw_fn *fn, unsigned i)
{
    fn->replicas[i] = fn->replicas[--fn->nreplicas];
}

/* Out of rotation at once; SIGTERM (the watchdog drains), SIGKILL if it
 * is still there after a grace period. Freed when its exit is seen. */
static void on_stop_deadline(struct loop *lp, void *arg)
{
    (void)lp;
    struct gw_replica *r = arg;
    r->timer = NULL;
    log_warn("replica", "replica did not stop in time, killing instance=%u pid=%d", r->id,
             (int)r->proc.pid);
    proc_signal(&r->proc, SIGKILL);
}

static void stop_replica(struct gw *gw, struct gw_replica *r)
{
    r->stopping = true;
    r->ready = false;
    r->fn = NULL;
    loop_timer_cancel(gw->lp, r->timer);
    r->timer = NULL;
    hprobe_cancel(r->probe);
    r->probe = NULL;
    if (!r->running) {
        replica_free(r);
        return;
    }
    gw->dying = xrealloc(gw->dying, (gw->ndying + 1) * sizeof(struct gw_replica *));
    gw->dying[gw->ndying++] = r;
    kill(r->proc.pid, SIGTERM); /* the watchdog alone: it drains its calls */
    r->timer = loop_timer_add(gw->lp, STOP_GRACE_MS, on_stop_deadline, r);
}

static unsigned count(const struct gw_fn *fn, bool current_only, bool ready_only)
{
    unsigned n = 0;
    for (unsigned i = 0; i < fn->nreplicas; i++) {
        const struct gw_replica *r = fn->replicas[i];
        if ((!current_only || r->generation == fn->generation) && (!ready_only || r->ready))
            n++;
    }
    return n;
}

static unsigned available(const struct gw_fn *fn)
{
    return count(fn, false, true);
}

/* After an update: once the new generation is ready, the old one goes. */
static void retire_old_generations(struct gw *gw, struct gw_fn *fn)
{
    if (count(fn, true, true) < (unsigned)fn->desired)
        return;
    for (unsigned i = fn->nreplicas; i-- > 0;) {
        struct gw_replica *r = fn->replicas[i];
        if (r->generation != fn->generation) {
            detach(fn, i);
            stop_replica(gw, r);
        }
    }
}

static void apply(struct gw *gw, struct gw_fn *fn)
{
    while (count(fn, true, false) < (unsigned)fn->desired)
        start_replica(gw->lp, replica_new(gw, fn));
    /* Scale down: newest (highest id) current replicas go first. */
    while (count(fn, true, false) > (unsigned)fn->desired) {
        unsigned pick = fn->nreplicas;
        for (unsigned i = 0; i < fn->nreplicas; i++)
            if (fn->replicas[i]->generation == fn->generation &&
                (pick == fn->nreplicas || fn->replicas[i]->id > fn->replicas[pick]->id))
                pick = i;
        if (pick == fn->nreplicas)
            break; /* nothing current left to stop (count() says otherwise) */
        struct gw_replica *r = fn->replicas[pick];
        detach(fn, pick);
        stop_replica(gw, r);
    }
    retire_old_generations(gw, fn);
}

static void update(struct gw *gw, struct gw_fn *fn)
{
    fn->generation++;
    apply(gw, fn);
}

static void stop_all(struct gw *gw, struct gw_fn *fn)
{
    while (fn->nreplicas) {
        struct gw_replica *r = fn->replicas[fn->nreplicas - 1];
        detach(fn, fn->nreplicas - 1);
        stop_replica(gw, r);
    }
}

static bool pick(struct gw *gw, struct gw_fn *fn, struct gw_endpoint *ep)
{
    (void)gw;
    /* During an update the new generation takes every call it can: once
     * a caller has seen the new version, it does not see the old again. */
    struct gw_replica *best = NULL;
    unsigned at = 0;
    for (unsigned k = 0; k < fn->nreplicas; k++) {
        unsigned i = (fn->pick_from + k) % fn->nreplicas;
        struct gw_replica *r = fn->replicas[i];
        bool newer = best && r->generation > best->generation;
        bool same = best && r->generation == best->generation;
        if (r->ready && (!best || newer || (same && r->inflight < best->inflight))) {
            best = r;
            at = i;
        }
    }
    if (!best)
        return false;
    fn->pick_from = at + 1;
    best->inflight++;
    ep->id = best->id;
    ep->serial = best->serial;
    /* Once per call: without printf, which showed in the profile. */
    static const char local[] = "http://127.0.0.1:";
    memcpy(ep->base_url, local, sizeof local - 1);
    decimal_i64(ep->base_url + sizeof local - 1, best->port);
    _Static_assert(sizeof ep->unix_path >= sizeof best->unix_name, "unix_name fits unix_path");
    memcpy(ep->unix_path, best->unix_name, sizeof best->unix_name); /* NUL included */
    decimal_i64(ep->instance, best->id);
    return true;
}

/* The replica may be gone (stopped, or its function removed): then there
 * is nothing to give back. */
static void release_call(struct gw *gw, const char *name, const char *ns, uint64_t serial)
{
    struct gw_fn *fn = gw_fn_find(gw, name, ns);
    for (unsigned i = 0; fn && i < fn->nreplicas; i++)
        if (fn->replicas[i]->serial == serial && fn->replicas[i]->inflight)
            fn->replicas[i]->inflight--;
}

/* started_ms is on the loop's clock, which does not tell the time of day. */
static json_t *started_json(const struct gw_replica *r)
{
    struct timespec ts;
    char when[40];

    if (!r->running)
        return json_null();
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    gw_format_time(now_ms - (loop_now_ms() - r->started_ms), when, sizeof when);
    return json_string(when);
}

static void replica_status(const struct gw *gw, const struct gw_fn *fn, json_t *out)
{
    (void)gw;
    for (unsigned i = 0; i < fn->nreplicas; i++) {
        const struct gw_replica *r = fn->replicas[i];
        char name[16];
        snprintf(name, sizeof name, "%u", r->id); /* as X-Served-By names it */
        json_array_append_new(out,
                              json_pack("{s:s, s:b, s:i, s:o}", "name", name, "ready", r->ready,
                                        "restarts", (int)r->restarts, "started", started_json(r)));
    }
}

/* At exit the loop no longer runs: wait for each replica by hand. */
static void shutdown_all(struct gw *gw)
{
    for (struct gw_fn *fn = gw->fns; fn; fn = fn->next)
        stop_all(gw, fn);
    int64_t deadline = loop_now_ms() + STOP_GRACE_MS;
    while (gw->ndying) {
        struct gw_replica *r = gw->dying[gw->ndying - 1];
        int status;
        while (!proc_reap(&r->proc, &status) && loop_now_ms() < deadline)
            usleep(10000);
        proc_signal(&r->proc, SIGKILL);
        waitpid(r->proc.pid, &status, 0);
        gw->ndying--;
        replica_free(r);
    }
    gw_sandbox_forget_uids();
    free(gw->dying);
    gw->dying = NULL;
    uppool_free(probe_pool);
    probe_pool = NULL;
}

static void start(struct gw *gw)
{
    probe_pool = uppool_new(gw->lp);
    gw_cgroup_sweep();
}

const struct gw_driver gw_process_driver = {
    .name = "process",
    .start = start,
    .apply = apply,
    .update = update,
    .remove = stop_all,
    .available = available,
    .pick = pick,
    .release = release_call,
    .cpu_seconds = gw_process_cpu_seconds,
    .replica_status = replica_status,
    .shutdown = shutdown_all,
};
