/* routes.c — path → handler; every request gets exactly one answer, either
 * here or from acks.c once Kafka has spoken. */
#include "gateway/routes.h"

#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/acks.h"
#include "gateway/conn.h"
#include "gateway/envelope.h"
#include "gateway/ingest.h"

const char *const gw_route_names[GW_ROUTE_COUNT] = {
    "events", "interactive", "commands", "aws", "healthz", "readyz", "metrics", "unknown",
};

static const struct { const char *path; enum gw_route route; } routes[] = {
    { "/slack/events", GW_ROUTE_EVENTS },
    { "/slack/interactive", GW_ROUTE_INTERACTIVE },
    { "/slack/commands", GW_ROUTE_COMMANDS },
    { "/aws/events", GW_ROUTE_AWS },
    { "/healthz", GW_ROUTE_HEALTHZ },
    { "/readyz", GW_ROUTE_READYZ },
    { "/metrics", GW_ROUTE_METRICS },
};

enum gw_route gw_routes_match(const char *path, size_t len)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strlen(routes[i].path) == len && !memcmp(routes[i].path, path, len))
            return routes[i].route;
    return GW_ROUTE_UNKNOWN;
}

size_t gw_routes_body_cap(const struct gw_app *app, enum gw_route route)
{
    size_t max = (size_t)app->cfg->s.max_body;
    /* an envelope carries the body base64-encoded (4/3) plus its own fields */
    return route == GW_ROUTE_AWS ? max / 3 * 4 + 4 + 64 * 1024 : max;
}

const char *gw_routes_allow(enum gw_route route)
{
    switch (route) {
    case GW_ROUTE_EVENTS:
    case GW_ROUTE_INTERACTIVE:
    case GW_ROUTE_COMMANDS:
    case GW_ROUTE_AWS:
        return "POST";
    case GW_ROUTE_HEALTHZ:
    case GW_ROUTE_READYZ:
    case GW_ROUTE_METRICS:
        return "GET, HEAD";
    case GW_ROUTE_UNKNOWN:
    case GW_ROUTE_COUNT:
        break;
    }
    return NULL;
}

bool gw_routes_method_ok(enum gw_route route, unsigned method)
{
    const char *allow = gw_routes_allow(route);
    if (!allow)
        return false;
    return allow[0] == 'P' ? method == HTTP_POST : method == HTTP_GET || method == HTTP_HEAD;
}

/* An envelope's path names the inner route; API Gateway v2 prefixes the
 * stage ("/prod/slack/events"), so match on the suffix. */
static int inner_route(const char *path)
{
    static const char *const suffix[] = { "/slack/events", "/slack/interactive", "/slack/commands" };
    size_t n = strlen(path);
    for (int i = 0; i < 3; i++) {
        size_t s = strlen(suffix[i]);
        if (n >= s && !strcmp(path + n - s, suffix[i]))
            return i;
    }
    return -1;
}

static const char *req_header(const struct gw_request *r, enum gw_hdr h)
{
    if (!r->hv_set[h])
        return NULL;
    if (r->hv_overflow[h])
        return "(too long)";   /* fails every check that reads it */
    return r->hv[h];
}

static void finish(struct gw_conn *c, const struct gw_inbound *in)
{
    const struct gw_app *app = c->t->app;
    struct gw_metrics *mx = &c->t->app->metrics;
    struct gw_ingest_result r;
    struct gw_ingest_ctx ctx = {
        .secrets = &app->cfg->secrets,
        .sig_scratch = c->t->sig_scratch,
        .max_age = app->cfg->s.signature_max_age,
        .now_s = hg_clock_now_ms() / 1000,
        .dedup = app->dedup,
        .max_record = (size_t)app->cfg->s.max_body * 6 + 64 * 1024,
    };
    if (gw_ingest_handle(&ctx, in, &r) == GW_INGEST_PRODUCE) {
        char *record = r.record;
        r.record = NULL;
        gw_acks_produce(c, record, r.record_len, r.key, r.key_len, r.id_hash);
        gw_ingest_result_cleanup(&r);
        return;
    }
    if (r.status == 401)
        hg_counter_add(mx->sig_failures[r.sig], 1);
    if (r.duplicate)
        hg_counter_add(mx->duplicates, 1);
    if (r.handshake)
        hg_counter_add(mx->handshakes, 1);
    if (r.status == 200)
        gw_conn_reply(c, 200, r.reply_type, r.reply.data, r.reply.len, 0);
    else
        gw_conn_reply_error(c, r.status, r.error, r.message, 0);
    gw_ingest_result_cleanup(&r);
}

static void dispatch_direct(struct gw_conn *c, enum gw_slack_route route)
{
    const struct gw_request *q = &c->req;
    struct gw_inbound in = {
        .route = route,
        .content_type = req_header(q, GW_HDR_CONTENT_TYPE),
        .signature = req_header(q, GW_HDR_SIGNATURE),
        .timestamp = req_header(q, GW_HDR_TIMESTAMP),
        .retry_num = req_header(q, GW_HDR_RETRY_NUM),
        .retry_reason = req_header(q, GW_HDR_RETRY_REASON),
        .body = q->body.data,
        .body_len = q->body.len,
        .envelope = "none",
        .received_ms = q->received_ms,
    };
    finish(c, &in);
}

