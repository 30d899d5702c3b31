/* build.c -- what `up` builds: a handler's own Makefile (the C template),
 * and, where the driver runs images, the handler folder as an image.
 *
 * Images are built by the docker CLI, so the engine is the one it finds
 * (DOCKER_HOST), as faas-cli's build is. A folder with its own Dockerfile
 * is built as it is; any other one is copied to /home/app on a base that
 * has the watchdog (FAASBUS_BASE_IMAGE, by default faasbus/watchdog from
 * `make images`), which runs the stack file's fprocess there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fb.h"
#include "xalloc.h"

#define DEFAULT_BASE "faasbus/watchdog:latest"

/* Runs argv with `input` (may be NULL) on its stdin and its stdout on our
 * stderr, so a verb's stdout stays for -o json. Returns its exit status,
 * or -1 when it could not run or was killed. */
static int run(const char *const argv[], const char *input)
{
    int in[2] = { -1, -1 };
    if (input && pipe(in) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        if (input) {
            dup2(in[0], STDIN_FILENO);
            close(in[0]);
            close(in[1]);
        }
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execvp(argv[0], (char *const *)argv); /* it does not change them */
        fprintf(stderr, "faasbus: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (input) {
        close(in[0]);
        size_t len = strlen(input), off = 0;
        while (pid > 0 && off < len) {
            ssize_t n = write(in[1], input + off, len - off);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        close(in[1]);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int fb_build_handler(const char *dir)
{
    char *makefile = xasprintf("%s/Makefile", dir);
    bool has = access(makefile, F_OK) == 0;
    free(makefile);
    if (!has)
        return 0;
    const char *const argv[] = { "make", "-s", "-C", dir, NULL };
    if (run(argv, NULL) != 0)
        return fb_error("up: make in %s failed", dir);
    return 0;
}

/* ENV's quoted form: backslashes and quotes escaped, a newline as \n. */
static char *quoted(const char *s)
{
    char *out = xmalloc(2 * strlen(s) + 3), *o = out;
    *o++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\' || *s == '\n')
            *o++ = '\\';
        *o++ = *s == '\n' ? 'n' : *s;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static char *dockerfile_for(const struct stack_fn *fn)
{
    const char *base = getenv("FAASBUS_BASE_IMAGE");
    char *fprocess = fn->fprocess ? quoted(fn->fprocess) : NULL;
    char *text = xasprintf("FROM %s\nCOPY . /home/app/\nWORKDIR /home/app\n%s%s%s",
                           base && *base ? base : DEFAULT_BASE, fprocess ? "ENV fprocess=" : "",
                           fprocess ? fprocess : "", fprocess ? "\n" : "");
    free(fprocess);
    return text;
}

int fb_build_image(const struct stack_fn *fn, const char *dir, bool push)
{
    if (!fn->image || !*fn->image)
        return fb_error("%s:%d: up: function \"%s\" needs an image name to build", fn->file,
                        fn->line, fn->name);
    char *own = xasprintf("%s/Dockerfile", dir);
    bool has_own = access(own, F_OK) == 0;
    free(own);
    char *dockerfile = has_own ? NULL : dockerfile_for(fn);
    const char *const own_argv[] = { "docker", "build", "-q", "-t", fn->image, dir, NULL };
    const char *const gen_argv[] = {
        "docker", "build", "-q", "-t", fn->image, "-f", "-", dir, NULL
    };
    fprintf(stderr, "building %s from %s\n", fn->image, dir);
    int rc = run(has_own ? own_argv : gen_argv, dockerfile);
    free(dockerfile);
    if (rc != 0)
        return fb_error("up: docker build of %s failed%s", fn->image,
                        rc == 127 ? " (is the docker CLI installed?)" : "");
    if (!push)
        return 0;
    const char *const push_argv[] = { "docker", "push", fn->image, NULL };
    if (run(push_argv, NULL) != 0)
        return fb_error("up: docker push %s failed (--skip-push builds only, for an engine "
                        "the cluster shares)",
                        fn->image);
    return 0;
}
