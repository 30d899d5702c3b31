/* encode.h -- what of a record can travel as an HTTP header, and the
 * identifiers the connector derives from a record. */
#ifndef CN_ENCODE_H
#define CN_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if bytes can be an HTTP header value unchanged: valid UTF-8, no
 * control characters, no leading or trailing blanks (HTTP strips them).
 * Anything else travels base64-encoded with an `...-Enc: b64` header. */
bool cn_http_value_ok(const unsigned char *p, size_t len);

/* Emits bytes as header `name`: as they are when HTTP can carry them,
 * else base64 with a companion "<name>-Enc: b64" header (the rule every
 * header the connector writes follows, to functions and to NATS). */
void cn_header_emit(const char *name, const unsigned char *p, size_t len,
                    void (*emit)(void *arg, const char *name, const char *value), void *arg);

/* True if name is an HTTP token (RFC 9110 tchar), so it can follow
 * "X-Kafka-" as a header name. */
bool cn_http_name_ok(const char *name);

/* The call id of a record: the same on every redelivery, so functions can
 * de-duplicate ("kafka-orders-3-1042"). Returns a new string. */
char *cn_call_id(const char *source, const char *topic, int32_t partition, int64_t offset);

/* A hop count from a header value: a decimal 0..1000000, else 0. */
int cn_hops_parse(const unsigned char *value, size_t len);

#endif
