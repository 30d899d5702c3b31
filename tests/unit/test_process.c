/* test_process.c -- unit tests for watchdog/process.c: command splitting,
 * spawning with pipes and a pidfd, process groups and signals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

/* --- proc_split_command --------------------------------------------------- */

/* Splits cmd and compares with the expected words (NULL-terminated);
 * want == NULL means the split must fail. Prints both on a miss. */
static void check_split(const char *cmd, const char *const *want)
{
    char **argv = proc_split_command(cmd);
    size_t n = 0;

    if (!want) {
        if (argv)
            fail_msg("split(%s): expected NULL, got [%s ...]", cmd, argv[0]);
        return;
    }
    if (!argv)
        fail_msg("split(%s): unexpected NULL", cmd);
    for (; want[n]; n++) {
        if (!argv[n])
            fail_msg("split(%s): only %zu words, expected [%zu]=\"%s\"", cmd, n, n, want[n]);
        if (strcmp(argv[n], want[n]) != 0)
            fail_msg("split(%s): word %zu is \"%s\", expected \"%s\"", cmd, n, argv[n], want[n]);
    }
    if (argv[n])
        fail_msg("split(%s): extra word [%zu]=\"%s\"", cmd, n, argv[n]);
    proc_argv_free(argv);
}

static void split_simple(void **state)
{
    (void)state;
    check_split("cat", (const char *const[]){ "cat", NULL });
    check_split("wc -l", (const char *const[]){ "wc", "-l", NULL });
    check_split("/usr/bin/env", (const char *const[]){ "/usr/bin/env", NULL });
}

static void split_single_quotes(void **state)
{
    (void)state;
    check_split("sh -c 'echo a b'", (const char *const[]){ "sh", "-c", "echo a b", NULL });
    /* No escapes inside single quotes, and double quotes are literal. */
    check_split("printf 'a\\nb'", (const char *const[]){ "printf", "a\\nb", NULL });
    check_split("echo 'say \"x\"'", (const char *const[]){ "echo", "say \"x\"", NULL });
    /* Quotes join with the text around them into one word. */
    check_split("a'b c'd", (const char *const[]){ "ab cd", NULL });
}

static void split_double_quotes(void **state)
{
    (void)state;
    check_split("echo \"say \\\"hi\\\"\"", (const char *const[]){ "echo", "say \"hi\"", NULL });
    check_split("echo \"a  b\" c", (const char *const[]){ "echo", "a  b", "c", NULL });
    check_split("echo \"it's\"", (const char *const[]){ "echo", "it's", NULL });
    check_split("x\"y\"'z'", (const char *const[]){ "xyz", NULL });
}

static void split_backslash(void **state)
{
    (void)state;
    check_split("a\\ b c", (const char *const[]){ "a b", "c", NULL });
    check_split("it\\'s", (const char *const[]){ "it's", NULL });
    check_split("\\\"q\\\"", (const char *const[]){ "\"q\"", NULL });
    check_split("back\\\\slash", (const char *const[]){ "back\\slash", NULL });
}

static void split_whitespace(void **state)
{
    (void)state;
    check_split("  a    b   ", (const char *const[]){ "a", "b", NULL });
    check_split("a\tb\t \tc", (const char *const[]){ "a", "b", "c", NULL });
}

static void split_empty_and_blank(void **state)
{
    (void)state;
    check_split("", NULL);
    check_split(" ", NULL);
    check_split("   \t  ", NULL);
}

static void split_unclosed_quote(void **state)
{
    (void)state;
    check_split("echo 'abc", NULL);
    check_split("echo \"abc", NULL);
    check_split("a b \"c d", NULL);
    /* An escaped quote does not open a quote. */
    check_split("echo \\'abc", (const char *const[]){ "echo", "'abc", NULL });
    /* An escaped closing double quote leaves it unclosed. */
    check_split("echo \"abc\\\"", NULL);
}

