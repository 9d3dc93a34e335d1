/* consumer_config.h — hookgate-consumer's settings: one table (flags and
 * HOOKGATE_* variables) shared by run, replay, redrive and doctor. */
#ifndef HGC_CONSUMER_CONFIG_H
#define HGC_CONSUMER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config.h"
#include "common/log.h"

struct hgc_settings {
    char *kafka_brokers;        /* required */
    char *kafka_auth;           /* "none" or "msk-iam" */
    char *topic;
    char *group;
    char *tables;               /* directory or s3://bucket/prefix/ */
    char *s3_bucket;
    char *s3_prefix;            /* "" or "a/b" (no leading/trailing '/') */
    char *slack_bot_token;      /* secret */
    char *slack_bot_token_file;
    char *slack_api_url;
    char *slack_channel;        /* for tables without notify_channel; else the file's channel */
    char *dlq_topic;            /* default <topic>.dlq */
    char *admin_listen;         /* host:port, empty = no admin server */
    char *log_level;
    char *tmp_dir;              /* where normalised CSVs are spooled */
    long long retry_max_attempts;
    long long retry_base_ms;
    long long retry_max_ms;
    long long http_timeout_ms;
    long long max_file_bytes;   /* refuse Slack files bigger than this */
    long long poll_ms;
    /* Command flags (no variables): replay and redrive. */
    long long partition;        /* -1 = all */
    char *from_offset, *to_offset;   /* text: checked by the command */
    char *from_time, *to_time;       /* RFC 3339 or epoch ms */
    long long limit;            /* redrive/replay: stop after this many records, 0 = no limit */
    bool dry_run;
    enum hg_log_level log_min;  /* parsed log_level */
    bool msk_iam;               /* kafka_auth is msk-iam */
};

extern const struct hg_setting hgc_settings_table[];
extern const size_t hgc_settings_count;

/* Load settings for subcommand `cmd` from argv[1..] and the environment,
 * then derive: the token from _FILE when given (trailing newline removed;
 * both set is an error), dlq_topic = "<topic>.dlq" when unset, the prefix
 * without leading/trailing '/', the log level. need_* say which settings
 * this command requires (an error names the missing one). Returns 0, 1 for
 * --help (usage printed to stdout), -1 with errstr (never a secret's value).
 * *positional gets the index of the first non-flag argument. The caller
 * frees s and props with hgc_settings_cleanup, also after an error. */
#define HGC_NEED_KAFKA  0x1u
#define HGC_NEED_SLACK  0x2u
#define HGC_NEED_S3     0x4u
#define HGC_NEED_TABLES 0x8u
int hgc_settings_load(struct hgc_settings *s, struct hg_kafka_props *props,
                      const char *cmd, int argc, char **argv, unsigned need,
                      int *positional, char *errstr, size_t errstr_size);
void hgc_settings_cleanup(struct hgc_settings *s, struct hg_kafka_props *props);

#endif
