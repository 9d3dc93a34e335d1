/* metrics.c — a Prometheus registry: counters, gauges and histograms with
 * relaxed-atomic updates, rendered in text exposition format 0.0.4. */
#include "common/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

enum metric_kind { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct hg_counter {
    _Atomic uint64_t v;
};

struct hg_gauge {
    _Atomic int64_t v;
};

struct hg_histogram {
    double *bounds;
    size_t nbounds;
    _Atomic uint64_t *buckets;   /* nbounds + 1 (the last is +Inf), not cumulative */
    _Atomic uint64_t sum_bits;   /* a double's bits, updated by CAS */
};

struct metric {
    enum metric_kind kind;
    char *name;
    char *help;
    char *labels;   /* NULL or the text inside {} */
    union {
        struct hg_counter c;
        struct hg_gauge g;
        struct hg_histogram h;
    } u;
    struct metric *next;
};

struct hg_metrics {
    struct metric *head, *tail;
};

struct hg_metrics *hg_metrics_create(void)
{
    return calloc(1, sizeof(struct hg_metrics));
}

static void metric_free(struct metric *x)
{
    if (!x)
        return;
    if (x->kind == METRIC_HISTOGRAM) {
        free(x->u.h.bounds);
        free((void *)x->u.h.buckets);
    }
    free(x->name);
    free(x->help);
    free(x->labels);
    free(x);
}

void hg_metrics_destroy(struct hg_metrics *m)
{
    if (!m)
        return;
    struct metric *x = m->head;
    while (x) {
        struct metric *next = x->next;
        metric_free(x);
        x = next;
    }
    free(m);
}

static char *dup_or_null(const char *s, int *fail)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *fail = 1;
    return d;
}

static struct metric *metric_new(struct hg_metrics *m, enum metric_kind kind,
                                 const char *name, const char *help, const char *labels)
{
    if (!m || !name)
        return NULL;
    struct metric *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    int fail = 0;
    x->kind = kind;
    x->name = dup_or_null(name, &fail);
    x->help = dup_or_null(help ? help : "", &fail);
    x->labels = (labels && *labels) ? dup_or_null(labels, &fail) : NULL;
    if (fail) {
        metric_free(x);
        return NULL;
    }
    return x;
}

static void metric_link(struct hg_metrics *m, struct metric *x)
{
    if (m->tail)
        m->tail->next = x;
    else
        m->head = x;
    m->tail = x;
}

struct hg_counter *hg_metrics_counter(struct hg_metrics *m, const char *name,
                                      const char *help, const char *labels)
{
    struct metric *x = metric_new(m, METRIC_COUNTER, name, help, labels);
    if (!x)
        return NULL;
    atomic_init(&x->u.c.v, 0);
    metric_link(m, x);
    return &x->u.c;
}

struct hg_gauge *hg_metrics_gauge(struct hg_metrics *m, const char *name,
                                  const char *help, const char *labels)
{
    struct metric *x = metric_new(m, METRIC_GAUGE, name, help, labels);
    if (!x)
        return NULL;
    atomic_init(&x->u.g.v, 0);
    metric_link(m, x);
    return &x->u.g;
}

