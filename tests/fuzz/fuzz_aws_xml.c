/* fuzz_aws_xml.c — libFuzzer target for the AWS XML extractor (S3 errors,
 * multipart results, STS responses) and the S3 ListObjectsV2 parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/aws/s3.h"
#include "common/aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char code[64], msg[128], id[1024], root[32], err[128];
    struct hg_xml_field f[] = {
        { "Error/Code", code, sizeof code, false, false },
        { "Error/Message", msg, sizeof msg, false, true },
        { "InitiateMultipartUploadResult/UploadId", id, sizeof id, false, false },
    };
    if (hg_xml_extract((const char *)data, size, root, sizeof root, f, 3, err, sizeof err) == 0) {
        for (size_t i = 0; i < 3; i++)
            if (f[i].found && strlen(f[i].out) >= f[i].out_size)
                __builtin_trap();
    }
    /* The same bytes as a ListObjectsV2 page: on success every key is a
     * non-empty string within S3's limit, and a truncated page has a token. */
    struct hg_s3_list_page pg;
    for (size_t max = 0; max <= 2; max += 2) {
        if (hg_s3_list_parse((const char *)data, size, max, &pg, err, sizeof err) == 0) {
            if ((max && pg.nkeys > max) || pg.nprefixes > HG_S3_LIST_PAGE_KEYS ||
                (pg.truncated && !pg.next_token[0]))
                __builtin_trap();
            for (size_t i = 0; i < pg.nkeys; i++)
                if (!pg.keys[i][0] || strlen(pg.keys[i]) > HG_S3_KEY_MAX || pg.sizes[i] < -1)
                    __builtin_trap();
            hg_s3_list_page_cleanup(&pg);
        } else if (pg.keys || pg.nkeys || !err[0]) {
            __builtin_trap();
        }
    }
    return 0;
}
