/* cmd_run.c — `hookgate-consumer run`: settings → clients → admin port →
 * worker loop until SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/metrics.h"
#include "consumer/admin.h"
#include "consumer/commands.h"
#include "consumer/consumer_config.h"
#include "consumer/dlq.h"
#include "consumer/pipeline.h"
#include "consumer/services.h"
#include "consumer/worker.h"

static volatile sig_atomic_t run_stop;

static void on_signal(int sig)
{
    run_stop = 1;
}

int hgc_cmd_run(int argc, char **argv)
{
    int rc = 2;
    char errstr[512];
    struct hgc_settings s;
    struct hg_kafka_props props;
    struct hgc_services svc;
    struct hg_metrics *reg = NULL;
    struct hgc_worker_metrics wm;
    struct hgc_admin *admin = NULL;
    struct hgc_dlq *dlq = NULL;
    struct hgc_worker *w = NULL;
    struct hgc_pipeline pipe;
    int pos = 0;

    memset(&svc, 0, sizeof svc);
    int r = hgc_settings_load(&s, &props, "run", argc, argv,
                              HGC_NEED_KAFKA | HGC_NEED_SLACK | HGC_NEED_S3 | HGC_NEED_TABLES,
                              &pos, errstr, sizeof errstr);
    if (r == 1) {
        rc = 0;
        goto out;
    }
    if (r != 0 || pos < argc) {
        fprintf(stderr, "hookgate-consumer run: %s\n", r ? errstr : "unexpected argument");
        goto out;
    }
    hg_log_setup("hookgate-consumer", s.log_min);
    if (hgc_pipeline_spool_check(s.tmp_dir, errstr, sizeof errstr)) {
        fprintf(stderr, "hookgate-consumer run: setting HOOKGATE_TMP_DIR (--tmp-dir): %s\n", errstr);
        goto out;
    }
    if (hgc_services_open(&svc, &s, &props, HGC_SVC_SLACK | HGC_SVC_AWS, errstr, sizeof errstr)) {
        fprintf(stderr, "hookgate-consumer run: %s\n", errstr);
        goto out;
    }
    reg = hg_metrics_create();
    if (!reg || hgc_worker_metrics_init(&wm, reg)) {
        fprintf(stderr, "hookgate-consumer run: out of memory\n");
        goto out;
    }
    hgc_services_pipeline(&svc, &s, &pipe);
    memcpy(pipe.step_latency, wm.step, sizeof pipe.step_latency);
    dlq = hgc_dlq_create(s.kafka_brokers, &props, s.dlq_topic, errstr, sizeof errstr);
    if (!dlq) {
        fprintf(stderr, "hookgate-consumer run: dead-letter producer: %s\n", errstr);
        goto out;
    }
    w = hgc_worker_create(&s, &props, &pipe, dlq, &wm, errstr, sizeof errstr);
    if (!w) {
        fprintf(stderr, "hookgate-consumer run: consumer: %s\n", errstr);
        goto out;
    }
    if (s.admin_listen && *s.admin_listen) {
        /* Unhealthy once the loop has not polled for max.poll.interval.ms
         * (900 s): librdkafka has left the group by then. */
        admin = hgc_admin_start(s.admin_listen, reg, wm.last_poll, 900, errstr, sizeof errstr);
        if (!admin) {
            fprintf(stderr, "hookgate-consumer run: %s\n", errstr);
            goto out;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = hgc_worker_run(w, &run_stop) == 0 ? 0 : 1;
out:
    hgc_admin_stop(admin);
    hgc_worker_destroy(w);
    hgc_dlq_destroy(dlq);
    hg_metrics_destroy(reg);
    hgc_services_close(&svc);
    hgc_settings_cleanup(&s, &props);
    return rc;
}
