/* metrics.h — Prometheus counters, gauges and histograms; lock-free updates. */
#ifndef HG_METRICS_H
#define HG_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct hg_buf;
struct hg_metrics;
struct hg_counter;
struct hg_gauge;
struct hg_histogram;

/* Create an empty registry. Returns NULL on out-of-memory. */
struct hg_metrics *hg_metrics_create(void);
/* Free the registry and every metric in it. */
void hg_metrics_destroy(struct hg_metrics *m);

/* Register a metric (at start-up, single-threaded). name is a Prometheus
 * metric name; labels is the text inside {} ("route=\"events\",code=\"200\"")
 * or NULL. Several registrations may share a name with different labels;
 * HELP/TYPE are printed once per name. The registry owns the returned
 * object; it lives until hg_metrics_destroy. NULL on out-of-memory. */
struct hg_counter *hg_metrics_counter(struct hg_metrics *m, const char *name,
                                      const char *help, const char *labels);
struct hg_gauge *hg_metrics_gauge(struct hg_metrics *m, const char *name,
                                  const char *help, const char *labels);
/* bounds: ascending upper bounds (le), +Inf is implicit. Copied. */
struct hg_histogram *hg_metrics_histogram(struct hg_metrics *m, const char *name,
                                          const char *help, const char *labels,
                                          const double *bounds, size_t nbounds);

/* Updates: thread-safe, relaxed atomics, never allocate. NULL is ignored. */
void hg_counter_add(struct hg_counter *c, uint64_t n);
void hg_gauge_set(struct hg_gauge *g, int64_t v);
void hg_gauge_add(struct hg_gauge *g, int64_t delta);
void hg_histogram_observe(struct hg_histogram *h, double v);
uint64_t hg_counter_value(const struct hg_counter *c);
int64_t hg_gauge_value(const struct hg_gauge *g);

/* Render the text exposition format (version 0.0.4). Returns 0 or -1 (cap). */
int hg_metrics_render(struct hg_metrics *m, struct hg_buf *out);

#endif
