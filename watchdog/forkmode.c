/* forkmode.c -- a process per request: classic, serializing, streaming.
 *
 * DESIGN: every request's process is driven from the loop: its stdin is
 * written, its stdout and stderr read, and its exit seen through a pidfd,
 * all without blocking, so one thread serves any number of processes.
 * A call lives until both its process side (exited and output ended) and
 * its request side (answered, or the client gone) are over.
 *
 * Buffered modes (classic, serializing) take the whole body, run the
 * process and answer with its output and status. Streaming passes the
 * body to stdin as it arrives and streams stdout back; lib/httpd can
 * only answer after the body has ended, so output made before then waits
 * in a spool (memory, then a temporary file). Buffered modes answer from
 * the same spool, so a call's output costs a bounded amount of memory
 * whatever its size. */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env.h"
#include "exitwatch.h"
#include "httpd.h"
#include "linelog.h"
#include "log.h"
#include "loop.h"
#include "marshal.h"
#include "proc.h"
#include "spawner.h"
#include "spool.h"
#include "wd.h"
#include "xalloc.h"

#define OUT_MEM (256 * 1024)       /* output held in memory; the rest waits on disk */
#define STREAM_AHEAD (1024 * 1024) /* streamed output read ahead of the client */
#define KILL_GRACE_MS 1000
/* After the function exits, how long a process it left in the background
 * may keep its output open before the call ends without it. */
#define ORPHAN_GRACE_MS 100

struct call {
    struct wd *wd;
    struct httpd_req *req; /* NULL once the request is over */
    struct proc proc;
    struct spawn_job job; /* while starting: owned by the spawner */
    bool spawning, eof_pending;
    struct proc_exitwatch exitw;
    char method[16];
    double start;
    bool streaming;
    const char *in; /* buffered stdin, borrowed from req or in_owned */
    size_t in_len, in_off;
    char *in_owned;
    struct spool out;
    /* Bytes of stdout read so far, and where the function's own output
     * ends: what was read when it exited plus what its pipe held then. */
    uint64_t out_read, own_out_end;
    struct linelog errlog;
    bool out_eof, err_eof, exited, reaped_group, out_paused, body_eof;
    bool timed_out, killed, too_big, debug_logged;
    int wstatus;
    int status; /* sent to the client */
    struct loop_timer *exec_timer, *kill_timer;
};

static void on_out(struct loop *lp, int fd, unsigned events, void *arg);
static void maybe_finish(struct call *c);
static void close_stdin(struct call *c);

static bool process_over(const struct call *c)
{
    return c->exited && c->out_eof && c->err_eof;
}

static void call_free(struct call *c)
{
    struct loop *lp = c->wd->lp;
    const int fds[] = { c->proc.in_fd, c->proc.out_fd, c->proc.err_fd };
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        loop_unwatch(lp, fds[i]);
    proc_exitwatch_stop(&c->exitw);
    loop_timer_cancel(lp, c->exec_timer);
    loop_timer_cancel(lp, c->kill_timer);
    proc_close(&c->proc);
    spool_cleanup(&c->out);
    linelog_cleanup(&c->errlog);
    free(c->in_owned);
    free(c);
}

/* Ends the process group: SIGTERM now, SIGKILL after a grace period. */
static void on_kill_timer(struct loop *lp, void *arg)
{
    struct call *c = arg;
    c->kill_timer = NULL;
    proc_signal(&c->proc, SIGKILL);
    /* Output after a kill is moot; a member that escaped the group must
     * not hold the request open through an inherited pipe. */
    loop_unwatch(lp, c->proc.out_fd);
    if (c->proc.err_fd >= 0)
        loop_unwatch(lp, c->proc.err_fd);
    c->out_eof = c->err_eof = true;
    maybe_finish(c);
}

/* The function exited but something it started still holds its output
 * (`sleep 15 &`): the call is over, and so is that something. */
