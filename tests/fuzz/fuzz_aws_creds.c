/* fuzz_aws_creds.c — libFuzzer target for the credential document parsers:
 * the first byte picks the container/IMDS JSON parser or the shared
 * config/credentials file reader. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/aws/creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > HG_AWS_CREDS_DOC_MAX)
        return 0;
    char err[256];
    if (data[0] & 1) {
        struct hg_aws_creds c;
        if (hg_aws_creds_parse_json((const char *)data + 1, size - 1, &c, err, sizeof err) == 0 &&
            (!c.access_key_id[0] || !c.secret_access_key[0]))
            __builtin_trap();
        hg_aws_creds_wipe(&c);
        return 0;
    }
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    static const char *const sections[] = { "default", "profile dev", "" };
    static const char *const keys[] = { "aws_access_key_id", "region", "" };
    for (size_t i = 0; i < 3; i++) {
        bool seen = false;
        char *v = hg_aws_ini_get(text, sections[i], keys[i], &seen);
        if (v && !seen)
            __builtin_trap();
        free(v);
    }
    free(text);
    return 0;
}
