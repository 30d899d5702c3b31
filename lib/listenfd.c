/* listenfd.c -- inherited and freshly bound listening sockets. */
#include "listenfd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "parse.h"

int listenfd_take(void)
{
    const char *fds = getenv("LISTEN_FDS");
    const char *pid = getenv("LISTEN_PID");
    int64_t n, p;
    if (!fds || parse_int64(fds, &n) < 0 || n < 1)
        return -1;
    if (pid && (parse_int64(pid, &p) < 0 || p != getpid()))
        return -1;
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDNAMES");
    if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
        return -1;
    return 3;
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
