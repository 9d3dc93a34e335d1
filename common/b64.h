/* b64.h — strict base64 (RFC 4648 §4) and base64url (§5) codecs. */
#ifndef HG_B64_H
#define HG_B64_H

#include <stddef.h>

/* Bytes needed to decode n input characters (an upper bound). */
#define HG_B64_DECODED_MAX(n) (((n) / 4 + 1) * 3)
/* Bytes needed to encode n bytes, including the terminating NUL. */
#define HG_B64_ENCODED_MAX(n) ((((n) + 2) / 3) * 4 + 1)

/* Decode standard base64. Accepts padded input and, for API Gateway's
 * sake, unpadded input whose length mod 4 is 2 or 3; rejects any other
 * character (including whitespace), misplaced '=', and non-zero trailing
 * bits. out must hold HG_B64_DECODED_MAX(n) bytes. Returns the decoded
 * length, or -1 with *err_off set to the offset of the first bad character
 * (n for a bad length). */
long hg_b64_decode(const char *in, size_t n, unsigned char *out, size_t *err_off);

/* Encode; url selects the base64url alphabet without padding. out must hold
 * HG_B64_ENCODED_MAX(n) bytes; it is NUL-terminated. Returns the length. */
size_t hg_b64_encode(const unsigned char *in, size_t n, char *out, int url);

#endif
