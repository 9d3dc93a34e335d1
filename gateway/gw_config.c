/* gw_config.c — the gateway's one table of settings and its checks. */
#include "gateway/gw_config.h"

#include <stddef.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kafka.h"
#include "common/limits.h"

#define S(field) offsetof(struct gw_settings, field)

const struct hg_setting gw_settings_table[] = {
    { "listen", "HOOKGATE_LISTEN", HG_SETTING_STR, S(listen), "0.0.0.0:8080", 0, 0, 0,
      "Address and port to serve HTTP on (HOST:PORT; port 0 picks a free one)." },
    { "brokers", "HOOKGATE_KAFKA_BROKERS", HG_SETTING_STR, S(brokers), NULL, 0, 0, 0,
      "Kafka bootstrap servers (host:port,...). Empty: start the embedded in-process mock cluster (nothing is persisted, and it keeps only the newest ~5 MiB of each partition, dropping older records)." },
    { "topic", "HOOKGATE_TOPIC", HG_SETTING_STR, S(topic), "slack.events", 0, 0, 0,
      "Kafka topic the records are written to." },
    { "signing-secret", "HOOKGATE_SIGNING_SECRETS", HG_SETTING_STR, S(signing_secrets), NULL, 0, 0,
      HG_SETTING_F_SECRET,
      "Slack signing secret(s), comma-separated; several are accepted at once for rotation." },
    { "signing-secrets-file", "HOOKGATE_SIGNING_SECRETS_FILE", HG_SETTING_STR, S(signing_secrets_file),
      NULL, 0, 0, 0,
      "File holding signing secrets, one per line (added to --signing-secret)." },
    { "signature-max-age", "HOOKGATE_SIGNATURE_MAX_AGE", HG_SETTING_INT, S(signature_max_age), "300",
      0, 86400, 0,
      "Seconds a request timestamp may differ from now; 0 disables the window (replaying captured traffic)." },
    { "threads", "HOOKGATE_THREADS", HG_SETTING_INT, S(threads), "0", 0, 256, 0,
      "Event-loop threads, each with its own SO_REUSEPORT listener and producer; 0 = one per core." },
    { "max-body", "HOOKGATE_MAX_BODY", HG_SETTING_INT, S(max_body), "1048576", 1024,
      HG_HTTP_MAX_BODY_CEILING, 0,
      "Largest request body accepted, in bytes (413 above it)." },
    { "ack-timeout-ms", "HOOKGATE_ACK_TIMEOUT_MS", HG_SETTING_INT, S(ack_timeout_ms), "2500", 200, 60000, 0,
      "Longest wait for Kafka's delivery report before answering 503 (keep it under Slack's 3 s: 3000 or more is warned about at start)." },
    { "request-timeout-ms", "HOOKGATE_REQUEST_TIMEOUT_MS", HG_SETTING_INT, S(request_timeout_ms), "10000",
      100, 600000, 0,
      "Time a client has to send a whole request once it started one (slow clients are cut off)." },
    { "keepalive-timeout", "HOOKGATE_KEEPALIVE_TIMEOUT", HG_SETTING_INT, S(keepalive_timeout_s), "75",
      1, 3600, 0,
      "Seconds an idle keep-alive connection is kept; keep it above the ALB idle timeout (60 s)." },
    { "max-connections", "HOOKGATE_MAX_CONNECTIONS", HG_SETTING_INT, S(max_connections), "10000", 1,
      1000000, 0,
      "Open client connections per thread; further connections are closed at once." },
    { "max-inflight", "HOOKGATE_MAX_INFLIGHT", HG_SETTING_INT, S(max_inflight), "10000", 1, 1000000, 0,
      "Records per thread waiting for Kafka; above it requests get 503 at once (bounds memory)." },
    { "max-buffered-bytes", "HOOKGATE_MAX_BUFFERED_BYTES", HG_SETTING_INT, S(max_buffered), "268435456",
      65536, 1LL << 40, 0,
      "Bytes the whole process may hold in request bodies being received and records waiting for Kafka; a request that would go over gets 503 with Retry-After (at least 8 x --max-body + 64 KiB)." },
    { "dedup-size", "HOOKGATE_DEDUP_SIZE", HG_SETTING_INT, S(dedup_size), "100000", 0, 10000000, 0,
      "Recently acknowledged Slack event ids remembered to answer retries without a second record (0 disables)." },
    { "shutdown-grace-ms", "HOOKGATE_SHUTDOWN_GRACE_MS", HG_SETTING_INT, S(shutdown_grace_ms), "0", 0,
      600000, 0,
      "After SIGTERM, keep serving this long with /readyz at 503 (let the load balancer drain) before closing." },
    { "retry-after", "HOOKGATE_RETRY_AFTER", HG_SETTING_INT, S(retry_after_s), "1", 0, 3600, 0,
      "Retry-After seconds sent with 503 answers." },
    { "embedded-brokers", "HOOKGATE_EMBEDDED_BROKERS", HG_SETTING_INT, S(embedded_brokers), "1", 1, 9, 0,
      "Brokers in the embedded mock cluster (used only when no brokers are configured)." },
    { "bootstrap-file", "HOOKGATE_BOOTSTRAP_FILE", HG_SETTING_STR, S(bootstrap_file), NULL, 0, 0, 0,
      "Write the embedded cluster's bootstrap address to this file, for other programs to connect (replaced at once: a regular file or a new path)." },
    { "port-file", "HOOKGATE_PORT_FILE", HG_SETTING_STR, S(port_file), NULL, 0, 0, 0,
      "Write the bound HTTP port to this file once listening (useful with port 0; replaced at once: a regular file or a new path)." },
    { "kafka-auth", "HOOKGATE_KAFKA_AUTH", HG_SETTING_STR, S(kafka_auth), "none", 0, 0, 0,
      "Kafka authentication: none (plain or whatever --kafka sets) or msk-iam (Amazon MSK IAM via OAUTHBEARER)." },
    { "aws-region", "AWS_REGION", HG_SETTING_STR, S(aws_region), NULL, 0, 0, 0,
      "AWS region, for --kafka-auth=msk-iam." },
    { "log-level", "HOOKGATE_LOG_LEVEL", HG_SETTING_STR, S(log_level), "info", 0, 0, 0,
      "Minimum log level: debug, info, warn or error." },
    { "sched-batch", "HOOKGATE_SCHED_BATCH", HG_SETTING_BOOL, S(sched_batch), "true", 0, 0, 0,
      "Run librdkafka's threads (and the embedded cluster's) under Linux SCHED_BATCH: woken by a record to send, a broker thread waits for the busy HTTP loop instead of preempting it, while the loops keep the default policy and still preempt them. false: the default policy for all." },
    { "print-settings", "HOOKGATE_PRINT_SETTINGS", HG_SETTING_BOOL, S(print_settings), "false", 0, 0, 0,
      "Print the settings table as Markdown and exit (used to check the README)." },
};
const size_t gw_settings_count = sizeof gw_settings_table / sizeof gw_settings_table[0];

