/* fuzz_record.c — libFuzzer target: parsing hookgate records (consumer side);
 * an accepted record is re-written and must parse again identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hg_record r, r2;
    char err[256];
    struct hg_buf d, out;
    hg_buf_init(&d, 6 * size + 64);   /* worst case: every byte becomes \u00XX */
    hg_buf_init(&out, 8 * size + 1024);
    if (hg_record_parse((const char *)data, size, &r, err, sizeof err) != 0) {
        if (r.root != NULL || memchr(err, '\0', sizeof err) == NULL)
            abort();
        goto out;
    }
    if (!r.id || !r.type || !r.source || !r.time || !r.data || r.version != 1)
        abort();
    if (hg_json_write(&d, r.data) != 0)
        abort();
    struct hg_record_fields f = {
        .id = r.id, .type = r.type, .source = r.source, .time_ms = 1,
        .team = r.team, .channel = r.channel, .app = r.app, .route = r.route,
        .retry_num = (int)r.retry_num, .data = d.data, .data_len = d.len,
    };
    if (hg_record_write(&out, &f) != 0)
        abort();
    if (hg_record_parse(out.data, out.len, &r2, err, sizeof err) != 0)
        abort();
    if (strcmp(r.id, r2.id) != 0 || strcmp(r.type, r2.type) != 0 ||
        strcmp(r.source, r2.source) != 0 || r.retry_num != r2.retry_num ||
        (r.team && (!r2.team || strcmp(r.team, r2.team) != 0)))
        abort();
    hg_record_cleanup(&r2);
    hg_record_cleanup(&r);
out:
    hg_buf_cleanup(&d);
    hg_buf_cleanup(&out);
    return 0;
}
