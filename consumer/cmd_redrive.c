/* cmd_redrive.c — `hookgate-consumer redrive`: put dead-lettered records
 * back on their source topic (header hookgate-dlq-source-topic, else
 * HOOKGATE_TOPIC) with their original key, value and headers, committing
 * the DLQ offsets under "<group>.redrive" so each record is redriven once.
 * Stops at the end of the DLQ as it was when the command started. The
 * worker's markers make the reprocessing idempotent. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka.h"
#include "common/log.h"
#include "consumer/commands.h"
#include "consumer/consumer_config.h"
#include "consumer/dlq.h"
#include "consumer/services.h"
#include "consumer/worker.h"

static volatile sig_atomic_t redrive_stop;

static void on_signal(int sig)
{
    redrive_stop = 1;
}

/* A header value as a NUL-terminated string in out, or "" when absent. */
static void header_str(rd_kafka_headers_t *h, const char *name, char *out, size_t out_size)
{
    const void *v = NULL;
    size_t n = 0;
    out[0] = '\0';
    if (h && rd_kafka_header_get_last(h, name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR && v) {
        if (n >= out_size)
            n = out_size - 1;
        memcpy(out, v, n);
        out[n] = '\0';
    }
}

/* The record's headers without the hookgate-dlq-* ones, plus where it was
 * redriven from. Returns a new list (caller destroys) or NULL. */
static rd_kafka_headers_t *redrive_headers(rd_kafka_headers_t *h, const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *out = rd_kafka_headers_new(8);
    const char *name;
    const void *v;
    size_t n;
    char from[128];
    if (!out)
        return NULL;
    /* an earlier redrive's provenance is replaced, not stacked */
    for (size_t i = 0; h && rd_kafka_header_get_all(h, i, &name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
        if (strncmp(name, "hookgate-dlq-", 13) && strcmp(name, "hookgate-redriven-from"))
            rd_kafka_header_add(out, name, -1, v, (ssize_t)n);
    snprintf(from, sizeof from, "%s/%" PRId32 "/%" PRId64, rd_kafka_topic_name(m->rkt), m->partition,
             m->offset);
    rd_kafka_header_add(out, "hookgate-redriven-from", -1, from, -1);
    return out;
}

int hgc_cmd_redrive(int argc, char **argv)
{
    int rc = 2;
    char errstr[512];
    struct hgc_settings s;
    struct hg_kafka_props props;
    struct hgc_services svc;
    struct hgc_dlq *out = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    int64_t *ends = NULL;
    int pos = 0;

    memset(&svc, 0, sizeof svc);
    int r = hgc_settings_load(&s, &props, "redrive", argc, argv, HGC_NEED_KAFKA, &pos, errstr,
                              sizeof errstr);
    if (r == 1) {
        printf("\nredrive: [--dlq-topic T] [--limit N] [--dry-run]\n");
        rc = 0;
        goto out;
    }
    if (r != 0 || pos < argc) {
        fprintf(stderr, "hookgate-consumer redrive: %s\n", r ? errstr : "unexpected argument");
        goto out;
    }
    hg_log_setup("hookgate-consumer", s.log_min);
    if (hgc_services_open(&svc, &s, &props, 0, errstr, sizeof errstr)) {
        fprintf(stderr, "hookgate-consumer redrive: %s\n", errstr);
        goto out;
    }
    rk = hgc_worker_tool_consumer(&s, &props, ".redrive", errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "hookgate-consumer redrive: consumer: %s\n", errstr);
        goto out;
    }
    if (!s.dry_run) {
        out = hgc_dlq_create(s.kafka_brokers, &props, s.topic, errstr, sizeof errstr);
        if (!out) {
            fprintf(stderr, "hookgate-consumer redrive: producer: %s\n", errstr);
            goto out;
        }
    }

    int nparts = hgc_worker_partition_count(rk, s.dlq_topic, errstr, sizeof errstr);
    if (nparts < 0) {
        fprintf(stderr, "hookgate-consumer redrive: %s\n", errstr);
        goto out;
    }
    parts = rd_kafka_topic_partition_list_new(nparts);
    ends = calloc((size_t)nparts + 1, sizeof *ends);
    if (!parts || !ends)
        goto out;
    for (int p = 0; p < nparts; p++)
        rd_kafka_topic_partition_list_add(parts, s.dlq_topic, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, parts, 10000);
    if (e) {
        fprintf(stderr, "hookgate-consumer redrive: committed offsets: %s\n", rd_kafka_err2str(e));
        goto out;
    }
    int active = 0;
    for (int p = 0; p < nparts; p++) {
        int64_t lo = 0, hi = 0;
        e = rd_kafka_query_watermark_offsets(rk, s.dlq_topic, p, &lo, &hi, 10000);
        if (e) {
            fprintf(stderr, "hookgate-consumer redrive: watermarks: %s\n", rd_kafka_err2str(e));
            goto out;
        }
        ends[p] = hi;   /* -1 once the partition is done */
        if (parts->elems[p].offset < lo)
            parts->elems[p].offset = lo;
        if (parts->elems[p].offset < hi)
            active++;
        else
            ends[p] = -1;
    }
    if (active && (e = rd_kafka_assign(rk, parts))) {
        fprintf(stderr, "hookgate-consumer redrive: assign: %s\n", rd_kafka_err2str(e));
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    long long n = 0;
    int failed = 0;
    while (active > 0 && !redrive_stop && (s.limit == 0 || n < s.limit)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                hg_log_warn("consumer_error", "error", rd_kafka_message_errstr(m));
            /* the end of the partition: done with it even when its last
             * offset never came (a transaction marker, compaction) */
            else if (m->partition >= 0 && m->partition < nparts && ends[m->partition] >= 0) {
                ends[m->partition] = -1;
                active--;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->partition < 0 || m->partition >= nparts || m->offset >= ends[m->partition]) {
            rd_kafka_message_destroy(m);
            continue;
        }
        rd_kafka_headers_t *h = NULL;
        char topic[256], step[64], reason[256];
        rd_kafka_message_headers(m, &h);
        header_str(h, HGC_DLQ_H_TOPIC, topic, sizeof topic);
        header_str(h, HGC_DLQ_H_STEP, step, sizeof step);
        header_str(h, HGC_DLQ_H_REASON, reason, sizeof reason);
        const char *dest = topic[0] ? topic : s.topic;
        printf("%s %s/%" PRId32 "/%" PRId64 " -> %s (failed at %s: %s)\n",
               s.dry_run ? "would redrive" : "redrive", s.dlq_topic, m->partition, m->offset, dest,
               step[0] ? step : "?", reason);
        fflush(stdout);
        if (!s.dry_run) {
            rd_kafka_headers_t *nh = redrive_headers(h, m);
            int pr = nh ? hgc_dlq_produce_sync(out, dest, m->key, m->key_len, m->payload, m->len, nh,
                                               30000, errstr, sizeof errstr)
                        : -1;
            if (nh)
                rd_kafka_headers_destroy(nh);
            if (pr != 0) {
                fprintf(stderr, "hookgate-consumer redrive: %s\n", nh ? errstr : "out of memory");
                failed = 1;
                rd_kafka_message_destroy(m);
                break;
            }
            rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(c, s.dlq_topic, m->partition)->offset = m->offset + 1;
            e = rd_kafka_commit(rk, c, 0);
            rd_kafka_topic_partition_list_destroy(c);
            if (e) {
                fprintf(stderr, "hookgate-consumer redrive: commit: %s (the record may be redriven "
                                "again; the worker's markers keep that harmless)\n", rd_kafka_err2str(e));
                failed = 1;
            }
        }
        n++;
        if (m->offset + 1 >= ends[m->partition]) {
            ends[m->partition] = -1;   /* done */
            active--;
        }
        rd_kafka_message_destroy(m);
    }
    printf("%s %lld record(s) from %s\n", s.dry_run ? "would redrive" : "redrove", n, s.dlq_topic);
    rc = failed || redrive_stop ? 1 : 0;
out:
    if (rk) {
        rd_kafka_assign(rk, NULL);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    free(ends);
    hgc_dlq_destroy(out);
    hgc_services_close(&svc);
    hgc_settings_cleanup(&s, &props);
    return rc;
}
