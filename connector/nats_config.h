/* nats_config.h -- the NATS settings: which subjects and streams, checked
 * at load so a typo is an error naming its line, not a silent no-op. */
#ifndef CN_NATS_CONFIG_H
#define CN_NATS_CONFIG_H

#include <stddef.h>

struct cn_config;

/* One entry of `streams`: a durable pull consumer on `stream`, limited to
 * `filter` (NULL: every subject of the stream). */
struct cn_stream_spec {
    char *stream;
    char *filter;
};

/* Checks nats_url, subjects and streams against each other and brokers.
 * Returns 0, or -1 with a message in err naming the file and line (or the
 * environment variable) of the bad setting. */
int cn_nats_config_check(const struct cn_config *cfg, const char *file, char *err, size_t errlen);

/* Parses `streams`. Returns the count (0 for none) with a new array in
 * *out, or -1 with a message in why. */
int cn_streams_parse(const char *text, struct cn_stream_spec **out, char *why, size_t whylen);
void cn_streams_free(struct cn_stream_spec *v, int n);

/* The durable consumer name of a spec for a group: "<group>_<stream>" and
 * the filter, with every byte a durable name cannot hold made '_'. */
char *cn_stream_durable(const char *group, const struct cn_stream_spec *s);

#endif
