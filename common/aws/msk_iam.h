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

/* One handle per process: the region and the credentials (borrowed; they
 * must outlive the handle) that every Kafka client of the program signs
 * its tokens with. Returns the handle (the caller's; hg_msk_iam_destroy it
 * AFTER rd_kafka_destroy of every client it was applied to), or NULL with
 * errstr. At most HG_MSK_IAM_MAX_HANDLES exist at once. */
#define HG_MSK_IAM_MAX_HANDLES 8
struct hg_msk_iam *hg_msk_iam_create(const char *region, struct hg_aws_creds_provider *creds,
                                     char *errstr, size_t errstr_size);

/* Switch conf to MSK IAM: security.protocol=SASL_SSL,
 * sasl.mechanism=OAUTHBEARER, a token refresh callback, and a SASL queue of
 * its own. The callback finds m through sasl.oauthbearer.config, so the
 * conf's opaque stays the caller's. Any number of confs may share one m.
 * Returns 0, or -1 with errstr (conf is then unchanged or half-set; destroy
 * it). */
int hg_msk_iam_apply(const struct hg_msk_iam *m, rd_kafka_conf_t *conf,
                     char *errstr, size_t errstr_size);

/* After rd_kafka_new on an applied conf: serve token refreshes on
 * librdkafka's background thread, so they happen whether or not the program
 * polls (a producer waiting for traffic, a consumer paused in a backoff).
 * Returns 0, or -1 with errstr. */
int hg_msk_iam_start(rd_kafka_t *rk, char *errstr, size_t errstr_size);

/* Tokens handed to librdkafka so far by clients using m (for metrics and
 * tests). */
uint64_t hg_msk_iam_tokens_issued(const struct hg_msk_iam *m);

void hg_msk_iam_destroy(struct hg_msk_iam *m);

/* Build a token signed at now (Unix seconds) for region. Returns 0 with
 * *token (heap, NUL-terminated, base64url without padding; free() it — it is
 * a bearer credential, never log it) and *lifetime_ms (absolute expiry, ms
 * since the epoch: now + HG_MSK_IAM_EXPIRES_S, or the signing credentials'
 * Expiration when that comes sooner, so librdkafka refreshes in time); or
 * -1 with errstr. host NULL = kafka.<region>.amazonaws.com. */
int hg_msk_iam_token(struct hg_aws_creds_provider *creds, const char *region,
                     const char *host, int64_t now, char **token, int64_t *lifetime_ms,
                     char *errstr, size_t errstr_size);

#endif
