/* record.h — the hookgate record: a CloudEvents 1.0 structured-mode JSON
 * document, version 1. The public contract other services consume; the
 * schema is common/record.schema.json and the README documents it. */
#ifndef HG_RECORD_H
#define HG_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#define HG_RECORD_VERSION 1

struct hg_buf;

/* What the gateway knows about one accepted request. Strings are borrowed;
 * NULL means absent (the attribute is left out of the record). */
struct hg_record_fields {
    const char *id;            /* required: Slack event_id or a UUIDv7 */
    const char *type;          /* required: com.slack.events.<t> | com.slack.interactive.<t> | com.slack.command */
    const char *source;        /* required: URI-reference, e.g. "slack://T123/A456" */
    int64_t     time_ms;       /* required: occurrence time, ms since the epoch */
    const char *team;          /* extension slackteam */
    const char *channel;       /* extension slackchannel */
    const char *app;           /* extension slackapp */
    int         retry_num;     /* extension slackretrynum (omitted when 0) */
    const char *retry_reason;  /* extension slackretryreason */
    const char *route;         /* extension hgroute: events | interactive | commands */
    const char *envelope;      /* extension hgenvelope: none | apigw-v1 | apigw-v2 | alb */
    const char *encoding;      /* extension hgencoding: json | form | form-payload, with "+base64" when unwrapped */
    int64_t     received_ms;   /* extension hgreceivedat (RFC 3339) */
    const char *data;          /* required: JSON text of data, inserted verbatim */
    size_t      data_len;
};

/* Serialise onto out. The caller guarantees data is valid JSON. Returns 0,
 * or -1 when out's cap is reached or a required field is missing. */
int hg_record_write(struct hg_buf *out, const struct hg_record_fields *f);

/* A parsed record (consumer side). Pointers point into root. */
struct hg_record {
    yajl_val    root;
    const char *id, *type, *source, *time;
    const char *team, *channel, *app, *route;
    long        retry_num;
    long        version;
    yajl_val    data;
};

/* Parse and check a record: specversion "1.0", id/type/source/time strings,
 * data an object, hgrecordversion a number this build understands (a newer
 * major version is an error naming it). A string holding U+0000 in data is
 * accepted and reads as no string (HG_JSON_NUL_OK in common/json.h); in an
 * attribute it is an error. Returns 0, or -1 with errstr; out then holds
 * nothing to free. */
int hg_record_parse(const char *buf, size_t len, struct hg_record *out,
                    char *errstr, size_t errstr_size);
void hg_record_cleanup(struct hg_record *r);

#endif
