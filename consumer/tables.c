/* tables.c — table configs: file name → table name, JSON → checked struct
 * hgc_table, loaded from a directory or an s3:// prefix. */
#include "consumer/tables.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"

/* ---- small helpers ---------------------------------------------------- */

static void seterr(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    if (!errstr || errstr_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}

/* Copy s for echoing in an error: at most 60 bytes, control bytes as '?',
 * cut at a UTF-8 boundary (the JSON parser guarantees valid UTF-8; file
 * names are checked byte by byte and non-ASCII shown as '?'). */
static void echo_safe(char *dst, size_t dst_size, const char *s, bool ascii_only)
{
    size_t n = 0, i = 0, max = dst_size - 1 < 60 ? dst_size - 1 : 60;
    while (s[i] && n < max) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 && !ascii_only) {
            size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (n + len > max)
                break;
            for (size_t k = 0; k < len && s[i]; k++)
                dst[n++] = s[i++];
            continue;
        }
        dst[n++] = (c < 0x20 || c == 0x7f || c >= 0x80) ? '?' : (char)c;
        i++;
    }
    dst[n] = '\0';
    if (s[i] && n + 3 < dst_size) {
        memcpy(dst + n, "...", 4);
    }
}

static bool ident_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

/* [A-Za-z0-9_.-]{1,max}, not starting with '.', no "..". */
static const char *ident_check(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0)
        return "must not be empty";
    if (n > max)
        return "is too long";
    for (size_t i = 0; i < n; i++)
        if (!ident_char((unsigned char)s[i]))
            return "may only contain letters, digits, '_', '.' and '-'";
    if (s[0] == '.')
        return "must not start with '.'";
    if (strstr(s, ".."))
        return "must not contain \"..\"";
    return NULL;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

const char *hgc_col_type_name(enum hgc_col_type type)
{
    switch (type) {
    case HGC_COL_INT:       return "int";
    case HGC_COL_FLOAT:     return "float";
    case HGC_COL_BOOL:      return "bool";
    case HGC_COL_DATE:      return "date";
    case HGC_COL_TIMESTAMP: return "timestamp";
    case HGC_COL_STRING:    return "string";
    }
    return "?";
}

static int col_type_parse(const char *s, enum hgc_col_type *out)
{
    static const struct { const char *name; enum hgc_col_type t; } types[] = {
        { "int", HGC_COL_INT }, { "float", HGC_COL_FLOAT }, { "bool", HGC_COL_BOOL },
        { "date", HGC_COL_DATE }, { "timestamp", HGC_COL_TIMESTAMP },
        { "string", HGC_COL_STRING },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(s, types[i].name)) {
            *out = types[i].t;
            return 0;
        }
    return -1;
}

/* ---- name mapping ----------------------------------------------------- */

