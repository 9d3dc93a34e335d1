/* cmd_replay.c — `hookgate-consumer replay`: reprocess a partition's offset
 * range or a time range through the same pipeline, without touching the
 * group's committed offsets (assign, never commit, a separate group id).
 * --dry-run validates and reports without side effects. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kafka.h"
#include "common/limits.h"
#include "common/log.h"
#include "consumer/commands.h"
#include "consumer/consumer_config.h"
#include "consumer/dlq.h"
#include "consumer/pipeline.h"
#include "consumer/services.h"
#include "consumer/worker.h"

static volatile sig_atomic_t replay_stop;

static void on_signal(int sig)
{
    replay_stop = 1;
}

/* "123" → 123; anything else is an error. */
static int parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* n decimal digits at s, into *v. */
static bool digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

/* Epoch milliseconds, or an RFC 3339 date-time "YYYY-MM-DDTHH:MM:SS[.f...]"
 * with "Z" or a numeric offset ("+09:00"), T and Z in either case
 * (https://www.rfc-editor.org/rfc/rfc3339#section-5.6), from 1970 on.
 * Returns NULL with *out set, or why not: a date that does not exist
 * (2026-02-31) is refused, not rolled over into March, and an epoch value
 * in seconds (under 10^11, before 1973 as milliseconds) is refused rather
 * than read as a moment in January 1970, which would replay everything. */
static const char *parse_time_ms(const char *s, int64_t *out)
{
    static const char *const rfc3339 = "must be RFC 3339 (2026-11-22T07:00:00Z) or epoch milliseconds";
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int64_t v;
    if (parse_i64(s, &v) == 0) {
        if (v > 0 && v < 100000000000LL)
            return "looks like epoch seconds (as milliseconds it is January 1970): give "
                   "milliseconds or RFC 3339";
        *out = v;
        return NULL;
    }
    int y, mo, d, h, mi, sec;
    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return rfc3339;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) ||
        h > 23 || mi > 59 || sec > 60)
        return "is not a date and time that exists (RFC 3339, from 1970 on)";
    const char *p = s + 19;
    int64_t ms = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3)
                ms = ms * 10 + (*p - '0');
        if (n == 0)
            return rfc3339;
        for (; n < 3; n++)
            ms *= 10;
    }
    int offset_min = 0, oh, om;
    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
        /* UTC */
    } else if ((p[0] == '+' || p[0] == '-') && digits(p + 1, 2, &oh) && p[3] == ':' &&
               digits(p + 4, 2, &om) && p[6] == '\0' && oh <= 23 && om <= 59) {
        offset_min = (p[0] == '+' ? 1 : -1) * (oh * 60 + om);
    } else {
        return rfc3339;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    int64_t t = (int64_t)timegm(&tm) - (int64_t)offset_min * 60;
    if (t < 0)
        return "is before 1970";
    *out = t * 1000 + ms;
    return NULL;
}

/* One partition's range: [start, end] offsets, end_ms bounds the time. */
struct range {
    int32_t partition;
    int64_t start, end;
};

