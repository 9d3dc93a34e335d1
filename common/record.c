/* record.c — the hookgate record (CloudEvents 1.0 structured JSON,
 * version 1): serialising for the gateway, parsing for consumers.
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md */
#include "common/record.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/limits.h"

#define RECORD_STR_(x) #x
#define RECORD_STR(x) RECORD_STR_(x)
#define HG_RECORD_ATTRS_RESERVE 1024u

/* ,"key":"escaped value" — skipped when v is NULL. */
static int rec_str(struct hg_buf *out, const char *key, const char *v)
{
    if (!v)
        return 0;
    if (hg_buf_append(out, ",\"", 2) != 0 || hg_buf_append_str(out, key) != 0 ||
        hg_buf_append(out, "\":\"", 3) != 0 ||
        hg_buf_append_json_str(out, v, strlen(v)) != 0 ||
        hg_buf_append(out, "\"", 1) != 0)
        return -1;
    return 0;
}

int hg_record_write(struct hg_buf *out, const struct hg_record_fields *f)
{
    if (!f || !f->id || !f->type || !f->source || !f->data || f->data_len == 0 ||
        !*f->id || !*f->type || !*f->source ||
        strlen(f->id) > HG_RECORD_ID_MAX || strlen(f->type) > HG_RECORD_TYPE_MAX)
        return -1;
    int rc = -1;
    size_t start = out->len;
    char ts[25];
    char retry[48] = "";
    hg_clock_rfc3339_ms(f->time_ms, ts);
    if (f->retry_num > 0)
        snprintf(retry, sizeof retry, ",\"slackretrynum\":%d", f->retry_num);
    /* attributes and extensions take well under 1 KiB: one allocation
     * (when the cap does not allow it, the appends below find out) */
    (void)hg_buf_reserve(out, f->data_len + HG_RECORD_ATTRS_RESERVE);
    if (hg_buf_append_str(out, "{\"specversion\":\"1.0\"") != 0 ||
        rec_str(out, "id", f->id) != 0 ||
        rec_str(out, "source", f->source) != 0 ||
        rec_str(out, "type", f->type) != 0 ||
        rec_str(out, "time", ts) != 0 ||
        hg_buf_append_str(out, ",\"datacontenttype\":\"application/json\""
                               ",\"hgrecordversion\":" RECORD_STR(HG_RECORD_VERSION)) != 0 ||
        rec_str(out, "slackteam", f->team) != 0 ||
        rec_str(out, "slackchannel", f->channel) != 0 ||
        rec_str(out, "slackapp", f->app) != 0 ||
        hg_buf_append_str(out, retry) != 0 ||
        rec_str(out, "slackretryreason", f->retry_reason) != 0 ||
        rec_str(out, "hgroute", f->route) != 0 ||
        rec_str(out, "hgenvelope", f->envelope) != 0 ||
        rec_str(out, "hgencoding", f->encoding) != 0)
        goto out;
    if (f->received_ms > 0) {
        hg_clock_rfc3339_ms(f->received_ms, ts);
        if (rec_str(out, "hgreceivedat", ts) != 0)
            goto out;
    }
    if (hg_buf_append_str(out, ",\"data\":") != 0 ||
        hg_buf_append(out, f->data, f->data_len) != 0 ||
        hg_buf_append(out, "}", 1) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

/* Fetch a string attribute. Returns 0 (NULL when absent and optional),
 * or -1 with errstr set. */
static int rec_get_str(yajl_val root, const char *key, int required, size_t max,
                       const char **out, char *errstr, size_t errstr_size)
{
    yajl_val v = hg_json_get(root, key, (const char *)NULL);
    *out = NULL;
    if (!v) {
        if (!required)
            return 0;
        snprintf(errstr, errstr_size, "record: \"%s\" is missing", key);
        return -1;
    }
    if (v->type == HG_JSON_T_NUL_STRING) {
        snprintf(errstr, errstr_size, "record: \"%s\" holds U+0000", key);
        return -1;
    }
    if (!YAJL_IS_STRING(v)) {
        snprintf(errstr, errstr_size, "record: \"%s\" is not a string", key);
        return -1;
    }
    if (required && !*v->u.string) {
        snprintf(errstr, errstr_size, "record: \"%s\" is empty", key);
        return -1;
    }
    if (max && strlen(v->u.string) > max) {
        snprintf(errstr, errstr_size, "record: \"%s\" is longer than %zu bytes", key, max);
        return -1;
    }
    *out = v->u.string;
    return 0;
}

int hg_record_parse(const char *buf, size_t len, struct hg_record *out,
                    char *errstr, size_t errstr_size)
{
    int rc = -1;
    char jerr[160];
    memset(out, 0, sizeof *out);
    /* data is the sender's JSON, which may hold U+0000 (\u0000) in its
     * strings: such a string reads as no string (HG_JSON_NUL_OK) */
    yajl_val root = hg_json_parse_opts(buf, len, HG_JSON_MAX_VALUES, HG_JSON_NUL_OK, jerr, sizeof jerr);
    if (!root) {
        snprintf(errstr, errstr_size, "record: not valid JSON (%s)", jerr);
        goto out;
    }
    if (!YAJL_IS_OBJECT(root)) {
        snprintf(errstr, errstr_size, "record: not a JSON object");
        goto out;
    }
    yajl_val ver = hg_json_get(root, "hgrecordversion", (const char *)NULL);
    if (!ver) {
        snprintf(errstr, errstr_size, "record: \"hgrecordversion\" is missing");
        goto out;
    }
    if (!YAJL_IS_INTEGER(ver) || YAJL_GET_INTEGER(ver) < 1) {
        snprintf(errstr, errstr_size, "record: \"hgrecordversion\" is not a positive integer");
        goto out;
    }
    if (YAJL_GET_INTEGER(ver) > HG_RECORD_VERSION) {
        snprintf(errstr, errstr_size,
                 "record version %lld is newer than this build understands (%d)",
                 YAJL_GET_INTEGER(ver), HG_RECORD_VERSION);
        goto out;
    }
    out->version = (long)YAJL_GET_INTEGER(ver);
    const char *spec = NULL;
    if (rec_get_str(root, "specversion", 1, 0, &spec, errstr, errstr_size) != 0)
        goto out;
    if (strcmp(spec, "1.0") != 0) {
        snprintf(errstr, errstr_size, "record: \"specversion\" is not \"1.0\"");
        goto out;
    }
    if (rec_get_str(root, "id", 1, HG_RECORD_ID_MAX, &out->id, errstr, errstr_size) != 0 ||
        rec_get_str(root, "type", 1, HG_RECORD_TYPE_MAX, &out->type, errstr, errstr_size) != 0 ||
        rec_get_str(root, "source", 1, 0, &out->source, errstr, errstr_size) != 0 ||
        rec_get_str(root, "time", 1, 0, &out->time, errstr, errstr_size) != 0 ||
        rec_get_str(root, "slackteam", 0, 0, &out->team, errstr, errstr_size) != 0 ||
        rec_get_str(root, "slackchannel", 0, 0, &out->channel, errstr, errstr_size) != 0 ||
        rec_get_str(root, "slackapp", 0, 0, &out->app, errstr, errstr_size) != 0 ||
        rec_get_str(root, "hgroute", 0, 0, &out->route, errstr, errstr_size) != 0)
        goto out;
    yajl_val rn = hg_json_get(root, "slackretrynum", (const char *)NULL);
    if (rn) {
        if (!YAJL_IS_INTEGER(rn) || YAJL_GET_INTEGER(rn) < 0 ||
            YAJL_GET_INTEGER(rn) > 1000000) {
            snprintf(errstr, errstr_size, "record: \"slackretrynum\" is not a small non-negative integer");
            goto out;
        }
        out->retry_num = (long)YAJL_GET_INTEGER(rn);
    }
    yajl_val data = hg_json_get(root, "data", (const char *)NULL);
    if (!data) {
        snprintf(errstr, errstr_size, "record: \"data\" is missing");
        goto out;
    }
    if (!YAJL_IS_OBJECT(data)) {
        snprintf(errstr, errstr_size, "record: \"data\" is not an object");
        goto out;
    }
    out->data = data;
    out->root = root;
    root = NULL;
    rc = 0;
out:
    if (rc != 0) {
        yajl_tree_free(root);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

void hg_record_cleanup(struct hg_record *r)
{
    if (!r)
        return;
    yajl_tree_free(r->root);
    memset(r, 0, sizeof *r);
}
