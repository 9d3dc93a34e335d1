/* test_slack_sig.c — Slack v0 signatures: Slack's published vector,
 * rotation, wrong secret, tampering, the window, malformed and missing. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/slack_sig.h"
#include "test.h"

/* https://api.slack.com/authentication/verifying-requests-from-slack
 * (protocols.md §1; recomputed with openssl). */
static const char SECRET[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char TS[] = "1531420618";
static const char BODY[] =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
    "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
static const char SIG[] = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

/* "v0=<hex>" of HMAC-SHA256(key, "v0:" ts ":" body) by OpenSSL's own HMAC
 * (EVP_Q_mac): the independent check of the hand-built construction. */
static void openssl_sign(const unsigned char *key, size_t key_len, const char *ts,
                         const unsigned char *body, size_t body_len, char out[68])
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 3 + strlen(ts) + 1 + body_len;
    unsigned char *msg = malloc(n), mac[32];
    size_t ml = 0;
    memcpy(msg, "v0:", 3);
    memcpy(msg + 3, ts, strlen(ts));
    msg[3 + strlen(ts)] = ':';
    if (body_len)
        memcpy(msg + 4 + strlen(ts), body, body_len);
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, msg, n, mac, sizeof mac, &ml) ||
        ml != 32) {
        out[0] = '\0';
        free(msg);
        return;
    }
    free(msg);
    memcpy(out, "v0=", 3);
    for (size_t i = 0; i < 32; i++) {
        out[3 + 2 * i] = hex[mac[i] >> 4];
        out[4 + 2 * i] = hex[mac[i] & 15];
    }
    out[67] = '\0';
}

/* Keys of every length around SHA-256's 64-byte block (shorter keys are
 * padded, longer ones hashed first) and bodies of several lengths: sign and
 * verify agree with OpenSSL's HMAC, with a scratch reused across secrets
 * and with none. */
static void check_against_openssl_hmac(void)
{
    static const size_t key_lens[] = { 1, 31, 32, 63, 64, 65, 100, 128, 200, HG_SLACK_SECRET_MAX_LEN };
    static const size_t body_lens[] = { 0, 1, 55, 56, 64, 119, 362, 1000 };
    unsigned char key[HG_SLACK_SECRET_MAX_LEN], body[1000];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 131 + 7);
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (unsigned char)(i * 17 + 3);
    struct hg_slack_sig_scratch *sc = hg_slack_sig_scratch_new();
    CHECK(sc != NULL);
    int cases = 0;
    for (size_t k = 0; k < sizeof key_lens / sizeof key_lens[0]; k++) {
        struct hg_slack_secrets s = { 0 };
        CHECK_INT(hg_slack_secrets_add(&s, "an-older-secret", 15), 0);
        CHECK_INT(hg_slack_secrets_add(&s, (const char *)key, key_lens[k]), 0);
        for (size_t b = 0; b < sizeof body_lens / sizeof body_lens[0]; b++) {
            char ours[68], theirs[68];
            hg_slack_sig_sign((const char *)key, key_lens[k], TS, body, body_lens[b], ours);
            openssl_sign(key, key_lens[k], TS, body, body_lens[b], theirs);
            CHECK_STR(ours, theirs);
            CHECK_INT(hg_slack_sig_verify(&s, sc, TS, theirs, body, body_lens[b], 0, 0), HG_SLACK_SIG_OK);
            CHECK_INT(hg_slack_sig_verify(&s, NULL, TS, theirs, body, body_lens[b], 0, 0), HG_SLACK_SIG_OK);
            theirs[10] = theirs[10] == '0' ? '1' : '0';
            CHECK_INT(hg_slack_sig_verify(&s, sc, TS, theirs, body, body_lens[b], 0, 0), HG_SLACK_SIG_MISMATCH);
            cases++;
        }
        hg_slack_secrets_cleanup(&s);
    }
    CHECK_INT(cases, 80);   /* 10 key lengths x 8 body lengths */
    hg_slack_sig_scratch_free(sc);
}

static enum hg_slack_sig_result verify(const struct hg_slack_secrets *s, const char *ts,
                                       const char *sig, const char *body, int64_t now,
                                       int64_t max_age)
{
    return hg_slack_sig_verify(s, NULL, ts, sig, body, body ? strlen(body) : 0, now, max_age);
}

