/* kafka.c — librdkafka configuration from settings, log routing, and the
 * embedded mock cluster. */
#include "common/kafka.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka_mock.h>

#include "common/aws/msk_iam.h"
#include "common/file_atomic.h"
#include "common/limits.h"
#include "common/log.h"

/* librdkafka log lines (syslog levels) into JSON-lines logging. Runs on
 * librdkafka's threads; hg_log is thread-safe. */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    enum hg_log_level l = level <= 3 ? HG_LOG_ERROR : level == 4 ? HG_LOG_WARN
                        : level <= 6 ? HG_LOG_INFO : HG_LOG_DEBUG;
    hg_log(l, "kafka_log", "client", rd_kafka_name(rk), "facility", fac, "message", buf,
           (const char *)NULL);
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                    const char *origin, char *errstr, size_t errstr_size)
{
    char why[256];
    rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, name, value, why, sizeof why);
    if (r == RD_KAFKA_CONF_OK)
        return 0;
    /* HOOKGATE_KAFKA_BROKER is the property "broker": say where brokers go. */
    bool brokerish = r == RD_KAFKA_CONF_UNKNOWN && (strstr(name, "broker") || strstr(name, "bootstrap"));
    /* Never echo the value: it may be a SASL password. */
    snprintf(errstr, errstr_size, "kafka property %s (%s): %s%s", name, origin, why,
             brokerish ? " (the brokers are set with HOOKGATE_KAFKA_BROKERS or its flag)" : "");
    return -1;
}

bool hg_kafka_topic_name_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > HG_KAFKA_TOPIC_MAX || !strcmp(t, ".") || !strcmp(t, ".."))
        return false;
    return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

rd_kafka_conf_t *hg_kafka_conf_new(const char *brokers,
                                   const char *const *defaults,
                                   const struct hg_kafka_props *props,
                                   char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    if (brokers && *brokers &&
        conf_set(conf, "bootstrap.servers", brokers, "brokers", errstr, errstr_size) != 0)
        goto fail;
    for (size_t i = 0; defaults && defaults[i] && defaults[i + 1]; i += 2)
        if (conf_set(conf, defaults[i], defaults[i + 1], "built-in default", errstr, errstr_size) != 0)
            goto fail;
    for (size_t i = 0; props && i < props->n; i++)
        if (conf_set(conf, props->name[i], props->value[i], "--kafka / HOOKGATE_KAFKA_*",
                     errstr, errstr_size) != 0)
            goto fail;
    if (props && props->msk_iam && hg_msk_iam_apply(props->msk_iam, conf, errstr, errstr_size) != 0)
        goto fail;
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static atomic_uint batch_refusals;

static rd_kafka_resp_err_t batch_on_thread_start(rd_kafka_t *rk, rd_kafka_thread_type_t type,
                                                 const char *name, void *opaque)
{
    (void)rk, (void)type, (void)name, (void)opaque;
    struct sched_param sp = { .sched_priority = 0 };
    if (sched_setscheduler(0, SCHED_BATCH, &sp) != 0)   /* this thread only (Linux) */
        atomic_fetch_add(&batch_refusals, 1);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t batch_on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *opaque,
                                        char *errstr, size_t errstr_size)
{
    (void)conf, (void)errstr, (void)errstr_size;
    return rd_kafka_interceptor_add_on_thread_start(rk, "hookgate-sched-batch", batch_on_thread_start,
                                                    opaque);
}

int hg_kafka_conf_batch_threads(rd_kafka_conf_t *conf, char *errstr, size_t errstr_size)
{
    rd_kafka_resp_err_t e =
        rd_kafka_conf_interceptor_add_on_new(conf, "hookgate-sched-batch", batch_on_new, NULL);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    snprintf(errstr, errstr_size, "kafka: cannot add the SCHED_BATCH thread interceptor: %s",
             rd_kafka_err2str(e));
    return -1;
}

unsigned hg_kafka_batch_refusals(void)
{
    return atomic_load(&batch_refusals);
}

rd_kafka_t *hg_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
                         const struct hg_kafka_props *props,
                         char *errstr, size_t errstr_size)
{
    char why[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, why, sizeof why);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errstr_size, "kafka %s: %s",
                 type == RD_KAFKA_PRODUCER ? "producer" : "consumer", why);
        return NULL;
    }
    if (props && props->msk_iam && hg_msk_iam_start(rk, errstr, errstr_size) != 0) {
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

struct hg_kafka_mock {
    rd_kafka_t *host;               /* the handle the cluster lives in */
    rd_kafka_mock_cluster_t *cluster;
    char *bootstraps;
};

struct hg_kafka_mock *hg_kafka_mock_start(int brokers, bool batch_threads, char *errstr, size_t errstr_size)
{
    struct hg_kafka_mock *m = calloc(1, sizeof *m);
    rd_kafka_conf_t *conf = NULL;
    char why[512];

    if (!m) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (brokers < 1)
        brokers = 1;
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    /* the host handle never connects anywhere: silence its "no bootstrap.servers" warning */
    if (rd_kafka_conf_set(conf, "client.id", "hookgate-embedded-cluster", why, sizeof why) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "3", why, sizeof why) != RD_KAFKA_CONF_OK)
        goto conf_fail;
    if (batch_threads && hg_kafka_conf_batch_threads(conf, why, sizeof why) != 0)
        goto conf_fail;
    m->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!m->host)
        goto conf_fail;
    conf = NULL; /* owned by m->host now */
    m->cluster = rd_kafka_mock_cluster_new(m->host, brokers);
    if (!m->cluster) {
        snprintf(errstr, errstr_size, "could not start the embedded mock Kafka cluster");
        goto fail;
    }
    m->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(m->cluster));
    if (!m->bootstraps) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    return m;
conf_fail:
    snprintf(errstr, errstr_size, "embedded Kafka cluster: %s", why);
    if (conf)
        rd_kafka_conf_destroy(conf);
fail:
    hg_kafka_mock_stop(m);
    return NULL;
}

const char *hg_kafka_mock_bootstraps(const struct hg_kafka_mock *m)
{
    return m->bootstraps;
}

struct rd_kafka_mock_cluster_s *hg_kafka_mock_cluster(struct hg_kafka_mock *m)
{
    return m->cluster;
}

int hg_kafka_mock_write_bootstrap(const struct hg_kafka_mock *m, const char *path,
                                  char *errstr, size_t errstr_size)
{
    size_t n = strlen(m->bootstraps);
    char *line = malloc(n + 1);
    if (!line) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    memcpy(line, m->bootstraps, n);
    line[n] = '\n';
    int rc = hg_file_write_atomic(path, line, n + 1, errstr, errstr_size);
    free(line);
    return rc;
}

void hg_kafka_mock_stop(struct hg_kafka_mock *m)
{
    if (!m)
        return;
    if (m->cluster)
        rd_kafka_mock_cluster_destroy(m->cluster);
    if (m->host)
        rd_kafka_destroy(m->host);
    free(m->bootstraps);
    free(m);
}
