/* produce_loop.c — hookgate-produce-loop: librdkafka alone, driven the way
 * the gateway drives it, for the gateway benchmark. One thread keeps N
 * records in flight: each poll pass serves the delivery reports that came
 * and produces as many new records together (rd_kafka_produce_batch), as a
 * gateway loop pass does for the requests its reports answered. The
 * producer starts from the gateway's own defaults (gateway/
 * producer_defaults.h), so the two cannot drift apart. Records are the size
 * of the benchmark's records, keyed team:channel over 200 channels.
 *
 * Prints one line: records/s and the CPU time a record took (user + system
 * of every thread of the process, getrusage), after a one-second warm-up.
 * What a gateway on this producer spends per request beyond its HTTP work
 * cannot be less than that.
 *
 * Usage: hookgate-produce-loop BROKERS TOPIC SECONDS [IN_FLIGHT [RECORD_BYTES [PROP=VALUE ...]]]
 * (librdkafka properties over the gateway's defaults, as --kafka gives them).
 * librdkafka's threads run under SCHED_BATCH as the gateway's do, unless
 * HOOKGATE_SCHED_BATCH=false (the gateway's --sched-batch variable). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <librdkafka/rdkafka.h>

#include "common/clock.h"
#include "common/kafka.h"
#include "gateway/producer_defaults.h"

#define LOOP_MAX_IN_FLIGHT 4096
#define LOOP_MAX_RECORD    (64 * 1024)

struct loop {
    long delivered;     /* reports since the last pass */
    long failed;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct loop *l = opaque;
    (void)rk;
    l->delivered++;
    if (m->err)
        l->failed++;
}

static double now_s(void)
{
    return (double)hg_clock_mono_us() / 1e6;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Produce n records; returns how many librdkafka took. */
static int produce(rd_kafka_topic_t *rkt, rd_kafka_message_t *msgs, char (*keys)[32],
                   char *payload, size_t size, long *seq, int n)
{
    for (int i = 0; i < n; i++) {
        long k = (*seq)++;
        int kl = snprintf(keys[i], sizeof keys[i], "T%05ld:C%04ld", k % 50, k % 200);
        msgs[i] = (rd_kafka_message_t){ .payload = payload, .len = size,
                                        .key = keys[i], .key_len = (size_t)kl };
    }
    return rd_kafka_produce_batch(rkt, RD_KAFKA_PARTITION_UA, 0, msgs, n);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: hookgate-produce-loop BROKERS TOPIC SECONDS [IN_FLIGHT [RECORD_BYTES [PROP=VALUE ...]]]\n");
        return 2;
    }
    const char *brokers = argv[1], *topic = argv[2];
    double seconds = atof(argv[3]);
    int inflight = argc > 4 ? atoi(argv[4]) : 64;
    size_t size = argc > 5 ? (size_t)atol(argv[5]) : 750;
    if (seconds <= 0 || inflight < 1 || inflight > LOOP_MAX_IN_FLIGHT || size < 1 ||
        size > LOOP_MAX_RECORD) {
        fprintf(stderr, "produce-loop: SECONDS > 0, IN_FLIGHT 1-%d, RECORD_BYTES 1-%d\n",
                LOOP_MAX_IN_FLIGHT, LOOP_MAX_RECORD);
        return 2;
    }
    static rd_kafka_message_t msgs[LOOP_MAX_IN_FLIGHT];
    static char keys[LOOP_MAX_IN_FLIGHT][32];
    static char payload[LOOP_MAX_RECORD];
    memset(payload, 'x', size);
    char errstr[512];
    const char *defaults[] = { "client.id", "hookgate-produce-loop", "message.timeout.ms", "1500",
                               GW_PRODUCER_DEFAULTS, NULL };
    struct hg_kafka_props props;
    memset(&props, 0, sizeof props);
    for (int i = 6; i < argc && props.n < HG_CONFIG_MAX_KAFKA_PROPS; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "produce-loop: %s: expected PROP=VALUE\n", argv[i]);
            return 2;
        }
        *eq = '\0';   /* argv's strings, borrowed: props is never cleaned up */
        props.name[props.n] = argv[i];
        props.value[props.n++] = eq + 1;
    }
    rd_kafka_conf_t *conf = hg_kafka_conf_new(brokers, defaults, &props, errstr, sizeof errstr);
    if (!conf) {
        fprintf(stderr, "produce-loop: %s\n", errstr);
        return 1;
    }
    const char *sb = getenv("HOOKGATE_SCHED_BATCH");
    bool batch = true;
    if (sb && !hg_config_parse_bool(sb, &batch)) {
        fprintf(stderr, "produce-loop: HOOKGATE_SCHED_BATCH: not a boolean (true/false/1/0/yes/no/on/off)\n");
        rd_kafka_conf_destroy(conf);
        return 2;
    }
    if (batch && hg_kafka_conf_batch_threads(conf, errstr, sizeof errstr) != 0) {
        fprintf(stderr, "produce-loop: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    struct loop l = { 0, 0 };
    rd_kafka_conf_set_opaque(conf, &l);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = hg_kafka_new(RD_KAFKA_PRODUCER, conf, &props, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "produce-loop: %s\n", errstr);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    long seq = 0, out = 0, done = 0, failed = 0;
    double t0 = now_s(), start = 0, cpu0 = 0, end = t0 + 1 + seconds;
    bool measuring = false;
    out += produce(rkt, msgs, keys, payload, size, &seq, inflight);
    for (;;) {
        double t = now_s();
        if (!measuring && t >= t0 + 1) {
            measuring = true;
            start = t;
            cpu0 = cpu_s();
            done = failed = 0;
        }
        if (t >= end)
            break;
        l.delivered = l.failed = 0;
        rd_kafka_poll(rk, 100);
        out -= l.delivered;
        done += l.delivered;
        failed += l.failed;
        int want = inflight - (int)out;
        if (want > 0)
            out += produce(rkt, msgs, keys, payload, size, &seq, want);
    }
    double cpu = cpu_s() - cpu0, wall = now_s() - start;
    rd_kafka_flush(rk, 5000);
    printf("RESULT records_per_s=%.0f cpu_us_per_record=%.2f records=%ld failed=%ld in_flight=%d "
           "record_bytes=%zu\n",
           (double)done / wall, done ? cpu * 1e6 / (double)done : 0.0, done, failed, inflight, size);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}
