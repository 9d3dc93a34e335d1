/* test_slack_sig.c — Slack v0 signatures: Slack's published vector,
 * rotation, wrong secret, tampering, the window, malformed and missing. */
#include <stdlib.h>
#include <string.h>

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

static enum hg_slack_sig_result verify(const struct hg_slack_secrets *s, const char *ts,
                                       const char *sig, const char *body, int64_t now,
                                       int64_t max_age)
{
    return hg_slack_sig_verify(s, ts, sig, body, body ? strlen(body) : 0, now, max_age);
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
    CHECK_INT(hg_slack_sig_verify(&one, TS, SIG, BODY, strlen(BODY) - 1, 0, 0),
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
    CHECK_INT(hg_slack_sig_verify(&one, TS, out, NULL, 0, 0, 0), HG_SLACK_SIG_OK);

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

    /* reasons are stable and carry no secret */
    CHECK_STR(hg_slack_sig_result_str(HG_SLACK_SIG_OK), "ok");
    CHECK(strstr(hg_slack_sig_result_str(HG_SLACK_SIG_MISMATCH), "match") != NULL);

    hg_slack_secrets_cleanup(&one);
    hg_slack_secrets_cleanup(&rot);
    hg_slack_secrets_cleanup(&wrong);
    hg_slack_secrets_cleanup(&none);
    return TEST_DONE();
}
