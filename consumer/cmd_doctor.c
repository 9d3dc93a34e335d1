/* cmd_doctor.c — `hookgate-consumer doctor`: check every dependency with
 * the configured settings and print what is wrong: Kafka reachable (topic
 * and DLQ topic), Slack auth.test, an S3 probe object written, read back
 * and deleted, each table config valid and its Glue job present. Exit 0
 * when everything is fine, 1 otherwise. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/kafka.h"
#include "common/log.h"
#include "consumer/commands.h"
#include "consumer/consumer_config.h"
#include "consumer/services.h"
#include "consumer/tables.h"

static int report(bool ok, const char *what, const char *detail)
{
    printf("%-5s %s%s%s\n", ok ? "ok" : "FAIL", what, detail && *detail ? ": " : "",
           detail ? detail : "");
    return ok ? 0 : 1;
}

static int check_kafka(const struct hgc_settings *s, const struct hg_kafka_props *props)
{
    char err[512];
    int bad = 0;
    rd_kafka_conf_t *conf = hg_kafka_conf_new(s->kafka_brokers, NULL, props, err, sizeof err);
    rd_kafka_t *rk = conf ? hg_kafka_new(RD_KAFKA_PRODUCER, conf, props, err, sizeof err) : NULL;
    if (!rk)
        return report(false, "kafka", err);
    const char *topics[2] = { s->topic, s->dlq_topic };
    for (int i = 0; i < 2; i++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topics[i], NULL);
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, 10000);
        rd_kafka_topic_destroy(t);
        char what[300], detail[160];
        snprintf(what, sizeof what, "kafka topic %s%s", topics[i], i ? " (dead letters)" : "");
        if (!e && md && md->topic_cnt == 1)
            e = md->topics[0].err;
        if (e)
            snprintf(detail, sizeof detail, "%s (brokers %s)", rd_kafka_err2str(e), s->kafka_brokers);
        else
            snprintf(detail, sizeof detail, "%d partition(s)", md->topics[0].partition_cnt);
        bad |= report(!e, what, detail);
        if (md)
            rd_kafka_metadata_destroy(md);
    }
    rd_kafka_destroy(rk);
    return bad;
}

static int check_slack(struct hgc_services *svc)
{
    char team[128], user[128], detail[300];
    struct hgc_err e;
    hgc_err_clear(&e);
    if (!svc->slack)
        return report(false, "slack auth.test", "no bot token (HOOKGATE_SLACK_BOT_TOKEN)");
    if (hgc_slack_auth_test(svc->slack, team, sizeof team, user, sizeof user, &e))
        return report(false, "slack auth.test", e.detail);
    snprintf(detail, sizeof detail, "team \"%s\", bot \"%s\"", team, user);
    return report(true, "slack auth.test", detail);
}

static int check_s3(const struct hgc_settings *s, struct hgc_services *svc)
{
    char key[HGC_KEY_MAX], id[37], what[HGC_KEY_MAX + 64], body[64];
    struct hg_aws_error ae;
    struct hg_buf got;
    int bad = 0;
    if (!s->s3_bucket)
        return report(false, "s3", "no bucket (HOOKGATE_S3_BUCKET)");
    if (hg_uuid7(id))
        return report(false, "s3", "random number generator failed");
    snprintf(key, sizeof key, "%s%s_hookgate/doctor/%s.txt", s->s3_prefix, *s->s3_prefix ? "/" : "", id);
    snprintf(body, sizeof body, "hookgate doctor %s\n", id);
    snprintf(what, sizeof what, "s3 write s3://%s/%s", s->s3_bucket, key);
    hg_aws_error_clear(&ae);
    struct hg_s3_put_opts o = { .content_type = "text/plain", .if_none_match = true };
    if (hg_s3_put(svc->s3, s->s3_bucket, key, body, strlen(body), &o, NULL, &ae) != 0)
        return report(false, what, ae.code[0] ? ae.code : ae.message);
    report(true, what, NULL);
    hg_buf_init(&got, 4096);
    int r = hg_s3_get(svc->s3, s->s3_bucket, key, &got, NULL, &ae);
    bool same = r == 0 && got.len == strlen(body) && !memcmp(got.data, body, got.len);
    bad |= report(same, "s3 read back", r < 0 ? ae.code : r == 1 ? "object missing" : same ? NULL
                                                                                        : "content differs");
    hg_buf_cleanup(&got);
    r = hg_s3_delete(svc->s3, s->s3_bucket, key, &ae);
    bad |= report(r == 0, "s3 delete", r ? ae.code : NULL);
    return bad;
}

static int check_table(struct hgc_services *svc, const char *dir, const char *json_name)
{
    char csv[HG_TABLE_NAME_MAX + 8], err[512], what[400], job[HG_TABLE_IDENT_MAX + 32];
    enum hgc_table_error te;
    size_t n = strlen(json_name);
    if (n <= 5 || n - 5 > HG_TABLE_NAME_MAX)
        return 0;
    snprintf(csv, sizeof csv, "%.*s.csv", (int)(n - 5), json_name);
    snprintf(what, sizeof what, "table %.*s", (int)(n - 5), json_name);
    struct hgc_table *t = hgc_tables_load_file(dir, csv, &te, err, sizeof err);
    if (!t)
        return report(false, what, err);
    if (t->glue_job)
        snprintf(job, sizeof job, "%s", t->glue_job);
    else
        snprintf(job, sizeof job, "%s-%s-load", t->project, t->name);
    struct hg_aws_error ae;
    hg_aws_error_clear(&ae);
    int r = hg_glue_get_job(svc->glue, job, &ae);
    char detail[HG_TABLE_IDENT_MAX + 32 + HG_AWS_ERR_CODE_MAX + HG_AWS_ERR_MSG_MAX + 64];
    if (r == 0)
        snprintf(detail, sizeof detail, "valid; Glue job %s exists", job);
    else if (r == 1)
        snprintf(detail, sizeof detail, "Glue job %s does not exist", job);
    else
        snprintf(detail, sizeof detail, "Glue job %s: %s %s", job, ae.code, ae.message);
    hgc_table_destroy(t);
    return report(r == 0, what, detail);
}

static int check_tables(const struct hgc_settings *s, struct hgc_services *svc)
{
    int bad = 0, seen = 0;
    if (!s->tables)
        return report(false, "tables", "no table configs (HOOKGATE_TABLES)");
    if (!strncmp(s->tables, "s3://", 5))
        return report(true, "tables", "in S3: each config is checked when its file arrives");
    DIR *d = opendir(s->tables);
    if (!d)
        return report(false, "tables", "cannot open the directory");
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".json"))
            continue;
        seen++;
        bad |= check_table(svc, s->tables, de->d_name);
    }
    closedir(d);
    if (!seen)
        bad |= report(false, "tables", "no *.json table configs in the directory");
    return bad;
}

int hgc_cmd_doctor(int argc, char **argv)
{
    int rc = 2;
    char errstr[512];
    struct hgc_settings s;
    struct hg_kafka_props props;
    struct hgc_services svc;
    int pos = 0;

    memset(&svc, 0, sizeof svc);
    int r = hgc_settings_load(&s, &props, "doctor", argc, argv, 0, &pos, errstr, sizeof errstr);
    if (r == 1) {
        rc = 0;
        goto out;
    }
    if (r != 0 || pos < argc) {
        fprintf(stderr, "hookgate-consumer doctor: %s\n", r ? errstr : "unexpected argument");
        goto out;
    }
    hg_log_setup("hookgate-consumer", HG_LOG_ERROR);
    int bad = 0;
    bool opened = hgc_services_open(&svc, &s, &props, HGC_SVC_SLACK | HGC_SVC_AWS,
                                    errstr, sizeof errstr) == 0;
    if (!s.kafka_brokers)
        bad |= report(false, "kafka", "no brokers (HOOKGATE_KAFKA_BROKERS)");
    else if (s.msk_iam && !svc.msk_iam)
        bad |= report(false, "kafka", "not checked: the msk-iam set-up failed (see set-up)");
    else
        bad |= check_kafka(&s, &props);
    if (!opened) {
        bad |= report(false, "set-up", errstr);
    } else {
        bad |= check_slack(&svc);
        bad |= check_s3(&s, &svc);
        bad |= check_tables(&s, &svc);
    }
    printf("%s\n", bad ? "some checks failed" : "all checks passed");
    rc = bad ? 1 : 0;
out:
    hgc_services_close(&svc);
    hgc_settings_cleanup(&s, &props);
    return rc;
}
