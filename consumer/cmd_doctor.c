/* cmd_doctor.c — `hookgate-consumer doctor`: check every dependency with
 * the configured settings and print what is wrong: Kafka reachable (topic
 * and DLQ topic), Slack auth.test, an S3 probe object written, read back,
 * written again under If-None-Match and If-Match (the bucket must honour
 * conditional writes), deleted and read again (a missing key must read as
 * missing, not as AccessDenied), each table config (in a directory or under an s3:// prefix)
 * valid and its Glue job present with its runs readable, the result
 * channels' history readable. Exit 0 when everything is fine, 1 otherwise. */
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
#include "consumer/glue_runs.h"
#include "consumer/pipeline.h"
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
    /* Metadata of all topics, looked up by name: a request naming a topic
     * may create it (a producer's, on brokers with auto.create.topics.enable;
     * the mock cluster always), and a misspelt topic would then "pass". */
    const char *defaults[] = { "allow.auto.create.topics", "false", NULL };
    rd_kafka_conf_t *conf = hg_kafka_conf_new(s->kafka_brokers, defaults, props, err, sizeof err);
    rd_kafka_t *rk = conf ? hg_kafka_new(RD_KAFKA_PRODUCER, conf, props, err, sizeof err) : NULL;
    if (!rk)
        return report(false, "kafka", err);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t me = rd_kafka_metadata(rk, 1, NULL, &md, 10000);
    const char *topics[2] = { s->topic, s->dlq_topic };
    for (int i = 0; i < 2; i++) {
        char what[300], detail[160];
        snprintf(what, sizeof what, "kafka topic %s%s", topics[i], i ? " (dead letters)" : "");
        const struct rd_kafka_metadata_topic *mt = NULL;
        for (int k = 0; !me && md && k < md->topic_cnt; k++)
            if (!strcmp(md->topics[k].topic, topics[i]))
                mt = &md->topics[k];
        rd_kafka_resp_err_t e = me ? me : !mt ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC : mt->err;
        if (e)
            snprintf(detail, sizeof detail, "%s (brokers %s)", rd_kafka_err2str(e), s->kafka_brokers);
        else
            snprintf(detail, sizeof detail, "%d partition(s)", mt->partition_cnt);
        bad |= report(!e, what, detail);
    }
    if (md)
        rd_kafka_metadata_destroy(md);
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

/* One conditional PUT of the probe: want_rc is what S3 answers (0 written,
 * 1 the condition did not hold, hg_s3_put's codes). A store that ignores
 * the condition writes anyway (0 where 1 was wanted). */
static int probe_conditional(const struct hgc_settings *s, struct hgc_services *svc,
                             const char *key, const char *what, const struct hg_s3_put_opts *o,
                             const char *body, int want_rc, const char *ignored)
{
    struct hg_aws_error ae;
    hg_aws_error_clear(&ae);
    int r = hg_s3_put(svc->s3, s->s3_bucket, key, body, strlen(body), o, NULL, &ae);
    if (r < 0)
        return report(false, what, ae.code[0] ? ae.code : ae.message);
    return report(r == want_rc, what, r == want_rc ? NULL : ignored);
}

/* The probe object s3://bucket/<prefix>/_hookgate/doctor/<uuid>.txt:
 * written create-once, read back, written again under each condition the
 * worker relies on, deleted (whatever failed before), then read as
 * missing. */
