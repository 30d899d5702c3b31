/* record.c -- the source-neutral message. */
#include "record.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

const struct cn_header *cn_record_header(const struct cn_record *rec, const char *name)
{
    for (size_t i = 0; i < rec->nheaders; i++) {
        if (strcasecmp(rec->headers[i].name, name) == 0)
            return &rec->headers[i];
    }
    return NULL;
}

void cn_record_free(struct cn_record *rec)
{
    if (!rec)
        return;
    for (size_t i = 0; i < rec->nheaders; i++) {
        free(rec->headers[i].name);
        free(rec->headers[i].value);
    }
    free(rec->headers);
    free(rec->topic);
    free(rec->key);
    free(rec->value);
    free(rec->call_id);
    free(rec->stream);
    free(rec->reply_to);
    free(rec);
}

unsigned char *cn_bytes_dup(const void *p, size_t len)
{
    unsigned char *out = xmalloc(len + 1);

    if (len)
        memcpy(out, p, len);
    out[len] = '\0';
    return out;
}
