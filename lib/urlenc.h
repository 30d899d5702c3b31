/* urlenc.h -- percent-encoding (RFC 3986) of query values and path
 * segments, as the engine and API clients of the drivers build their
 * URLs. */
#ifndef URLENC_H
#define URLENC_H

#include <stddef.h>

/* Percent-encodes s into out, leaving the unreserved characters and those
 * in keep (may be "") as they are. Stops before a character that would
 * not fit, so out is always terminated. Returns out. */
const char *url_escape(const char *s, const char *keep, char *out, size_t outlen);

#endif
