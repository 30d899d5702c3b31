/* listenfd.c -- inherited and freshly bound listening sockets. */
#include "listenfd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "parse.h"
#include "unixaddr.h"

int listenfd_take_pair(int *second)
{
    const char *fds = getenv("LISTEN_FDS");
    const char *pid = getenv("LISTEN_PID");
    int64_t n, p;
    if (second)
        *second = -1;
    if (!fds || parse_int64(fds, &n) < 0 || n < 1)
        return -1;
    if (pid && (parse_int64(pid, &p) < 0 || p != getpid()))
        return -1;
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDNAMES");
    if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
        return -1;
    /* Marked even when not wanted: our children must not inherit it. */
    if (n >= 2 && fcntl(4, F_SETFD, FD_CLOEXEC) == 0 && second)
        *second = 4;
    return 3;
}

int listenfd_take(void)
{
    return listenfd_take_pair(NULL);
}

/* addr as an IPv4 or IPv6 (with ':') socket address; NULL or "": every
 * IPv4 interface. */
static int address_of(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (addr && strchr(addr, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof *in6;
        return inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    in->sin_addr.s_addr = htonl(INADDR_ANY);
    *len = sizeof *in;
    return !addr || !*addr || inet_pton(AF_INET, addr, &in->sin_addr) == 1 ? 0 : -1;
}

int listenfd_bind(const char *addr, int port, char *err, unsigned long errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (address_of(addr, port, &ss, &len) < 0) {
        snprintf(err, errlen, "bad listen address %s (an IPv4 or IPv6 address)", addr);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4096) < 0) {
        snprintf(err, errlen, "cannot listen on %s port %d: %s", addr && *addr ? addr : "0.0.0.0",
                 port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Whether a server answers on the socket file at sa. */
static bool unix_socket_live(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true; /* cannot tell: leave the file alone */
    bool live = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 || errno != ECONNREFUSED;
    close(fd);
    return live;
}

/* Makes room at the socket's path: nothing there, or a dead socket that
 * is removed. Returns 0, or -1 with a message in err. */
static int clear_unix_path(const struct sockaddr_un *sa, char *err, unsigned long errlen)
{
    struct stat st;
    if (lstat(sa->sun_path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "unix socket %s: %s", sa->sun_path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "unix socket %s: the path exists and is not a socket", sa->sun_path);
        return -1;
    }
    if (unix_socket_live(sa)) {
        snprintf(err, errlen, "unix socket %s: another server listens there", sa->sun_path);
        return -1;
    }
    if (unlink(sa->sun_path) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "unix socket %s: cannot remove the old socket: %s", sa->sun_path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int listenfd_bind_unix(const char *path, char *err, unsigned long errlen)
{
    struct sockaddr_un sa;
    socklen_t len;
    bool abstract = path[0] == '@';
    if (unixaddr_make(path, &sa, &len) < 0) {
        snprintf(err, errlen, "unix socket path '%s': empty or longer than %zu bytes", path,
                 sizeof sa.sun_path - 1);
        return -1;
    }
    if (!abstract && clear_unix_path(&sa, err, errlen) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* Connects before listen() are refused, so the mode is set before
     * anyone can be let in with the umask's. */
    if (bind(fd, (struct sockaddr *)&sa, len) < 0 || (!abstract && chmod(path, 0660) < 0) ||
        listen(fd, 4096) < 0) {
        snprintf(err, errlen, "cannot listen on unix socket %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int listenfd_port(int fd)
{
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } u;
    memset(&u, 0, sizeof u);
    socklen_t len = sizeof u;
    if (getsockname(fd, &u.sa, &len) < 0)
        return -1;
    return ntohs(u.sa.sa_family == AF_INET6 ? u.in6.sin6_port : u.in.sin_port);
}
