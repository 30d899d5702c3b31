/* proc.h -- starting a function process and ending its whole group.
 *
 * Each function process leads its own process group, so a timeout or a
 * vanished client can end it together with anything it started, and we
 * learn of its exit through a pidfd the loop can watch. */
#ifndef PROC_H
#define PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum proc_stderr { PROC_STDERR_COMBINE, PROC_STDERR_PIPE, PROC_STDERR_INHERIT };

struct proc {
    pid_t pid;
    int pidfd;  /* readable once the process has exited */
    int in_fd;  /* our end of its stdin, non-blocking; -1 once closed */
    int out_fd; /* our end of its stdout (and stderr if combined) */
    int err_fd; /* our end of its stderr, or -1 */
};

/* Splits a command line into argv like a shell would split words: spaces
 * separate, '...' and "..." group, backslash escapes; nothing else is
 * interpreted. Returns a NULL-terminated array (free with
 * proc_argv_free), or NULL if it is empty or a quote is unclosed. */
char **proc_split_command(const char *cmd);
void proc_argv_free(char **argv);

/* Finds argv0 on PATH as execvp would. Returns a new string (caller
 * frees), or NULL if there is no executable of that name. */
char *proc_find_program(const char *argv0);

/* Starts the program at `path` (or argv[0] searched on PATH if path is
 * NULL) with envp, in a new process group, with default signal
 * dispositions and an empty signal mask. Returns 0, or -1 with a message
 * in err. */
/* Everything proc_spawn_opts can set up beyond proc_spawn. */
struct proc_opts {
    const char *path; /* NULL: argv[0] searched on PATH */
    enum proc_stderr how;
    int pass_fd;     /* >= 0: given to the child as fd 3 (LISTEN_FDS) */
    int pass_fd2;    /* > 3, with pass_fd: given as fd 4 too; 0: none */
    const char *cwd; /* NULL: ours */
    /* The rest needs fork+exec (posix_spawn cannot do it): */
    bool drop_user; /* run as uid/gid, no supplementary groups */
    uid_t uid;
    gid_t gid;
    const char *const *join; /* cgroup.procs files the child enters */
    int64_t rlimit_as;       /* > 0: the child's address-space limit */
    int death_signal;        /* > 0: sent to the child if we die first */
    /* Non-NULL (root only): the child gets a private mount namespace in
     * which bind_src is mounted read-only on bind_dst, which must exist;
     * nobody else sees that mount. */
    const char *bind_src, *bind_dst;
};
int proc_spawn_opts(struct proc *p, const struct proc_opts *o, char *const argv[],
                    char *const envp[], char *err, size_t errlen);

int proc_spawn(struct proc *p, const char *path, char *const argv[], char *const envp[],
               enum proc_stderr how, char *err, size_t errlen);

/* Signals the whole process group (the group outlives its leader). */
void proc_signal(const struct proc *p, int sig);

/* Reaps the process if it has exited. Returns true and its wait status
 * if so. */
bool proc_reap(struct proc *p, int *status);

void proc_close_in(struct proc *p);
/* Closes every descriptor still open (not the process). */
void proc_close(struct proc *p);

#endif