static void split_empty_argument(void **state)
{
    (void)state;
    check_split("echo ''", (const char *const[]){ "echo", "", NULL });
    check_split("''", (const char *const[]){ "", NULL });
    check_split("a '' b", (const char *const[]){ "a", "", "b", NULL });
    check_split("a \"\" b", (const char *const[]){ "a", "", "b", NULL });
}

static void split_many_words(void **state)
{
    char cmd[400] = "";
    char **argv;

    (void)state;
    /* More words than the initial array holds. */
    for (int i = 0; i < 50; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%d ", i);
        strcat(cmd, w);
    }
    argv = proc_split_command(cmd);
    assert_non_null(argv);
    for (int i = 0; i < 50; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%d", i);
        assert_non_null(argv[i]);
        assert_string_equal(argv[i], w);
    }
    assert_null(argv[50]);
    proc_argv_free(argv);
    proc_argv_free(NULL);
}

/* --- spawning helpers ----------------------------------------------------- */

/* Waits for the pidfd (at most timeout_ms) and reaps. */
static int wait_exit(struct proc *p, int timeout_ms)
{
    struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
    int status = -1;

    assert_true(p->pidfd >= 0);
    if (poll(&pfd, 1, timeout_ms) != 1)
        fail_msg("process %d did not exit within %d ms", (int)p->pid, timeout_ms);
    assert_true(proc_reap(p, &status));
    return status;
}

/* Reads fd to EOF (non-blocking, with poll), at most cap bytes. */
static size_t read_to_eof(int fd, char *out, size_t cap, int timeout_ms)
{
    size_t got = 0;
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, timeout_ms);
        if (r != 1)
            fail_msg("no EOF on fd %d within %d ms (%zu bytes read)", fd, timeout_ms, got);
        ssize_t n = read(fd, out + got, cap - got);
        if (n == 0)
            return got;
        if (n < 0) {
            assert_true(errno == EAGAIN || errno == EINTR);
            continue;
        }
        got += (size_t)n;
        assert_true(got < cap);
    }
}

/* Spawns a command line and checks it started. */
static void spawn_cmd(struct proc *p, const char *cmd, char *const envp[], enum proc_stderr how)
{
    char err[256] = "";
    char **argv = proc_split_command(cmd);
    int rc;

    assert_non_null(argv);
    rc = proc_spawn(p, NULL, argv, envp, how, err, sizeof err);
    proc_argv_free(argv);
    if (rc != 0)
        fail_msg("spawn %s: %s", cmd, err);
    assert_true(p->pid > 0);
    assert_true(p->pidfd >= 0);
    assert_true(p->out_fd >= 0);
}

static int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* --- spawning ------------------------------------------------------------- */

/* cat echoes 1 MB of stdin (more than a pipe holds, so writing and
 * reading have to interleave through the non-blocking fds). */
