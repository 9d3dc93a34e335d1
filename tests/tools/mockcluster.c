/* mockcluster.c — hookgate-mockcluster: librdkafka's in-process mock Kafka
 * cluster as a stand-alone test broker, with fault injection driven by
 * commands on stdin (one per line, each answered "ok" or "error: ..."):
 *   down ID|all          take broker(s) down      up ID|all
 *   rtt ID MS            add round-trip latency
 *   produce-errors N ERR push N errors (librdkafka error code, e.g. 7 =
 *                        REQUEST_TIMED_OUT) for the next Produce requests
 *   clear-produce-errors
 *   topic NAME PARTS     create a topic
 *   topic-error NAME ERR the topic's Metadata answers carry error ERR (e.g.
 *                        29 = TOPIC_AUTHORIZATION_FAILED, 3 = UNKNOWN_TOPIC_OR_PART)
 *   quit
 * Usage: hookgate-mockcluster [BROKERS] [BOOTSTRAP_FILE]
 * Prints the bootstrap list as its first stdout line. EOF on stdin = quit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/kafka.h"
#include "common/log.h"

static int each_broker(rd_kafka_mock_cluster_t *mc, int brokers, const char *which,
                       rd_kafka_resp_err_t (*fn)(rd_kafka_mock_cluster_t *, int32_t))
{
    if (!strcmp(which, "all")) {
        for (int i = 1; i <= brokers; i++)
            fn(mc, i);
        return 0;
    }
    char *end;
    long id = strtol(which, &end, 10);
    if (*end || id < 1 || id > brokers)
        return -1;
    return fn(mc, (int32_t)id) ? -1 : 0;
}

int main(int argc, char **argv)
{
    char err[512], line[512];
    int brokers = 1;
    if (argc > 1) {
        char *end;
        long n = strtol(argv[1], &end, 10);
        if (*end || n < 1 || n > 9) {
            fprintf(stderr, "usage: hookgate-mockcluster [BROKERS 1-9] [BOOTSTRAP_FILE]\n");
            return 2;
        }
        brokers = (int)n;
    }
    hg_log_setup("hookgate-mockcluster", HG_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    struct hg_kafka_mock *m = hg_kafka_mock_start(brokers, false, err, sizeof err);
    if (!m) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = hg_kafka_mock_cluster(m);
    if (argc > 2 && hg_kafka_mock_write_bootstrap(m, argv[2], err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        hg_kafka_mock_stop(m);
        return 1;
    }
    printf("%s\n", hg_kafka_mock_bootstraps(m));
    fflush(stdout);

    while (fgets(line, sizeof line, stdin)) {
        char a[256] = "", b[256] = "";
        long n1 = 0, n2 = 0;
        int rc = -1;
        line[strcspn(line, "\r\n")] = '\0';
        if (!strcmp(line, "quit"))
            break;
        if (sscanf(line, "down %255s", a) == 1)
            rc = each_broker(mc, brokers, a, rd_kafka_mock_broker_set_down);
        else if (sscanf(line, "up %255s", a) == 1)
            rc = each_broker(mc, brokers, a, rd_kafka_mock_broker_set_up);
        else if (sscanf(line, "rtt %ld %ld", &n1, &n2) == 2)
            rc = rd_kafka_mock_broker_set_rtt(mc, (int32_t)n1, (int)n2) ? -1 : 0;
        else if (sscanf(line, "produce-errors %ld %ld", &n1, &n2) == 2 && n1 > 0 && n1 <= 1000) {
            rd_kafka_resp_err_t errs[1000];
            for (long i = 0; i < n1; i++)
                errs[i] = (rd_kafka_resp_err_t)n2;
            rd_kafka_mock_push_request_errors_array(mc, 0 /* Produce */, (size_t)n1, errs);
            rc = 0;
        } else if (!strcmp(line, "clear-produce-errors")) {
            rd_kafka_mock_clear_request_errors(mc, 0);
            rc = 0;
        } else if (sscanf(line, "topic-error %255s %ld", b, &n1) == 2) {
            rd_kafka_mock_topic_set_error(mc, b, (rd_kafka_resp_err_t)n1);
            rc = 0;
        } else if (sscanf(line, "topic %255s %ld", b, &n1) == 2)
            rc = rd_kafka_mock_topic_create(mc, b, (int)n1, brokers < 3 ? brokers : 3) ? -1 : 0;
        printf(rc == 0 ? "ok\n" : "error: bad command\n");
        fflush(stdout);
    }
    hg_kafka_mock_stop(m);
    return 0;
}
