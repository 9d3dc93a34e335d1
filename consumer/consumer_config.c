/* consumer_config.c — the settings table of hookgate-consumer and the
 * derived values (token file, DLQ topic name, prefix normalisation). */
#include "consumer/consumer_config.h"

#include <stdlib.h>
#include <string.h>

#include "common/kafka.h"
#include "common/limits.h"
#include "consumer/commands.h"
#include "consumer/slack_api.h"
#include "consumer/tables.h"

extern char **environ;

#define S(f) offsetof(struct hgc_settings, f)

const struct hg_setting hgc_settings_table[] = {
    { "kafka-brokers", "HOOKGATE_KAFKA_BROKERS", HG_SETTING_STR, S(kafka_brokers), NULL, 0, 0, 0,
      "Kafka bootstrap servers (host:port,...)." },
    { "kafka-auth", "HOOKGATE_KAFKA_AUTH", HG_SETTING_STR, S(kafka_auth), "none", 0, 0, 0,
      "Kafka authentication: none (plain or whatever --kafka sets) or msk-iam (Amazon MSK IAM via OAUTHBEARER; region from AWS_REGION)." },
    { "topic", "HOOKGATE_TOPIC", HG_SETTING_STR, S(topic), "slack.events", 0, 0, 0,
      "Topic the gateway writes records to." },
    { "group", "HOOKGATE_GROUP", HG_SETTING_STR, S(group), "hookgate-consumer", 0, 0, 0,
      "Consumer group id of the workers." },
    { "tables", "HOOKGATE_TABLES", HG_SETTING_STR, S(tables), NULL, 0, 0, 0,
      "Table configs: a directory or s3://bucket/prefix/." },
    { "s3-bucket", "HOOKGATE_S3_BUCKET", HG_SETTING_STR, S(s3_bucket), NULL, 0, 0, 0,
      "Bucket that receives validated CSVs and hookgate's markers." },
    { "s3-prefix", "HOOKGATE_S3_PREFIX", HG_SETTING_STR, S(s3_prefix), "", 0, 0, 0,
      "Key prefix inside the bucket: letters, digits, _ . - = /; no \"..\", \"//\" or \".\" segment." },
    { "slack-bot-token", "HOOKGATE_SLACK_BOT_TOKEN", HG_SETTING_STR, S(slack_bot_token), NULL, 0, 0,
      HG_SETTING_F_SECRET, "Slack bot token (xoxb-...); prefer the _FILE form." },
    { "slack-bot-token-file", "HOOKGATE_SLACK_BOT_TOKEN_FILE", HG_SETTING_STR, S(slack_bot_token_file),
      NULL, 0, 0, 0, "File holding the Slack bot token." },
    { "slack-api-url", "HOOKGATE_SLACK_API_URL", HG_SETTING_STR, S(slack_api_url),
      "https://slack.com/api", 0, 0, 0, "Base URL of the Slack Web API (https; plain http only to a loopback host, since every call carries the bot token)." },
    { "slack-channel", "HOOKGATE_SLACK_CHANNEL", HG_SETTING_STR, S(slack_channel), NULL, 0, 0, 0,
      "Channel ID (C..., G... or D...) for result messages of tables without options.notify_channel (default: the file's channel)." },
    { "dlq-topic", "HOOKGATE_DLQ_TOPIC", HG_SETTING_STR, S(dlq_topic), NULL, 0, 0, 0,
      "Dead-letter topic (default <topic>.dlq); must differ from the topic." },
    { "admin-listen", "HOOKGATE_ADMIN_LISTEN", HG_SETTING_STR, S(admin_listen), "", 0, 0, 0,
      "host:port for /healthz and /metrics; empty disables it." },
    { "log-level", "HOOKGATE_LOG_LEVEL", HG_SETTING_STR, S(log_level), "info", 0, 0, 0,
      "debug, info, warn or error." },
    { "tmp-dir", "HOOKGATE_TMP_DIR", HG_SETTING_STR, S(tmp_dir), "/tmp", 0, 0, 0,
      "Directory for the normalised CSV while it is uploaded (run, replay and doctor check at start that a file can be created there)." },
    { "retry-max-attempts", "HOOKGATE_RETRY_MAX_ATTEMPTS", HG_SETTING_INT, S(retry_max_attempts),
      "8", 1, 1000, 0, "Attempts of a transiently failing record before it is dead-lettered." },
    { "retry-base-ms", "HOOKGATE_RETRY_BASE_MS", HG_SETTING_INT, S(retry_base_ms),
      "500", 1, 3600000, 0, "First backoff cap; doubles each attempt (full jitter)." },
    { "retry-max-ms", "HOOKGATE_RETRY_MAX_MS", HG_SETTING_INT, S(retry_max_ms),
      "60000", 1, 86400000, 0, "Ceiling of the backoff cap." },
    { "http-timeout-ms", "HOOKGATE_HTTP_TIMEOUT_MS", HG_SETTING_INT, S(http_timeout_ms),
      "30000", 100, 3600000, 0, "Timeout of one Slack/S3/Glue request; for a file's download, the longest stall (a large file takes as long as it needs; uploads go in 8 MiB parts, each one request)." },
    { "max-file-bytes", "HOOKGATE_MAX_FILE_BYTES", HG_SETTING_INT, S(max_file_bytes),
      "5368709120", 1, 5368709120LL, 0, "Largest Slack file processed, in bytes (larger ones end in one ERROR)." },
    { "poll-ms", "HOOKGATE_POLL_MS", HG_SETTING_INT, S(poll_ms),
      "200", 1, 10000, 0, "Longest wait in one consumer poll." },
    { "partition", NULL, HG_SETTING_INT, S(partition), "-1", -1, 100000, 0,
      "replay: the partition to reprocess (-1 = every partition, time ranges only)." },
    { "from-offset", NULL, HG_SETTING_STR, S(from_offset), NULL, 0, 0, 0,
      "replay: first offset to reprocess." },
    { "to-offset", NULL, HG_SETTING_STR, S(to_offset), NULL, 0, 0, 0,
      "replay: last offset to reprocess (inclusive; default: the end)." },
    { "from-time", NULL, HG_SETTING_STR, S(from_time), NULL, 0, 0, 0,
      "replay: reprocess records from this time (RFC 3339 with Z or an offset, or epoch ms)." },
    { "to-time", NULL, HG_SETTING_STR, S(to_time), NULL, 0, 0, 0,
      "replay: ... up to this time (default: the end)." },
    { "limit", NULL, HG_SETTING_INT, S(limit), "0", 0, 100000000, 0,
      "replay/redrive: stop after this many records (0 = no limit)." },
    { "dry-run", NULL, HG_SETTING_BOOL, S(dry_run), "false", 0, 0, 0,
      "replay: validate and report without side effects; redrive: list only." },
};
const size_t hgc_settings_count = sizeof hgc_settings_table / sizeof hgc_settings_table[0];

