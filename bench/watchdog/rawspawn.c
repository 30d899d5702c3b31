/* rawspawn.c -- the ceiling for the watchdog's fork modes.
 *
 * Spawns `cat` through pipes as fast as this machine allows, keeping a
 * fixed number of processes in flight from one thread, each started by
 * lib/proc exactly as the watchdog starts a function: posix_spawnp (vfork)
 * with a new process group, an emptied signal mask and default
 * dispositions, O_CLOEXEC pipes for stdin and stdout (stderr joined to
 * stdout), a pidfd to see the exit, and waitpid to reap. Each process gets
 * a small body on stdin, its output is read to EOF, and it is reaped; the
 * latency of one call runs
 * from just before posix_spawnp to the reap.
 *
 * Usage: rawspawn [SECONDS [INFLIGHT [COMMAND]]]   (defaults 5, 16, cat)
 * COMMAND (no arguments) must copy its stdin to stdout, as cat does.
 * Prints one line: rate=<spawns/s> p50_ms=<> p99_ms=<> n=<> errors=<>
 * Exits non-zero if a spawn fails or the output differs from the body. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

#define MAX_INFLIGHT 256
static const char BODY[] = "hello";

struct slot {
    bool busy;
    struct proc p; /* p.out_fd -1 once EOF was read, p.pidfd once the exit was seen */
    double start;
    size_t got;
    char out[64];
};

struct samples {
    double *v;
    size_t n, cap;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void samples_add(struct samples *s, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        double *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv) {
            perror("realloc");
            exit(2);
        }
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const struct samples *s, double p)
{
    if (s->n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(s->n - 1) + 0.5);
    return s->v[i < s->n ? i : s->n - 1];
}

/* Starts one process in slot s, through lib/proc as the watchdog does:
 * spawn, write the body, close its stdin. */
static int start(struct slot *s, char *const argv[])
{
    char err[256];

    memset(s, 0, sizeof *s);
    s->start = now_ms();
    if (proc_spawn(&s->p, NULL, argv, environ, PROC_STDERR_COMBINE, err, sizeof err) < 0) {
        fprintf(stderr, "rawspawn: %s\n", err);
        return -1;
    }
    /* The body is far smaller than a pipe's buffer: one write suffices. */
    if (write(s->p.in_fd, BODY, sizeof BODY - 1) != (ssize_t)(sizeof BODY - 1)) {
        static bool told;
        if (!told)
            fprintf(stderr, "rawspawn: short write to stdin (%s)\n", strerror(errno));
        told = true;
    }
    proc_close_in(&s->p);
    s->busy = true;
    return 0;
}

/* Reaps a slot whose output ended and whose exit was seen. Returns 0 if
 * the process exited 0 and echoed the body. */
static int finish(struct slot *s, struct samples *lat)
{
    int status = 0;
    bool reaped = proc_reap(&s->p, &status);

    /* Without a pidfd the output's end may come before the exit. */
    if (!reaped) {
        pid_t r;
        while ((r = waitpid(s->p.pid, &status, 0)) < 0 && errno == EINTR)
            ;
        reaped = r == s->p.pid;
    }

    proc_close(&s->p);
    s->busy = false;
    samples_add(lat, now_ms() - s->start);
    if (!reaped || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    if (s->got != sizeof BODY - 1 || memcmp(s->out, BODY, s->got) != 0)
        return -1;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: rawspawn [SECONDS [INFLIGHT [COMMAND]]]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    double secs = 5;
    int inflight = 16;
    char *cmd_argv[2] = { NULL, NULL };
    char cat[] = "cat";
    cmd_argv[0] = cat;
    if (argc > 4)
        usage();
    if (argc > 1 && (secs = atof(argv[1])) <= 0)
        usage();
    if (argc > 2 && ((inflight = atoi(argv[2])) < 1 || inflight > MAX_INFLIGHT))
        usage();
    if (argc > 3)
        cmd_argv[0] = argv[3];
    signal(SIGPIPE, SIG_IGN);

    static struct slot slots[MAX_INFLIGHT];
    struct pollfd pfd[2 * MAX_INFLIGHT];
    int who[2 * MAX_INFLIGHT];
    struct samples lat = { 0 };
    unsigned long errors = 0;
    int running = 0;
    double t0 = now_ms(), deadline = t0 + secs * 1e3, t_end = t0;

    for (;;) {
        bool more = now_ms() < deadline;
        if (more) {
            for (int i = 0; i < inflight; i++) {
                if (slots[i].busy)
                    continue;
                if (start(&slots[i], cmd_argv) < 0) {
                    fprintf(stderr, "rawspawn: cannot spawn %s\n", cmd_argv[0]);
                    free(lat.v);
                    return 1;
                }
                running++;
            }
        }
        if (running == 0)
            break;
        nfds_t n = 0;
        for (int i = 0; i < inflight; i++) {
            if (!slots[i].busy)
                continue;
            if (slots[i].p.out_fd >= 0) {
                pfd[n] = (struct pollfd){ .fd = slots[i].p.out_fd, .events = POLLIN };
                who[n++] = i;
            }
            if (slots[i].p.pidfd >= 0) {
                pfd[n] = (struct pollfd){ .fd = slots[i].p.pidfd, .events = POLLIN };
                who[n++] = i;
            }
        }
        if (poll(pfd, n, 1000) < 0) {
            if (errno == EINTR)
                continue;
            perror("rawspawn: poll");
            free(lat.v);
            return 1;
        }
        for (nfds_t k = 0; k < n; k++) {
            if (!pfd[k].revents)
                continue;
            struct slot *s = &slots[who[k]];
            if (pfd[k].fd == s->p.out_fd) {
                char buf[4096];
                ssize_t r = read(s->p.out_fd, buf, sizeof buf);
                if (r > 0) {
                    size_t room = sizeof s->out - s->got;
                    size_t take = (size_t)r < room ? (size_t)r : room;
                    memcpy(s->out + s->got, buf, take);
                    s->got += (size_t)r; /* counts all, so extra output shows */
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    close(s->p.out_fd);
                    s->p.out_fd = -1;
                }
            } else if (pfd[k].fd == s->p.pidfd) {
                close(s->p.pidfd);
                s->p.pidfd = -1;
            }
            if (s->busy && s->p.out_fd < 0 && s->p.pidfd < 0) {
                if (finish(s, &lat) < 0)
                    errors++;
                running--;
                t_end = now_ms();
            }
        }
    }

    double elapsed = (t_end - t0) / 1e3;
    if (lat.n > 0)
        qsort(lat.v, lat.n, sizeof *lat.v, cmp_double);
    printf("rate=%.1f p50_ms=%.2f p99_ms=%.2f n=%zu errors=%lu\n",
           elapsed > 0 ? (double)lat.n / elapsed : 0.0, percentile(&lat, 0.50),
           percentile(&lat, 0.99), lat.n, errors);
    free(lat.v);
    return errors ? 1 : 0;
}
