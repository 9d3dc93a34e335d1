/* fuzz_json.c — libFuzzer target: bounded JSON parsing, with and without
 * HG_JSON_NUL_OK; anything accepted must re-serialise to JSON that parses
 * again to the same text, and the tree-less picker must agree with the
 * tree (json_pick_oracle.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"
#include "../unit/json_pick_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse with flags; an accepted text must write, parse and write again to
 * the same bytes. A tree with U+0000 exists only with HG_JSON_NUL_OK: the
 * default refuses it. */
static void roundtrip(const uint8_t *data, size_t size, unsigned flags)
{
    char err[160];
    struct hg_buf a, b;
    hg_buf_init(&a, 6 * size + 64);   /* worst case: every byte becomes \u00XX */
    hg_buf_init(&b, 6 * size + 64);
    yajl_val v = hg_json_parse_opts((const char *)data, size, HG_JSON_MAX_VALUES, flags, err, sizeof err);
    yajl_val w = NULL;
    if (!v)
        goto out;
    (void)hg_json_get_str(v, "event", "type", (const char *)NULL);
    if (hg_json_write(&a, v) != 0)
        abort();
    w = hg_json_parse_opts(a.data, a.len, HG_JSON_MAX_VALUES, flags, err, sizeof err);
    if (!w)
        abort();
    if (hg_json_write(&b, w) != 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
out:
    yajl_tree_free(v);
    yajl_tree_free(w);
    hg_buf_cleanup(&a);
    hg_buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (json_pick_oracle((const char *)data, size))
        abort();
    roundtrip(data, size, 0);
    roundtrip(data, size, HG_JSON_NUL_OK);
    return 0;
}
