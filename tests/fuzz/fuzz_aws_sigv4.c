/* fuzz_aws_sigv4.c — libFuzzer target for SigV4 canonicalisation: the
 * input is split on NUL bytes into path, query, a header value and a body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/aws/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 4);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    memset(copy + size, 0, 4);
    const char *part[4];
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        part[i] = copy + (off <= size ? off : size);
        off += strlen(part[i]) + 1;
    }
    struct hg_aws_creds c;
    memset(&c, 0, sizeof c);
    memcpy(c.access_key_id, "AKID", 5);
    memcpy(c.secret_access_key, "secret", 7);
    struct hg_http_header h[] = { { "X-Fuzz", part[2] }, { "x-fuzz", part[2] } };
    struct hg_sigv4_request r = {
        .method = "PUT", .host = "h.example", .path = part[0], .query = part[1],
        .headers = h, .nheaders = 2, .body = part[3], .body_len = strlen(part[3]),
        .region = "us-east-1", .service = "s3", .now = 1440938160,
        .flags = (size & 1) ? HG_SIGV4_S3 | HG_SIGV4_CONTENT_SHA256 : 0,
    };
    struct hg_sigv4_signed s;
    char err[128];
    if (hg_sigv4_sign(&c, &r, &s, NULL, err, sizeof err) == 0 && strlen(s.signature) != 64)
        __builtin_trap();
    struct hg_buf q;
    hg_buf_init(&q, 1u << 20);
    (void)hg_sigv4_presign(&c, &r, 900, &q, err, sizeof err);
    hg_buf_cleanup(&q);
    free(copy);
    return 0;
}