int hgc_cmd_replay(int argc, char **argv)
{
    int rc = 2;
    char errstr[512];
    struct hgc_settings s;
    struct hg_kafka_props props;
    struct hgc_services svc;
    struct hgc_pipeline pipe;
    struct hgc_dlq *dlq = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_partition_list_t *assign = NULL;
    struct range *ranges = NULL;
    int nranges = 0;
    int pos = 0;
    int64_t from_off = -1, to_off = -1, from_ms = -1, to_ms = -1;
    unsigned long counts[HGC_OUT_COUNT] = { 0 };
    struct hgc_pipeline_result *last = calloc(1, sizeof *last);

    memset(&svc, 0, sizeof svc);
    if (!last) {
        fprintf(stderr, "hookgate-consumer replay: out of memory\n");
        return 2;
    }
    int r = hgc_settings_load(&s, &props, "replay", argc, argv,
                              HGC_NEED_KAFKA | HGC_NEED_SLACK | HGC_NEED_TABLES, &pos, errstr,
                              sizeof errstr);
    if (r == 1) {
        printf("\nreplay: --partition P --from-offset A [--to-offset B], or\n"
               "        [--partition P] --from-time T1 [--to-time T2]; --dry-run to validate only.\n");
        rc = 0;
        goto out;
    }
    if (r != 0 || pos < argc) {
        fprintf(stderr, "hookgate-consumer replay: %s\n", r ? errstr : "unexpected argument");
        goto out;
    }
    if ((s.from_offset && parse_i64(s.from_offset, &from_off)) ||
        (s.to_offset && parse_i64(s.to_offset, &to_off))) {
        fprintf(stderr, "hookgate-consumer replay: --from-offset/--to-offset must be offsets (0, 1, ...)\n");
        goto out;
    }
    const char *why = NULL, *bad = NULL;
    if (s.from_time && (why = parse_time_ms(s.from_time, &from_ms)))
        bad = "--from-time";
    else if (s.to_time && (why = parse_time_ms(s.to_time, &to_ms)))
        bad = "--to-time";
    if (bad) {
        fprintf(stderr, "hookgate-consumer replay: %s %s %s\n", bad,
                !strcmp(bad, "--from-time") ? s.from_time : s.to_time, why);
        goto out;
    }
    bool by_offset = from_off >= 0, by_time = from_ms >= 0;
    if (by_offset == by_time || (by_offset && s.partition < 0) || (to_off >= 0 && !by_offset) ||
        (to_ms >= 0 && !by_time)) {
        fprintf(stderr, "hookgate-consumer replay: give either --partition with --from-offset "
                        "[--to-offset], or --from-time [--to-time] [--partition]\n");
        goto out;
    }
    /* An inverted range selects nothing: say so rather than "replayed 0". */
    if (by_offset && to_off >= 0 && to_off < from_off) {
        fprintf(stderr, "hookgate-consumer replay: --to-offset %" PRId64 " is before --from-offset %" PRId64
                        " (the range is inclusive: --from-offset A --to-offset B with A <= B)\n",
                to_off, from_off);
        goto out;
    }
    if (by_time && to_ms >= 0 && to_ms < from_ms) {
        fprintf(stderr, "hookgate-consumer replay: --to-time %s is before --from-time %s\n", s.to_time,
                s.from_time);
        goto out;
    }
    if (!s.dry_run && !s.s3_bucket) {
        fprintf(stderr, "hookgate-consumer replay: setting HOOKGATE_S3_BUCKET (--s3-bucket) is required "
                        "(or use --dry-run)\n");
        goto out;
    }
    if (hgc_pipeline_spool_check(s.tmp_dir, errstr, sizeof errstr)) {
        fprintf(stderr, "hookgate-consumer replay: setting HOOKGATE_TMP_DIR (--tmp-dir): %s\n", errstr);
        goto out;
    }
    hg_log_setup("hookgate-consumer", s.log_min);
    if (hgc_services_open(&svc, &s, &props, HGC_SVC_SLACK | HGC_SVC_AWS, errstr, sizeof errstr)) {
        fprintf(stderr, "hookgate-consumer replay: %s\n", errstr);
        goto out;
    }
    hgc_services_pipeline(&svc, &s, &pipe);
    pipe.dry_run = s.dry_run;
    if (!s.dry_run) {
        dlq = hgc_dlq_create(s.kafka_brokers, &props, s.dlq_topic, errstr, sizeof errstr);
        if (!dlq) {
            fprintf(stderr, "hookgate-consumer replay: dead-letter producer: %s\n", errstr);
            goto out;
        }
    }

    /* A consumer that never joins or commits for the worker group. */
    rk = hgc_worker_tool_consumer(&s, &props, ".replay", errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "hookgate-consumer replay: consumer: %s\n", errstr);
        goto out;
    }
    rd_kafka_resp_err_t e;
    int nparts = hgc_worker_partition_count(rk, s.topic, errstr, sizeof errstr);
    if (nparts < 0) {
        fprintf(stderr, "hookgate-consumer replay: %s\n", errstr);
        goto out;
    }
    if (s.partition >= nparts) {
        fprintf(stderr, "hookgate-consumer replay: topic %s has %d partitions\n", s.topic, nparts);
        goto out;
    }
    ranges = calloc((size_t)nparts, sizeof *ranges);
    assign = rd_kafka_topic_partition_list_new(nparts);
    if (!ranges || !assign)
        goto out;
    for (int p = 0; p < nparts; p++) {
        if (s.partition >= 0 && p != s.partition)
            continue;
        int64_t lo = 0, hi = 0;
        e = rd_kafka_query_watermark_offsets(rk, s.topic, p, &lo, &hi, 10000);
        if (e) {
            fprintf(stderr, "hookgate-consumer replay: watermarks of partition %d: %s\n", p,
                    rd_kafka_err2str(e));
            goto out;
        }
        struct range *g = &ranges[nranges];
        g->partition = p;
        g->start = by_offset ? from_off : from_ms;   /* times resolved below */
        g->end = hi - 1;
        if (by_offset && to_off >= 0 && to_off < g->end)
            g->end = to_off;
        /* Say what the log no longer (or not yet) holds: "replayed 0" alone
         * reads like a range replayed. */
        if (by_offset && g->start < lo)
            fprintf(stderr, "hookgate-consumer replay: note: partition %d starts at offset %" PRId64
                    " (offsets before it are gone: retention); replaying from there\n", p, lo);
        if (by_offset && from_off >= hi)
            fprintf(stderr, "hookgate-consumer replay: note: partition %d holds offsets up to %" PRId64
                    " only: nothing at --from-offset %" PRId64 " yet\n", p, hi - 1, from_off);
        if (by_offset && g->start < lo)
            g->start = lo;
        nranges++;
    }
    if (by_time) {
        rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(nranges);
        for (int i = 0; i < nranges; i++)
            rd_kafka_topic_partition_list_add(q, s.topic, ranges[i].partition)->offset = from_ms;
        e = rd_kafka_offsets_for_times(rk, q, 10000);
        for (int i = 0; !e && i < nranges; i++) {
            int64_t o = q->elems[i].offset;
            /* -1 means "nothing that late" on Kafka, but also "timestamps
             * not supported" on librdkafka's mock cluster: scan from the
             * start then; the loop below skips records older than from_ms. */
            if (o < 0) {
                int64_t lo = 0, hi = 0;
                rd_kafka_query_watermark_offsets(rk, s.topic, ranges[i].partition, &lo, &hi, 10000);
                o = lo;
            }
            ranges[i].start = o;
        }
        rd_kafka_topic_partition_list_destroy(q);
        if (e) {
            fprintf(stderr, "hookgate-consumer replay: offsets for time: %s\n", rd_kafka_err2str(e));
            goto out;
        }
        /* The end: timestamps within a partition need not grow (several
         * gateways produce to it), so records are chosen by their own
         * timestamp, and the scan goes on to the first record stamped
         * HGC_REPLAY_LATE_MS after --to-time (to the high watermark when
         * there is none, or the broker cannot say). */
        if (to_ms >= 0) {
            q = rd_kafka_topic_partition_list_new(nranges);
            for (int i = 0; i < nranges; i++)
                rd_kafka_topic_partition_list_add(q, s.topic, ranges[i].partition)->offset =
                    to_ms + HGC_REPLAY_LATE_MS;
            if (!rd_kafka_offsets_for_times(rk, q, 10000))
                for (int i = 0; i < nranges; i++)
                    if (q->elems[i].offset >= 0 && q->elems[i].offset - 1 < ranges[i].end)
                        ranges[i].end = q->elems[i].offset - 1;
            rd_kafka_topic_partition_list_destroy(q);
        }
    }
    int active = 0;
    for (int i = 0; i < nranges; i++) {
        if (ranges[i].start > ranges[i].end)
            continue;
        rd_kafka_topic_partition_list_add(assign, s.topic, ranges[i].partition)->offset = ranges[i].start;
        active++;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (active && (e = rd_kafka_assign(rk, assign))) {
        fprintf(stderr, "hookgate-consumer replay: assign: %s\n", rd_kafka_err2str(e));
        goto out;
    }
    long long done = 0;
    bool dead = false;
    while (active > 0 && !replay_stop && (s.limit == 0 || done < s.limit)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        struct range *g = NULL;
        for (int i = 0; i < nranges; i++)
            if (ranges[i].partition == m->partition)
                g = &ranges[i];
        if (m->err || !g || g->start > g->end) {
            if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                hg_log_warn("consumer_error", "error", rd_kafka_message_errstr(m));
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && g && g->start <= g->end) {
                g->start = g->end + 1;   /* the end moved back (retention): stop */
                active--;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        if (by_time && ts >= 0 && ts < from_ms) {   /* before the range (see above) */
            g->start = m->offset + 1;
            if (g->start > g->end)
                active--;
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->offset > g->end) {
            g->start = g->end + 1;
            active--;
            rd_kafka_message_destroy(m);
            continue;
        }
        if (by_time && to_ms >= 0 && ts > to_ms) {   /* after the range, or stamped out of order */
            g->start = m->offset + 1;
            if (g->start > g->end)
                active--;
            rd_kafka_message_destroy(m);
            continue;
        }
        enum hgc_outcome o = hgc_worker_process_inline(&pipe, dlq, &s, NULL, m, &replay_stop, last);
        if (o < HGC_OUT_COUNT)
            counts[o]++;
        dead |= o == HGC_OUT_DEAD || o == HGC_OUT_INVALID || o == HGC_OUT_RETRY;
        printf("partition %" PRId32 " offset %" PRId64 ": %s%s%s\n", m->partition, m->offset,
               hgc_outcome_name(o), last->message[0] ? ": " : "", last->message);
        fflush(stdout);
        done++;
        g->start = m->offset + 1;
        if (g->start > g->end)
            active--;
        rd_kafka_message_destroy(m);
    }
    printf("replayed %lld record(s)%s:", done, s.dry_run ? " (dry run)" : "");
    for (int o = 0; o < HGC_OUT_COUNT; o++)
        if (counts[o])
            printf(" %s=%lu", hgc_outcome_name((enum hgc_outcome)o), counts[o]);
    printf("\n");
    rc = replay_stop ? 1 : dead ? 1 : 0;
out:
    if (rk) {
        rd_kafka_assign(rk, NULL);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    if (assign)
        rd_kafka_topic_partition_list_destroy(assign);
    free(ranges);
    free(last);
    hgc_dlq_destroy(dlq);
    hgc_services_close(&svc);
    hgc_settings_cleanup(&s, &props);
    return rc;
}
