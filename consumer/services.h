/* services.h — the long-lived clients a consumer command needs (HTTP,
 * Slack, AWS credentials, S3, Glue), opened from the settings and the
 * AWS SDKs' environment variables, closed in reverse order. */
#ifndef HGC_SERVICES_H
#define HGC_SERVICES_H

#include <stddef.h>

#include "common/aws/creds.h"
#include "common/aws/glue.h"
#include "common/aws/s3.h"
#include "common/http_client.h"
#include "consumer/consumer_config.h"
#include "consumer/slack_api.h"

struct hgc_services {
    struct hg_http_client *http;          /* Slack's connection pool */
    struct hgc_slack *slack;              /* NULL without a token */
    struct hg_aws_creds_provider *creds;
    struct hg_s3 *s3;
    struct hg_glue *glue;
    struct hg_msk_iam *msk_iam;           /* HOOKGATE_KAFKA_AUTH=msk-iam only */
};

#define HGC_SVC_SLACK 0x1u
#define HGC_SVC_AWS   0x2u

/* Open the services named by `which` (HGC_SVC_*), and the Kafka
 * authentication the settings ask for: with msk-iam, props->msk_iam points
 * at svc->msk_iam, so every Kafka client built from props signs in with it.
 * Returns 0, or -1 with errstr naming what failed (no secrets); svc is then
 * partly open and must still be closed — after every Kafka client made from
 * props is destroyed. */
int hgc_services_open(struct hgc_services *svc, const struct hgc_settings *s,
                      struct hg_kafka_props *props, unsigned which,
                      char *errstr, size_t errstr_size);
/* Point a pipeline (zeroed here: not a dry run, no metrics) at the
 * services and settings, both borrowed. */
struct hgc_pipeline;
void hgc_services_pipeline(const struct hgc_services *svc, const struct hgc_settings *s,
                           struct hgc_pipeline *pipe);

/* Close everything (safe on a zeroed or partly opened struct). */
void hgc_services_close(struct hgc_services *svc);

#endif