/* Kafka's topic names: 1-249 of [a-zA-Z0-9._-], not "." or "..". Another
 * name (a space or stray character from an environment file) starts fine
 * and then has every record refused by the brokers. */
/* With no brokers set the gateway starts its embedded cluster, which
 * persists nothing: a misspelt broker variable (HOOKGATE_BROKERS,
 * HOOKGATE_BOOTSTRAP_SERVERS) would have every acknowledged record lost.
 * Such a name, one no setting has, is refused when no brokers are set. */
static int broker_env_misspelt(char **envp, char *errstr, size_t errstr_size)
{
    static const char prefix[] = "HOOKGATE_";
    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        size_t nlen = eq ? (size_t)(eq - *e) : strlen(*e);
        if (nlen <= sizeof prefix - 1 || strncmp(*e, prefix, sizeof prefix - 1) != 0)
            continue;
        char name[128];
        if (nlen >= sizeof name)
            continue;
        memcpy(name, *e, nlen);
        name[nlen] = '\0';
        if (!strstr(name, "BROKER") && !strstr(name, "BOOTSTRAP"))
            continue;
        bool known = false;
        for (size_t i = 0; i < gw_settings_count && !known; i++)
            known = gw_settings_table[i].env && !strcmp(gw_settings_table[i].env, name);
        if (known || !strncmp(name, "HOOKGATE_KAFKA_", 15))   /* HOOKGATE_KAFKA_*: Kafka properties */
            continue;
        snprintf(errstr, errstr_size,
                 "%s is set but is no setting (the brokers are HOOKGATE_KAFKA_BROKERS or --brokers); "
                 "with no brokers hookgate would start its embedded Kafka cluster, which persists nothing",
                 name);
        return -1;
    }
    return 0;
}

