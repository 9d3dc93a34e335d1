/* test_worker_units.c — unit tests of the worker's pure parts: outcome
 * classification, Slack answer parsing, the HTML sniff, S3 keys, marker
 * keys and the settings table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consumer/consumer_config.h"
#include "common/json.h"
#include "common/kafka.h"
#include "consumer/glue_runs.h"
#include "consumer/idempotency.h"
#include "consumer/pipeline.h"
#include "consumer/retry.h"
#include "consumer/slack_api.h"
#include "tests/unit/test.h"

static void test_classify(void)
{
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_OK, 200), HGC_OK);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_OK, 204), HGC_OK);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_OK, 429), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_OK, 503), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_OK, 500), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_OK, 408), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_OK, 404), HGC_PERMANENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_OK, 403), HGC_PERMANENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_ERR_TIMEOUT, 0), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_ERR_CONNECT, 0), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_ERR_TLS, 0), HGC_PERMANENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_ERR_HANDSHAKE, 0), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_http(HG_HTTP_ERR_TOO_LARGE, 0), HGC_PERMANENT);
    CHECK_INT(hgc_retry_classify_slack("ratelimited"), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_slack("rate_limited"), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_slack("internal_error"), HGC_TRANSIENT);
    CHECK_INT(hgc_retry_classify_slack("invalid_auth"), HGC_PERMANENT);
    CHECK_INT(hgc_retry_classify_slack("file_not_found"), HGC_PERMANENT);
    CHECK_INT(hgc_retry_classify_slack(NULL), HGC_PERMANENT);
    struct hg_retry_policy p = { 3, 100, 1000 };
    CHECK(hgc_retry_again(&p, 1));
    CHECK(hgc_retry_again(&p, 2));
    CHECK(!hgc_retry_again(&p, 3));
    /* a record passed by the fetch: lost, rewound again, or given up */
    CHECK_INT(hgc_retry_passed(true, 11, 10, 0), HGC_PASSED_LOST);
    CHECK_INT(hgc_retry_passed(true, 10, 10, 0), HGC_PASSED_REWIND);
    CHECK_INT(hgc_retry_passed(false, -1, 10, 0), HGC_PASSED_REWIND);   /* watermark unknown */
    /* A resumed record not back yet: the consumer position says whether the
     * rewind took. librdkafka 2.0 reports -1001 (invalid) after a seek until
     * the record is consumed again, and last consumed + 1 when the seek did
     * not happen (measured with confluent-kafka against the mock cluster). */
    CHECK(hgc_retry_stuck(true, 11, 10));      /* still past the record: rewind again */
    CHECK(!hgc_retry_stuck(true, -1001, 10));  /* sought: the fetch is only slow */
    CHECK(!hgc_retry_stuck(true, 10, 10));
    CHECK(!hgc_retry_stuck(false, 11, 10));    /* position unknown: wait */
    CHECK_INT(hgc_retry_passed(true, 0, 10, HGC_RETRY_MAX_REWINDS - 1), HGC_PASSED_REWIND);
    CHECK_INT(hgc_retry_passed(true, 0, 10, HGC_RETRY_MAX_REWINDS), HGC_PASSED_MISSING);
    CHECK_INT(hgc_retry_passed(false, -1, 10, HGC_RETRY_MAX_REWINDS), HGC_PASSED_MISSING);
    CHECK_INT(hgc_retry_passed(true, 11, 10, HGC_RETRY_MAX_REWINDS), HGC_PASSED_LOST);
    struct hgc_err e;
    CHECK_INT(hgc_err_set(&e, HGC_TRANSIENT, "s3_put_SlowDown", "x %d", 5), -1);
    CHECK_STR(e.code, "s3_put_SlowDown");
    CHECK_STR(e.detail, "x 5");
    CHECK_INT(e.cls, HGC_TRANSIENT);
    /* a detail too long (a Japanese file name) is cut where a character
     * starts: it may become the ERROR's text (no reason set) and a DLQ
     * header; 511 bytes of "あ" would end in a lone lead byte */
    char name[3 * 200 + 1] = "";
    for (int i = 0; i < 200; i++)
        strcat(name, "\xe3\x81\x82");
    hgc_err_set(&e, HGC_PERMANENT, "table_invalid", "%s", name);
    CHECK_INT(strlen(e.detail), 510);
    CHECK(hg_json_utf8_check(e.detail, strlen(e.detail)) == NULL);
    CHECK(strncmp(e.detail, name, 510) == 0);
}

