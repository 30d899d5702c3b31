/* process.h -- starting a function process and ending its whole group.
 *
 * Each function process leads its own process group, so a timeout or a
 * vanished client can end it together with anything it started, and we
 * learn of its exit through a pidfd the loop can watch. */
#ifndef WD_PROCESS_H
#define WD_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum wd_stderr { WD_STDERR_COMBINE, WD_STDERR_PIPE, WD_STDERR_INHERIT };

struct wd_proc {
    pid_t pid;
    int pidfd;  /* readable once the process has exited */
    int in_fd;  /* our end of its stdin, non-blocking; -1 once closed */
    int out_fd; /* our end of its stdout (and stderr if combined) */
    int err_fd; /* our end of its stderr, or -1 */
};

/* Splits a command line into argv like a shell would split words: spaces
 * separate, '...' and "..." group, backslash escapes; nothing else is
 * interpreted. Returns a NULL-terminated array (free with
 * wd_argv_free), or NULL if it is empty or a quote is unclosed. */
char **wd_split_command(const char *cmd);
void wd_argv_free(char **argv);

/* Finds argv0 on PATH as execvp would. Returns a new string (caller
 * frees), or NULL if there is no executable of that name. */
char *wd_find_program(const char *argv0);

/* Starts the program at `path` (or argv[0] searched on PATH if path is
 * NULL) with envp, in a new process group, with default signal
 * dispositions and an empty signal mask. Returns 0, or -1 with a message
 * in err. */
int wd_proc_spawn(struct wd_proc *p, const char *path, char *const argv[],
                  char *const envp[], enum wd_stderr how, char *err, size_t errlen);

/* Signals the whole process group (the group outlives its leader). */
void wd_proc_signal(const struct wd_proc *p, int sig);

/* Reaps the process if it has exited. Returns true and its wait status
 * if so. */
bool wd_proc_reap(struct wd_proc *p, int *status);

void wd_proc_close_in(struct wd_proc *p);
/* Closes every descriptor still open (not the process). */
void wd_proc_close(struct wd_proc *p);

#endif
