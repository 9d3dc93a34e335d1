/* gw_config.h — the gateway's settings (one table: gw_config.c). */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "common/slack_sig.h"

struct gw_settings {
    char     *listen;
    char     *brokers;
    char     *topic;
    char     *signing_secrets;       /* secret */
    char     *signing_secrets_file;
    long long signature_max_age;
    long long threads;
    long long max_body;
    long long ack_timeout_ms;
    long long request_timeout_ms;
    long long keepalive_timeout_s;
    long long max_connections;
    long long max_inflight;
    long long max_buffered;        /* bytes: bodies being read + records waiting for Kafka */
    long long dedup_size;
    long long shutdown_grace_ms;
    long long retry_after_s;
    long long embedded_brokers;
    char     *bootstrap_file;
    char     *port_file;
    char     *kafka_auth;
    char     *aws_region;
    char     *log_level;
    bool      sched_batch;
    bool      print_settings;
};

/* Everything the gateway runs with, after loading and checking. */
struct gw_config {
    struct gw_settings      s;
    struct hg_kafka_props   kafka;
    struct hg_slack_secrets secrets;
    unsigned                nthreads;   /* resolved from s.threads */
    bool                    msk_iam;
};

extern const struct hg_setting gw_settings_table[];
extern const size_t gw_settings_count;

/* Load from argv and the environment and check cross-field rules (a
 * signing secret is required; the secrets file is read here). Returns 0,
 * 1 after printing --help, or -1 with errstr naming the setting. The
 * caller cleans up with gw_config_cleanup in every case. */
int gw_config_load(struct gw_config *c, int argc, char **argv, char **envp,
                   char *errstr, size_t errstr_size);
void gw_config_cleanup(struct gw_config *c);

#endif
