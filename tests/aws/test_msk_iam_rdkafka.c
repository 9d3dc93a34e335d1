/* test_msk_iam_rdkafka.c — MSK IAM wired into real librdkafka clients the
 * way both programs build them (hg_kafka_conf_new + hg_kafka_new with
 * props.msk_iam): one handle serves more clients than there are handle
 * slots, every client gets its token from librdkafka's background thread
 * without the program polling, a token from good credentials is accepted
 * (no authentication error), and a failing credentials source surfaces as
 * an authentication error. No broker is needed: librdkafka fetches the
 * first token at start-up. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/aws/msk_iam.h"
#include "common/kafka.h"
#include "tests/unit/test.h"

#define CLIENTS 12   /* more than HG_MSK_IAM_MAX_HANDLES: one handle serves them all */

struct seen {
    int auth_errors;
    char last[512];
};

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct seen *s = opaque;
    (void)rk;
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
        s->auth_errors++;
        snprintf(s->last, sizeof s->last, "%s", reason);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static rd_kafka_t *client(const struct hg_kafka_props *props, struct seen *s)
{
    char errstr[512];
    rd_kafka_conf_t *conf = hg_kafka_conf_new("127.0.0.1:9", NULL, props, errstr, sizeof errstr);
    CHECK(conf != NULL);
    if (!conf)
        return NULL;
    rd_kafka_conf_set_opaque(conf, s);   /* the program's opaque stays its own */
    rd_kafka_conf_set_error_cb(conf, error_cb);
    char v[128];
    size_t n = sizeof v;
    CHECK_INT(rd_kafka_conf_get(conf, "sasl.mechanism", v, &n), RD_KAFKA_CONF_OK);
    CHECK_STR(v, "OAUTHBEARER");
    n = sizeof v;
    CHECK_INT(rd_kafka_conf_get(conf, "security.protocol", v, &n), RD_KAFKA_CONF_OK);
    CHECK_STR(v, "sasl_ssl");
    n = sizeof v;
    CHECK_INT(rd_kafka_conf_get(conf, "sasl.oauthbearer.config", v, &n), RD_KAFKA_CONF_OK);
    CHECK(strncmp(v, "hookgate-msk-iam-slot=", 22) == 0);
    rd_kafka_t *rk = hg_kafka_new(RD_KAFKA_PRODUCER, conf, props, errstr, sizeof errstr);
    CHECK(rk != NULL);
    if (!rk)
        fprintf(stderr, "hg_kafka_new: %s\n", errstr);
    return rk;
}

int main(void)
{
    char err[512];
    struct hg_aws_creds c;
    memset(&c, 0, sizeof c);
    snprintf(c.access_key_id, sizeof c.access_key_id, "AKIDMSKTEST");
    snprintf(c.secret_access_key, sizeof c.secret_access_key, "msk-secret");
    struct hg_aws_creds_provider *good = hg_aws_creds_provider_static(&c);

    /* Good credentials: CLIENTS clients on one handle, nobody polling. */
    struct hg_msk_iam *m = hg_msk_iam_create("eu-west-1", good, err, sizeof err);
    CHECK(m != NULL);
    struct hg_kafka_props props;
    memset(&props, 0, sizeof props);
    props.msk_iam = m;
    struct seen s1 = { 0 };
    rd_kafka_t *rks[CLIENTS] = { 0 };
    for (int i = 0; i < CLIENTS; i++)
        rks[i] = client(&props, &s1);
    for (int i = 0; i < 100 && hg_msk_iam_tokens_issued(m) < CLIENTS; i++)
        sleep_ms(50);
    CHECK_INT((long long)hg_msk_iam_tokens_issued(m), CLIENTS);
    for (int i = 0; i < CLIENTS; i++)
        if (rks[i])
            rd_kafka_poll(rks[i], 50);   /* deliver any error events */
    CHECK_INT(s1.auth_errors, 0);
    for (int i = 0; i < CLIENTS; i++)
        if (rks[i])
            rd_kafka_destroy(rks[i]);
    hg_msk_iam_destroy(m);
    hg_aws_creds_provider_destroy(good);

    /* No credentials anywhere: the refresh reports a token failure, which
     * the client raises as an authentication error; no token is issued. */
    char n1[] = "AWS_EC2_METADATA_DISABLED=true", n2[] = "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
         n3[] = "AWS_CONFIG_FILE=/nonexistent";
    char *env[] = { n1, n2, n3, NULL };
    struct hg_aws_creds_provider *bad = hg_aws_creds_provider_from_env(env, err, sizeof err);
    CHECK(bad != NULL);
    m = hg_msk_iam_create("eu-west-1", bad, err, sizeof err);
    CHECK(m != NULL);
    props.msk_iam = m;
    struct seen s2 = { 0 };
    rd_kafka_t *rk = client(&props, &s2);
    for (int i = 0; i < 30 && s2.auth_errors == 0 && rk; i++)
        rd_kafka_poll(rk, 100);
    CHECK(s2.auth_errors >= 1);
    CHECK(strstr(s2.last, "no AWS credentials") != NULL);
    CHECK_INT((long long)hg_msk_iam_tokens_issued(m), 0);
    if (rk)
        rd_kafka_destroy(rk);
    hg_msk_iam_destroy(m);

    /* Bad arguments, and the per-process handle limit. */
    CHECK(hg_msk_iam_create("", NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "region") != NULL);
    struct hg_msk_iam *many[HG_MSK_IAM_MAX_HANDLES];
    for (int i = 0; i < HG_MSK_IAM_MAX_HANDLES; i++) {
        many[i] = hg_msk_iam_create("eu-west-1", bad, err, sizeof err);
        CHECK(many[i] != NULL);
    }
    CHECK(hg_msk_iam_create("eu-west-1", bad, err, sizeof err) == NULL);
    CHECK(strstr(err, "handles") != NULL);
    for (int i = 0; i < HG_MSK_IAM_MAX_HANDLES; i++)
        hg_msk_iam_destroy(many[i]);
    hg_aws_creds_provider_destroy(bad);
    return TEST_DONE();
}
