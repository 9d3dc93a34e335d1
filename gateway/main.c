/* main.c — hookgate: settings, the Kafka cluster to talk to (real, or the
 * embedded mock), metrics, the dedup set, then the server until SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/aws/creds.h"
#include "common/aws/msk_iam.h"
#include "gateway/acks.h"
#include "common/kafka.h"
#include "common/limits.h"
#include "common/log.h"
#include "gateway/dedup.h"
#include "gateway/gateway.h"
#include "gateway/server.h"

extern char **environ;

int main(int argc, char **argv)
{
    struct gw_config cfg;
    struct gw_app app;
    struct hg_kafka_mock *mock = NULL;
    char err[512];
    int rc = 2;
    enum hg_log_level level = HG_LOG_INFO;

    memset(&cfg, 0, sizeof cfg);
    memset(&app, 0, sizeof app);
    hg_log_setup("hookgate", HG_LOG_INFO);
    int lr = gw_config_load(&cfg, argc, argv, environ, err, sizeof err);
    if (lr == 1) {
        printf("usage: hookgate [--setting value ...] [--kafka PROPERTY=VALUE ...]\n\n");
        hg_config_usage(stdout, gw_settings_table, gw_settings_count);
        rc = 0;
        goto out;
    }
    if (lr != 0) {
        fprintf(stderr, "hookgate: %s\n", err);
        hg_log_error("config_invalid", "reason", err);
        goto out;
    }
    if (cfg.s.print_settings) {
        hg_config_markdown(stdout, gw_settings_table, gw_settings_count);
        rc = 0;
        goto out;
    }
    if (hg_log_level_parse(cfg.s.log_level, &level) != 0) {
        fprintf(stderr, "hookgate: setting --log-level / HOOKGATE_LOG_LEVEL: must be debug, info, warn or error\n");
        goto out;
    }
    hg_log_setup("hookgate", level);
    if (gw_acks_check_config(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "hookgate: %s\n", err);
        hg_log_error("config_invalid", "reason", err);
        goto out;
    }
    if (cfg.s.ack_timeout_ms >= HG_SLACK_ACK_DEADLINE_MS) {
        /* Slack waits 3 s for any 2xx: events are retried, interactions and
         * commands are not (protocols.md §1, https://docs.slack.dev/apis/events-api/) */
        char ms[24];
        snprintf(ms, sizeof ms, "%lld", cfg.s.ack_timeout_ms);
        hg_log_warn("ack_timeout_over_slack_deadline", "ack_timeout_ms", ms,
                    "warning", "Slack gives up on a request after 3 s: an event is then sent "
                    "again (one acknowledged late reaches the topic twice; consumers dedupe by "
                    "id), an interaction or slash command shows the user a timeout");
    }

    if (!cfg.s.brokers || !*cfg.s.brokers) {
        mock = hg_kafka_mock_start((int)cfg.s.embedded_brokers, cfg.s.sched_batch, err, sizeof err);
        if (!mock) {
            hg_log_error("startup_failed", "reason", err);
            goto out;
        }
        hg_log_warn("embedded_kafka",
                    "warning", "NO BROKERS CONFIGURED: using the embedded in-process mock Kafka cluster. "
                               "NOTHING IS PERSISTED; records vanish when hookgate exits, and each "
                               "partition keeps only its newest ~5 MiB. "
                               "Set --brokers / HOOKGATE_KAFKA_BROKERS for production.",
                    "bootstrap", hg_kafka_mock_bootstraps(mock));
        if (cfg.s.bootstrap_file &&
            hg_kafka_mock_write_bootstrap(mock, cfg.s.bootstrap_file, err, sizeof err) != 0) {
            hg_log_error("startup_failed", "reason", err);
            goto out;
        }
        app.bootstraps = strdup(hg_kafka_mock_bootstraps(mock));
    } else {
        app.bootstraps = strdup(cfg.s.brokers);
    }
    if (!app.bootstraps)
        goto out;
    if (cfg.msk_iam) {
        if (cfg.s.aws_region && *cfg.s.aws_region)
            snprintf(app.aws_region, sizeof app.aws_region, "%s", cfg.s.aws_region);
        else if (hg_aws_region_from_env(environ, app.aws_region, sizeof app.aws_region) != 0) {
            hg_log_error("config_invalid", "reason",
                         "--kafka-auth=msk-iam needs a region: set --aws-region / AWS_REGION");
            goto out;
        }
        app.aws_creds = hg_aws_creds_provider_from_env(environ, err, sizeof err);
        if (!app.aws_creds) {
            hg_log_error("config_invalid", "reason", err);
            goto out;
        }
        app.msk_iam = hg_msk_iam_create(app.aws_region, app.aws_creds, err, sizeof err);
        if (!app.msk_iam) {
            hg_log_error("config_invalid", "reason", err);
            goto out;
        }
        cfg.kafka.msk_iam = app.msk_iam;   /* every producer built from cfg.kafka gets it */
        hg_log_info("kafka_auth", "mode", "msk-iam", "region", app.aws_region);
    }
    app.cfg = &cfg;
    app.nthreads = cfg.nthreads;
    atomic_init(&app.draining, false);
    if (gw_metrics_init(&app.metrics) != 0 ||
        !(app.dedup = gw_dedup_create((size_t)cfg.s.dedup_size))) {
        hg_log_error("startup_failed", "reason", "out of memory");
        goto out;
    }
    rc = gw_server_run(&app);
out:
    gw_dedup_destroy(app.dedup);
    gw_metrics_cleanup(&app.metrics);
    free(app.bootstraps);
    hg_msk_iam_destroy(app.msk_iam);     /* after the producers (gw_server_run) */
    hg_aws_creds_provider_destroy(app.aws_creds);
    hg_kafka_mock_stop(mock);
    gw_config_cleanup(&cfg);
    return rc;
}