int hgc_table_name_from_file(const char *file_name, char *out, size_t out_size,
                             char *errstr, size_t errstr_size)
{
    char shown[64];
    if (!file_name || !*file_name) {
        seterr(errstr, errstr_size, "file name is empty");
        return -1;
    }
    echo_safe(shown, sizeof shown, file_name, true);
    size_t n = strlen(file_name);
    if (n < 5 || strcasecmp(file_name + n - 4, ".csv") != 0) {
        seterr(errstr, errstr_size, "file name '%s' does not end in .csv", shown);
        return -1;
    }
    size_t base = n - 4;
    if (base > HG_TABLE_NAME_MAX) {
        seterr(errstr, errstr_size, "file name '%s' is too long (at most %u bytes before .csv)",
               shown, HG_TABLE_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < base; i++) {
        unsigned char c = (unsigned char)file_name[i];
        if (c == '/' || c == '\\') {
            seterr(errstr, errstr_size, "file name '%s' contains a path separator", shown);
            return -1;
        }
        if (!ident_char(c)) {
            seterr(errstr, errstr_size,
                   "file name '%s' may only contain letters, digits, '_', '.' and '-'", shown);
            return -1;
        }
    }
    if (file_name[0] == '.' || (base >= 2 && memmem(file_name, base, "..", 2))) {
        seterr(errstr, errstr_size, "file name '%s' must not start with '.' or contain \"..\"",
               shown);
        return -1;
    }
    if (out_size < base + 1) {
        seterr(errstr, errstr_size, "output buffer too small");
        return -1;
    }
    memcpy(out, file_name, base);
    out[base] = '\0';
    return 0;
}

/* ---- config parsing --------------------------------------------------- */

struct pctx {
    char *errstr;
    size_t errstr_size;
};

static int fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct pctx *c, const char *fmt, ...)
{
    if (c->errstr && c->errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->errstr, c->errstr_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Every key of obj must be in allowed (NULL-terminated) and appear once. */
static int check_keys(struct pctx *c, yajl_val obj, const char *path, const char *const *allowed)
{
    size_t n = obj->u.object.len;
    for (size_t i = 0; i < n; i++) {
        const char *k = obj->u.object.keys[i];
        bool ok = false;
        for (size_t a = 0; allowed[a]; a++)
            if (!strcmp(k, allowed[a])) {
                ok = true;
                break;
            }
        char shown[64];
        echo_safe(shown, sizeof shown, k, false);
        if (!ok)
            return fail(c, "%s%s%s: unknown field", path, *path ? "." : "", shown);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(k, obj->u.object.keys[j]))
                return fail(c, "%s%s%s: duplicate field", path, *path ? "." : "", shown);
    }
    return 0;
}

static yajl_val member(yajl_val obj, const char *key)
{
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

/* A string member: NULL *out when absent (and not required). */
static int get_string(struct pctx *c, yajl_val obj, const char *key, const char *path,
                      bool required, const char **out)
{
    yajl_val v = member(obj, key);
    *out = NULL;
    if (!v) {
        if (required)
            return fail(c, "%s: missing (a string is required)", path);
        return 0;
    }
    if (v->type != yajl_t_string)
        return fail(c, "%s: must be a string", path);
    *out = v->u.string;
    return 0;
}

static int get_bool(struct pctx *c, yajl_val obj, const char *key, const char *path,
                    bool *out, bool *present)
{
    yajl_val v = member(obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return 0;
    if (v->type != yajl_t_true && v->type != yajl_t_false)
        return fail(c, "%s: must be true or false", path);
    *out = v->type == yajl_t_true;
    return 0;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int strlist_add(struct hgc_strlist *l, const char *s)
{
    char **items = realloc(l->items, (l->count + 1) * sizeof *items);
    if (!items)
        return -1;
    l->items = items;
    size_t *lens = realloc(l->lens, (l->count + 1) * sizeof *lens);
    if (!lens)
        return -1;
    l->lens = lens;
    char *d = xstrdup(s);
    if (!d)
        return -1;
    l->items[l->count] = d;
    l->lens[l->count] = strlen(s);
    l->count++;
    return 0;
}

static void strlist_free(struct hgc_strlist *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    free(l->lens);
    memset(l, 0, sizeof *l);
}

/* A list of short strings (markers, separators); absent → defaults. */
static int get_strlist(struct pctx *c, yajl_val obj, const char *key, const char *path,
                       const char *const *defaults, struct hgc_strlist *out, bool *present)
{
    yajl_val v = member(obj, key);
    *present = v != NULL;
    if (!v) {
        for (size_t i = 0; defaults[i]; i++)
            if (strlist_add(out, defaults[i]) != 0)
                return fail(c, "out of memory");
        return 0;
    }
    if (v->type != yajl_t_array)
        return fail(c, "%s: must be an array of strings", path);
    if (v->u.array.len > HG_TABLE_MAX_MARKERS)
        return fail(c, "%s: at most %u entries", path, HG_TABLE_MAX_MARKERS);
    for (size_t i = 0; i < v->u.array.len; i++) {
        yajl_val e = v->u.array.values[i];
        if (e->type != yajl_t_string)
            return fail(c, "%s[%zu]: must be a string", path, i);
        size_t n = strlen(e->u.string);
        if (n == 0)
            return fail(c, "%s[%zu]: must not be empty", path, i);
        if (n > HG_TABLE_MARKER_MAX)
            return fail(c, "%s[%zu]: at most %u bytes", path, i, HG_TABLE_MARKER_MAX);
        if (strpbrk(e->u.string, "\r\n\""))
            return fail(c, "%s[%zu]: must not contain a quote or a line break", path, i);
        for (size_t j = 0; j < out->count; j++)
            if (!strcmp(out->items[j], e->u.string))
                return fail(c, "%s[%zu]: duplicate entry", path, i);
        if (strlist_add(out, e->u.string) != 0)
            return fail(c, "out of memory");
    }
    return 0;
}

/* Whether the path has a segment that is exactly "." ("./a", "a/./b",
 * "a/."): S3 stores it as written, but S3 clients and tools that read the
 * data back (Glue's Spark, the AWS CLI's sync, a browser) resolve it away
 * and so look for another key. */
static bool has_dot_segment(const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p == '.' && (p == s || p[-1] == '/') && (p[1] == '/' || p[1] == '\0'))
            return true;
    return false;
}

/* S3 prefix / key template characters: [A-Za-z0-9_.=/-], no leading '/',
 * no "//", no ".." and no "." segment (checked before placeholders are
 * handled). */
static const char *s3_path_check(const char *s, bool allow_braces)
{
    size_t n = strlen(s);
    if (n == 0)
        return "must not be empty";
    if (n > HG_TABLE_PATH_MAX)
        return "is too long";
    if (s[0] == '/')
        return "must not start with '/'";
    if (strstr(s, "//"))
        return "must not contain \"//\"";
    if (strstr(s, ".."))
        return "must not contain \"..\"";
    if (has_dot_segment(s))
        return "must not have a \".\" segment";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ident_char(ch) || ch == '/' || ch == '=')
            continue;
        if (allow_braces && (ch == '{' || ch == '}'))
            continue;
        return "may only contain letters, digits, '_', '.', '-', '=' and '/'";
    }
    return NULL;
}

/* Whether the path has a segment "_hookgate": hookgate's own markers live
 * under <prefix>/_hookgate/ (idempotency.c), which data must not reach. */
static bool has_marker_segment(const char *s)
{
    static const char seg[] = "_hookgate";
    for (const char *p = s; (p = strstr(p, seg)) != NULL; p += sizeof seg - 1)
        if ((p == s || p[-1] == '/') && (p[sizeof seg - 1] == '/' || p[sizeof seg - 1] == '\0'))
            return true;
    return false;
}

static const char *key_template_check(const char *s)
{
    static const char *const ph[] = { "prefix", "project", "schema", "table", "dt", "file_id" };
    const char *why = s3_path_check(s, true);
    if (why)
        return why;
    if (has_marker_segment(s))
        return "must not use a _hookgate folder (hookgate's markers live there)";
    bool has_file_id = false;
    for (const char *p = s; *p; p++) {
        if (*p == '}')
            return "has a '}' without '{'";
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        if (!end)
            return "has a '{' without '}'";
        size_t len = (size_t)(end - p - 1);
        bool known = false;
        for (size_t i = 0; i < sizeof ph / sizeof ph[0]; i++)
            if (strlen(ph[i]) == len && !memcmp(p + 1, ph[i], len)) {
                known = true;
                if (i == 5)
                    has_file_id = true;
            }
        if (!known)
            return "unknown placeholder (use {prefix} {project} {schema} {table} {dt} {file_id})";
        p = end;
    }
    if (!has_file_id)
        return "must contain {file_id} (keys must differ per upload)";
    /* An S3 key naming a folder is no object key: every file would fail
     * when its key is built (hgc_pipeline_s3_key). */
    if (s[strlen(s) - 1] == '/')
        return "must not end in '/' (the key names the file, not a folder)";
    return NULL;
}

static const char *glue_job_check(const char *s)
{
    return ident_check(s, HG_TABLE_IDENT_MAX);
}

const char *hgc_s3_prefix_setting_check(const char *s)
{
    return s3_path_check(s, false);
}

static const char *s3_prefix_check(const char *s)
{
    const char *why = s3_path_check(s, false);
    if (!why && has_marker_segment(s))
        why = "must not use a _hookgate folder (hookgate's markers live there)";
    return why;
}

/* A Slack channel ID: C (public), G (private/group) or D (direct message),
 * then upper-case letters and digits, at most HGC_SLACK_ID_MAX bytes (a
 * subset of what the Slack calls accept). A #name is refused: chat.postMessage
 * would take it, but the duplicate check before every post reads
 * conversations.history, which needs the ID. */
const char *hgc_channel_id_check(const char *s)
{
    static const char *const bad =
        "must be a Slack channel ID: C, G or D followed by upper-case letters and digits, "
        "e.g. C0123ABCD (shown at the bottom of the channel's details)";
    if (!s || !*s)
        return "must not be empty (use the channel ID, e.g. C0123ABCD)";
    if (s[0] == '#')
        return "must be the channel ID (e.g. C0123ABCD, shown at the bottom of the channel's "
               "details), not a #name: the history look-up that keeps result messages from "
               "being posted twice (conversations.history) needs the ID";
    size_t n = strlen(s);
    if (n < 2 || n > HGC_SLACK_ID_MAX || (s[0] != 'C' && s[0] != 'G' && s[0] != 'D'))
        return bad;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return bad;
    return NULL;
}

static const char *channel_check(const char *s)
{
    return hgc_channel_id_check(s);
}

int hgc_table_column(const struct hgc_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (!strcmp(t->columns[i].name, name))
            return (int)i;
    return -1;
}

void hgc_table_destroy(struct hgc_table *t)
{
    if (!t)
        return;
    free(t->project);
    free(t->name);
    free(t->schema);
    for (size_t i = 0; i < t->ncolumns; i++)
        free(t->columns[i].name);
    free(t->columns);
    strlist_free(&t->empty_markers);
    free(t->multi_value_separator);
    strlist_free(&t->forbidden_separators);
    free(t->glue_job);
    free(t->s3_prefix);
    free(t->s3_key_template);
    free(t->notify_channel);
    free(t);
}

static int dup_opt(struct pctx *c, const char *s, char **out)
{
    if (!s)
        return 0;
    *out = xstrdup(s);
    return *out ? 0 : fail(c, "out of memory");
}

static int parse_mappings(struct pctx *c, yajl_val root, struct hgc_table *t)
{
    static const char *const col_keys[] = { "name", "type", NULL };
    yajl_val m = member(root, "mappings");
    if (!m)
        return fail(c, "mappings: missing (an array of {\"name\", \"type\"} is required)");
    if (m->type != yajl_t_array)
        return fail(c, "mappings: must be an array of {\"name\", \"type\"}");
    if (m->u.array.len == 0)
        return fail(c, "mappings: must list at least one column");
    if (m->u.array.len > HG_TABLE_MAX_COLUMNS)
        return fail(c, "mappings: at most %u columns", HG_TABLE_MAX_COLUMNS);
    t->columns = calloc(m->u.array.len, sizeof *t->columns);
    if (!t->columns)
        return fail(c, "out of memory");
    for (size_t i = 0; i < m->u.array.len; i++) {
        yajl_val e = m->u.array.values[i];
        char path[48];
        snprintf(path, sizeof path, "mappings[%zu]", i);
        if (e->type != yajl_t_object)
            return fail(c, "%s: must be an object {\"name\", \"type\"}", path);
        if (check_keys(c, e, path, col_keys) != 0)
            return -1;
        const char *name, *type;
        char fpath[64];
        snprintf(fpath, sizeof fpath, "%s.name", path);
        if (get_string(c, e, "name", fpath, true, &name) != 0)
            return -1;
        size_t nl = strlen(name);
        if (nl == 0)
            return fail(c, "%s: must not be empty", fpath);
        if (nl > HG_TABLE_COLUMN_NAME_MAX)
            return fail(c, "%s: at most %u bytes", fpath, HG_TABLE_COLUMN_NAME_MAX);
        if (has_control(name))
            return fail(c, "%s: must not contain control characters", fpath);
        char shown[64];
        echo_safe(shown, sizeof shown, name, false);
        for (size_t j = 0; j < t->ncolumns; j++)
            if (!strcmp(t->columns[j].name, name))
                return fail(c, "%s: column '%s' is listed twice", fpath, shown);
        snprintf(fpath, sizeof fpath, "%s.type", path);
        if (get_string(c, e, "type", fpath, true, &type) != 0)
            return -1;
        enum hgc_col_type ct;
        if (col_type_parse(type, &ct) != 0)
            return fail(c, "%s: must be one of int, float, bool, date, timestamp, string", fpath);
        t->columns[i].name = xstrdup(name);
        if (!t->columns[i].name)
            return fail(c, "out of memory");
        t->columns[i].type = ct;
        t->ncolumns = i + 1;
    }
    return 0;
}

/* Name a column in options: must exist. Returns the index or -1 (error set). */
static int column_ref(struct pctx *c, const struct hgc_table *t, const char *name,
                      const char *path)
{
    int idx = hgc_table_column(t, name);
    if (idx < 0) {
        char shown[64];
        echo_safe(shown, sizeof shown, name, false);
        fail(c, "%s: '%s' is not a column in mappings", path, shown);
    }
    return idx;
}

static int parse_options(struct pctx *c, yajl_val root, struct hgc_table *t)
{
    static const char *const opt_keys[] = {
        "index_column", "required", "empty_markers", "on_empty", "multi_value_column",
        "multi_value_separator", "split_multi_values", "forbidden_separators",
        "unique_index", "glue_job", "s3_prefix", "s3_key_template", "notify_channel", NULL,
    };
    static const char *const default_markers[] = { " ", "-", "ー", NULL };
    static const char *const default_forbidden[] = { "、", "，", ", ", NULL };
    static const char *const no_strings[] = { NULL };
    yajl_val o = member(root, "options");
    struct yajl_val_s empty_obj;
    if (!o) {
        memset(&empty_obj, 0, sizeof empty_obj);
        empty_obj.type = yajl_t_object;
        o = &empty_obj;
    } else if (o->type != yajl_t_object) {
        return fail(c, "options: must be an object");
    }
    if (check_keys(c, o, "options", opt_keys) != 0)
        return -1;

    const char *s;
    /* index_column: must be the first column. */
    if (get_string(c, o, "index_column", "options.index_column", false, &s) != 0)
        return -1;
    t->index_column = -1;
    if (s) {
        int idx = column_ref(c, t, s, "options.index_column");
        if (idx < 0)
            return -1;
        if (idx != 0)
            return fail(c, "options.index_column: '%s' must be the first column in mappings "
                           "(it is column %d)", t->columns[idx].name, idx + 1);
        t->index_column = 0;
        t->columns[0].required = true;
    }

    /* required */
    yajl_val r = member(o, "required");
    if (r) {
        if (r->type != yajl_t_array)
            return fail(c, "options.required: must be an array of column names");
        for (size_t i = 0; i < r->u.array.len; i++) {
            char path[48];
            snprintf(path, sizeof path, "options.required[%zu]", i);
            yajl_val e = r->u.array.values[i];
            if (e->type != yajl_t_string)
                return fail(c, "%s: must be a string (a column name)", path);
            int idx = column_ref(c, t, e->u.string, path);
            if (idx < 0)
                return -1;
            t->columns[idx].required = true;
        }
    }

    bool present;
    if (get_strlist(c, o, "empty_markers", "options.empty_markers", default_markers,
                    &t->empty_markers, &present) != 0)
        return -1;

    if (get_string(c, o, "on_empty", "options.on_empty", false, &s) != 0)
        return -1;
    t->on_empty = HGC_ON_EMPTY_ERROR;
    if (s) {
        if (!strcmp(s, "drop_row"))
            t->on_empty = HGC_ON_EMPTY_DROP_ROW;
        else if (strcmp(s, "error") != 0)
            return fail(c, "options.on_empty: must be \"drop_row\" or \"error\"");
    }

    /* multi-valued column */
    t->multi_value_column = -1;
    if (get_string(c, o, "multi_value_column", "options.multi_value_column", false, &s) != 0)
        return -1;
    if (s) {
        int idx = column_ref(c, t, s, "options.multi_value_column");
        if (idx < 0)
            return -1;
        if (idx == t->index_column)
            return fail(c, "options.multi_value_column: must not be the index column");
        t->multi_value_column = idx;
    }
    if (get_string(c, o, "multi_value_separator", "options.multi_value_separator", false, &s) != 0)
        return -1;
    if (s) {
        if (t->multi_value_column < 0)
            return fail(c, "options.multi_value_separator: needs options.multi_value_column");
        size_t n = strlen(s);
        if (n == 0)
            return fail(c, "options.multi_value_separator: must not be empty");
        if (n > HG_TABLE_MARKER_MAX)
            return fail(c, "options.multi_value_separator: at most %u bytes", HG_TABLE_MARKER_MAX);
        if (strpbrk(s, "\r\n\""))
            return fail(c, "options.multi_value_separator: must not contain a quote or a line break");
    } else if (t->multi_value_column >= 0) {
        s = ",";
    }
    if (s) {
        if (dup_opt(c, s, &t->multi_value_separator) != 0)
            return -1;
        t->multi_value_separator_len = strlen(s);
    }
    bool split_present;
    if (get_bool(c, o, "split_multi_values", "options.split_multi_values",
                 &t->split_multi_values, &split_present) != 0)
        return -1;
    if (t->split_multi_values && t->multi_value_column < 0)
        return fail(c, "options.split_multi_values: needs options.multi_value_column");

    if (get_strlist(c, o, "forbidden_separators", "options.forbidden_separators",
                    no_strings, &t->forbidden_separators, &present) != 0)
        return -1;
    /* A forbidden separator found inside the separator (";" in ";;") would
     * refuse every cell that uses the separator, that is every cell with
     * more than one value. */
    if (present) {
        for (size_t i = 0; i < t->forbidden_separators.count; i++) {
            const char *fs = t->forbidden_separators.items[i];
            if (!t->multi_value_separator || !strstr(t->multi_value_separator, fs))
                continue;
            if (!strcmp(fs, t->multi_value_separator))
                return fail(c, "options.forbidden_separators[%zu]: equals "
                               "options.multi_value_separator", i);
            char shown[64], sep[64];
            echo_safe(shown, sizeof shown, fs, false);
            echo_safe(sep, sizeof sep, t->multi_value_separator, false);
            return fail(c, "options.forbidden_separators[%zu]: '%s' is part of "
                           "options.multi_value_separator '%s', so every cell with more than "
                           "one value would be refused", i, shown, sep);
        }
    } else {
        /* Defaults, minus those found inside the configured separator. */
        for (size_t i = 0; default_forbidden[i]; i++) {
            if (t->multi_value_separator && strstr(t->multi_value_separator, default_forbidden[i]))
                continue;
            if (strlist_add(&t->forbidden_separators, default_forbidden[i]) != 0)
                return fail(c, "out of memory");
        }
    }

    if (get_bool(c, o, "unique_index", "options.unique_index", &t->unique_index, NULL) != 0)
        return -1;
    if (t->unique_index && t->index_column < 0)
        return fail(c, "options.unique_index: needs options.index_column");

    /* Optional strings, each with its own check. */
    static const struct {
        const char *key;
        const char *(*check)(const char *);
        size_t off;
    } strs[] = {
        { "glue_job", glue_job_check, offsetof(struct hgc_table, glue_job) },
        { "s3_prefix", s3_prefix_check, offsetof(struct hgc_table, s3_prefix) },
        { "s3_key_template", key_template_check, offsetof(struct hgc_table, s3_key_template) },
        { "notify_channel", channel_check, offsetof(struct hgc_table, notify_channel) },
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char path[48];
        snprintf(path, sizeof path, "options.%s", strs[i].key);
        if (get_string(c, o, strs[i].key, path, false, &s) != 0)
            return -1;
        if (!s)
            continue;
        const char *why = strs[i].check(s);
        if (why)
            return fail(c, "%s: %s", path, why);
        if (dup_opt(c, s, (char **)(void *)((char *)t + strs[i].off)) != 0)
            return -1;
    }
    return 0;
}

struct hgc_table *hgc_table_parse(const char *json, size_t len, const char *expected_name,
                                  char *errstr, size_t errstr_size)
{
    static const char *const top_keys[] = { "project", "name", "schema", "mappings", "options",
                                             NULL };
    struct pctx c = { errstr, errstr_size };
    struct hgc_table *t = NULL, *ret = NULL;
    char jerr[128];
    yajl_val root = NULL;

    if (len > HG_TABLE_CONFIG_MAX_BYTES) {
        fail(&c, "config: larger than %u bytes", HG_TABLE_CONFIG_MAX_BYTES);
        goto out;
    }
    root = hg_json_parse(json, len, jerr, sizeof jerr);
    if (!root) {
        fail(&c, "config: not valid JSON (%s)", jerr);
        goto out;
    }
    if (root->type != yajl_t_object) {
        fail(&c, "config: must be a JSON object");
        goto out;
    }
    if (check_keys(&c, root, "", top_keys) != 0)
        goto out;
    t = calloc(1, sizeof *t);
    if (!t) {
        fail(&c, "out of memory");
        goto out;
    }
    t->index_column = -1;
    t->multi_value_column = -1;

    static const char *const idents[] = { "project", "name", "schema" };
    for (size_t i = 0; i < 3; i++) {
        const char *s;
        if (get_string(&c, root, idents[i], idents[i], true, &s) != 0)
            goto out;
        const char *why = ident_check(s, i == 1 ? HG_TABLE_NAME_MAX : HG_TABLE_IDENT_MAX);
        if (why) {
            fail(&c, "%s: %s", idents[i], why);
            goto out;
        }
        char *d = xstrdup(s);
        if (!d) {
            fail(&c, "out of memory");
            goto out;
        }
        if (i == 0) t->project = d;
        else if (i == 1) t->name = d;
        else t->schema = d;
    }
    if (expected_name && strcmp(t->name, expected_name) != 0) {
        char shown[64];
        echo_safe(shown, sizeof shown, expected_name, false);
        fail(&c, "name: must be '%s' (the file's table name)", shown);
        goto out;
    }
    if (parse_mappings(&c, root, t) != 0)
        goto out;
    if (parse_options(&c, root, t) != 0)
        goto out;
    ret = t;
    t = NULL;
out:
    hgc_table_destroy(t);
    if (root)
        yajl_tree_free(root);
    return ret;
}

/* ---- loading from a directory ----------------------------------------- */

struct hgc_table *hgc_tables_load_file(const char *dir, const char *csv_name,
                                       enum hgc_table_error *err,
                                       char *errstr, size_t errstr_size)
{
    struct hgc_table *t = NULL;
    enum hgc_table_error e = HGC_TABLE_IO;
    char name[HG_TABLE_NAME_MAX + 1];
    char path[4096];
    char *data = NULL;
    int fd = -1;

    if (hgc_table_name_from_file(csv_name, name, sizeof name, errstr, errstr_size) != 0) {
        e = HGC_TABLE_BAD_NAME;
        goto out;
    }
    int pn = snprintf(path, sizeof path, "%s/%s.json", dir, name);
    if (pn < 0 || (size_t)pn >= sizeof path) {
        seterr(errstr, errstr_size, "table config path is too long");
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        struct stat dst;
        if (errno == ENOENT && stat(dir, &dst) != 0) {
            /* the directory itself is missing (a mount not up yet, a
             * redeploy): no file's config can be judged absent now */
            e = HGC_TABLE_UNAVAILABLE;
            seterr(errstr, errstr_size, "the table config directory %s is missing: %s", dir,
                   strerror(errno));
        } else if (errno == ENOENT) {
            e = HGC_TABLE_NOT_FOUND;
            seterr(errstr, errstr_size, "no table config %s.json for %s.csv", name, name);
        } else {
            /* a path that cannot name a file stays wrong; anything else
             * (permissions, descriptors, memory, I/O) may pass */
            if (errno != ENOTDIR && errno != ELOOP && errno != ENAMETOOLONG)
                e = HGC_TABLE_UNAVAILABLE;
            seterr(errstr, errstr_size, "cannot open table config %s.json: %s", name,
                   strerror(errno));
        }
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        seterr(errstr, errstr_size, "table config %s.json is not a regular file", name);
        goto out;
    }
    if (st.st_size > (off_t)HG_TABLE_CONFIG_MAX_BYTES) {
        seterr(errstr, errstr_size, "table config %s.json is larger than %u bytes", name,
               HG_TABLE_CONFIG_MAX_BYTES);
        goto out;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    data = malloc(cap);
    if (!data) {
        e = HGC_TABLE_UNAVAILABLE;
        seterr(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (;;) {
        if (len == cap) { /* grew while reading */
            seterr(errstr, errstr_size, "table config %s.json changed while being read", name);
            goto out;
        }
        ssize_t r = read(fd, data + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            e = HGC_TABLE_UNAVAILABLE;
            seterr(errstr, errstr_size, "cannot read table config %s.json: %s", name,
                   strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    char perr[256];
    t = hgc_table_parse(data, len, name, perr, sizeof perr);
    if (!t) {
        e = HGC_TABLE_INVALID;
        seterr(errstr, errstr_size, "%s.json: %s", name, perr);
        goto out;
    }
    e = HGC_TABLE_OK;
out:
    free(data);
    if (fd >= 0)
        close(fd);
    if (err)
        *err = e;
    return t;
}

/* ---- loading from S3 ---------------------------------------------------- */

struct hgc_table *hgc_tables_load_s3(struct hg_s3 *s3, const char *uri, const char *csv_name,
                                     enum hgc_table_error *err, struct hg_aws_error *ae,
                                     char *errstr, size_t errstr_size)
{
    char bucket[256], prefix[HG_S3_KEY_MAX + 1], key[HG_S3_KEY_MAX + 1];
    char name[HG_TABLE_NAME_MAX + 1];
    enum hgc_table_error e = HGC_TABLE_IO;
    struct hgc_table *t = NULL;
    struct hg_buf b;
    hg_buf_init(&b, HG_TABLE_CONFIG_MAX_BYTES);
    hg_aws_error_clear(ae);
    if (hgc_table_name_from_file(csv_name, name, sizeof name, errstr, errstr_size) != 0) {
        e = HGC_TABLE_BAD_NAME;
        goto out;
    }
    if (hg_s3_parse_uri(uri, bucket, sizeof bucket, prefix, sizeof prefix)) {
        seterr(errstr, errstr_size, "HOOKGATE_TABLES is not a valid s3:// URI");
        goto out;
    }
    size_t pl = strlen(prefix);
    int n = snprintf(key, sizeof key, "%s%s%s.json", prefix, pl && prefix[pl - 1] != '/' ? "/" : "",
                     name);
    if (n < 0 || (size_t)n >= sizeof key) {
        seterr(errstr, errstr_size, "table config key too long");
        goto out;
    }
    int r = hg_s3_get(s3, bucket, key, &b, NULL, ae);
    if (r == 1) {
        e = HGC_TABLE_NOT_FOUND;
        hg_aws_error_clear(ae);
        seterr(errstr, errstr_size, "no table config %s.json in %s", name, uri);
        goto out;
    }
    if (r < 0 && !strcmp(ae->code, "ResponseTooLarge")) {
        /* Over b's cap: the config's fault, not S3's; said as for a file. */
        hg_aws_error_clear(ae);
        seterr(errstr, errstr_size, "table config %s.json is larger than %u bytes", name,
               HG_TABLE_CONFIG_MAX_BYTES);
        goto out;
    }
    if (r < 0) {
        seterr(errstr, errstr_size, "reading %s.json: %s %s", name, ae->code, ae->message);
        goto out;
    }
    char perr[256];
    t = hgc_table_parse(b.data ? b.data : "", b.len, name, perr, sizeof perr);
    if (!t) {
        e = HGC_TABLE_INVALID;
        seterr(errstr, errstr_size, "%s", perr);
        goto out;
    }
    e = HGC_TABLE_OK;
out:
    hg_buf_cleanup(&b);
    if (err)
        *err = e;
    return t;
}