static void test_slack_parse(void)
{
    struct hgc_err e;
    struct hgc_slack_file f;
    const char *ok = "{\"ok\":true,\"file\":{\"id\":\"F1\",\"name\":\"campaign_tags.csv\","
                     "\"filetype\":\"csv\",\"size\":42,\"url_private\":\"https://a/p\","
                     "\"url_private_download\":\"https://a/d\"}}";
    hgc_err_clear(&e);
    yajl_val root = hgc_slack_parse_response("files.info", ok, strlen(ok), &e);
    CHECK(root != NULL);
    CHECK_INT(hgc_slack_file_from_json(root, &f, &e), 0);
    CHECK_STR(f.name, "campaign_tags.csv");
    CHECK_STR(f.url, "https://a/d");       /* the download URL wins */
    CHECK_STR(f.filetype, "csv");
    CHECK_INT(f.size, 42);
    hgc_slack_file_cleanup(&f);
    yajl_tree_free(root);

    const char *nofile = "{\"ok\":true}";
    root = hgc_slack_parse_response("files.info", nofile, strlen(nofile), &e);
    CHECK(root != NULL);
    CHECK_INT(hgc_slack_file_from_json(root, &f, &e), -1);
    CHECK_STR(e.code, "slack_bad_response");
    CHECK(f.name == NULL);
    yajl_tree_free(root);

    const char *rl = "{\"ok\":false,\"error\":\"ratelimited\"}";
    CHECK(hgc_slack_parse_response("chat.postMessage", rl, strlen(rl), &e) == NULL);
    CHECK_STR(e.code, "slack_ratelimited");
    CHECK_INT(e.cls, HGC_TRANSIENT);
    const char *ia = "{\"ok\":false,\"error\":\"invalid_auth\"}";
    CHECK(hgc_slack_parse_response("files.info", ia, strlen(ia), &e) == NULL);
    CHECK_STR(e.code, "slack_invalid_auth");
    CHECK_INT(e.cls, HGC_PERMANENT);
    CHECK(hgc_slack_parse_response("files.info", "<html>", 6, &e) == NULL);
    CHECK_STR(e.code, "slack_bad_json");
    const char *noerr = "{\"ok\":false}";
    CHECK(hgc_slack_parse_response("x", noerr, strlen(noerr), &e) == NULL);
    CHECK_STR(e.code, "slack_unknown_error");

    const char *hist = "{\"ok\":true,\"messages\":[{\"ts\":\"1\"},{\"ts\":\"2\",\"metadata\":"
                       "{\"event_type\":\"hookgate_result\",\"event_payload\":{\"event_id\":\"Ev7\","
                       "\"outcome\":\"pass\"}}}]}";
    root = hgc_slack_parse_response("conversations.history", hist, strlen(hist), &e);
    CHECK(root != NULL);
    CHECK(hgc_slack_history_has_result(root, "Ev7", "pass"));
    CHECK(!hgc_slack_history_has_result(root, "Ev7", "error"));
    CHECK(!hgc_slack_history_has_result(root, "Ev8", "pass"));
    yajl_tree_free(root);

    /* The newest set-aside notice of an event, and its ts. */
    const char *aside = "{\"ok\":true,\"messages\":["
                        "{\"ts\":\"30.1\",\"metadata\":{\"event_type\":\"hookgate_result\","
                        "\"event_payload\":{\"event_id\":\"Ev8\",\"outcome\":\"unfinished\"}}},"
                        "{\"ts\":\"20.1\",\"metadata\":{\"event_type\":\"hookgate_result\","
                        "\"event_payload\":{\"event_id\":\"Ev7\",\"outcome\":\"unfinished\"}}},"
                        "{\"ts\":\"10.1\",\"metadata\":{\"event_type\":\"hookgate_result\","
                        "\"event_payload\":{\"event_id\":\"Ev7\",\"outcome\":\"unfinished\"}}}]}";
    root = hgc_slack_parse_response("conversations.history", aside, strlen(aside), &e);
    CHECK(root != NULL);
    yajl_val m = hgc_slack_history_find(root, "Ev7", HGC_OUTCOME_SET_ASIDE);
    CHECK(m != NULL);
    CHECK_STR(hg_json_get_str(m, "ts", NULL), "20.1");
    CHECK(hgc_slack_history_find(root, "Ev7", "pass") == NULL);
    CHECK(hgc_slack_history_find(root, "Ev9", HGC_OUTCOME_SET_ASIDE) == NULL);
    yajl_tree_free(root);
    CHECK(hgc_slack_ts_ok("1700000001.000100"));
    CHECK(!hgc_slack_ts_ok(""));
    CHECK(!hgc_slack_ts_ok(NULL));
    CHECK(!hgc_slack_ts_ok(".5"));
    CHECK(!hgc_slack_ts_ok("17\"0"));
    CHECK(!hgc_slack_ts_ok("1700000001.000100000000000000000000"));

    CHECK(hgc_slack_looks_html("<!DOCTYPE html><html>", 21));
    CHECK(hgc_slack_looks_html("\xEF\xBB\xBF\r\n <HTML lang=en>", 20));
    CHECK(!hgc_slack_looks_html("id,tag\n1,<html>\n", 16));
    CHECK(!hgc_slack_looks_html("", 0));
    CHECK(!hgc_slack_looks_html("<htm", 4));
}

