/* process.c -- posix_spawn with pipes, pidfds and process groups.
 *
 * posix_spawn rather than fork: glibc implements it with CLONE_VFORK, so
 * the cost of starting a process does not grow with our own memory size,
 * and it is the fastest way to run many short-lived functions. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xalloc.h"

/* --- command splitting -------------------------------------------------- */

static size_t next_word(const char **sp, char *out)
{
    const char *s = *sp;
    size_t n = 0;
    char quote = 0;
    for (; *s; s++) {
        if (quote) {
            if (*s == quote)
                quote = 0;
            else if (*s == '\\' && quote == '"' && s[1])
                out[n++] = *++s;
            else
                out[n++] = *s;
        } else if (*s == '\'' || *s == '"') {
            quote = *s;
        } else if (*s == '\\' && s[1]) {
            out[n++] = *++s;
        } else if (*s == ' ' || *s == '\t') {
            break;
        } else {
            out[n++] = *s;
        }
    }
    *sp = s;
    return quote ? (size_t)-1 : n;
}

char **proc_split_command(const char *cmd)
{
    size_t cap = 4, argc = 0;
    char **argv = xmalloc(cap * sizeof *argv);
    char *word = xmalloc(strlen(cmd) + 1);
    const char *s = cmd;
    for (;;) {
        s += strspn(s, " \t");
        if (!*s)
            break;
        const char *start = s;
        size_t n = next_word(&s, word);
        if (n == (size_t)-1)
            goto bad;
        if (n == 0 && s - start < 2)
            continue;
        if (argc + 2 > cap)
            argv = xrealloc(argv, (cap *= 2) * sizeof *argv);
        argv[argc++] = xstrndup(word, n);
    }
    free(word);
    argv[argc] = NULL;
    if (argc == 0) {
        free(argv);
        return NULL;
    }
    return argv;
bad:
    free(word);
    argv[argc] = NULL;
    proc_argv_free(argv);
    return NULL;
}

void proc_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

/* --- spawning ----------------------------------------------------------- */

static int nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_pair(int p[2])
{
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    p[0] = p[1] = -1;
}

static void set_attrs(posix_spawnattr_t *attr)
{
    sigset_t none, defaults;
    sigemptyset(&none);
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    posix_spawnattr_init(attr);
    posix_spawnattr_setpgroup(attr, 0);
    posix_spawnattr_setsigmask(attr, &none);
    /* Ignored signals stay ignored across exec (we ignore SIGPIPE). */
    posix_spawnattr_setsigdefault(attr, &defaults);
    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                       POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);
}

static void set_files(posix_spawn_file_actions_t *fa, const int in[2], const int out[2],
                      const int errp[2], const struct proc_opts *o)
{
    posix_spawn_file_actions_init(fa);
    posix_spawn_file_actions_adddup2(fa, in[0], 0);
    posix_spawn_file_actions_adddup2(fa, out[1], 1);
    if (o->how == PROC_STDERR_COMBINE)
        posix_spawn_file_actions_adddup2(fa, out[1], 2);
    else if (o->how == PROC_STDERR_PIPE)
        posix_spawn_file_actions_adddup2(fa, errp[1], 2);
    if (o->pass_fd >= 0) /* dup2 clears close-on-exec on the copy */
        posix_spawn_file_actions_adddup2(fa, o->pass_fd, 3);
    if (o->pass_fd2 > 3) /* not 3, which the line above has just replaced */
        posix_spawn_file_actions_adddup2(fa, o->pass_fd2, 4);
    if (o->cwd)
        posix_spawn_file_actions_addchdir_np(fa, o->cwd);
}

/* Like execvp: a regular file we may execute (a directory is skipped). */
static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *proc_find_program(const char *argv0)
{
    if (!*argv0)
        return NULL;
    if (strchr(argv0, '/'))
        return executable(argv0) ? xstrdup(argv0) : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        char *candidate = xasprintf("%.*s/%s", (int)(len ? len : 1), len ? path : ".", argv0);
        if (executable(candidate))
            return candidate;
        free(candidate);
        path += len + (path[len] == ':');
    }
    return NULL;
}

int proc_spawn(struct proc *p, const char *path, char *const argv[], char *const envp[],
               enum proc_stderr how, char *err, size_t errlen)
{
    struct proc_opts o = { .path = path, .how = how, .pass_fd = -1 };
    return proc_spawn_opts(p, &o, argv, envp, err, errlen);
}

/* In the child: its own mount namespace, where src shows at dst. The
 * namespace's mounts are made private first, so the bind mount does not
 * propagate back to the host's. */
static bool bind_private(const char *src, const char *dst)
{
    /* The kernel ignores the source and type of a propagation change and
     * of a bind; "none" rather than NULL keeps valgrind from calling them
     * unaddressable. */
    return unshare(CLONE_NEWNS) == 0 &&
           mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0 &&
           mount(src, dst, "none", MS_BIND, NULL) == 0 &&
           mount("none", dst, "none", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                 NULL) == 0;
}

