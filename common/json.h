/* json.h — yajl helpers: bounded parsing into a tree, path look-ups. */
#ifndef HG_JSON_H
#define HG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* Parse len bytes (need not be NUL-terminated) into a yajl tree. Rejects
 * nesting deeper than HG_JSON_MAX_DEPTH, invalid UTF-8, trailing garbage,
 * and anything yajl rejects. Returns the tree (free with yajl_tree_free) or
 * NULL with a one-line message (offset and reason, no input echoed) in
 * errstr. */
yajl_val hg_json_parse(const char *text, size_t len, char *errstr, size_t errstr_size);

/* Look up a member path in nested objects: hg_json_get(v, "event", "type", NULL).
 * Returns NULL when any step is missing or not an object. */
yajl_val hg_json_get(yajl_val v, ...) __attribute__((sentinel));
/* As hg_json_get but returns the string value, or NULL when absent or not
 * a string. */
const char *hg_json_get_str(yajl_val v, ...) __attribute__((sentinel));

/* NULL when s[0..n) is valid UTF-8 without U+0000 (what a JSON string in
 * a record may hold), else a short reason. */
const char *hg_json_utf8_check(const void *s, size_t n);

/* Serialise a tree (compact) onto a buffer. Returns 0 or -1 (cap). */
struct hg_buf;
int hg_json_write(struct hg_buf *out, yajl_val v);

#endif
