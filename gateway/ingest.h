/* ingest.h — one Slack request in, one decision out: verify the signature,
 * answer handshakes, normalise the body into a hookgate record (CloudEvents,
 * common/record.h) with its Kafka key, or refuse with a precise error. */
#ifndef GW_INGEST_H
#define GW_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/limits.h"
#include "common/slack_sig.h"

struct gw_dedup;

/* The Slack routes (GW_ROUTE_EVENTS..GW_ROUTE_COMMANDS in gateway.h). */
enum gw_slack_route { GW_SLACK_EVENTS = 0, GW_SLACK_INTERACTIVE, GW_SLACK_COMMANDS };

/* One inner request, as it arrived directly or out of an envelope.
 * Everything is borrowed; header values are NUL-terminated or NULL. */
struct gw_inbound {
    enum gw_slack_route route;
    const char *content_type;
    const char *signature;
    const char *timestamp;
    const char *retry_num;
    const char *retry_reason;
    const char *body;
    size_t      body_len;
    const char *envelope;      /* "none", "apigw-v1", "apigw-v2", "alb" */
    bool        base64;        /* the body was base64 inside the envelope */
    int64_t     received_ms;
};

struct gw_ingest_ctx {
    const struct hg_slack_secrets *secrets;
    struct hg_slack_sig_scratch   *sig_scratch;  /* the calling thread's */
    int64_t          max_age;
    int64_t          now_s;
    struct gw_dedup *dedup;
    size_t           max_record;
};

enum gw_ingest_action {
    GW_INGEST_REPLY,     /* answer now with status/error or reply body */
    GW_INGEST_PRODUCE,   /* put record on Kafka, answer after the ack */
};

struct gw_ingest_result {
    enum gw_ingest_action action;
    int           status;              /* for REPLY */
    const char   *error;               /* short machine code for errors, NULL on 200 */
    char          message[200];        /* human text for errors */
    const char   *reply_type;          /* content type of reply (200 with a body) */
    struct hg_buf reply;               /* e.g. the url_verification challenge */
    enum hg_slack_sig_result sig;      /* why a 401 happened */
    bool          handshake;           /* url_verification / ssl_check */
    bool          duplicate;           /* retry of an acknowledged event */
    /* for PRODUCE: */
    char         *record;              /* malloc'ed; ownership moves to Kafka */
    size_t        record_len;
    char          key[2 * HG_RECORD_KEY_MAX + 2];
    size_t        key_len;
    uint64_t      id_hash;             /* dedup hash of a Slack event_id; 0 = none */
};

/* Decide. Always fills r (clean it with gw_ingest_result_cleanup). Returns
 * r->action. Never logs or echoes the body or secrets. */
enum gw_ingest_action gw_ingest_handle(const struct gw_ingest_ctx *ctx, const struct gw_inbound *in,
                                       struct gw_ingest_result *r);
void gw_ingest_result_cleanup(struct gw_ingest_result *r);

#endif
