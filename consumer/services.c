/* services.c — open and close the worker's clients. */
#include "consumer/services.h"

#include "common/aws/msk_iam.h"
#include "consumer/pipeline.h"

#include <stdio.h>
#include <string.h>

extern char **environ;

int hgc_services_open(struct hgc_services *svc, const struct hgc_settings *s,
                      struct hg_kafka_props *props, unsigned which,
                      char *errstr, size_t errstr_size)
{
    char err[512];
    memset(svc, 0, sizeof *svc);
    if (s->msk_iam) {
        char region[HG_AWS_REGION_MAX];
        if (hg_aws_region_from_env(environ, region, sizeof region) != 0) {
            snprintf(errstr, errstr_size, "HOOKGATE_KAFKA_AUTH=msk-iam needs a region: set AWS_REGION");
            return -1;
        }
        svc->creds = hg_aws_creds_provider_from_env(environ, err, sizeof err);
        if (!svc->creds) {
            snprintf(errstr, errstr_size, "AWS credentials: %s", err);
            return -1;
        }
        svc->msk_iam = hg_msk_iam_create(region, svc->creds, err, sizeof err);
        if (!svc->msk_iam) {
            snprintf(errstr, errstr_size, "Kafka authentication: %s", err);
            return -1;
        }
        props->msk_iam = svc->msk_iam;
    }
    if (which & HGC_SVC_SLACK) {
        struct hg_http_client_opts o = {
            .timeout_ms = (long)s->http_timeout_ms,
            .max_response = HGC_SLACK_MAX_RESPONSE,
        };
        svc->http = hg_http_client_create(&o, err, sizeof err);
        if (!svc->http) {
            snprintf(errstr, errstr_size, "HTTP client: %s", err);
            return -1;
        }
        if (s->slack_bot_token) {
            svc->slack = hgc_slack_create(svc->http, s->slack_api_url, s->slack_bot_token,
                                          (long)s->http_timeout_ms);
            if (!svc->slack) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
            }
        }
    }
    if (which & HGC_SVC_AWS) {
        if (!svc->creds)
            svc->creds = hg_aws_creds_provider_from_env(environ, err, sizeof err);
        if (!svc->creds) {
            snprintf(errstr, errstr_size, "AWS credentials: %s", err);
            return -1;
        }
        svc->s3 = hg_s3_create_from_env(environ, svc->creds, (long)s->http_timeout_ms, err, sizeof err);
        if (!svc->s3) {
            snprintf(errstr, errstr_size, "S3: %s", err);
            return -1;
        }
        svc->glue = hg_glue_create_from_env(environ, svc->creds, (long)s->http_timeout_ms, err, sizeof err);
        if (!svc->glue) {
            snprintf(errstr, errstr_size, "Glue: %s", err);
            return -1;
        }
    }
    return 0;
}

void hgc_services_pipeline(const struct hgc_services *svc, const struct hgc_settings *s,
                           struct hgc_pipeline *pipe)
{
    memset(pipe, 0, sizeof *pipe);
    pipe->settings = s;
    pipe->slack = svc->slack;
    pipe->s3 = svc->s3;
    pipe->glue = svc->glue;
}

void hgc_services_close(struct hgc_services *svc)
{
    hg_glue_destroy(svc->glue);
    hg_s3_destroy(svc->s3);
    hg_msk_iam_destroy(svc->msk_iam);
    hg_aws_creds_provider_destroy(svc->creds);
    hgc_slack_destroy(svc->slack);
    hg_http_client_destroy(svc->http);
    memset(svc, 0, sizeof *svc);
}
