/* unixaddr.h -- Unix socket addresses from names.
 *
 * A name is a file path, or "@name" for Linux's abstract namespace (as
 * ss and systemd write it): a socket without a file, gone with its last
 * descriptor, reachable from the network namespace it was bound in. */
#ifndef UNIXADDR_H
#define UNIXADDR_H

#include <sys/socket.h>
#include <sys/un.h>

/* Fills sa and *len for name. Returns 0, or -1 if name is empty or too
 * long (107 bytes; an abstract one 106 after its '@'). */
int unixaddr_make(const char *name, struct sockaddr_un *sa, socklen_t *len);

#endif