static void on_orphan_grace(struct loop *lp, void *arg)
{
    struct call *c = arg;
    c->kill_timer = NULL;
    if (process_over(c)) { /* its output ended in time: only clean up */
        proc_signal(&c->proc, SIGKILL);
        return;
    }
    if (c->out_read < c->own_out_end) {
        /* Not all the function wrote before it exited has been read: we
         * paused reading it (the client reads slower than it wrote), or
         * the loop has not got to it yet (it resumed in this very turn).
         * The pipe is held by output, not by an orphan: look again once
         * the grace has passed. */
        c->kill_timer = loop_timer_add(lp, ORPHAN_GRACE_MS, on_orphan_grace, c);
        return;
    }
    log_warn("proc",
             "function exited but a process it left behind holds its output open: "
             "ending the call and its process group pid=%d",
             (int)c->proc.pid);
    c->killed = true;
    on_kill_timer(lp, c);
}

static void kill_group(struct call *c)
{
    if (c->killed)
        return;
    c->killed = true;
    proc_signal(&c->proc, SIGTERM);
    loop_timer_cancel(c->wd->lp, c->kill_timer); /* an orphan grace: it would outlive the call */
    c->kill_timer = loop_timer_add(c->wd->lp, KILL_GRACE_MS, on_kill_timer, c);
}

static void on_exec_timeout(struct loop *lp, void *arg)
{
    (void)lp;
    struct call *c = arg;
    c->exec_timer = NULL;
    c->timed_out = true;
    log_warn("proc", "function timed out, killing its process group pid=%d exec_timeout=%lldms",
             (int)c->proc.pid, (long long)c->wd->cfg.exec_timeout_ms);
    kill_group(c);
}

/* --- the process's pipes ------------------------------------------------ */

static void on_stdin(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    struct call *c = arg;
    if (c->streaming) { /* the body sink waits for room: let it go on */
        loop_unwatch(lp, fd);
        if (c->req)
            httpd_wake(c->req);
        return;
    }
    while (c->in_off < c->in_len) {
        ssize_t n = write(fd, c->in + c->in_off, c->in_len - c->in_off);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) /* EPIPE: the function does not read its input */
            break;
        c->in_off += (size_t)n;
    }
    loop_unwatch(lp, fd);
    proc_close_in(&c->proc);
}

static void on_stderr(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    struct call *c = arg;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n > 0) {
        linelog_feed(&c->errlog, chunk, (size_t)n);
        return;
    }
    linelog_flush(&c->errlog);
    loop_unwatch(lp, fd);
    c->err_eof = true;
    maybe_finish(c);
}

/* Reads what stdout has, a bounded amount per call so one chatty process
 * cannot starve the others. */
static void on_out(struct loop *lp, int fd, unsigned events, void *arg)
{
    (void)events;
    struct call *c = arg;
    char chunk[64 * 1024];
    for (int i = 0; i < 4; i++) {
        if (c->streaming && c->body_eof && spool_len(&c->out) >= STREAM_AHEAD) {
            c->out_paused = true; /* the client reads slower than we make */
            loop_unwatch(lp, fd);
            return;
        }
        if (spool_space(&c->out) < (int64_t)sizeof chunk) {
            c->too_big = true;
            kill_group(c);
            loop_unwatch(lp, fd);
            return;
        }
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            loop_unwatch(lp, fd);
            c->out_eof = true;
            maybe_finish(c);
            return;
        }
        c->out_read += (uint64_t)n;
        if (spool_write(&c->out, chunk, (size_t)n) < 0) {
            log_error("proc", "cannot hold the function's output: %s", strerror(errno));
            c->too_big = true;
            kill_group(c);
        }
        if (c->streaming && c->req)
            httpd_wake(c->req);
    }
}

/* Bytes waiting in the stdout pipe (0 once it is closed or at its end). */
static uint64_t unread_output(const struct call *c)
{
    int n = 0;

    if (c->out_eof || ioctl(c->proc.out_fd, FIONREAD, &n) < 0 || n < 0)
        return 0;
    return (uint64_t)n;
}