static int check_s3(const struct hgc_settings *s, struct hgc_services *svc)
{
    static const char ignored_create[] =
        "the bucket ignores If-None-Match: * (a second create-once write replaced the "
        "object); the worker's claims and markers need S3 conditional writes";
    static const char ignored_match[] =
        "the bucket ignores If-Match (a write naming another ETag replaced the object); "
        "a stale Glue claim would be taken over twice";
    char key[HGC_KEY_MAX], id[37], what[HGC_KEY_MAX + 64], body[64];
    struct hg_s3_object_info info;
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
    memset(&info, 0, sizeof info);
    struct hg_s3_put_opts o = { .content_type = "text/plain", .if_none_match = true };
    if (hg_s3_put(svc->s3, s->s3_bucket, key, body, strlen(body), &o, &info, &ae) != 0)
        return report(false, what, ae.code[0] ? ae.code : ae.message);
    report(true, what, NULL);
    hg_buf_init(&got, 4096);
    int r = hg_s3_get(svc->s3, s->s3_bucket, key, &got, NULL, &ae);
    bool same = r == 0 && got.len == strlen(body) && !memcmp(got.data, body, got.len);
    bad |= report(same, "s3 read back", r < 0 ? ae.code : r == 1 ? "object missing" : same ? NULL
                                                                                        : "content differs");
    hg_buf_cleanup(&got);
    /* Conditional writes (the worker's create-once markers and claims, the
     * If-Match takeover of a stale claim): each wrong condition must be
     * refused with 412, the right ETag accepted. */
    bad |= probe_conditional(s, svc, key, "s3 create-once write refused when the key exists "
                             "(If-None-Match: *)", &o, "second\n", 1, ignored_create);
    if (!info.etag[0]) {
        bad |= report(false, "s3 If-Match", "the PUT answer carried no ETag (the worker "
                      "needs it to replace a stale claim)");
    } else {
        struct hg_s3_put_opts m = { .content_type = "text/plain",
                                    .if_match = "\"00000000000000000000000000000000\"" };
        bad |= probe_conditional(s, svc, key, "s3 write refused for another ETag (If-Match)", &m,
                                 "other etag\n", 1, ignored_match);
        /* The ETag now (a store ignoring the conditions above has
         * replaced the object twice). */
        r = hg_s3_head(svc->s3, s->s3_bucket, key, &info, &ae);
        if (r != 0 || !info.etag[0]) {
            bad |= report(false, "s3 HEAD of the probe", r < 0 ? ae.code : r ? "object missing"
                                                                             : "no ETag");
        } else {
            m.if_match = info.etag;
            bad |= probe_conditional(s, svc, key, "s3 write accepted for the object's ETag "
                                     "(If-Match)", &m, "its etag\n", 0,
                                     "the bucket refused the object's own ETag");
        }
    }
    r = hg_s3_delete(svc->s3, s->s3_bucket, key, &ae);
    bad |= report(r == 0, "s3 delete", r ? ae.code : NULL);
    if (r != 0)
        return bad;
    /* The probe is gone: reading it must say "no such key". S3 answers a
     * role without s3:ListBucket on the bucket 403 AccessDenied instead,
     * and the worker looks its markers up by GET, so every file would end
     * in ERROR while the checks above pass. */
    hg_buf_init(&got, 4096);
    r = hg_s3_get(svc->s3, s->s3_bucket, key, &got, NULL, &ae);
    hg_buf_cleanup(&got);
    bad |= report(r == 1, "s3 read of a missing key",
                  r == 1 ? NULL
                  : r == 0 ? "the deleted probe object is still there"
                  : !strcmp(ae.code, "AccessDenied")
                      ? "AccessDenied instead of NoSuchKey: grant s3:ListBucket on the bucket "
                        "(markers are looked up by GET; without it every file ends in ERROR)"
                      : ae.code);
    return bad;
}

/* Result channels named by the settings and the configs checked, for the
 * conversations.history check (each once). */
struct channels {
    char id[HGC_DOCTOR_MAX_CHANNELS][HGC_SLACK_ID_MAX + 1];
    size_t n;
    bool dropped;
};

static void channels_add(struct channels *c, const char *id)
{
    if (!id || !*id)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->id[i], id))
            return;
    if (c->n == HGC_DOCTOR_MAX_CHANNELS) {
        c->dropped = true;
        return;
    }
    snprintf(c->id[c->n++], sizeof c->id[0], "%s", id);
}

/* Load one config (NAME.json in the tables directory or under the s3://
 * prefix) and look for its Glue job. */
