/* test_metrics.c — registry rendering checked byte for byte: grouping by
 * name, HELP/TYPE once, cumulative histogram buckets; concurrent updates. */
#include <pthread.h>
#include <string.h>

#include "common/buf.h"
#include "common/metrics.h"
#include "test.h"

static struct hg_counter *shared_counter;
static struct hg_histogram *shared_hist;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        hg_counter_add(shared_counter, 1);
        hg_histogram_observe(shared_hist, 0.5);
    }
    return NULL;
}

int main(void)
{
    struct hg_metrics *m = hg_metrics_create();
    CHECK(m != NULL);
    struct hg_counter *ok = hg_metrics_counter(m, "hookgate_requests_total",
                                               "HTTP requests by route and status.",
                                               "route=\"events\",code=\"200\"");
    struct hg_gauge *inflight = hg_metrics_gauge(m, "hookgate_inflight",
                                                 "Requests waiting for Kafka.", NULL);
    struct hg_counter *bad = hg_metrics_counter(m, "hookgate_requests_total",
                                                "HTTP requests by route and status.",
                                                "route=\"events\",code=\"401\"");
    const double bounds[] = { 0.005, 0.01, 0.25, 1, 2.5 };
    struct hg_histogram *lat = hg_metrics_histogram(m, "hookgate_latency_seconds",
                                                    "Request latency.\nSecond line \\ here.",
                                                    "route=\"events\"", bounds, 5);
    struct hg_histogram *lat2 = hg_metrics_histogram(m, "hookgate_plain_seconds",
                                                     "No labels.", NULL, bounds, 2);
    CHECK(ok && inflight && bad && lat && lat2);

    hg_counter_add(ok, 5);
    hg_counter_add(ok, 2);
    hg_counter_add(bad, 1);
    hg_gauge_set(inflight, 10);
    hg_gauge_add(inflight, -13);
    CHECK_INT(hg_counter_value(ok), 7);
    CHECK_INT(hg_gauge_value(inflight), -3);
    hg_histogram_observe(lat, 0.001);
    hg_histogram_observe(lat, 0.005);   /* le is inclusive */
    hg_histogram_observe(lat, 0.2);
    hg_histogram_observe(lat, 3);
    hg_histogram_observe(lat2, 0.0075);
    /* NULL is ignored */
    hg_counter_add(NULL, 1);
    hg_gauge_set(NULL, 1);
    hg_gauge_add(NULL, 1);
    hg_histogram_observe(NULL, 1);
    CHECK_INT(hg_counter_value(NULL), 0);

    struct hg_buf b;
    hg_buf_init(&b, 1 << 16);
    CHECK_INT(hg_metrics_render(m, &b), 0);
    CHECK_STR(b.data,
        "# HELP hookgate_requests_total HTTP requests by route and status.\n"
        "# TYPE hookgate_requests_total counter\n"
        "hookgate_requests_total{route=\"events\",code=\"200\"} 7\n"
        "hookgate_requests_total{route=\"events\",code=\"401\"} 1\n"
        "# HELP hookgate_inflight Requests waiting for Kafka.\n"
        "# TYPE hookgate_inflight gauge\n"
        "hookgate_inflight -3\n"
        "# HELP hookgate_latency_seconds Request latency.\\nSecond line \\\\ here.\n"
        "# TYPE hookgate_latency_seconds histogram\n"
        "hookgate_latency_seconds_bucket{route=\"events\",le=\"0.005\"} 2\n"
        "hookgate_latency_seconds_bucket{route=\"events\",le=\"0.01\"} 2\n"
        "hookgate_latency_seconds_bucket{route=\"events\",le=\"0.25\"} 3\n"
        "hookgate_latency_seconds_bucket{route=\"events\",le=\"1\"} 3\n"
        "hookgate_latency_seconds_bucket{route=\"events\",le=\"2.5\"} 3\n"
        "hookgate_latency_seconds_bucket{route=\"events\",le=\"+Inf\"} 4\n"
        "hookgate_latency_seconds_sum{route=\"events\"} 3.206\n"
        "hookgate_latency_seconds_count{route=\"events\"} 4\n"
        "# HELP hookgate_plain_seconds No labels.\n"
        "# TYPE hookgate_plain_seconds histogram\n"
        "hookgate_plain_seconds_bucket{le=\"0.005\"} 0\n"
        "hookgate_plain_seconds_bucket{le=\"0.01\"} 1\n"
        "hookgate_plain_seconds_bucket{le=\"+Inf\"} 1\n"
        "hookgate_plain_seconds_sum 0.0075\n"
        "hookgate_plain_seconds_count 1\n");

    /* rendering into a buffer that is too small reports the cap */
    struct hg_buf small;
    hg_buf_init(&small, 64);
    CHECK_INT(hg_metrics_render(m, &small), -1);
    hg_buf_cleanup(&small);

    /* concurrent updates are not lost */
    shared_counter = hg_metrics_counter(m, "hammer_total", "Hammered.", NULL);
    shared_hist = hg_metrics_histogram(m, "hammer_seconds", "Hammered.", NULL, bounds, 5);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(hg_counter_value(shared_counter), 400000);
    hg_buf_reset(&b);
    CHECK_INT(hg_metrics_render(m, &b), 0);
    CHECK(strstr(b.data, "hammer_seconds_sum 200000\n") != NULL);
    CHECK(strstr(b.data, "hammer_seconds_count 400000\n") != NULL);
    CHECK(strstr(b.data, "hammer_seconds_bucket{le=\"0.25\"} 0\n") != NULL);
    CHECK(strstr(b.data, "hammer_seconds_bucket{le=\"1\"} 400000\n") != NULL);

    hg_buf_cleanup(&b);
    hg_metrics_destroy(m);
    hg_metrics_destroy(NULL);
    return TEST_DONE();
}