/* In the child of fork_exec: ends with the errno of what failed, written
 * to `report` (close-on-exec, so a successful exec closes it unwritten). */
__attribute__((noreturn)) static void child(const struct proc_opts *o, pid_t parent,
                                            const int in[2], const int out[2], const int errp[2],
                                            int report, char *const argv[], char *const envp[])
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    setpgid(0, 0);
    int ok = dup2(in[0], 0) >= 0 && dup2(out[1], 1) >= 0 &&
             dup2(o->how == PROC_STDERR_COMBINE ? out[1]
                  : errp[1] >= 0                ? errp[1]
                                                : 2,
                  2) >= 0;
    if (ok && o->pass_fd >= 0)
        ok = o->pass_fd == 3 ? fcntl(3, F_SETFD, 0) == 0 : dup2(o->pass_fd, 3) >= 0;
    if (ok && o->pass_fd2 > 3)
        ok = o->pass_fd2 == 4 ? fcntl(4, F_SETFD, 0) == 0 : dup2(o->pass_fd2, 4) >= 0;
    for (const char *const *j = o->join; ok && j && *j; j++) {
        int fd = open(*j, O_WRONLY | O_CLOEXEC);
        ok = fd >= 0 && write(fd, "0\n", 2) == 2;
        if (fd >= 0)
            close(fd);
    }
    struct rlimit rl = { (rlim_t)o->rlimit_as, (rlim_t)o->rlimit_as };
    ok = ok && (o->rlimit_as <= 0 || setrlimit(RLIMIT_AS, &rl) == 0);
    ok = ok && (!o->bind_src || bind_private(o->bind_src, o->bind_dst));
    ok = ok && (!o->cwd || chdir(o->cwd) == 0);
    ok = ok &&
         (!o->drop_user || (setgroups(0, NULL) == 0 && setgid(o->gid) == 0 && setuid(o->uid) == 0));
    /* After the user changes: a change of credentials clears the parent-
     * death signal, which left replicas run as nobody alive (under init)
     * when the gateway was killed. */
    if (ok && o->death_signal > 0) {
        prctl(PR_SET_PDEATHSIG, o->death_signal);
        if (getppid() != parent) /* the parent died before the line above */
            _exit(127);
    }
    if (ok)
        o->path ? execve(o->path, argv, envp) : execvpe(argv[0], argv, envp);
    int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
}

static int fork_exec(struct proc *p, const struct proc_opts *o, const int in[2], const int out[2],
                     const int errp[2], char *const argv[], char *const envp[])
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0)
        return errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close_pair(report);
        return errno;
    }
    if (pid == 0)
        child(o, parent, in, out, errp, report[1], argv, envp);
    close(report[1]);
    int e = 0;
    if (read(report[0], &e, sizeof e) == (ssize_t)sizeof e) /* exec failed */
        waitpid(pid, NULL, 0);
    close(report[0]);
    p->pid = pid;
    return e;
}

int proc_spawn_opts(struct proc *p, const struct proc_opts *o, char *const argv[],
                    char *const envp[], char *err, size_t errlen)
{
    const char *path = o->path;
    enum proc_stderr how = o->how;
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
    memset(p, 0, sizeof *p);
    p->pidfd = p->in_fd = p->out_fd = p->err_fd = -1;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
        (how == PROC_STDERR_PIPE && pipe2(errp, O_CLOEXEC) < 0)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    int rc;
    if (o->drop_user || (o->join && *o->join) || o->rlimit_as > 0 || o->death_signal > 0 ||
        o->bind_src) {
        rc = fork_exec(p, o, in, out, errp, argv, envp);
    } else {
        posix_spawnattr_t attr;
        posix_spawn_file_actions_t fa;
        set_attrs(&attr);
        set_files(&fa, in, out, errp, o);
        rc = path ? posix_spawn(&p->pid, path, &fa, &attr, argv, envp)
                  : posix_spawnp(&p->pid, argv[0], &fa, &attr, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(rc));
        goto fail;
    }
    p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    close(in[0]);
    close(out[1]);
    if (errp[1] >= 0)
        close(errp[1]);
    p->in_fd = in[1];
    p->out_fd = out[0];
    p->err_fd = errp[0];
    nonblock(p->in_fd);
    nonblock(p->out_fd);
    if (p->err_fd >= 0)
        nonblock(p->err_fd);
    return 0;
fail:
    close_pair(in);
    close_pair(out);
    close_pair(errp);
    return -1;
}

void proc_signal(const struct proc *p, int sig)
{
    if (p->pid > 0)
        kill(-p->pid, sig);
}

bool proc_reap(struct proc *p, int *status)
{
    if (p->pid <= 0)
        return false;
    pid_t r = waitpid(p->pid, status, WNOHANG);
    if (r != p->pid)
        return false;
    return true;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

void proc_close_in(struct proc *p)
{
    close_fd(&p->in_fd);
}

void proc_close(struct proc *p)
{
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    close_fd(&p->pidfd);
}