static void spawn_cat_echoes_stdin(void **state)
{
    enum { SIZE = 1024 * 1024 };
    unsigned char *in = malloc(SIZE), *out = malloc(SIZE + 1);
    size_t sent = 0, got = 0;
    struct proc p;
    int status;

    (void)state;
    assert_non_null(in);
    assert_non_null(out);
    for (size_t i = 0; i < SIZE; i++)
        in[i] = (unsigned char)(i * 131 + (i >> 10));

    spawn_cmd(&p, "cat", environ, PROC_STDERR_COMBINE);
    assert_true(p.in_fd >= 0);
    assert_int_equal(p.err_fd, -1); /* combined: no separate stderr */
    assert_true(fcntl(p.in_fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(p.out_fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(p.in_fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(p.out_fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(p.pidfd, F_GETFD) & FD_CLOEXEC);

    for (;;) {
        struct pollfd pfd[2] = {
            { .fd = p.out_fd, .events = POLLIN },
            { .fd = p.in_fd, .events = POLLOUT },
        };
        int r = poll(pfd, p.in_fd >= 0 ? 2 : 1, 5000);
        if (r <= 0)
            fail_msg("cat stalled: sent %zu, got %zu", sent, got);
        if (p.in_fd >= 0 && (pfd[1].revents & POLLOUT)) {
            ssize_t n = write(p.in_fd, in + sent, SIZE - sent > 65536 ? 65536 : SIZE - sent);
            if (n > 0)
                sent += (size_t)n;
            else
                assert_true(n < 0 && errno == EAGAIN);
            if (sent == SIZE) {
                proc_close_in(&p);
                assert_int_equal(p.in_fd, -1);
            }
        }
        if (pfd[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(p.out_fd, out + got, SIZE + 1 - got);
            if (n == 0)
                break;
            if (n > 0)
                got += (size_t)n;
            else
                assert_true(errno == EAGAIN);
        }
    }
    assert_int_equal(sent, SIZE);
    assert_int_equal(got, SIZE);
    assert_memory_equal(out, in, SIZE);

    status = wait_exit(&p, 5000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    proc_close(&p);
    assert_int_equal(p.out_fd, -1);
    assert_int_equal(p.pidfd, -1);
    free(in);
    free(out);
}

/* Before exit, reap says no; the pidfd is not readable yet. */
static void reap_before_exit_is_false(void **state)
{
    struct proc p;
    struct pollfd pfd;
    int status = 12345;

    (void)state;
    spawn_cmd(&p, "cat", environ, PROC_STDERR_COMBINE);
    assert_false(proc_reap(&p, &status));
    pfd = (struct pollfd){ .fd = p.pidfd, .events = POLLIN };
    assert_int_equal(poll(&pfd, 1, 50), 0);
    /* EOF on stdin ends cat. */
    proc_close_in(&p);
    status = wait_exit(&p, 5000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    proc_close(&p);
}

static void exit_status_is_reported(void **state)
{
    struct proc p;
    int status;

    (void)state;
    spawn_cmd(&p, "sh -c 'exit 7'", environ, PROC_STDERR_COMBINE);
    status = wait_exit(&p, 5000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7);
    proc_close(&p);
}

static void child_leads_own_process_group(void **state)
{
    struct proc p;

    (void)state;
    spawn_cmd(&p, "cat", environ, PROC_STDERR_COMBINE);
    assert_int_equal(getpgid(p.pid), p.pid);
    assert_true(getpgid(p.pid) != getpgrp());
    proc_close_in(&p);
    (void)wait_exit(&p, 5000);
    proc_close(&p);
}

static void stderr_combined_into_stdout(void **state)
{
    struct proc p;
    char out[256];
    size_t n;

    (void)state;
    spawn_cmd(&p, "sh -c 'echo out; echo err >&2; echo out2'", environ, PROC_STDERR_COMBINE);
    assert_int_equal(p.err_fd, -1);
    n = read_to_eof(p.out_fd, out, sizeof out, 5000);
    out[n] = '\0';
    assert_string_equal(out, "out\nerr\nout2\n");
    assert_int_equal(WEXITSTATUS(wait_exit(&p, 5000)), 0);
    proc_close(&p);
}

static void stderr_on_its_own_pipe(void **state)
{
    struct proc p;
    char out[256], err[256];
    size_t n;

    (void)state;
    spawn_cmd(&p, "sh -c 'echo out; echo err >&2'", environ, PROC_STDERR_PIPE);
    assert_true(p.err_fd >= 0);
    assert_true(fcntl(p.err_fd, F_GETFL) & O_NONBLOCK);
    n = read_to_eof(p.out_fd, out, sizeof out, 5000);
    out[n] = '\0';
    assert_string_equal(out, "out\n");
    n = read_to_eof(p.err_fd, err, sizeof err, 5000);
    err[n] = '\0';
    assert_string_equal(err, "err\n");
    assert_int_equal(WEXITSTATUS(wait_exit(&p, 5000)), 0);
    proc_close(&p);
    assert_int_equal(p.err_fd, -1);
}

/* INHERIT: the child writes to our own fd 2 (captured here by a pipe). */
static void stderr_inherited(void **state)
{
    struct proc p;
    int cap[2], saved;
    char out[64], err[64];
    size_t n;
    ssize_t e;

    (void)state;
    assert_int_equal(pipe(cap), 0);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(cap[1], 2), 2);
    close(cap[1]);

    spawn_cmd(&p, "sh -c 'echo out; echo inherited-err >&2'", environ, PROC_STDERR_INHERIT);
    assert_int_equal(p.err_fd, -1);
    n = read_to_eof(p.out_fd, out, sizeof out, 5000);
    (void)wait_exit(&p, 5000);
    proc_close(&p);

    assert_int_equal(dup2(saved, 2), 2); /* our stderr back; closes cap[1] */
    close(saved);
    out[n] = '\0';
    assert_string_equal(out, "out\n");
    e = read(cap[0], err, sizeof err - 1);
    close(cap[0]);
    assert_true(e > 0);
    err[e] = '\0';
    assert_string_equal(err, "inherited-err\n");
}

static void spawn_uses_given_environment(void **state)
{
    char *const envp[] = { (char *)"FAASBUS_TEST=yes 1", (char *)"OTHER=2", NULL };
    struct proc p;
    char out[256];
    size_t n;

    (void)state;
    /* Found on PATH although envp has no PATH. */
    spawn_cmd(&p, "env", envp, PROC_STDERR_COMBINE);
    n = read_to_eof(p.out_fd, out, sizeof out, 5000);
    out[n] = '\0';
    assert_string_equal(out, "FAASBUS_TEST=yes 1\nOTHER=2\n");
    assert_int_equal(WEXITSTATUS(wait_exit(&p, 5000)), 0);
    proc_close(&p);
}

/* The child starts with an empty signal mask and default dispositions,
 * whatever ours are (we block and ignore some). */
static void child_signal_state_is_clean(void **state)
{
    sigset_t block, old;
    struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe, old_usr2;
    struct proc p;
    char out[4096];
    size_t n;
    const char *blk, *ign_line;
    unsigned long long ignored;

    (void)state;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGTERM);
    assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old), 0);
    assert_int_equal(sigaction(SIGPIPE, &ign, &old_pipe), 0);
    assert_int_equal(sigaction(SIGUSR2, &ign, &old_usr2), 0);

    spawn_cmd(&p, "cat /proc/self/status", environ, PROC_STDERR_COMBINE);

    assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    assert_int_equal(sigaction(SIGPIPE, &old_pipe, NULL), 0);
    assert_int_equal(sigaction(SIGUSR2, &old_usr2, NULL), 0);

    n = read_to_eof(p.out_fd, out, sizeof out, 5000);
    out[n] = '\0';
    (void)wait_exit(&p, 5000);
    proc_close(&p);
    blk = strstr(out, "\nSigBlk:");
    ign_line = strstr(out, "\nSigIgn:");
    assert_non_null(blk);
    assert_non_null(ign_line);
    if (strncmp(blk, "\nSigBlk:\t0000000000000000\n", 26) != 0)
        fail_msg("child signal mask not empty: %.26s", blk + 1);
    ignored = strtoull(ign_line + 9, NULL, 16);
    /* Bits 31 and 32 are signals 32 and 33, glibc's internal SIGCANCEL
     * and SIGSETXID: glibc's posix_spawn itself leaves them SIG_IGN in
     * the child (they cannot be put in a sigset_t with glibc's
     * sigfillset/sigaddset), so they are not the module's to reset. */
    ignored &= ~((1ull << 31) | (1ull << 32));
    if (ignored)
        fail_msg("child ignores signals: %.26s", ign_line + 1);
}

/* A second child must not inherit our end of the first child's stdin:
 * closing it has to give the first child EOF while the second runs. */
static void pipes_not_inherited_by_other_children(void **state)
{
    struct proc a, b;
    char out[16];
    int status;

    (void)state;
    spawn_cmd(&a, "cat", environ, PROC_STDERR_PIPE);
    spawn_cmd(&b, "sleep 30", environ, PROC_STDERR_PIPE);
    proc_close_in(&a);
    assert_int_equal(read_to_eof(a.out_fd, out, sizeof out, 3000), 0);
    status = wait_exit(&a, 3000);
    assert_true(WIFEXITED(status));
    proc_signal(&b, SIGKILL);
    (void)wait_exit(&b, 3000);
    proc_close(&a);
    proc_close(&b);
}

static void spawn_missing_program_fails(void **state)
{
    char *argv[] = { (char *)"faasbus-no-such-program-xyz", (char *)"arg", NULL };
    struct proc p;
    char err[256] = "";
    int before, after;

    (void)state;
    before = count_open_fds();
    assert_int_equal(proc_spawn(&p, NULL, argv, environ, PROC_STDERR_PIPE, err, sizeof err), -1);
    if (!strstr(err, "faasbus-no-such-program-xyz"))
        fail_msg("error does not name the program: \"%s\"", err);
    after = count_open_fds();
    assert_int_equal(after, before); /* no pipe left open */
    assert_int_equal(p.in_fd, -1);
    assert_int_equal(p.out_fd, -1);
    assert_int_equal(p.err_fd, -1);
    assert_int_equal(p.pidfd, -1);

    /* A path that does not exist, searched as argv[0]. */
    argv[0] = (char *)"/nonexistent/dir/prog";
    err[0] = '\0';
    assert_int_equal(proc_spawn(&p, NULL, argv, environ, PROC_STDERR_COMBINE, err, sizeof err), -1);
    if (!strstr(err, "/nonexistent/dir/prog"))
        fail_msg("error does not name the program: \"%s\"", err);
    assert_int_equal(count_open_fds(), before);

    /* An explicit path that does not exist. */
    argv[0] = (char *)"fn-handler";
    err[0] = '\0';
    assert_int_equal(proc_spawn(&p, "/nonexistent/dir/fn-handler", argv, environ, PROC_STDERR_PIPE,
                                err, sizeof err),
                     -1);
    if (!strstr(err, "fn-handler"))
        fail_msg("error does not name the program: \"%s\"", err);
    assert_int_equal(count_open_fds(), before);
}

/* With an explicit path, that file runs and argv[0] is passed as is
 * (here a name that is on no PATH). */
static void spawn_explicit_path(void **state)
{
    char *argv[] = { (char *)"custom-cat", (char *)"/proc/self/cmdline", NULL };
    static const char want[] = "custom-cat\0/proc/self/cmdline";
    char *path = proc_find_program("cat");
    struct proc p;
    char err[256] = "", out[128];
    size_t n;

    (void)state;
    assert_non_null(path);
    if (proc_spawn(&p, path, argv, environ, PROC_STDERR_COMBINE, err, sizeof err) != 0)
        fail_msg("spawn %s: %s", path, err);
    free(path);
    n = read_to_eof(p.out_fd, out, sizeof out, 5000);
    assert_int_equal(n, sizeof want); /* includes the final NUL */
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(WEXITSTATUS(wait_exit(&p, 5000)), 0);
    proc_close(&p);
}

/* --- proc_find_program -------------------------------------------------- */

static char fp_dir[64];
static char *saved_path;

/* A scratch directory with: bin1/prog (a directory), bin2/prog (an
 * executable script), bin2/noexec (a file without x bits). */
static int setup_find(void **state)
{
    char p[128];
    FILE *f;
    const char *path = getenv("PATH");

    (void)state;
    saved_path = path ? strdup(path) : NULL;
    snprintf(fp_dir, sizeof fp_dir, "/tmp/test_process.XXXXXX");
    if (!mkdtemp(fp_dir))
        return -1;
    snprintf(p, sizeof p, "%s/bin1", fp_dir);
    if (mkdir(p, 0755) < 0)
        return -1;
    snprintf(p, sizeof p, "%s/bin1/prog", fp_dir);
    if (mkdir(p, 0755) < 0)
        return -1;
    snprintf(p, sizeof p, "%s/bin2", fp_dir);
    if (mkdir(p, 0755) < 0)
        return -1;
    snprintf(p, sizeof p, "%s/bin2/prog", fp_dir);
    if (!(f = fopen(p, "w")))
        return -1;
    fputs("#!/bin/sh\necho prog\n", f);
    fclose(f);
    if (chmod(p, 0755) < 0)
        return -1;
    snprintf(p, sizeof p, "%s/bin2/noexec", fp_dir);
    if (!(f = fopen(p, "w")))
        return -1;
    fclose(f);
    return chmod(p, 0644);
}

static int teardown_find(void **state)
{
    char cmd[128];

    (void)state;
    if (saved_path)
        setenv("PATH", saved_path, 1);
    else
        unsetenv("PATH");
    free(saved_path);
    saved_path = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Copies tmpl with each '@' replaced by the scratch directory. */
static void subst(const char *tmpl, char *out, size_t cap)
{
    size_t n = 0, dl = strlen(fp_dir);
    for (; *tmpl; tmpl++) {
        if (*tmpl == '@') {
            assert_true(n + dl < cap);
            memcpy(out + n, fp_dir, dl);
            n += dl;
        } else {
            assert_true(n + 1 < cap);
            out[n++] = *tmpl;
        }
    }
    out[n] = '\0';
}

static void set_path(const char *tmpl)
{
    char path[256];
    subst(tmpl, path, sizeof path);
    assert_int_equal(setenv("PATH", path, 1), 0);
}

static void expect_found(const char *argv0, const char *want_tmpl)
{
    char want[256];
    char *got = proc_find_program(argv0);

    subst(want_tmpl, want, sizeof want);
    if (!got)
        fail_msg("proc_find_program(%s): NULL, expected %s (PATH=%s)", argv0, want, getenv("PATH"));
    if (strcmp(got, want) != 0) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", got);
        free(got); /* freed before failing: no leak report under ASan */
        fail_msg("proc_find_program(%s): %s, expected %s (PATH=%s)", argv0, copy, want,
                 getenv("PATH"));
    }
    free(got);
}

static void expect_not_found(const char *argv0)
{
    char *got = proc_find_program(argv0);
    if (got) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", got);
        free(got);
        fail_msg("proc_find_program(%s): %s, expected NULL (PATH=%s)", argv0, copy, getenv("PATH"));
    }
}

static void find_program_on_path(void **state)
{
    (void)state;
    set_path("/nonexistent:@/bin2");
    expect_found("prog", "@/bin2/prog");
    /* Not executable, or not there at all. */
    expect_not_found("noexec");
    expect_not_found("faasbus-no-such-program-xyz");
    /* A name with a slash is not searched. */
    expect_found("/bin/sh", "/bin/sh");
    expect_not_found("/nonexistent/prog");
    expect_not_found("bin2/prog"); /* relative to the cwd, not PATH */
}

/* execvp skips a PATH entry whose match is a directory and goes on
 * searching; a directory is "no executable of that name". */
static void find_program_skips_directories(void **state)
{
    (void)state;
    set_path("@/bin1:@/bin2");
    expect_found("prog", "@/bin2/prog");
    set_path("@/bin1");
    expect_not_found("prog");
}

/* An empty name is no program (execvp fails with ENOENT), although
 * "<dir>/" passes access(X_OK). */
static void find_program_empty_name(void **state)
{
    (void)state;
    set_path("@/bin2");
    expect_not_found("");
}

/* A path whose match is a directory, given with a slash. */
static void find_program_slash_directory(void **state)
{
    char p[128];

    (void)state;
    snprintf(p, sizeof p, "%s/bin1/prog", fp_dir);
    expect_not_found(p);
}

/* The program found is the one the spawn then runs. */
static void find_program_then_spawn(void **state)
{
    char *argv[] = { (char *)"prog", NULL };
    char *path;
    struct proc p;
    char err[256] = "", out[32];
    size_t n;

    (void)state;
    set_path("/nonexistent:@/bin2");
    path = proc_find_program("prog");
    assert_non_null(path);
    if (proc_spawn(&p, path, argv, environ, PROC_STDERR_COMBINE, err, sizeof err) != 0)
        fail_msg("spawn %s: %s", path, err);
    free(path);
    n = read_to_eof(p.out_fd, out, sizeof out, 5000);
    out[n] = '\0';
    assert_string_equal(out, "prog\n");
    assert_int_equal(WEXITSTATUS(wait_exit(&p, 5000)), 0);
    proc_close(&p);
}

static void sigkill_kills_sleep(void **state)
{
    struct proc p;
    struct pollfd pfd;
    int status;
    int64_t t0;
    struct timespec ts;

    (void)state;
    spawn_cmd(&p, "sleep 30", environ, PROC_STDERR_COMBINE);
    /* Still running. */
    pfd = (struct pollfd){ .fd = p.pidfd, .events = POLLIN };
    assert_int_equal(poll(&pfd, 1, 20), 0);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    proc_signal(&p, SIGKILL);
    status = wait_exit(&p, 3000);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    assert_true((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0 < 3000);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_int_equal(WTERMSIG(status), 9);
    proc_close(&p);
}

/* The signal reaches the whole group: a grandchild holding stdout open
 * dies too, so stdout reaches EOF. */
static void signal_reaches_whole_group(void **state)
{
    struct proc p;
    char out[64];
    size_t n;
    int status;

    (void)state;
    spawn_cmd(&p, "sh -c 'sleep 30 & echo started; wait'", environ, PROC_STDERR_COMBINE);
    /* Wait until the grandchild exists. */
    n = 0;
    while (n < 8) {
        struct pollfd pfd = { .fd = p.out_fd, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 3000), 1);
        ssize_t r = read(p.out_fd, out + n, sizeof out - 1 - n);
        assert_true(r > 0);
        n += (size_t)r;
    }
    out[n] = '\0';
    assert_string_equal(out, "started\n");
    proc_signal(&p, SIGKILL);
    status = wait_exit(&p, 3000);
    assert_true(WIFSIGNALED(status));
    /* EOF only once sleep (which shares stdout) is gone as well. */
    assert_int_equal(read_to_eof(p.out_fd, out, sizeof out, 3000), 0);
    proc_close(&p);
}

/* A pid of 0 (nothing spawned) is never signalled: kill(-0, ...) would
 * hit our own group. */
static void signal_without_process_is_noop(void **state)
{
    struct proc p = { .pid = 0, .pidfd = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1 };
    int status;

    (void)state;
    proc_signal(&p, SIGKILL); /* would kill the test run if it did */
    assert_false(proc_reap(&p, &status));
    proc_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_simple),
        cmocka_unit_test(split_single_quotes),
        cmocka_unit_test(split_double_quotes),
        cmocka_unit_test(split_backslash),
        cmocka_unit_test(split_whitespace),
        cmocka_unit_test(split_empty_and_blank),
        cmocka_unit_test(split_unclosed_quote),
        cmocka_unit_test(split_empty_argument),
        cmocka_unit_test(split_many_words),
        cmocka_unit_test(spawn_cat_echoes_stdin),
        cmocka_unit_test(reap_before_exit_is_false),
        cmocka_unit_test(exit_status_is_reported),
        cmocka_unit_test(child_leads_own_process_group),
        cmocka_unit_test(stderr_combined_into_stdout),
        cmocka_unit_test(stderr_on_its_own_pipe),
        cmocka_unit_test(stderr_inherited),
        cmocka_unit_test(spawn_uses_given_environment),
        cmocka_unit_test(child_signal_state_is_clean),
        cmocka_unit_test(pipes_not_inherited_by_other_children),
        cmocka_unit_test(spawn_missing_program_fails),
        cmocka_unit_test(spawn_explicit_path),
        cmocka_unit_test_setup_teardown(find_program_on_path, setup_find, teardown_find),
        cmocka_unit_test_setup_teardown(find_program_skips_directories, setup_find, teardown_find),
        cmocka_unit_test_setup_teardown(find_program_empty_name, setup_find, teardown_find),
        cmocka_unit_test_setup_teardown(find_program_slash_directory, setup_find, teardown_find),
        cmocka_unit_test_setup_teardown(find_program_then_spawn, setup_find, teardown_find),
        cmocka_unit_test(sigkill_kills_sleep),
        cmocka_unit_test(signal_reaches_whole_group),
        cmocka_unit_test(signal_without_process_is_noop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