static int check_table(const struct hgc_settings *s, struct hgc_services *svc,
                       const char *json_name, struct channels *chans)
{
    char csv[HG_TABLE_NAME_MAX + 8], err[512], what[400], job[HG_TABLE_IDENT_MAX + 32];
    enum hgc_table_error te;
    struct hg_aws_error ae;
    size_t n = strlen(json_name);
    if (n <= 5 || n - 5 > HG_TABLE_NAME_MAX)
        return 0;
    snprintf(csv, sizeof csv, "%.*s.csv", (int)(n - 5), json_name);
    snprintf(what, sizeof what, "table %.*s", (int)(n - 5), json_name);
    struct hgc_table *t = strncmp(s->tables, "s3://", 5)
                              ? hgc_tables_load_file(s->tables, csv, &te, err, sizeof err)
                              : hgc_tables_load_s3(svc->s3, s->tables, csv, &te, &ae, err, sizeof err);
    if (!t)
        return report(false, what, err);
    channels_add(chans, t->notify_channel);
    if (t->glue_job)
        snprintf(job, sizeof job, "%s", t->glue_job);
    else
        snprintf(job, sizeof job, "%s-%s-load", t->project, t->name);
    hg_aws_error_clear(&ae);
    int r = hg_glue_get_job(svc->glue, job, &ae);
    char detail[HG_TABLE_IDENT_MAX + 32 + HG_AWS_ERR_CODE_MAX + HG_AWS_ERR_MSG_MAX + 160];
    if (r == 0) {
        /* The worker looks through the job's runs before every StartJobRun
         * (a run started just before a crash is found, not started again):
         * a role allowed GetJob but not GetJobRuns would fail every file of
         * the table. The same look-up, for a file id no run carries. */
        struct hgc_err re;
        char run_id[256];
        hgc_err_clear(&re);
        if (hgc_glue_runs_find(svc->glue, job, "--hookgate_file_id", "doctor-probe", run_id,
                               sizeof run_id, &re) < 0) {
            r = -1;
            snprintf(detail, sizeof detail, "Glue job %s exists, but GetJobRuns failed (the worker "
                     "needs it before every StartJobRun): %s %s", job, re.code, re.detail);
        } else {
            snprintf(detail, sizeof detail, "valid; Glue job %s exists, its runs readable", job);
        }
    } else if (r == 1) {
        snprintf(detail, sizeof detail, "Glue job %s does not exist", job);
    } else {
        snprintf(detail, sizeof detail, "Glue job %s: %s %s", job, ae.code, ae.message);
    }
    hgc_table_destroy(t);
    return report(r == 0, what, detail);
}

/* The config names (NAME.json) of a tables directory or s3:// prefix. */
struct names {
    char (*v)[HG_TABLE_NAME_MAX + 6];
    size_t n;
    size_t skip;              /* bytes of the listed keys' prefix */
};

static int names_add(void *ud, const char *name, int64_t size)
{
    struct names *nm = ud;
    (void)size;
    name += nm->skip;
    size_t n = strlen(name);
    if (name[0] == '.' || n <= 5 || n - 5 > HG_TABLE_NAME_MAX || strcmp(name + n - 5, ".json"))
        return 0;
    if (nm->n == HGC_DOCTOR_MAX_TABLES)
        return 1;             /* the listing stops here */
    snprintf(nm->v[nm->n++], sizeof nm->v[0], "%s", name);
    return 0;
}

/* Fill nm from the directory, or from ListObjectsV2 of the prefix with
 * delimiter "/" (its own objects only, like the directory). Returns 0, or
 * -1 after reporting why. *more says the cap stopped the listing. */
static int list_tables(const struct hgc_settings *s, struct hgc_services *svc, struct names *nm,
                       bool *more)
{
    *more = false;
    if (strncmp(s->tables, "s3://", 5)) {
        DIR *d = opendir(s->tables);
        if (!d)
            return report(false, "tables", "cannot open the directory");
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (names_add(nm, de->d_name, -1) == 1) {
                *more = true;
                break;
            }
        closedir(d);
        return 0;
    }
    char bucket[256], prefix[HG_S3_KEY_MAX + 2], what[HG_S3_KEY_MAX + 300];
    struct hg_aws_error ae;
    hg_aws_error_clear(&ae);
    if (hg_s3_parse_uri(s->tables, bucket, sizeof bucket, prefix, sizeof prefix - 1))
        return report(false, "tables", "HOOKGATE_TABLES is not a valid s3:// URI");
    size_t pl = strlen(prefix);
    if (pl && prefix[pl - 1] != '/')
        memcpy(prefix + pl++, "/", 2);
    nm->skip = pl;
    snprintf(what, sizeof what, "tables list s3://%s/%s", bucket, prefix);
    if (hg_s3_list(svc->s3, bucket, prefix, "/", 0, names_add, nm, more, &ae) != 0) {
        char detail[HG_AWS_ERR_CODE_MAX + HG_AWS_ERR_MSG_MAX + 8];
        snprintf(detail, sizeof detail, "%s %s", ae.code, ae.message);
        return report(false, what, detail);
    }
    return 0;
}