static void on_exit_seen(void *arg)
{
    struct call *c = arg;
    if (!proc_reap(&c->proc, &c->wstatus))
        return;
    proc_exitwatch_stop(&c->exitw);
    c->exited = true;
    if (!c->killed && (!c->out_eof || !c->err_eof)) {
        c->own_out_end = c->out_read + unread_output(c);
        c->kill_timer = loop_timer_add(c->wd->lp, ORPHAN_GRACE_MS, on_orphan_grace, c);
    } else { /* whatever it started goes too, and is reaped: no call leaves any */
        proc_signal(&c->proc, SIGKILL);
    }
    wd_reap_group_later(c->wd, c->proc.pid);
    maybe_finish(c);
}

/* --- answering ---------------------------------------------------------- */

static int exit_code(const struct call *c)
{
    if (WIFEXITED(c->wstatus))
        return WEXITSTATUS(c->wstatus);
    return 128 + (WIFSIGNALED(c->wstatus) ? WTERMSIG(c->wstatus) : 0);
}

static void set_content_type(struct call *c)
{
    const char *ct = c->wd->cfg.content_type;
    if (!ct && c->wd->cfg.mode == WD_CLASSIC)
        ct = httpd_req_header(c->req, "Content-Type");
    if (ct && *ct)
        httpd_add_header(c->req, "Content-Type", ct);
}

/* Buffered modes' body, pulled from the spool; the process is over, so
 * an empty spool is the end. */
static ssize_t read_buffered(void *arg, char *out, size_t max)
{
    struct call *c = arg;
    ssize_t n = spool_read(&c->out, out, max);
    if (n < 0)
        return HTTPD_READ_ERROR;
    if (n == 0)
        return HTTPD_READ_EOF;
    if (c->wd->cfg.write_debug && !c->debug_logged) {
        c->debug_logged = true;
        log_info("proc", "output: %.*s", (int)(n < 4096 ? n : 4096), out);
    }
    return n;
}

/* Buffered modes: status by exit code, body is the output. */
static void respond_buffered(struct call *c)
{
    int code = exit_code(c);
    int64_t len = spool_len(&c->out);
    double secs = loop_now_s() - c->start;
    if (c->timed_out) {
        c->status = 408;
        httpd_add_header(c->req, "X-OpenFaaS-Internal", "watchdog");
        wd_add_duration(c->req);
        httpd_respondf(c->req, 408, "Killed process: exec_timeout of %lldms reached\n",
                       (long long)c->wd->cfg.exec_timeout_ms);
    } else if (c->too_big) {
        c->status = 500;
        wd_add_duration(c->req);
        httpd_respondf(c->req, 500, "function output is larger than max_output_size (%lld bytes)\n",
                       (long long)c->wd->cfg.max_output_size);
    } else {
        c->status = code == 0 ? 200 : 500;
        if (code != 0)
            log_warn("proc", "function exited with an error exit_code=%d", code);
        set_content_type(c);
        wd_add_duration(c->req);
        httpd_respond_stream(c->req, c->status, len, read_buffered, c);
    }
    /* The classic watchdog's words and format: tools and tests read them. */
    log_classic("Wrote %lld Bytes - Duration: %.6f seconds", (long long)len, secs);
}

static void maybe_finish(struct call *c)
{
    if (!process_over(c))
        return;
    if (c->kill_timer && !c->killed) { /* output ended within the orphan grace */
        loop_timer_cancel(c->wd->lp, c->kill_timer);
        c->kill_timer = NULL;
        proc_signal(&c->proc, SIGKILL); /* what it left behind goes */
    }
    if (c->exec_timer) {
        loop_timer_cancel(c->wd->lp, c->exec_timer);
        c->exec_timer = NULL;
    }
    if (!c->req) {
        call_free(c);
        return;
    }
    if (c->streaming) {
        if (exit_code(c) != 0 && !c->timed_out)
            log_warn("proc", "function exited with an error exit_code=%d", exit_code(c));
        httpd_wake(c->req); /* the reader sees the end */
        return;
    }
    if (!httpd_responded(c->req))
        respond_buffered(c);
}