static void test_keys(void)
{
    char k[HGC_KEY_MAX];
    CHECK_INT(hgc_pipeline_s3_key(NULL, "landing", "mkt", "sheets", "campaign_tags", "2026-11-22",
                                  "F1", k, sizeof k), 0);
    CHECK_STR(k, "landing/mkt/sheets/campaign_tags/dt=2026-11-22/F1.csv");
    CHECK_INT(hgc_pipeline_s3_key(NULL, "", "mkt", "sheets", "t", "2026-11-22", "F1", k, sizeof k), 0);
    CHECK_STR(k, "mkt/sheets/t/dt=2026-11-22/F1.csv");
    CHECK_INT(hgc_pipeline_s3_key("{prefix}/raw/{table}/{file_id}.csv", "a/b", "p", "s", "t", "d",
                                  "F2", k, sizeof k), 0);
    CHECK_STR(k, "a/b/raw/t/F2.csv");
    CHECK_INT(hgc_pipeline_s3_key("{prefix}/{nope}.csv", "a", "p", "s", "t", "d", "F", k, sizeof k), -1);
    CHECK_INT(hgc_pipeline_s3_key("{prefix/x", "a", "p", "s", "t", "d", "F", k, sizeof k), -1);
    CHECK_INT(hgc_pipeline_s3_key("{prefix}/../x", "a", "p", "s", "t", "d", "F", k, sizeof k), -1);
    CHECK_INT(hgc_pipeline_s3_key("{prefix}/", "a", "p", "s", "t", "d", "F", k, sizeof k), -1);
    /* a "." segment, from the template or a value: read back as another key */
    CHECK_INT(hgc_pipeline_s3_key("{prefix}/./{file_id}", "a", "p", "s", "t", "d", "F", k, sizeof k), -1);
    CHECK_INT(hgc_pipeline_s3_key("{prefix}/{file_id}", ".", "p", "s", "t", "d", "F", k, sizeof k), -1);
    CHECK_INT(hgc_pipeline_s3_key("{prefix}/{file_id}/.", "a", "p", "s", "t", "d", "F", k, sizeof k), -1);
    CHECK_INT(hgc_pipeline_s3_key("{prefix}/.{file_id}", "a", "p", "s", "t", "d", "F", k, sizeof k), 0);
    CHECK_STR(k, "a/.F");
    char small[8];
    CHECK_INT(hgc_pipeline_s3_key(NULL, "landing", "mkt", "s", "t", "d", "F", small, sizeof small), -1);

    CHECK_INT(hgc_idem_key("landing/x", HGC_MARK_DONE, "Ev123", k, sizeof k), 0);
    CHECK_STR(k, "landing/x/_hookgate/done/Ev123.json");
    CHECK_INT(hgc_idem_key("", HGC_MARK_GLUE, "F1", k, sizeof k), 0);
    CHECK_STR(k, "_hookgate/glue/F1.json");
    CHECK_INT(hgc_idem_key("p", HGC_MARK_DONE, "../etc", k, sizeof k), -1);
    CHECK_INT(hgc_idem_key("p", HGC_MARK_DONE, "", k, sizeof k), -1);
    CHECK_INT(hgc_idem_key("p", HGC_MARK_DONE, "a/b", k, sizeof k), -1);
}