static int need_set(const char *v, const char *flag, const char *env, char *errstr, size_t n)
{
    if (v && *v)
        return 0;
    snprintf(errstr, n, "setting %s (--%s) is required", env, flag);
    return -1;
}

static void strip_slashes(char *p)
{
    size_t n = strlen(p), i = 0;
    while (i < n && p[i] == '/')
        i++;
    memmove(p, p + i, n - i + 1);
    n -= i;
    while (n > 0 && p[n - 1] == '/')
        p[--n] = '\0';
}

/* The flags only some commands read (they have no variable): given to
 * another command they were ignored — "run --dry-run" ran a real worker,
 * "redrive --from-offset 7" redrove whatever came first. Returns 0, or -1
 * with errstr naming the flag, its commands and what cmd does instead. */
static int command_flags_check(const struct hgc_settings *s, const char *cmd, char *errstr,
                               size_t errstr_size)
{
    const struct { const char *flag, *owner; bool given; } f[] = {
        { "--partition", "replay", s->partition != -1 },
        { "--from-offset", "replay", s->from_offset != NULL },
        { "--to-offset", "replay", s->to_offset != NULL },
        { "--from-time", "replay", s->from_time != NULL },
        { "--to-time", "replay", s->to_time != NULL },
        { "--limit", "replay and redrive", s->limit != 0 },
        { "--dry-run", "replay and redrive", s->dry_run },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (!f[i].given || !strcmp(cmd, "replay") ||
            (!strcmp(cmd, "redrive") && strstr(f[i].owner, "redrive")))
            continue;
        const char *instead =
            !strcmp(cmd, "redrive") ? "redrive takes every record after the group's committed "
                                      "offsets (<group>.redrive; narrow it with --limit N; see it "
                                      "first with --dry-run)"
            : !strcmp(cmd, "run") ? "run processes the topic from the group's committed offsets, "
                                    "with every side effect (use replay for a range, or replay "
                                    "--dry-run to look first)"
            : "it would be ignored";
        snprintf(errstr, errstr_size, "%s is a %s flag; %s", f[i].flag, f[i].owner, instead);
        return -1;
    }
    return 0;
}