static void on_request_done(void *arg, bool completed)
{
    struct call *c = arg;
    if (!completed && !c->timed_out)
        log_info("http", "client left before the answer path=%s", httpd_req_path(c->req));
    wd_request_end(c->wd, c->method, httpd_responded(c->req) ? c->status : 0, c->start);
    c->req = NULL;
    if (c->spawning)
        return; /* on_spawned ends it */
    if (process_over(c)) {
        call_free(c);
        return;
    }
    if (!c->out_eof || !c->exited) { /* nobody waits for it any more */
        close_stdin(c);
        if (!c->out_eof)
            kill_group(c);
    }
}

/* --- streaming ---------------------------------------------------------- */

static ssize_t read_output(void *arg, char *out, size_t max)
{
    struct call *c = arg;
    ssize_t n = spool_read(&c->out, out, max);
    if (n < 0)
        return HTTPD_READ_ERROR;
    if (c->out_paused && spool_len(&c->out) < STREAM_AHEAD / 2) {
        c->out_paused = false;
        loop_watch(c->wd->lp, c->proc.out_fd, LOOP_READ, on_out, c);
    }
    if (n > 0)
        return n;
    if (c->out_eof)
        return c->timed_out || c->too_big ? HTTPD_READ_ERROR : HTTPD_READ_EOF;
    return 0;
}

static void close_stdin(struct call *c)
{
    if (c->proc.in_fd >= 0) {
        loop_unwatch(c->wd->lp, c->proc.in_fd);
        proc_close_in(&c->proc);
    }
}

static size_t on_body(void *arg, const char *data, size_t len, bool eof)
{
    struct call *c = arg;
    if (eof) {
        c->body_eof = true;
        close_stdin(c);
        set_content_type(c);
        c->status = 200;
        httpd_respond_stream(c->req, 200, -1, read_output, c);
        return 0;
    }
    if (c->proc.in_fd < 0)
        return len; /* the function stopped reading: drop the rest */
    ssize_t n = write(c->proc.in_fd, data, len);
    if (n < 0 && errno != EAGAIN) {
        close_stdin(c); /* EPIPE: it stopped reading; drop the rest */
        return len;
    }
    size_t done = n > 0 ? (size_t)n : 0;
    if (done < len) /* the pipe is full: go on when it drains */
        loop_watch(c->wd->lp, c->proc.in_fd, LOOP_WRITE, on_stdin, c);
    return done;
}

/* --- starting ----------------------------------------------------------- */

/* While the process starts: data waits in the connection (0 consumed, so
 * it comes again after httpd_wake); the end of the body, which comes only
 * once, is remembered. */
static size_t hold_body(void *arg, const char *data, size_t len, bool eof)
{
    struct call *c = arg;
    (void)data;
    (void)len;
    if (eof)
        c->eof_pending = true;
    return 0;
}

static void watch_process(struct call *c);

/* Locality: loop thread, once the spawner has started (or failed to start)
 * the process. */
static void on_spawned(struct spawn_job *job)
{
    struct call *c = (struct call *)((char *)job - offsetof(struct call, job));
    c->spawning = false;
    c->proc = job->proc;
    if (job->rc < 0) {
        log_error("proc", "%s", job->err);
        c->out_eof = c->err_eof = c->exited = true;
        if (!c->req) {
            call_free(c);
            return;
        }
        c->status = 500;
        httpd_req_on_body(c->req, NULL, NULL); /* the rest of the body is dropped */
        httpd_respondf(c->req, 500, "%s\n", job->err);
        return;
    }
    watch_process(c);
    if (!c->req) { /* the client left while it started */
        close_stdin(c);
        kill_group(c);
        return;
    }
    if (c->streaming) {
        httpd_req_on_body(c->req, on_body, c);
        if (c->eof_pending)
            on_body(c, NULL, 0, true);
        else
            httpd_wake(c->req);
    }
}