static void clear_env(void)
{
    static const char *const vars[] = {
        "HOOKGATE_KAFKA_BROKERS", "HOOKGATE_TOPIC", "HOOKGATE_GROUP", "HOOKGATE_TABLES",
        "HOOKGATE_S3_BUCKET", "HOOKGATE_S3_PREFIX", "HOOKGATE_SLACK_BOT_TOKEN",
        "HOOKGATE_SLACK_BOT_TOKEN_FILE", "HOOKGATE_DLQ_TOPIC", "HOOKGATE_RETRY_BASE_MS",
        "HOOKGATE_RETRY_MAX_MS", "HOOKGATE_LOG_LEVEL", "HOOKGATE_SLACK_API_URL", "HOOKGATE_TOPIC",
        "HOOKGATE_TMP_DIR",
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static void test_settings(void)
{
    struct hgc_settings s;
    struct hg_kafka_props props;
    char err[512];
    int pos;
    char *argv[] = { "run", "--topic", "t1", "--s3-prefix=/landing/x/", NULL };

    clear_env();
    setenv("HOOKGATE_KAFKA_BROKERS", "127.0.0.1:9092", 1);
    setenv("HOOKGATE_SLACK_BOT_TOKEN", "xoxb-secret-value", 1);
    setenv("HOOKGATE_SLACK_API_URL", "http://127.0.0.1:1/api/", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 4, argv, HGC_NEED_KAFKA | HGC_NEED_SLACK, &pos,
                                err, sizeof err), 0);
    CHECK_STR(s.topic, "t1");
    CHECK_STR(s.dlq_topic, "t1.dlq");       /* derived from the topic */
    CHECK_STR(s.group, "hookgate-consumer");
    CHECK_STR(s.s3_prefix, "landing/x");    /* slashes trimmed */
    CHECK_STR(s.slack_api_url, "http://127.0.0.1:1/api");
    CHECK_INT(s.retry_max_attempts, 8);
    CHECK_INT(s.log_min, HG_LOG_INFO);
    hgc_settings_cleanup(&s, &props);

    /* A missing required setting is named; the token never appears. */
    unsetenv("HOOKGATE_KAFKA_BROKERS");
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, HGC_NEED_KAFKA | HGC_NEED_SLACK, &pos,
                                err, sizeof err), -1);
    CHECK(strstr(err, "HOOKGATE_KAFKA_BROKERS") != NULL);
    CHECK(strstr(err, "xoxb-secret-value") == NULL);
    hgc_settings_cleanup(&s, &props);

    /* Token from a file (newline trimmed); token and file together refused. */
    char path[] = "/tmp/hgc-token-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, "xoxb-from-file\n", 15), 15);
    close(fd);
    setenv("HOOKGATE_SLACK_BOT_TOKEN_FILE", path, 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, HGC_NEED_SLACK, &pos, err, sizeof err), -1);
    CHECK(strstr(err, "only one") != NULL);
    hgc_settings_cleanup(&s, &props);
    unsetenv("HOOKGATE_SLACK_BOT_TOKEN");
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, HGC_NEED_SLACK, &pos, err, sizeof err), 0);
    CHECK_STR(s.slack_bot_token, "xoxb-from-file");
    hgc_settings_cleanup(&s, &props);
    unlink(path);
    unsetenv("HOOKGATE_SLACK_BOT_TOKEN_FILE");

    /* Ranges and cross-checks. */
    setenv("HOOKGATE_RETRY_BASE_MS", "5000", 1);
    setenv("HOOKGATE_RETRY_MAX_MS", "1000", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
    CHECK(strstr(err, "HOOKGATE_RETRY_BASE_MS") != NULL);
    hgc_settings_cleanup(&s, &props);
    setenv("HOOKGATE_RETRY_BASE_MS", "0", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
    hgc_settings_cleanup(&s, &props);
    clear_env();
    setenv("HOOKGATE_LOG_LEVEL", "loud", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
    CHECK(strstr(err, "HOOKGATE_LOG_LEVEL") != NULL);
    hgc_settings_cleanup(&s, &props);
    clear_env();

    /* Topic names Kafka accepts; the dead-letter topic not the topic itself
     * (every dead letter would come back) and not over Kafka's 249 bytes
     * when derived (every dead letter would be refused). */
    char long_topic[248];
    memset(long_topic, 't', 247);
    long_topic[247] = '\0';
    setenv("HOOKGATE_TOPIC", long_topic, 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
    CHECK(strstr(err, "the default <topic>.dlq") != NULL && strstr(err, "HOOKGATE_DLQ_TOPIC") != NULL);
    hgc_settings_cleanup(&s, &props);
    setenv("HOOKGATE_DLQ_TOPIC", "dead", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), 0);
    hgc_settings_cleanup(&s, &props);
    setenv("HOOKGATE_TOPIC", "dead", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
    CHECK(strstr(err, "must differ from HOOKGATE_TOPIC") != NULL);
    hgc_settings_cleanup(&s, &props);
    setenv("HOOKGATE_TOPIC", "slack events", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
    CHECK(strstr(err, "HOOKGATE_TOPIC") != NULL);
    hgc_settings_cleanup(&s, &props);
    clear_env();
    CHECK(hg_kafka_topic_name_ok("slack.events_v1-x"));
    CHECK(!hg_kafka_topic_name_ok("."));
    CHECK(!hg_kafka_topic_name_ok(""));
    CHECK(!hg_kafka_topic_name_ok("a/b"));

    /* The bot token goes with every Slack call: https only, plain http to
     * this machine (the tests' stand-ins). */
    setenv("HOOKGATE_SLACK_API_URL", "http://slack-proxy.internal/api", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
    CHECK(strstr(err, "HOOKGATE_SLACK_API_URL") != NULL && strstr(err, "https") != NULL);
    hgc_settings_cleanup(&s, &props);
    setenv("HOOKGATE_SLACK_API_URL", "http://127.0.0.1:1@slack-proxy.internal/api", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
    hgc_settings_cleanup(&s, &props);
    setenv("HOOKGATE_SLACK_API_URL", "https://slack.com/api/", 1);
    CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), 0);
    CHECK_STR(s.slack_api_url, "https://slack.com/api");
    hgc_settings_cleanup(&s, &props);
    clear_env();
    CHECK(hgc_slack_url_may_carry_token("https://files.slack.com/files-pri/T1-F1/download/a.csv"));
    CHECK(hgc_slack_url_may_carry_token("http://127.0.0.1:8080/files/F1"));
    CHECK(!hgc_slack_url_may_carry_token("http://files.slack.com/files-pri/T1-F1/a.csv"));
    CHECK(!hgc_slack_url_may_carry_token("ftp://files.slack.com/a.csv"));
    CHECK(!hgc_slack_url_may_carry_token("http://127.0.0.1@evil.example/a.csv"));

    /* HOOKGATE_S3_PREFIX starts every data and marker key: one the key
     * builder cannot use failed every file at its S3 step, blamed on the
     * table config. Refused at start, naming the setting. */
    static const struct { const char *v, *why; } bad_prefix[] = {
        { "a/../b", "must not contain \"..\"" },
        { "a//b", "must not contain \"//\"" },
        { "a/./b", "must not have a \".\" segment" },
        { "./a", "must not have a \".\" segment" },
        { "a/.", "must not have a \".\" segment" },
        { "land ing", "may only contain letters, digits" },
    };
    for (size_t i = 0; i < sizeof bad_prefix / sizeof bad_prefix[0]; i++) {
        setenv("HOOKGATE_S3_PREFIX", bad_prefix[i].v, 1);
        CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), -1);
        CHECK(strstr(err, "HOOKGATE_S3_PREFIX") != NULL);
        CHECK(strstr(err, bad_prefix[i].why) != NULL);
        hgc_settings_cleanup(&s, &props);
    }
    for (const char *ok[] = { "/", "landing/.hidden/x", "a.b/c=d", "" }, **p = ok; p < ok + 4; p++) {
        setenv("HOOKGATE_S3_PREFIX", *p, 1);
        CHECK_INT(hgc_settings_load(&s, &props, "run", 1, argv, 0, &pos, err, sizeof err), 0);
        hgc_settings_cleanup(&s, &props);
    }
    clear_env();
}

static void test_glue_runs_scan(void)
{
    char id[64];
    char *next = NULL;
    const char *a = "{\"JobRuns\":[{\"Id\":\"jr_1\",\"Arguments\":{\"--hookgate_file_id\":\"F0\"}},"
                    "{\"Id\":\"jr_2\",\"Arguments\":{\"--hookgate_file_id\":\"F1\"}}],"
                    "\"NextToken\":\"t1\"}";
    CHECK_INT(hgc_glue_runs_scan(a, strlen(a), "--hookgate_file_id", "F1", id, sizeof id, &next), 1);
    CHECK_STR(id, "jr_2");
    CHECK(next == NULL);
    CHECK_INT(hgc_glue_runs_scan(a, strlen(a), "--hookgate_file_id", "F9", id, sizeof id, &next), 0);
    CHECK_STR(next, "t1");
    free(next);
    const char *none = "{\"JobRuns\":[]}";
    CHECK_INT(hgc_glue_runs_scan(none, strlen(none), "--x", "F1", id, sizeof id, &next), 0);
    CHECK(next == NULL);
    CHECK_INT(hgc_glue_runs_scan("[1]", 3, "--x", "F1", id, sizeof id, &next), -1);
    CHECK_INT(hgc_glue_runs_scan("{", 1, "--x", "F1", id, sizeof id, NULL), -1);
}

/* Records whose data holds U+0000 (\u0000, valid JSON the gateway writes as
 * Slack sent it): read, never dead-lettered as bad_record; such a string is
 * no string, so a file id holding it is no usable file id (not "F1" cut at
 * the NUL). These paths end before any service is called. */
static void test_records_with_u0000(void)
{
    struct hgc_pipeline p;
    struct hgc_pipeline_result res;
    memset(&p, 0, sizeof p);
#define REC(type, data) "{\"specversion\":\"1.0\",\"id\":\"Ev1\",\"source\":\"slack://T1\",\"type\":\"" \
    type "\",\"time\":\"2026-11-22T07:00:00.000Z\",\"hgrecordversion\":1,\"data\":" data "}"
    static const char other[] = REC("com.slack.events.message",
                                    "{\"event\":{\"text\":\"a\\u0000b\",\"k\\u0000\":1}}");
    hgc_pipeline_process(&p, other, sizeof other - 1, 1, false, &res);
    CHECK_INT(res.outcome, HGC_OUT_SKIPPED);
    static const char nul_id[] = REC("com.slack.events.file_shared",
                                     "{\"event_id\":\"Ev1\",\"event\":{\"type\":\"file_shared\","
                                     "\"file_id\":\"F1\\u0000../x\",\"note\":\"\\u0000\"}}");
    hgc_pipeline_process(&p, nul_id, sizeof nul_id - 1, 1, false, &res);
    CHECK_INT(res.outcome, HGC_OUT_DEAD);
    CHECK_STR(res.err.code, "bad_event");
    CHECK_STR(res.file_id, "");
    /* an attribute holding it is a bad record, named */
    static const char nul_attr[] = "{\"specversion\":\"1.0\",\"id\":\"Ev1\\u0000\",\"source\":\"s\","
                                   "\"type\":\"t\",\"time\":\"x\",\"hgrecordversion\":1,\"data\":{}}";
    hgc_pipeline_process(&p, nul_attr, sizeof nul_attr - 1, 1, false, &res);
    CHECK_INT(res.outcome, HGC_OUT_DEAD);
    CHECK_STR(res.err.code, "bad_record");
    CHECK(strstr(res.err.detail, "\"id\" holds U+0000") != NULL);
#undef REC
}

int main(void)
{
    test_glue_runs_scan();
    test_records_with_u0000();
    test_classify();
    test_slack_parse();
    test_keys();
    test_settings();
    return TEST_DONE();
}