static uint64_t dbl_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_dbl(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

struct hg_histogram *hg_metrics_histogram(struct hg_metrics *m, const char *name,
                                          const char *help, const char *labels,
                                          const double *bounds, size_t nbounds)
{
    struct metric *x = metric_new(m, METRIC_HISTOGRAM, name, help, labels);
    if (!x)
        return NULL;
    struct hg_histogram *h = &x->u.h;
    h->nbounds = nbounds;
    h->bounds = malloc((nbounds ? nbounds : 1) * sizeof *h->bounds);
    h->buckets = malloc((nbounds + 1) * sizeof *h->buckets);
    if (!h->bounds || !h->buckets) {
        metric_free(x);
        return NULL;
    }
    if (nbounds)
        memcpy(h->bounds, bounds, nbounds * sizeof *bounds);
    for (size_t i = 0; i <= nbounds; i++)
        atomic_init(&h->buckets[i], 0);
    atomic_init(&h->sum_bits, dbl_bits(0.0));
    metric_link(m, x);
    return h;
}

void hg_counter_add(struct hg_counter *c, uint64_t n)
{
    if (c)
        atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

void hg_gauge_set(struct hg_gauge *g, int64_t v)
{
    if (g)
        atomic_store_explicit(&g->v, v, memory_order_relaxed);
}

void hg_gauge_add(struct hg_gauge *g, int64_t delta)
{
    if (g)
        atomic_fetch_add_explicit(&g->v, delta, memory_order_relaxed);
}

void hg_histogram_observe(struct hg_histogram *h, double v)
{
    if (!h)
        return;
    size_t i = 0;
    while (i < h->nbounds && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    uint64_t old = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
    for (;;) {
        uint64_t nw = dbl_bits(bits_dbl(old) + v);
        if (atomic_compare_exchange_weak_explicit(&h->sum_bits, &old, nw,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            break;
    }
}

uint64_t hg_counter_value(const struct hg_counter *c)
{
    return c ? atomic_load_explicit(&((struct hg_counter *)c)->v, memory_order_relaxed) : 0;
}

int64_t hg_gauge_value(const struct hg_gauge *g)
{
    return g ? atomic_load_explicit(&((struct hg_gauge *)g)->v, memory_order_relaxed) : 0;
}

/* Shortest %g text that reads back as d (Prometheus floats). */
static void fmt_double(char *out, size_t n, double d)
{
    if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
        snprintf(out, n, "%lld", (long long)d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

static int render_help(struct hg_buf *out, const char *help)
{
    for (const char *p = help; *p; p++) {
        int rc;
        if (*p == '\\')
            rc = hg_buf_append(out, "\\\\", 2);
        else if (*p == '\n')
            rc = hg_buf_append(out, "\\n", 2);
        else
            rc = hg_buf_append(out, p, 1);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int render_one(struct hg_buf *out, const struct metric *x)
{
    const char *l = x->labels;
    switch (x->kind) {
    case METRIC_COUNTER:
        return hg_buf_appendf(out, "%s%s%s%s %llu\n", x->name, l ? "{" : "", l ? l : "",
                              l ? "}" : "", (unsigned long long)hg_counter_value(&x->u.c));
    case METRIC_GAUGE:
        return hg_buf_appendf(out, "%s%s%s%s %lld\n", x->name, l ? "{" : "", l ? l : "",
                              l ? "}" : "", (long long)hg_gauge_value(&x->u.g));
    case METRIC_HISTOGRAM: {
        const struct hg_histogram *h = &x->u.h;
        uint64_t cum = 0;
        char num[40];
        for (size_t i = 0; i <= h->nbounds; i++) {
            cum += atomic_load_explicit(&((struct hg_histogram *)h)->buckets[i],
                                        memory_order_relaxed);
            if (i < h->nbounds)
                fmt_double(num, sizeof num, h->bounds[i]);
            else
                snprintf(num, sizeof num, "+Inf");
            if (hg_buf_appendf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", x->name,
                               l ? l : "", l ? "," : "", num, (unsigned long long)cum) != 0)
                return -1;
        }
        fmt_double(num, sizeof num,
                   bits_dbl(atomic_load_explicit(&((struct hg_histogram *)h)->sum_bits,
                                                 memory_order_relaxed)));
        if (hg_buf_appendf(out, "%s_sum%s%s%s %s\n", x->name, l ? "{" : "", l ? l : "",
                           l ? "}" : "", num) != 0)
            return -1;
        return hg_buf_appendf(out, "%s_count%s%s%s %llu\n", x->name, l ? "{" : "",
                              l ? l : "", l ? "}" : "", (unsigned long long)cum);
    }
    }
    return -1;
}

int hg_metrics_render(struct hg_metrics *m, struct hg_buf *out)
{
    static const char *const kind_names[] = { "counter", "gauge", "histogram" };
    if (!m)
        return 0;
    for (const struct metric *x = m->head; x; x = x->next) {
        /* only the first registration of a name opens its group */
        int seen = 0;
        for (const struct metric *y = m->head; y != x; y = y->next)
            if (strcmp(y->name, x->name) == 0) {
                seen = 1;
                break;
            }
        if (seen)
            continue;
        if (hg_buf_appendf(out, "# HELP %s ", x->name) != 0 ||
            render_help(out, x->help) != 0 ||
            hg_buf_appendf(out, "\n# TYPE %s %s\n", x->name, kind_names[x->kind]) != 0)
            return -1;
        for (const struct metric *y = x; y; y = y->next)
            if (strcmp(y->name, x->name) == 0 && render_one(out, y) != 0)
                return -1;
    }
    return 0;
}
