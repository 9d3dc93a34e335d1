/* fuzz_json.c — libFuzzer target: bounded JSON parsing; anything accepted
 * must re-serialise to JSON that parses again to the same text, and the
 * tree-less picker must agree with the tree (json_pick_oracle.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "../unit/json_pick_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[160];
    struct hg_buf a, b;
    hg_buf_init(&a, 6 * size + 64);   /* worst case: every byte becomes \u00XX */
    hg_buf_init(&b, 6 * size + 64);
    if (json_pick_oracle((const char *)data, size))
        abort();
    yajl_val v = hg_json_parse((const char *)data, size, err, sizeof err);
    yajl_val w = NULL;
    if (!v)
        goto out;
    (void)hg_json_get_str(v, "event", "type", (const char *)NULL);
    if (hg_json_write(&a, v) != 0)
        abort();
    w = hg_json_parse(a.data, a.len, err, sizeof err);
    if (!w)
        abort();
    if (hg_json_write(&b, w) != 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
out:
    yajl_tree_free(v);
    yajl_tree_free(w);
    hg_buf_cleanup(&a);
    hg_buf_cleanup(&b);
    return 0;
}