int hgc_settings_load(struct hgc_settings *s, struct hg_kafka_props *props,
                      const char *cmd, int argc, char **argv, unsigned need,
                      int *positional, char *errstr, size_t errstr_size)
{
    int rc = -1;
    char *file = NULL;

    memset(s, 0, sizeof *s);
    memset(props, 0, sizeof *props);
    int r = hg_config_load(hgc_settings_table, hgc_settings_count, s, argc, argv, 1,
                           environ, props, positional, errstr, errstr_size);
    if (r == 1) {
        printf("usage: hookgate-consumer %s [options]\n\nsettings:\n", cmd);
        hg_config_usage(stdout, hgc_settings_table, hgc_settings_count);
        rc = 1;
        goto out;
    }
    if (r != 0 || command_flags_check(s, cmd, errstr, errstr_size) != 0)
        goto out;

    if (hg_log_level_parse(s->log_level, &s->log_min) != 0) {
        snprintf(errstr, errstr_size, "setting HOOKGATE_LOG_LEVEL: expected debug, info, warn or error");
        goto out;
    }
    if (!strcmp(s->kafka_auth, "msk-iam"))
        s->msk_iam = true;
    else if (strcmp(s->kafka_auth, "none") != 0) {
        snprintf(errstr, errstr_size, "setting HOOKGATE_KAFKA_AUTH (--kafka-auth): expected none or msk-iam");
        goto out;
    }
    if (s->slack_bot_token_file && *s->slack_bot_token_file) {
        if (s->slack_bot_token && *s->slack_bot_token) {
            snprintf(errstr, errstr_size,
                     "set only one of HOOKGATE_SLACK_BOT_TOKEN and HOOKGATE_SLACK_BOT_TOKEN_FILE");
            goto out;
        }
        size_t len = 0;
        char why[256];
        file = hg_config_read_file(s->slack_bot_token_file, HG_CONFIG_VALUE_MAX, &len,
                                   why, sizeof why);
        if (!file) {
            snprintf(errstr, errstr_size, "setting HOOKGATE_SLACK_BOT_TOKEN_FILE (--slack-bot-token-file): %s", why);
            goto out;
        }
        while (len > 0 && (file[len - 1] == '\n' || file[len - 1] == '\r' || file[len - 1] == ' '))
            file[--len] = '\0';
        free(s->slack_bot_token);
        s->slack_bot_token = file;
        file = NULL;
    }
    if (s->slack_bot_token) {
        for (const char *c = s->slack_bot_token; *c; c++)
            if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
                snprintf(errstr, errstr_size,
                         "setting HOOKGATE_SLACK_BOT_TOKEN: contains a space or control character");
                goto out;
            }
    }
    if (s->slack_channel && *s->slack_channel) {
        const char *why = hgc_channel_id_check(s->slack_channel);
        if (why) {
            snprintf(errstr, errstr_size, "setting HOOKGATE_SLACK_CHANNEL (--slack-channel): %s", why);
            goto out;
        }
    }
    bool dlq_derived = !s->dlq_topic || !*s->dlq_topic;
    if (dlq_derived) {
        size_t n = strlen(s->topic) + sizeof ".dlq";
        char *d = malloc(n);
        if (!d) {
            snprintf(errstr, errstr_size, "out of memory");
            goto out;
        }
        snprintf(d, n, "%s.dlq", s->topic);
        free(s->dlq_topic);
        s->dlq_topic = d;
    }
    /* Kafka refuses other names, and a dead-letter topic that is the topic
     * itself would feed every dead letter back to the worker. */
    if (!hg_kafka_topic_name_ok(s->topic)) {
        snprintf(errstr, errstr_size, "setting HOOKGATE_TOPIC (--topic): must be 1-%u letters, digits, "
                 "'.', '_' or '-' (a name Kafka accepts)", HG_KAFKA_TOPIC_MAX);
        goto out;
    }
    if (!hg_kafka_topic_name_ok(s->dlq_topic)) {
        snprintf(errstr, errstr_size, "setting HOOKGATE_DLQ_TOPIC (--dlq-topic): %s must be 1-%u "
                 "letters, digits, '.', '_' or '-' (a name Kafka accepts)%s",
                 dlq_derived ? "the default <topic>.dlq" : "the name", HG_KAFKA_TOPIC_MAX,
                 dlq_derived ? "; the topic is too long for it: set the dead-letter topic" : "");
        goto out;
    }
    if (!strcmp(s->topic, s->dlq_topic)) {
        snprintf(errstr, errstr_size, "setting HOOKGATE_DLQ_TOPIC (--dlq-topic): must differ from "
                 "HOOKGATE_TOPIC (every dead letter would come back to the worker)");
        goto out;
    }
    if (s->s3_prefix) {
        strip_slashes(s->s3_prefix);
        /* Every data key and marker key starts with it: one the key
         * builder cannot use would fail every file, blamed on its table. */
        const char *why = *s->s3_prefix ? hgc_s3_prefix_setting_check(s->s3_prefix) : NULL;
        if (why) {
            snprintf(errstr, errstr_size, "setting HOOKGATE_S3_PREFIX (--s3-prefix): %s", why);
            goto out;
        }
    }
    if (s->slack_api_url) {
        size_t n = strlen(s->slack_api_url);
        while (n > 0 && s->slack_api_url[n - 1] == '/')
            s->slack_api_url[--n] = '\0';
        if (!hgc_slack_url_may_carry_token(s->slack_api_url)) {
            snprintf(errstr, errstr_size, "setting HOOKGATE_SLACK_API_URL (--slack-api-url): must be "
                     "https (plain http only to a loopback host): every call carries the bot token");
            goto out;
        }
    }
    if (s->retry_base_ms > s->retry_max_ms) {
        snprintf(errstr, errstr_size, "setting HOOKGATE_RETRY_BASE_MS is larger than HOOKGATE_RETRY_MAX_MS");
        goto out;
    }
    if ((need & HGC_NEED_KAFKA) &&
        need_set(s->kafka_brokers, "kafka-brokers", "HOOKGATE_KAFKA_BROKERS", errstr, errstr_size))
        goto out;
    if ((need & HGC_NEED_SLACK) &&
        need_set(s->slack_bot_token, "slack-bot-token", "HOOKGATE_SLACK_BOT_TOKEN", errstr, errstr_size))
        goto out;
    if ((need & HGC_NEED_S3) &&
        need_set(s->s3_bucket, "s3-bucket", "HOOKGATE_S3_BUCKET", errstr, errstr_size))
        goto out;
    if ((need & HGC_NEED_TABLES) &&
        need_set(s->tables, "tables", "HOOKGATE_TABLES", errstr, errstr_size))
        goto out;
    rc = 0;
out:
    free(file);
    return rc;
}

void hgc_settings_cleanup(struct hgc_settings *s, struct hg_kafka_props *props)
{
    hg_config_cleanup(hgc_settings_table, hgc_settings_count, s);
    if (props)
        hg_kafka_props_cleanup(props);
}

int hgc_cmd_settings(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: hookgate-consumer settings\n");
        return 2;
    }
    hg_config_markdown(stdout, hgc_settings_table, hgc_settings_count);
    return 0;
}
