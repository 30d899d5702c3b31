/* listenfd.h -- a listening socket handed down by a parent.
 *
 * systemd's socket-activation protocol: LISTEN_FDS=1 (and LISTEN_PID, when
 * set, equal to our pid) means fd 3 is a bound, listening socket. A parent
 * that binds first and spawns second has no port race. We accept an unset
 * LISTEN_PID because a parent using posix_spawn cannot know the pid. */
#ifndef LISTENFD_H
#define LISTENFD_H

/* Returns the inherited socket (marked close-on-exec, and the variables
 * removed from the environment so our own children do not claim it), or
 * -1 if there is none. */
int listenfd_take(void);
/* The same, and with LISTEN_FDS=2 the second socket (fd 4) in *second
 * (else -1 there). */
int listenfd_take_pair(int *second);

/* Binds and listens on addr:port (addr NULL: all interfaces; port 0: any).
 * Returns the socket, or -1 with a message in err. */
int listenfd_bind(const char *addr, int port, char *err, unsigned long errlen);

/* Binds and listens on a Unix socket at path, read and writable by its
 * owner and group only (0660). A socket file left by a server that is
 * gone (a connect is refused) is replaced; a live one, or anything that
 * is not a socket, is an error. "@name" is an abstract socket (see
 * unixaddr.h): no file, no mode. Returns the socket, or -1 with a message
 * in err. */
int listenfd_bind_unix(const char *path, char *err, unsigned long errlen);

/* The port a bound socket listens on, or -1. */
int listenfd_port(int fd);

#endif
