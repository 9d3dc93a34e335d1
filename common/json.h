/* json.h — yajl helpers: bounded parsing into a tree, path look-ups. */
#ifndef HG_JSON_H
#define HG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* Parse len bytes (need not be NUL-terminated) into a yajl tree. Rejects
 * nesting deeper than HG_JSON_MAX_DEPTH, invalid UTF-8, a string holding
 * U+0000 (the escape \u0000: a raw control byte is refused anywhere, as
 * yajl does), trailing garbage, and anything yajl rejects. Returns the tree
 * (free with yajl_tree_free) or NULL with a one-line message (offset and
 * reason, no input echoed) in errstr. */
yajl_val hg_json_parse(const char *text, size_t len, char *errstr, size_t errstr_size);
/* Also refuses more than max_values values in all (hg_json_parse: at most
 * HG_JSON_MAX_VALUES): a tree costs 50-100 bytes a value, so a small body
 * of many tiny values ([0,0,...]) cannot take many times its size. */
yajl_val hg_json_parse_max(const char *text, size_t len, size_t max_values, char *errstr,
                           size_t errstr_size);

/* hg_json_parse_opts flags. HG_JSON_NUL_OK: accept U+0000 in strings (valid
 * JSON, RFC 8259 §7), for documents a C-string tree need not carry whole
 * (records: their data is other people's JSON). The tree then holds
 *  - a string value with U+0000 as a node of type HG_JSON_T_NUL_STRING,
 *    which no YAJL_IS_* test matches: look-ups see "not a string", never a
 *    string cut at the NUL; its u.string is the value's JSON text (escaped,
 *    U+0000 as \u0000, no quotes);
 *  - an object key with U+0000 as HG_JSON_NUL_KEY followed by its escaped
 *    JSON text: no look-up matches it (a valid UTF-8 key never starts so).
 * hg_json_write writes both as JSON strings again, U+0000 as \u0000. */
#define HG_JSON_NUL_OK       1u
#define HG_JSON_T_NUL_STRING yajl_t_any   /* only valid for searching in yajl: never a parsed value */
#define HG_JSON_NUL_KEY      '\xff'
yajl_val hg_json_parse_opts(const char *text, size_t len, size_t max_values, unsigned flags,
                            char *errstr, size_t errstr_size);

/* ---- picking a few members without building a tree ---------------------
 * The same checks as hg_json_parse_opts with HG_JSON_NUL_OK (depth, UTF-8,
 * trailing garbage, the same error messages; U+0000 in strings accepted),
 * but nothing is allocated per value: only the members named by the picks
 * are kept. As with hg_json_get, a repeated key means its first occurrence,
 * and paths run through objects only (a key holding U+0000 matches no
 * path). */
#define HG_JSON_PICK_DEPTH   3u    /* keys in a path, at most */
#define HG_JSON_PICK_KEY_MAX 32u   /* longest key a path may name */

enum hg_json_pick_kind {
    HG_JSON_PICK_ABSENT = 0,
    HG_JSON_PICK_STRING,     /* str holds it */
    HG_JSON_PICK_TOO_LONG,   /* a string longer than max_len (not kept) */
    HG_JSON_PICK_STRING_NUL, /* a string holding U+0000 (not kept: no C string
                              * carries it; whatever its length) */
    HG_JSON_PICK_INTEGER,    /* integer holds it (what YAJL_IS_INTEGER accepts) */
    HG_JSON_PICK_OBJECT,
    HG_JSON_PICK_OTHER,      /* array, null, boolean, non-integer number */
};

struct hg_json_pick {
    const char *path[HG_JSON_PICK_DEPTH + 1]; /* in: keys from the root, NULL-ended;
                                               * { NULL } picks the root itself */
    size_t max_len;                /* in: longest string kept */
    enum hg_json_pick_kind kind;   /* out */
    const char *str;               /* out, STRING: NUL-terminated, in the arena */
    long long integer;             /* out, INTEGER */
};

/* Parse len bytes and fill in picks[0..n) (n <= 16). Strings are copied
 * into arena, which must hold the sum of (max_len + 1) over the picks; a
 * pick's str lives as long as the arena. Returns 0, or -1 with errstr as
 * hg_json_parse gives it. */
int hg_json_pick(const char *text, size_t len, struct hg_json_pick *picks, size_t n,
                 char *arena, size_t arena_size, char *errstr, size_t errstr_size);

/* Look up a member path in nested objects: hg_json_get(v, "event", "type", NULL).
 * Returns NULL when any step is missing or not an object. */
yajl_val hg_json_get(yajl_val v, ...) __attribute__((sentinel));
/* As hg_json_get but returns the string value, or NULL when absent or not
 * a string. */
const char *hg_json_get_str(yajl_val v, ...) __attribute__((sentinel));

/* NULL when s[0..n) is valid UTF-8 without U+0000 (what a C string that
 * becomes a JSON string may hold), else a short reason. */
const char *hg_json_utf8_check(const void *s, size_t n);

/* Serialise a tree (compact) onto a buffer. Returns 0 or -1 (cap). Strings
 * are written escaped (hg_buf_append_json_str), numbers as they were read. */
struct hg_buf;
int hg_json_write(struct hg_buf *out, yajl_val v);

#endif