static void dispatch_envelope(struct gw_conn *c)
{
    char why[200];
    struct gw_envelope env;
    const struct gw_request *q = &c->req;
    int rc = gw_envelope_parse(q->body.data ? q->body.data : "", q->body.len,
                               (size_t)c->t->app->cfg->s.max_body, &env, why, sizeof why);
    if (rc != 0) {
        if (rc == GW_ENVELOPE_TOO_LARGE)
            gw_conn_reply_error(c, 413, "body_too_large", why, 0);
        else
            gw_conn_reply_error(c, 400, "malformed_envelope", why, 0);
        return;
    }
    int route = inner_route(env.path);
    if (route < 0)
        gw_conn_reply_error(c, 404, "not_found", "the envelope's path is not a Slack route", 0);
    else if (strcmp(env.method, "POST") != 0)
        gw_conn_reply_error(c, 405, "method_not_allowed", "Slack routes take POST", 0);
    else {
        struct gw_inbound in = {
            .route = (enum gw_slack_route)route,
            .content_type = env.hdr[GW_ENV_HDR_CONTENT_TYPE],
            .signature = env.hdr[GW_ENV_HDR_SIGNATURE],
            .timestamp = env.hdr[GW_ENV_HDR_TIMESTAMP],
            .retry_num = env.hdr[GW_ENV_HDR_RETRY_NUM],
            .retry_reason = env.hdr[GW_ENV_HDR_RETRY_REASON],
            .body = env.body.data,
            .body_len = env.body.len,
            .envelope = gw_envelope_kind_name(env.kind),
            .base64 = env.base64,
            .received_ms = q->received_ms,
        };
        finish(c, &in);
    }
    gw_envelope_cleanup(&env);
}

static void serve_metrics(struct gw_conn *c)
{
    struct hg_buf out;
    const struct gw_app *app = c->t->app;
    hg_gauge_set(app->metrics.buffered, atomic_load_explicit(&app->buffered, memory_order_relaxed));
    hg_buf_init(&out, 4 * 1024 * 1024);
    if (hg_metrics_render(app->metrics.reg, &out) != 0)
        gw_conn_reply_error(c, 500, "internal", "metrics too large to render", 0);
    else
        gw_conn_reply(c, 200, "text/plain; version=0.0.4", out.data, out.len, 0);
    hg_buf_cleanup(&out);
}

/* Ready for traffic only while every thread's producer has a broker up
 * (a thread whose producer has none would answer its requests 503). */
static bool kafka_down(const struct gw_app *app)
{
    for (unsigned i = 0; i < app->nthreads; i++)
        if (atomic_load(&app->threads[i].kafka_state) == GW_KAFKA_DOWN)
            return true;
    return false;
}

static bool topic_missing(const struct gw_app *app)
{
    for (unsigned i = 0; i < app->nthreads; i++)
        if (atomic_load(&app->threads[i].topic_missing))
            return true;
    return false;
}

void gw_routes_dispatch(struct gw_conn *c)
{
    const struct gw_request *q = &c->req;
    char msg[64];

    if (q->route == GW_ROUTE_UNKNOWN) {
        gw_conn_reply_error(c, 404, "not_found", "no such route", 0);
        return;
    }
    if (!gw_routes_method_ok(q->route, q->method)) {
        snprintf(msg, sizeof msg, "this route takes %s", gw_routes_allow(q->route));
        gw_conn_reply_error(c, 405, "method_not_allowed", msg, 0);
        return;
    }
    switch (q->route) {
    case GW_ROUTE_HEALTHZ:
        gw_conn_reply(c, 200, "text/plain", "ok\n", 3, 0);
        return;
    case GW_ROUTE_READYZ:
        if (atomic_load(&c->t->app->draining))
            gw_conn_reply_error(c, 503, "draining", "shutting down", 0);
        else if (kafka_down(c->t->app))
            gw_conn_reply_error(c, 503, "kafka_unreachable",
                                "no connection to a Kafka broker is up; records cannot be acknowledged", 0);
        else if (topic_missing(c->t->app))
            gw_conn_reply_error(c, 503, "kafka_topic_missing",
                                "the Kafka cluster has no partition of the topic (missing, "
                                "auto-creation off, or not authorized); records cannot be written", 0);
        else
            gw_conn_reply(c, 200, "text/plain", "ready\n", 6, 0);
        return;
    case GW_ROUTE_METRICS:
        serve_metrics(c);
        return;
    case GW_ROUTE_EVENTS:
    case GW_ROUTE_INTERACTIVE:
    case GW_ROUTE_COMMANDS:
        dispatch_direct(c, (enum gw_slack_route)(q->route - GW_ROUTE_EVENTS));
        return;
    case GW_ROUTE_AWS:
        dispatch_envelope(c);
        return;
    case GW_ROUTE_UNKNOWN:
    case GW_ROUTE_COUNT:
        break;
    }
}
