/* subject.c -- Kafka topic and NATS subject syntax, subject matching,
 * bus prefixes. */
#include "subject.h"

#include <stdio.h>
#include <string.h>

#define SUBJECT_MAX 1024 /* longer ones are surely a mistake */

/* Bytes NATS treats as separators in its protocol line. */
static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || (unsigned char)c < 0x20 || c == 0x7f;
}

bool cn_topic_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 249)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789._-") == n;
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

/* Process-wide: the buses are fixed for the life of the process (a
 * change of brokers or nats_url needs a restart), and names are read in
 * every module, so passing this down would touch each of them. */
enum bare { BARE_KAFKA, BARE_NATS, BARE_NONE };
static struct {
    bool kafka, nats;
    enum bare bare;
} buses = { true, true, BARE_KAFKA };

void cn_buses_set(bool kafka, bool nats, const char *dflt)
{
    buses.kafka = kafka;
    buses.nats = nats;
    /* Two branches end alike on purpose: they are apart because the order
     * of the tests decides, and "no bus" reads better as its own case. */
    // NOLINTBEGIN(bugprone-branch-clone)
    if (strcmp(dflt, "kafka") == 0 || (kafka && !nats && strcmp(dflt, "nats") != 0))
        buses.bare = BARE_KAFKA;
    else if (strcmp(dflt, "nats") == 0 || (nats && !kafka))
        buses.bare = BARE_NATS;
    else if (!kafka && !nats)
        buses.bare = BARE_KAFKA; /* no bus: refused at load, after the file's errors */
    else
        buses.bare = BARE_NONE;
    // NOLINTEND(bugprone-branch-clone)
}

bool cn_bus_kafka_on(void)
{
    return buses.kafka;
}

bool cn_bus_nats_on(void)
{
    return buses.nats;
}

bool cn_bare_is_kafka(void)
{
    return buses.bare == BARE_KAFKA;
}

static const char *prefixed(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(name, prefix, n) == 0 ? name + n : NULL;
}

const char *cn_bus_unresolved(const char *name, char *why, size_t len)
{
    if (prefixed(name, CN_NATS_PREFIX)) {
        if (buses.nats)
            return NULL;
        snprintf(why, len, "\"%s\" is on NATS, but nats_url is not set", name);
        return why;
    }
    if (prefixed(name, CN_KAFKA_PREFIX)) {
        if (buses.kafka)
            return NULL;
        snprintf(why, len, "\"%s\" is on Kafka, but brokers is not set", name);
        return why;
    }
    if (buses.bare != BARE_NONE)
        return NULL;
    snprintf(why, len,
             "\"%s\" is a bare name, and both Kafka (brokers) and NATS "
             "(nats_url) are configured: write kafka:%s or nats:%s, or set default_bus",
             name, name, name);
    return why;
}

const char *cn_nats_name(const char *name)
{
    if (prefixed(name, CN_KAFKA_PREFIX))
        return NULL;
    const char *subject = prefixed(name, CN_NATS_PREFIX);
    return subject ? subject : buses.bare == BARE_NATS ? name : NULL;
}

const char *cn_kafka_name(const char *name)
{
    if (prefixed(name, CN_NATS_PREFIX))
        return NULL;
    const char *topic = prefixed(name, CN_KAFKA_PREFIX);
    return topic ? topic : buses.bare == BARE_KAFKA ? name : NULL;
}

/* Syntax only: a bare name that is on no bus is valid if either bus
 * could take it (cn_bus_unresolved() tells the rest). */
static bool valid(const char *name, bool wildcards)
{
    const char *subject = prefixed(name, CN_NATS_PREFIX);
    const char *topic = prefixed(name, CN_KAFKA_PREFIX);

    if (subject)
        return cn_subject_valid(subject, wildcards);
    if (topic)
        return cn_topic_valid(topic);
    if (buses.bare == BARE_NATS)
        return cn_subject_valid(name, wildcards);
    if (buses.bare == BARE_KAFKA)
        return cn_topic_valid(name);
    return cn_topic_valid(name) || cn_subject_valid(name, wildcards);
}

bool cn_source_valid(const char *name)
{
    return valid(name, true);
}

bool cn_dest_valid(const char *name)
{
    return valid(name, false);
}
