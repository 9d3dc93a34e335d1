/* msk_iam.c — MSK IAM auth: OAUTHBEARER tokens that are base64url SigV4
 * presigned kafka-cluster:Connect URLs (protocols.md §10), handed to
 * librdkafka from its token refresh callback.
 * https://github.com/aws/aws-msk-iam-sasl-signer-go/blob/main/signer/msk_auth_token_provider.go
 * https://github.com/confluentinc/librdkafka/blob/v2.0.2/src/rdkafka.h (oauthbearer) */
#include "common/aws/msk_iam.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/aws/clock.h"
#include "common/aws/sigv4.h"
#include "common/b64.h"
#include "common/buf.h"
#include "common/log.h"

#define MSK_IAM_SLOTS HG_MSK_IAM_MAX_HANDLES
#define MSK_IAM_CONFIG_PREFIX "hookgate-msk-iam-slot="
#define MSK_IAM_USER_AGENT "hookgate%2F0.1"

struct hg_msk_iam {
    int slot;
    char region[HG_AWS_REGION_MAX];
    struct hg_aws_creds_provider *creds;
    _Atomic uint64_t tokens;      /* handed to librdkafka */
};

/* librdkafka's conf opaque belongs to the program, so the callback finds
 * its state through sasl.oauthbearer.config → a slot in this table. */
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hg_msk_iam *slots[MSK_IAM_SLOTS];

int hg_msk_iam_token(struct hg_aws_creds_provider *creds, const char *region,
                     const char *host, int64_t now, char **token, int64_t *lifetime_ms,
                     char *errstr, size_t errstr_size)
{
    struct hg_aws_creds *c = calloc(1, sizeof *c);
    struct hg_buf q, url;
    char hostbuf[256];
    int rc = -1;

    *token = NULL;
    hg_buf_init(&q, 4 * HG_AWS_TOKEN_MAX + 4096);
    hg_buf_init(&url, 4 * HG_AWS_TOKEN_MAX + 4096);
    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    if (!region || !*region) {
        snprintf(errstr, errstr_size, "msk-iam: no region");
        goto out;
    }
    if (!host)
        snprintf(hostbuf, sizeof hostbuf, "kafka.%s.amazonaws.com", region);
    else
        snprintf(hostbuf, sizeof hostbuf, "%s", host);
    if (hg_aws_creds_get(creds, c, errstr, errstr_size) != 0)
        goto out;
    struct hg_sigv4_request r = {
        .method = "GET", .host = hostbuf, .path = "/",
        .query = "Action=kafka-cluster%3AConnect", .region = region,
        .service = "kafka-cluster", .now = now,
    };
    if (hg_sigv4_presign(c, &r, HG_MSK_IAM_EXPIRES_S, &q, errstr, errstr_size) != 0)
        goto out;
    /* The signers append an unsigned User-Agent parameter. */
    if (hg_buf_appendf(&url, "https://%s/?%s&User-Agent=%s", hostbuf, q.data,
                       MSK_IAM_USER_AGENT) != 0) {
        snprintf(errstr, errstr_size, "msk-iam: token too long");
        goto out;
    }
    *token = malloc(HG_B64_ENCODED_MAX(url.len));
    if (!*token) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    hg_b64_encode((const unsigned char *)url.data, url.len, *token, 1);
    /* The token is no good once the credentials that signed it expire:
     * librdkafka must refresh before whichever comes first. */
    int64_t until = now + HG_MSK_IAM_EXPIRES_S;
    if (c->expiration > 0 && c->expiration < until)
        until = c->expiration;
    *lifetime_ms = until * 1000;
    rc = 0;
out:
    if (c) {
        hg_aws_creds_wipe(c);
        free(c);
    }
    if (q.data)
        OPENSSL_cleanse(q.data, q.len);
    if (url.data)
        OPENSSL_cleanse(url.data, url.len);
    hg_buf_cleanup(&q);
    hg_buf_cleanup(&url);
    return rc;
}

