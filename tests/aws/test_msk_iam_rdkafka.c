/* test_msk_iam_rdkafka.c — hg_msk_iam_enable wired into a real librdkafka
 * client: the refresh callback runs, a token from good credentials is
 * accepted by rd_kafka_oauthbearer_set_token (no authentication error is
 * raised), and a failing credentials source surfaces as an error. No
 * broker is needed: librdkafka fetches the first token at start-up. */
#include <stdio.h>
#include <string.h>

#include "common/aws/msk_iam.h"
#include "tests/unit/test.h"

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

static int run(struct hg_aws_creds_provider *p, struct seen *s, char *sasl_cfg, size_t cfg_size)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:9", errstr, sizeof errstr);
    rd_kafka_conf_set_opaque(conf, s);   /* the program's opaque stays its own */
    rd_kafka_conf_set_error_cb(conf, error_cb);
    struct hg_msk_iam *m = hg_msk_iam_enable(conf, "eu-west-1", p, errstr, sizeof errstr);
    CHECK(m != NULL);
    if (!m) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    size_t n = cfg_size;
    CHECK_INT(rd_kafka_conf_get(conf, "sasl.oauthbearer.config", sasl_cfg, &n), RD_KAFKA_CONF_OK);
    char v[64];
    n = sizeof v;
    CHECK_INT(rd_kafka_conf_get(conf, "sasl.mechanism", v, &n), RD_KAFKA_CONF_OK);
    CHECK_STR(v, "OAUTHBEARER");
    n = sizeof v;
    CHECK_INT(rd_kafka_conf_get(conf, "security.protocol", v, &n), RD_KAFKA_CONF_OK);
    CHECK_STR(v, "sasl_ssl");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    CHECK(rk != NULL);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        hg_msk_iam_destroy(m);
        return -1;
    }
    for (int i = 0; i < 10; i++)
        rd_kafka_poll(rk, 100);
    rd_kafka_destroy(rk);
    hg_msk_iam_destroy(m);
    return 0;
}

int main(void)
{
    struct hg_aws_creds c;
    char cfg[128];
    memset(&c, 0, sizeof c);
    snprintf(c.access_key_id, sizeof c.access_key_id, "AKIDMSKTEST");
    snprintf(c.secret_access_key, sizeof c.secret_access_key, "msk-secret");
    struct hg_aws_creds_provider *good = hg_aws_creds_provider_static(&c);
    struct seen s1 = { 0 };
    CHECK_INT(run(good, &s1, cfg, sizeof cfg), 0);
    CHECK_INT(s1.auth_errors, 0);
    CHECK(strncmp(cfg, "hookgate-msk-iam-slot=", 22) == 0);
    hg_aws_creds_provider_destroy(good);

    /* No credentials anywhere: the callback reports a token failure. */
    char n1[] = "AWS_EC2_METADATA_DISABLED=true", n2[] = "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
         n3[] = "AWS_CONFIG_FILE=/nonexistent";
    char *env[] = { n1, n2, n3, NULL };
    char err[512];
    struct hg_aws_creds_provider *bad = hg_aws_creds_provider_from_env(env, err, sizeof err);
    CHECK(bad != NULL);
    struct seen s2 = { 0 };
    CHECK_INT(run(bad, &s2, cfg, sizeof cfg), 0);
    CHECK(s2.auth_errors >= 1);
    CHECK(strstr(s2.last, "no AWS credentials") != NULL);
    hg_aws_creds_provider_destroy(bad);

    /* Bad arguments. */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    CHECK(hg_msk_iam_enable(conf, "", NULL, err, sizeof err) == NULL);
    rd_kafka_conf_destroy(conf);
    return TEST_DONE();
}
