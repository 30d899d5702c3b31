/* subject.c -- NATS subject syntax and matching, bus prefixes. */
#include "subject.h"

#include <string.h>

#include "routes.h"

#define SUBJECT_MAX 1024 /* longer ones are surely a mistake */

/* Bytes NATS treats as separators in its protocol line. */
static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || (unsigned char)c < 0x20 ||
           c == 0x7f;
}

bool cn_subject_valid(const char *s, bool wildcards)
{
    size_t n = strlen(s);

    if (n == 0 || n > SUBJECT_MAX)
        return false;
    for (const char *tok = s;;) {
        size_t len = strcspn(tok, ".");
        bool last = tok[len] == '\0';
        if (len == 0)
            return false;
        for (size_t i = 0; i < len; i++) {
            if (blank(tok[i]))
                return false;
            /* A wildcard is a whole token, never part of one. */
            if ((tok[i] == '*' || tok[i] == '>') && len > 1)
                return false;
        }
        if (len == 1 && (*tok == '*' || *tok == '>') && !wildcards)
            return false;
        if (len == 1 && *tok == '>' && !last)
            return false;
        if (last)
            return true;
        tok += len + 1;
    }
}

bool cn_subject_match(const char *pattern, const char *subject)
{
    const char *p = pattern, *s = subject;

    for (;;) {
        size_t plen = strcspn(p, "."), slen = strcspn(s, ".");
        if (plen == 1 && *p == '>')
            return slen > 0;
        if (!(plen == 1 && *p == '*') && (plen != slen || memcmp(p, s, plen) != 0))
            return false;
        if (p[plen] == '\0' || s[slen] == '\0')
            return p[plen] == '\0' && s[slen] == '\0';
        p += plen + 1;
        s += slen + 1;
    }
}

const char *cn_nats_name(const char *name)
{
    size_t n = strlen(CN_NATS_PREFIX);

    return strncmp(name, CN_NATS_PREFIX, n) == 0 ? name + n : NULL;
}

const char *cn_kafka_name(const char *name)
{
    size_t n = strlen(CN_KAFKA_PREFIX);

    if (cn_nats_name(name))
        return NULL;
    return strncmp(name, CN_KAFKA_PREFIX, n) == 0 ? name + n : name;
}

static bool valid(const char *name, bool wildcards)
{
    const char *subject = cn_nats_name(name);

    if (subject)
        return cn_subject_valid(subject, wildcards);
    return cn_topic_valid(cn_kafka_name(name));
}

bool cn_source_valid(const char *name)
{
    return valid(name, true);
}

bool cn_dest_valid(const char *name)
{
    return valid(name, false);
}