static void refresh_cb(rd_kafka_t *rk, const char *oauthbearer_config, void *opaque)
{
    char errstr[512], region[HG_AWS_REGION_MAX];
    struct hg_aws_creds_provider *creds = NULL;
    char *token = NULL;
    int64_t lifetime_ms = 0;
    (void)opaque;

    size_t pl = strlen(MSK_IAM_CONFIG_PREFIX);
    if (!oauthbearer_config || strncmp(oauthbearer_config, MSK_IAM_CONFIG_PREFIX, pl) != 0 ||
        oauthbearer_config[pl] < '0' || oauthbearer_config[pl] > '9' || oauthbearer_config[pl + 1]) {
        rd_kafka_oauthbearer_set_token_failure(rk, "msk-iam: sasl.oauthbearer.config was changed");
        return;
    }
    int slot = oauthbearer_config[pl] - '0';
    struct hg_msk_iam *m = NULL;
    pthread_mutex_lock(&slots_mu);
    if (slot < MSK_IAM_SLOTS && slots[slot]) {
        m = slots[slot];
        creds = m->creds;
        snprintf(region, sizeof region, "%s", m->region);
    }
    pthread_mutex_unlock(&slots_mu);
    if (!creds) {
        rd_kafka_oauthbearer_set_token_failure(rk, "msk-iam: handle destroyed");
        return;
    }
    /* Signed on AWS's clock (hg_aws_clock); librdkafka reads the lifetime
     * on the local one. */
    int64_t skew = hg_aws_clock_skew();
    if (hg_msk_iam_token(creds, region, NULL, (int64_t)time(NULL) + skew, &token, &lifetime_ms,
                         errstr, sizeof errstr) != 0) {
        hg_log_warn("msk_iam_token_failed", "error", errstr);
        rd_kafka_oauthbearer_set_token_failure(rk, errstr);
        return;
    }
    lifetime_ms -= skew * 1000;
    if (rd_kafka_oauthbearer_set_token(rk, token, lifetime_ms, "hookgate", NULL, 0,
                                       errstr, sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        hg_log_warn("msk_iam_token_rejected", "error", errstr);
        rd_kafka_oauthbearer_set_token_failure(rk, errstr);
    } else {
        /* m is valid here: the handle outlives every client it serves */
        atomic_fetch_add_explicit(&m->tokens, 1, memory_order_relaxed);
    }
    OPENSSL_cleanse(token, strlen(token));
    free(token);
}

struct hg_msk_iam *hg_msk_iam_create(const char *region, struct hg_aws_creds_provider *creds,
                                     char *errstr, size_t errstr_size)
{
    struct hg_msk_iam *m = NULL;
    if (!region || !*region || strlen(region) >= HG_AWS_REGION_MAX || !creds) {
        snprintf(errstr, errstr_size, "msk-iam: a region and credentials are required");
        return NULL;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    snprintf(m->region, sizeof m->region, "%s", region);
    m->creds = creds;
    m->slot = -1;
    pthread_mutex_lock(&slots_mu);
    for (int i = 0; i < MSK_IAM_SLOTS; i++) {
        if (!slots[i]) {
            slots[i] = m;
            m->slot = i;
            break;
        }
    }
    pthread_mutex_unlock(&slots_mu);
    if (m->slot < 0) {
        snprintf(errstr, errstr_size, "msk-iam: more than %d handles in one process", MSK_IAM_SLOTS);
        free(m);
        return NULL;
    }
    return m;
}

int hg_msk_iam_apply(const struct hg_msk_iam *m, rd_kafka_conf_t *conf,
                     char *errstr, size_t errstr_size)
{
    char cfg[64];
    snprintf(cfg, sizeof cfg, MSK_IAM_CONFIG_PREFIX "%d", m->slot);
    if (rd_kafka_conf_set(conf, "security.protocol", "SASL_SSL", errstr, errstr_size) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "sasl.mechanism", "OAUTHBEARER", errstr, errstr_size) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "sasl.oauthbearer.config", cfg, errstr, errstr_size) != RD_KAFKA_CONF_OK)
        return -1;
    rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, refresh_cb);
    /* a queue of its own, so hg_msk_iam_start can hand it to the background thread */
    rd_kafka_conf_enable_sasl_queue(conf, 1);
    return 0;
}

int hg_msk_iam_start(rd_kafka_t *rk, char *errstr, size_t errstr_size)
{
    rd_kafka_error_t *e = rd_kafka_sasl_background_callbacks_enable(rk);
    if (!e)
        return 0;
    snprintf(errstr, errstr_size, "msk-iam: background token refresh: %s", rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return -1;
}

uint64_t hg_msk_iam_tokens_issued(const struct hg_msk_iam *m)
{
    return atomic_load_explicit(&m->tokens, memory_order_relaxed);
}

void hg_msk_iam_destroy(struct hg_msk_iam *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&slots_mu);
    if (m->slot >= 0 && m->slot < MSK_IAM_SLOTS && slots[m->slot] == m)
        slots[m->slot] = NULL;
    pthread_mutex_unlock(&slots_mu);
    free(m);
}