static int check_tables(const struct hgc_settings *s, struct hgc_services *svc,
                        struct channels *chans)
{
    struct names nm = { 0 };
    bool more = false;
    int bad = 0;
    if (!s->tables)
        return report(false, "tables", "no table configs (HOOKGATE_TABLES)");
    nm.v = calloc(HGC_DOCTOR_MAX_TABLES, sizeof nm.v[0]);
    if (!nm.v)
        return report(false, "tables", "out of memory");
    if (list_tables(s, svc, &nm, &more) != 0) {
        bad = 1;
        goto out;
    }
    for (size_t i = 0; i < nm.n; i++)
        bad |= check_table(s, svc, nm.v[i], chans);
    if (!nm.n)
        bad |= report(false, "tables", strncmp(s->tables, "s3://", 5)
                                           ? "no *.json table configs in the directory"
                                           : "no *.json table configs under the prefix");
    if (more) {
        char detail[128];
        snprintf(detail, sizeof detail, "only the first %u configs were checked",
                 HGC_DOCTOR_MAX_TABLES);
        report(true, "tables", detail);
    }
out:
    free(nm.v);
    return bad;
}

/* Duplicate suppression of result messages reads each result channel's
 * history (step notify); without the scope it is skipped, and only the
 * markers stand between a crash and a second post. The check makes the
 * worker's own call. */
static int check_history(const struct hgc_settings *s, struct hgc_services *svc,
                         struct channels *chans)
{
    int bad = 0;
    channels_add(chans, s->slack_channel);
    if (!svc->slack)
        return 0;             /* auth.test already said: no token */
    if (!chans->n)
        return report(true, "slack conversations.history",
                      "not checked: results go to each file's own channel (the bot needs "
                      "channels:history, groups:history for private ones, there)");
    for (size_t i = 0; i < chans->n; i++) {
        char what[HGC_SLACK_ID_MAX + 64], detail[700];
        struct hgc_err e;
        bool found = false;
        hgc_err_clear(&e);
        snprintf(what, sizeof what, "slack conversations.history %s", chans->id[i]);
        if (hgc_slack_find_result(svc->slack, chans->id[i], "doctor", "pass", 0, 1, &found, NULL, 0,
                                  &e) == 0) {
            bad |= report(true, what, "readable (duplicate suppression of result messages)");
            continue;
        }
        if (!strcmp(e.code, "slack_missing_scope"))
            snprintf(detail, sizeof detail, "missing_scope: the bot token needs channels:history "
                     "(groups:history for a private channel); without it a result could be "
                     "posted twice after a crash");
        else
            snprintf(detail, sizeof detail, "%s", e.detail);
        bad |= report(false, what, detail);
    }
    if (chans->dropped)
        report(true, "slack conversations.history", "more channels than checked");
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
    char what[HGC_SPOOL_PATH_MAX + 32], why[HGC_SPOOL_PATH_MAX + 256];
    snprintf(what, sizeof what, "tmp dir %s", s.tmp_dir);
    int spool = hgc_pipeline_spool_check(s.tmp_dir, why, sizeof why);
    bad |= report(spool == 0, what, spool ? why : "writable (downloads are spooled here)");
    if (!opened) {
        bad |= report(false, "set-up", errstr);
    } else {
        bad |= check_slack(&svc);
        struct channels chans;
        memset(&chans, 0, sizeof chans);
        bad |= check_s3(&s, &svc);
        bad |= check_tables(&s, &svc, &chans);
        bad |= check_history(&s, &svc, &chans);
    }
    printf("%s\n", bad ? "some checks failed" : "all checks passed");
    rc = bad ? 1 : 0;
out:
    hgc_services_close(&svc);
    hgc_settings_cleanup(&s, &props);
    return rc;
}
