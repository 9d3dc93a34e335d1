/* msk_iam.h — Amazon MSK IAM authentication for librdkafka: an OAUTHBEARER
 * token provider whose token is a base64url SigV4-presigned
 * kafka-cluster:Connect URL.
 * https://github.com/aws/aws-msk-iam-sasl-signer-go (signer/msk_auth_token_provider.go) */
#ifndef HG_AWS_MSK_IAM_H
#define HG_AWS_MSK_IAM_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "common/aws/creds.h"

#define HG_MSK_IAM_EXPIRES_S 900   /* presigned URL lifetime */

struct hg_msk_iam;

/* Switch conf to MSK IAM: security.protocol=SASL_SSL,
 * sasl.mechanism=OAUTHBEARER, and a token refresh callback that signs with
 * creds for region. Uses sasl.oauthbearer.config to find its state, so the
 * conf's opaque stays the caller's. Returns a handle (owned by the caller;
 * destroy it with hg_msk_iam_destroy AFTER rd_kafka_destroy of the handle
 * made from conf), or NULL with errstr. creds is borrowed and must outlive
 * the Kafka handle.
 * The callback runs from rd_kafka_poll()/consumer_poll() unless the caller
 * calls rd_kafka_sasl_background_callbacks_enable(rk) after rd_kafka_new
 * (recommended for producers that poll rarely). */
struct hg_msk_iam *hg_msk_iam_enable(rd_kafka_conf_t *conf, const char *region,
                                     struct hg_aws_creds_provider *creds,
                                     char *errstr, size_t errstr_size);
void hg_msk_iam_destroy(struct hg_msk_iam *m);

/* Build a token signed at now (Unix seconds) for region. Returns 0 with
 * *token (heap, NUL-terminated, base64url without padding; free() it — it is
 * a bearer credential, never log it) and *lifetime_ms (absolute expiry, ms
 * since the epoch); or -1 with errstr. host NULL = kafka.<region>.amazonaws.com. */
int hg_msk_iam_token(struct hg_aws_creds_provider *creds, const char *region,
                     const char *host, int64_t now, char **token, int64_t *lifetime_ms,
                     char *errstr, size_t errstr_size);

#endif
