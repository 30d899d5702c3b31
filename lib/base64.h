/* base64.h -- standard base64 (RFC 4648 section 4), as Go's encoding/json
 * writes []byte and HTTP basic auth carries credentials. */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

/* Padded; returns a new NUL-terminated string (caller frees). */
char *base64_encode(const unsigned char *data, size_t len);

/* Strict: the length is a multiple of 4, '=' only as the last one or two
 * characters, no whitespace, the unused bits before padding zero.
 * Returns a new buffer (caller frees) of *outlen bytes plus a '\0', or
 * NULL with *bad_at set to the offset of the first offending character
 * (SIZE_MAX when the length is wrong). */
unsigned char *base64_decode(const char *in, size_t len, size_t *outlen, size_t *bad_at);

#endif
