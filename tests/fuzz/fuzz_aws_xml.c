/* fuzz_aws_xml.c — libFuzzer target for the AWS XML extractor (S3 errors,
 * multipart results, STS responses). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char code[64], msg[128], id[1024], root[32], err[128];
    struct hg_xml_field f[] = {
        { "Error/Code", code, sizeof code, false },
        { "Error/Message", msg, sizeof msg, false },
        { "InitiateMultipartUploadResult/UploadId", id, sizeof id, false },
    };
    if (hg_xml_extract((const char *)data, size, root, sizeof root, f, 3, err, sizeof err) == 0) {
        for (size_t i = 0; i < 3; i++)
            if (f[i].found && strlen(f[i].out) >= f[i].out_size)
                __builtin_trap();
    }
    return 0;
}
