/* unixaddr.c -- Unix socket addresses from names. */
#include "unixaddr.h"

#include <stddef.h>
#include <string.h>

int unixaddr_make(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
    size_t n = strlen(name);
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (n == 0 || n >= sizeof sa->sun_path || (name[0] == '@' && n == 1))
        return -1;
    memcpy(sa->sun_path, name, n);
    if (name[0] == '@') {
        /* The leading NUL is the namespace; the name is exactly its bytes. */
        sa->sun_path[0] = '\0';
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *len = (socklen_t)sizeof *sa;
    }
    return 0;
}