int gw_config_load(struct gw_config *c, int argc, char **argv, char **envp,
                   char *errstr, size_t errstr_size)
{
    int positional = 0;
    int rc = hg_config_load(gw_settings_table, gw_settings_count, &c->s, argc, argv, 1, envp,
                            &c->kafka, &positional, errstr, errstr_size);
    if (rc != 0)
        return rc;
    if (positional < argc) {
        snprintf(errstr, errstr_size, "unexpected argument \"%s\"", argv[positional]);
        return -1;
    }
    if (c->s.print_settings)
        return 0;
    if ((!c->s.brokers || !*c->s.brokers) && broker_env_misspelt(envp, errstr, errstr_size) != 0)
        return -1;
    if (c->s.signing_secrets && hg_slack_secrets_add_list(&c->secrets, c->s.signing_secrets) < 0) {
        snprintf(errstr, errstr_size,
                 "setting --signing-secret / HOOKGATE_SIGNING_SECRETS: each secret must be 1-%u bytes, at most %u secrets",
                 HG_SLACK_SECRET_MAX_LEN, HG_SLACK_MAX_SECRETS);
        return -1;
    }
    if (c->s.signing_secrets_file) {
        size_t len;
        char why[256];
        char *text = hg_config_read_file(c->s.signing_secrets_file, 64 * 1024, &len, why, sizeof why);
        if (!text) {
            snprintf(errstr, errstr_size,
                     "setting --signing-secrets-file / HOOKGATE_SIGNING_SECRETS_FILE: %s", why);
            return -1;
        }
        int n = hg_slack_secrets_add_list(&c->secrets, text);
        /* wipe the file contents before freeing */
        memset(text, 0, len);
        free(text);
        if (n < 0) {
            snprintf(errstr, errstr_size,
                     "setting --signing-secrets-file: each secret must be 1-%u bytes, at most %u secrets in all",
                     HG_SLACK_SECRET_MAX_LEN, HG_SLACK_MAX_SECRETS);
            return -1;
        }
    }
    if (c->secrets.n == 0) {
        snprintf(errstr, errstr_size,
                 "no Slack signing secret: set --signing-secret / HOOKGATE_SIGNING_SECRETS or --signing-secrets-file");
        return -1;
    }
    if (!hg_kafka_topic_name_ok(c->s.topic)) {
        snprintf(errstr, errstr_size,
                 "setting --topic / HOOKGATE_TOPIC: must be 1-249 letters, digits, '.', '_' or '-' "
                 "(a name Kafka accepts)");
        return -1;
    }
    /* The largest request must fit, and then its record (the body's bytes
     * go back before the record takes its own): an envelope is at most 4/3
     * of its body plus 64 KiB of fields (gw_routes_body_cap), a record at
     * most 6 times the body (escaped form fields) plus 64 KiB. */
    long long need = 8 * c->s.max_body + 64 * 1024;
    if (c->s.max_buffered < need) {
        snprintf(errstr, errstr_size,
                 "setting --max-buffered-bytes / HOOKGATE_MAX_BUFFERED_BYTES: must be at least 8 x "
                 "--max-body + 64 KiB (%lld), so that the largest request and its record fit", need);
        return -1;
    }
    if (!strcmp(c->s.kafka_auth, "msk-iam"))
        c->msk_iam = true;
    else if (strcmp(c->s.kafka_auth, "none") != 0) {
        snprintf(errstr, errstr_size, "setting --kafka-auth / HOOKGATE_KAFKA_AUTH: must be none or msk-iam");
        return -1;
    }
    if (c->s.threads == 0) {
        /* the cores this process may run on (taskset, cpusets), not the host's */
        cpu_set_t set;
        long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                            : sysconf(_SC_NPROCESSORS_ONLN);
        c->nthreads = n > 0 ? (unsigned)(n > 256 ? 256 : n) : 1;
    } else {
        c->nthreads = (unsigned)c->s.threads;
    }
    return 0;
}

void gw_config_cleanup(struct gw_config *c)
{
    hg_config_cleanup(gw_settings_table, gw_settings_count, &c->s);
    hg_kafka_props_cleanup(&c->kafka);
    hg_slack_secrets_cleanup(&c->secrets);
}