int main(void)
{
    const int64_t T = 1531420618;
    struct hg_slack_secrets one = { 0 }, rot = { 0 }, wrong = { 0 };
    CHECK_INT(strlen(BODY), 362);

    /* sign reproduces the published signature */
    char out[68];
    hg_slack_sig_sign(SECRET, strlen(SECRET), TS, BODY, strlen(BODY), out);
    CHECK_STR(out, SIG);

    CHECK_INT(hg_slack_secrets_add(&one, SECRET, strlen(SECRET)), 0);
    CHECK_INT(one.n, 1);
    /* published example, window disabled and with now near ts */
    CHECK_INT(verify(&one, TS, SIG, BODY, 0, 0), HG_SLACK_SIG_OK);
    CHECK_INT(verify(&one, TS, SIG, BODY, T + 10, 300), HG_SLACK_SIG_OK);
    CHECK_INT(verify(&one, TS, SIG, BODY, T - 300, 300), HG_SLACK_SIG_OK);
    CHECK_INT(verify(&one, TS, SIG, BODY, T + 300, 300), HG_SLACK_SIG_OK);
    /* stale and future */
    CHECK_INT(verify(&one, TS, SIG, BODY, T + 301, 300), HG_SLACK_SIG_STALE);
    CHECK_INT(verify(&one, TS, SIG, BODY, T - 301, 300), HG_SLACK_SIG_STALE);
    CHECK_INT(verify(&one, TS, SIG, BODY, T + 86400 * 365, 300), HG_SLACK_SIG_STALE);

    /* upper-case hex digits decode to the same bytes */
    char upper[68];
    memcpy(upper, SIG, sizeof upper);
    for (size_t i = 3; i < 67; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f')
            upper[i] = (char)(upper[i] - 'a' + 'A');
    CHECK_INT(verify(&one, TS, upper, BODY, 0, 0), HG_SLACK_SIG_OK);

    /* tampered body, tampered timestamp, tampered signature */
    char body2[sizeof BODY];
    memcpy(body2, BODY, sizeof BODY);
    body2[100] ^= 1;
    CHECK_INT(verify(&one, TS, SIG, body2, 0, 0), HG_SLACK_SIG_MISMATCH);
    CHECK_INT(hg_slack_sig_verify(&one, NULL, TS, SIG, BODY, strlen(BODY) - 1, 0, 0),
              HG_SLACK_SIG_MISMATCH);
    CHECK_INT(verify(&one, "1531420619", SIG, BODY, 0, 0), HG_SLACK_SIG_MISMATCH);
    char sig2[68];
    memcpy(sig2, SIG, sizeof sig2);
    sig2[66] = sig2[66] == '3' ? '4' : '3';
    CHECK_INT(verify(&one, TS, sig2, BODY, 0, 0), HG_SLACK_SIG_MISMATCH);

    /* wrong secret */
    CHECK_INT(hg_slack_secrets_add(&wrong, "not-the-secret", 14), 0);
    CHECK_INT(verify(&wrong, TS, SIG, BODY, 0, 0), HG_SLACK_SIG_MISMATCH);
    /* no secrets at all never verifies */
    struct hg_slack_secrets none = { 0 };
    CHECK_INT(verify(&none, TS, SIG, BODY, 0, 0), HG_SLACK_SIG_MISMATCH);

    /* rotation: the second secret in a list matches */
    CHECK_INT(hg_slack_secrets_add_list(&rot, " old-secret-1 ,\n\n 8f742231b10e8888abcd99yyyzzz85a5 \n,"), 2);
    CHECK_INT(rot.n, 2);
    CHECK_STR(rot.secret[0], "old-secret-1");
    CHECK_STR(rot.secret[1], SECRET);
    CHECK_INT(verify(&rot, TS, SIG, BODY, T, 300), HG_SLACK_SIG_OK);

    /* malformed signatures */
    CHECK_INT(verify(&one, TS, "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", BODY, 0, 0),
              HG_SLACK_SIG_MALFORMED);
    CHECK_INT(verify(&one, TS, "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50", BODY, 0, 0),
              HG_SLACK_SIG_MALFORMED);
    CHECK_INT(verify(&one, TS, "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b5033", BODY, 0, 0),
              HG_SLACK_SIG_MALFORMED);
    CHECK_INT(verify(&one, TS, "v0=g2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", BODY, 0, 0),
              HG_SLACK_SIG_MALFORMED);
    CHECK_INT(verify(&one, TS, " v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", BODY, 0, 0),
              HG_SLACK_SIG_MALFORMED);
    CHECK_INT(verify(&one, TS, "V0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", BODY, 0, 0),
              HG_SLACK_SIG_MALFORMED);
    CHECK_INT(verify(&one, TS, "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", BODY, 0, 0),
              HG_SLACK_SIG_MALFORMED);

    /* bad timestamps: sign, space, too many digits, not a number */
    CHECK_INT(verify(&one, "+1531420618", SIG, BODY, 0, 0), HG_SLACK_SIG_BAD_TIMESTAMP);
    CHECK_INT(verify(&one, "-1531420618", SIG, BODY, 0, 0), HG_SLACK_SIG_BAD_TIMESTAMP);
    CHECK_INT(verify(&one, " 1531420618", SIG, BODY, 0, 0), HG_SLACK_SIG_BAD_TIMESTAMP);
    CHECK_INT(verify(&one, "1531420618 ", SIG, BODY, 0, 0), HG_SLACK_SIG_BAD_TIMESTAMP);
    CHECK_INT(verify(&one, "1531420618.5", SIG, BODY, 0, 0), HG_SLACK_SIG_BAD_TIMESTAMP);
    CHECK_INT(verify(&one, "1234567890123", SIG, BODY, 0, 0), HG_SLACK_SIG_BAD_TIMESTAMP);
    CHECK_INT(verify(&one, "abc", SIG, BODY, 0, 0), HG_SLACK_SIG_BAD_TIMESTAMP);
    CHECK_INT(verify(&one, "999999999999", SIG, BODY, T, 300), HG_SLACK_SIG_STALE);

    /* missing headers */
    CHECK_INT(verify(&one, NULL, SIG, BODY, 0, 0), HG_SLACK_SIG_MISSING);
    CHECK_INT(verify(&one, TS, NULL, BODY, 0, 0), HG_SLACK_SIG_MISSING);
    CHECK_INT(verify(&one, "", SIG, BODY, 0, 0), HG_SLACK_SIG_MISSING);
    CHECK_INT(verify(&one, TS, "", BODY, 0, 0), HG_SLACK_SIG_MISSING);

    /* empty body signs and verifies */
    hg_slack_sig_sign(SECRET, strlen(SECRET), TS, "", 0, out);
    CHECK_INT(hg_slack_sig_verify(&one, NULL, TS, out, NULL, 0, 0, 0), HG_SLACK_SIG_OK);

    /* secret limits */
    struct hg_slack_secrets lim = { 0 };
    CHECK_INT(hg_slack_secrets_add(&lim, "", 0), -1);
    char *big = malloc(HG_SLACK_SECRET_MAX_LEN + 1);
    memset(big, 'k', HG_SLACK_SECRET_MAX_LEN + 1);
    CHECK_INT(hg_slack_secrets_add(&lim, big, HG_SLACK_SECRET_MAX_LEN + 1), -1);
    CHECK_INT(hg_slack_secrets_add(&lim, big, HG_SLACK_SECRET_MAX_LEN), 0);
    free(big);
    for (unsigned i = 1; i < HG_SLACK_MAX_SECRETS; i++)
        CHECK_INT(hg_slack_secrets_add(&lim, "s", 1), 0);
    CHECK_INT(hg_slack_secrets_add(&lim, "s", 1), -1);
    CHECK_INT(lim.n, HG_SLACK_MAX_SECRETS);
    hg_slack_secrets_cleanup(&lim);
    CHECK_INT(lim.n, 0);
    CHECK(lim.secret[0] == NULL);
    CHECK_INT(hg_slack_secrets_add_list(&lim, " , \n "), 0);

    check_against_openssl_hmac();

    /* reasons are stable and carry no secret */
    CHECK_STR(hg_slack_sig_result_str(HG_SLACK_SIG_OK), "ok");
    CHECK(strstr(hg_slack_sig_result_str(HG_SLACK_SIG_MISMATCH), "match") != NULL);

    hg_slack_secrets_cleanup(&one);
    hg_slack_secrets_cleanup(&rot);
    hg_slack_secrets_cleanup(&wrong);
    hg_slack_secrets_cleanup(&none);
    return TEST_DONE();
}