static void watch_process(struct call *c)
{
    struct loop *lp = c->wd->lp;
    proc_exitwatch_start(&c->exitw, lp, &c->proc, on_exit_seen, c);
    loop_watch(lp, c->proc.out_fd, LOOP_READ, on_out, c);
    if (c->proc.err_fd >= 0)
        loop_watch(lp, c->proc.err_fd, LOOP_READ, on_stderr, c);
    else
        c->err_eof = true;
    if (!c->streaming) {
        if (c->in_len)
            loop_watch(lp, c->proc.in_fd, LOOP_WRITE, on_stdin, c);
        else
            close_stdin(c);
    }
    if (c->wd->cfg.exec_timeout_ms > 0)
        c->exec_timer = loop_timer_add(lp, c->wd->cfg.exec_timeout_ms, on_exec_timeout, c);
}

static enum proc_stderr stderr_handling(const struct wd *wd)
{
    if (wd->cfg.mode == WD_CLASSIC && wd->cfg.combine_output)
        return PROC_STDERR_COMBINE;
    return PROC_STDERR_PIPE;
}

static struct call *call_new(struct wd *wd, struct httpd_req *req)
{
    struct call *c = xcalloc(1, sizeof *c);
    c->wd = wd;
    c->req = req;
    c->start = httpd_req_start_s(req);
    c->streaming = wd->cfg.mode == WD_STREAMING;
    snprintf(c->method, sizeof c->method, "%s", httpd_req_method(req));
    spool_init(&c->out, OUT_MEM, wd->cfg.max_output_size);
    linelog_init(&c->errlog, "stderr", wd->cfg.prefix_logs);
    return c;
}

static void start(struct wd *wd, struct httpd_req *req, int64_t body_len)
{
    if (!wd_request_begin(wd, req))
        return;
    struct call *c = call_new(wd, req);
    if (body_len >= 0) {
        size_t len;
        const char *body = httpd_req_body(req, &len);
        c->in = body;
        c->in_len = len;
        if (wd->cfg.marshal_request) {
            c->in_owned = wd_marshal_request(req, body, len, &c->in_len);
            c->in = c->in_owned;
        }
        if (wd->cfg.write_debug)
            log_info("http", "request body: %.*s", (int)(len < 4096 ? len : 4096), body);
    }
    c->job = (struct spawn_job){ .path = wd->program,
                                 .argv = wd->argv,
                                 .env = wd_env_build(wd->base_env, req, body_len),
                                 .how = stderr_handling(wd),
                                 .done = on_spawned };
    c->spawning = true;
    log_classic("Forking fprocess.");
    httpd_req_on_done(req, on_request_done, c);
    if (c->streaming) /* the body waits in the connection until stdin exists */
        httpd_req_on_body(req, hold_body, c);
    spawner_start(wd->spawner, &c->job);
}

static void on_buffered(struct httpd_req *req, void *arg)
{
    size_t len;
    httpd_req_body(req, &len);
    start(arg, req, (int64_t)len);
}

static void on_streamed(struct httpd_req *req, void *arg)
{
    start(arg, req, -1);
}

int wd_fork_init(struct wd *wd, char *err, size_t errlen)
{
    wd->argv = proc_split_command(wd->cfg.fprocess);
    if (!wd->argv) {
        snprintf(err, errlen,
                 "fprocess: cannot split \"%s\" into a command "
                 "(empty, or an unclosed quote)",
                 wd->cfg.fprocess);
        return -1;
    }
    wd->program = proc_find_program(wd->argv[0]);
    if (!wd->program)
        log_warn("proc", "fprocess: %s is not an executable on PATH; requests will fail",
                 wd->argv[0]);
    wd->spawner = spawner_new(wd->lp);
    if (wd->cfg.mode == WD_STREAMING)
        httpd_route(wd->http, "*", HTTPD_BODY_STREAM, on_streamed, wd);
    else
        httpd_route(wd->http, "*", HTTPD_BODY_BUFFER, on_buffered, wd);
    return 0;
}
