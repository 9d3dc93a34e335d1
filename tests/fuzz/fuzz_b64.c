/* fuzz_b64.c — libFuzzer target: strict base64 decoding, and encode/decode
 * round trips in both alphabets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *dec = malloc(HG_B64_DECODED_MAX(size));
    char *enc = malloc(HG_B64_ENCODED_MAX(size));
    unsigned char *back = malloc(HG_B64_DECODED_MAX(HG_B64_ENCODED_MAX(size)));
    if (!dec || !enc || !back)
        goto out;
    size_t off = 0;
    long n = hg_b64_decode((const char *)data, size, dec, &off);
    if (n < 0) {
        if (off > size)
            abort();
    } else {
        if ((size_t)n > HG_B64_DECODED_MAX(size))
            abort();
        /* canonical: re-encoding a decodable input gives it back, modulo padding */
        size_t el = hg_b64_encode(dec, (size_t)n, enc, 0);
        if (el < size || memcmp(enc, data, size) != 0)
            abort();
    }
    /* round trip raw bytes in both alphabets */
    for (int url = 0; url < 2; url++) {
        size_t el = hg_b64_encode(data, size, enc, url);
        if (enc[el] != '\0')
            abort();
        if (!url) {
            long m = hg_b64_decode(enc, el, back, &off);
            if (m != (long)size || memcmp(back, data, size) != 0)
                abort();
        }
    }
out:
    free(dec);
    free(enc);
    free(back);
    return 0;
}
