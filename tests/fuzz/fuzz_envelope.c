/* fuzz_envelope.c — API Gateway / ALB envelope parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gw_envelope env;
    char err[256];
    if (gw_envelope_parse((const char *)data, size, 4096, &env, err, sizeof err) == 0) {
        /* a parsed envelope is internally consistent */
        if (!env.path || env.path[0] != '/' || env.body.len > 4096)
            abort();
        gw_envelope_cleanup(&env);
    } else if (!err[0]) {
        abort();   /* every failure says why */
    }
    return 0;
}
