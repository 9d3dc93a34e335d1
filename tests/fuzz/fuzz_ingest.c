/* fuzz_ingest.c — the whole ingest decision on arbitrary bodies, with a
 * valid signature computed over the input so the fuzzer reaches the JSON,
 * form and record code. The first byte picks the route and content type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/slack_sig.h"
#include "common/record.h"
#include "gateway/dedup.h"
#include "gateway/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hg_slack_secrets secrets;
    static struct gw_dedup *dedup;
    if (!secrets.n) {
        hg_slack_secrets_add(&secrets, "fuzz-secret", 11);
        dedup = gw_dedup_create(64);
    }
    if (size < 1)
        return 0;
    static const char *const ctypes[] = {
        "application/json", "application/x-www-form-urlencoded", "text/plain",
        "application/json; charset=utf-8",
    };
    enum gw_slack_route route = (enum gw_slack_route)(data[0] % 3);
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char sig[68];
    hg_slack_sig_sign("fuzz-secret", 11, "1700000000", body, len, sig);
    struct gw_inbound in = {
        .route = route, .content_type = ctypes[(data[0] / 3) % 4],
        .signature = sig, .timestamp = "1700000000",
        .retry_num = (data[0] & 0x80) ? "2" : NULL, .retry_reason = "http_timeout",
        .body = body, .body_len = len, .envelope = "none", .received_ms = 1700000000000,
    };
    struct gw_ingest_ctx ctx = { .secrets = &secrets, .max_age = 0, .now_s = 1700000000,
                                 .dedup = dedup, .max_record = 1 << 20 };
    struct gw_ingest_result r;
    if (gw_ingest_handle(&ctx, &in, &r) == GW_INGEST_PRODUCE) {
        /* every record the gateway produces parses back as a valid record */
        struct hg_record rec;
        char err[256];
        if (hg_record_parse(r.record, r.record_len, &rec, err, sizeof err) != 0)
            abort();
        hg_record_cleanup(&rec);
    } else if (r.status != 200 && !r.error) {
        abort();
    }
    gw_ingest_result_cleanup(&r);
    return 0;
}
