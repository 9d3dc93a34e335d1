/* test_record.c — the CloudEvents record: exact bytes written, parsed
 * back, required fields, version checks and malformed records. */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/record.h"
#include "test.h"

static int parse_str(const char *s, struct hg_record *r, char *err, size_t n)
{
    err[0] = '\0';
    return hg_record_parse(s, strlen(s), r, err, n);
}

int main(void)
{
    struct hg_buf b;
    char err[200];
    struct hg_record r;
    hg_buf_init(&b, 1 << 16);

    /* every field */
    const char *data = "{\"type\":\"event_callback\",\"event\":{\"text\":\"hi \\\"there\\\"\"}}";
    struct hg_record_fields f = {
        .id = "Ev0123ABC", .type = "com.slack.events.message",
        .source = "slack://T123/A456", .time_ms = 1531420618123,
        .team = "T123", .channel = "C9\"q", .app = "A456",
        .retry_num = 2, .retry_reason = "http_timeout",
        .route = "events", .envelope = "apigw-v2", .encoding = "json+base64",
        .received_ms = 1531420619001,
        .data = data, .data_len = strlen(data),
    };
    CHECK_INT(hg_record_write(&b, &f), 0);
    CHECK_STR(b.data,
        "{\"specversion\":\"1.0\",\"id\":\"Ev0123ABC\",\"source\":\"slack://T123/A456\","
        "\"type\":\"com.slack.events.message\",\"time\":\"2018-07-12T18:36:58.123Z\","
        "\"datacontenttype\":\"application/json\",\"hgrecordversion\":1,"
        "\"slackteam\":\"T123\",\"slackchannel\":\"C9\\\"q\",\"slackapp\":\"A456\","
        "\"slackretrynum\":2,\"slackretryreason\":\"http_timeout\",\"hgroute\":\"events\","
        "\"hgenvelope\":\"apigw-v2\",\"hgencoding\":\"json+base64\","
        "\"hgreceivedat\":\"2018-07-12T18:36:59.001Z\","
        "\"data\":{\"type\":\"event_callback\",\"event\":{\"text\":\"hi \\\"there\\\"\"}}}");
    CHECK_INT(hg_record_parse(b.data, b.len, &r, err, sizeof err), 0);
    CHECK_STR(r.id, "Ev0123ABC");
    CHECK_STR(r.type, "com.slack.events.message");
    CHECK_STR(r.source, "slack://T123/A456");
    CHECK_STR(r.time, "2018-07-12T18:36:58.123Z");
    CHECK_STR(r.team, "T123");
    CHECK_STR(r.channel, "C9\"q");
    CHECK_STR(r.app, "A456");
    CHECK_STR(r.route, "events");
    CHECK_INT(r.retry_num, 2);
    CHECK_INT(r.version, 1);
    CHECK(r.data && YAJL_IS_OBJECT(r.data));
    CHECK_STR(hg_json_get_str(r.data, "event", "text", NULL), "hi \"there\"");
    hg_record_cleanup(&r);
    CHECK(r.root == NULL);
    hg_record_cleanup(&r);

    /* minimal: optional attributes left out */
    hg_buf_reset(&b);
    struct hg_record_fields m = {
        .id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", .type = "com.slack.command",
        .source = "slack://T1", .time_ms = 0, .data = "{}", .data_len = 2,
    };
    CHECK_INT(hg_record_write(&b, &m), 0);
    CHECK_STR(b.data,
        "{\"specversion\":\"1.0\",\"id\":\"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\","
        "\"source\":\"slack://T1\",\"type\":\"com.slack.command\","
        "\"time\":\"1970-01-01T00:00:00.000Z\",\"datacontenttype\":\"application/json\","
        "\"hgrecordversion\":1,\"data\":{}}");
    CHECK_INT(hg_record_parse(b.data, b.len, &r, err, sizeof err), 0);
    CHECK(r.team == NULL && r.channel == NULL && r.app == NULL && r.route == NULL);
    CHECK_INT(r.retry_num, 0);
    hg_record_cleanup(&r);

    /* required fields missing, and the cap, leave out unchanged */
    hg_buf_reset(&b);
    hg_buf_append_str(&b, "prefix");
    struct hg_record_fields x = m;
    x.id = NULL;
    CHECK_INT(hg_record_write(&b, &x), -1);
    x = m; x.type = NULL;
    CHECK_INT(hg_record_write(&b, &x), -1);
    x = m; x.source = "";
    CHECK_INT(hg_record_write(&b, &x), -1);
    x = m; x.data = NULL;
    CHECK_INT(hg_record_write(&b, &x), -1);
    char longid[HG_RECORD_ID_MAX + 2];
    memset(longid, 'i', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    x = m; x.id = longid;
    CHECK_INT(hg_record_write(&b, &x), -1);
    CHECK_STR(b.data, "prefix");
    struct hg_buf small;
    hg_buf_init(&small, 100);
    CHECK_INT(hg_buf_append_str(&small, "ab"), 0);
    CHECK_INT(hg_record_write(&small, &f), -1);
    CHECK_INT(small.len, 2);
    CHECK_STR(small.data, "ab");
    hg_buf_cleanup(&small);

    /* versions */
    CHECK_INT(parse_str("{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\","
                        "\"time\":\"x\",\"hgrecordversion\":2,\"data\":{}}", &r, err, sizeof err), -1);
    CHECK_STR(err, "record version 2 is newer than this build understands (1)");
    CHECK(r.root == NULL);
    CHECK_INT(parse_str("{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\","
                        "\"time\":\"x\",\"data\":{}}", &r, err, sizeof err), -1);
    CHECK(strstr(err, "hgrecordversion") && strstr(err, "missing"));
    CHECK_INT(parse_str("{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\","
                        "\"time\":\"x\",\"hgrecordversion\":\"1\",\"data\":{}}", &r, err, sizeof err), -1);
    CHECK_INT(parse_str("{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\","
                        "\"time\":\"x\",\"hgrecordversion\":0,\"data\":{}}", &r, err, sizeof err), -1);
    /* unknown extensions are ignored (forward compatibility) */
    CHECK_INT(parse_str("{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\","
                        "\"time\":\"x\",\"hgrecordversion\":1,\"futurething\":[1],\"data\":{\"k\":1}}",
                        &r, err, sizeof err), 0);
    hg_record_cleanup(&r);

    /* malformed records, each with a message naming the problem */
    static const struct { const char *in, *want; } bad[] = {
        { "not json", "not valid JSON" },
        { "[1]", "not a JSON object" },
        { "{\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}",
          "\"specversion\" is missing" },
        { "{\"specversion\":\"0.3\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}",
          "\"specversion\" is not \"1.0\"" },
        { "{\"specversion\":\"1.0\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}",
          "\"id\" is missing" },
        { "{\"specversion\":\"1.0\",\"id\":7,\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}",
          "\"id\" is not a string" },
        { "{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}",
          "\"id\" is empty" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}",
          "\"source\" is missing" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}",
          "\"type\" is missing" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"hgrecordversion\":1,\"data\":{}}",
          "\"time\" is missing" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1}",
          "\"data\" is missing" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":[1]}",
          "\"data\" is not an object" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"slackteam\":5,\"data\":{}}",
          "\"slackteam\" is not a string" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"slackretrynum\":-1,\"data\":{}}",
          "\"slackretrynum\"" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}} trailing",
          "not valid JSON" },
        /* U+0000 in an attribute: named, not cut at it */
        { "{\"specversion\":\"1.0\",\"id\":\"Ev1\\u0000x\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}",
          "record: \"id\" holds U+0000" },
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"slackchannel\":\"C1\\u0000\",\"data\":{}}",
          "record: \"slackchannel\" holds U+0000" },
        /* a raw NUL is no JSON */
        { "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"s\",\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{\"a\":\"\x01\"}}",
          "not valid JSON" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse_str(bad[i].in, &r, err, sizeof err);
        CHECK_INT(rc, -1);
        if (!strstr(err, bad[i].want)) {
            CHECK(!"error message");
            fprintf(stderr, "  case %zu: got \"%s\", want \"%s\"\n", i, err, bad[i].want);
        }
        CHECK(r.root == NULL && r.id == NULL);
    }
    /* U+0000 in data (valid JSON, written by the gateway as sent): the
     * record is read; such a string reads as no string, such a key as no
     * member, and writing data back keeps \u0000 */
    {
        static const char nul[] =
            "{\"specversion\":\"1.0\",\"id\":\"Ev1\",\"source\":\"s\",\"type\":\"com.slack.events.file_shared\","
            "\"time\":\"x\",\"hgrecordversion\":1,\"data\":{\"event_id\\u0000\":\"EvX\",\"event_id\":\"Ev1\","
            "\"text\":\"a\\u0000b\",\"event\":{\"file_id\":\"F1\\u0000\",\"file\":{\"id\":\"F2\"}}}}";
        CHECK_INT(hg_record_parse(nul, sizeof nul - 1, &r, err, sizeof err), 0);
        CHECK_STR(r.id, "Ev1");
        CHECK_STR(hg_json_get_str(r.data, "event_id", NULL), "Ev1");
        CHECK(hg_json_get_str(r.data, "text", NULL) == NULL);
        CHECK(hg_json_get_str(r.data, "event", "file_id", NULL) == NULL);   /* not "F1" */
        CHECK_STR(hg_json_get_str(r.data, "event", "file", "id", NULL), "F2");
        struct hg_buf d;
        hg_buf_init(&d, 1024);
        CHECK_INT(hg_json_write(&d, r.data), 0);
        CHECK_STR(d.data, "{\"event_id\\u0000\":\"EvX\",\"event_id\":\"Ev1\",\"text\":\"a\\u0000b\","
                          "\"event\":{\"file_id\":\"F1\\u0000\",\"file\":{\"id\":\"F2\"}}}");
        hg_buf_cleanup(&d);
        hg_record_cleanup(&r);
    }

    /* an over-long id is refused on the way in too */
    char rec[512];
    snprintf(rec, sizeof rec, "{\"specversion\":\"1.0\",\"id\":\"%s\",\"source\":\"s\",\"type\":\"t\","
             "\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}", longid);
    CHECK_INT(parse_str(rec, &r, err, sizeof err), -1);
    CHECK(strstr(err, "longer than") != NULL);

    hg_buf_cleanup(&b);
    return TEST_DONE();
}
