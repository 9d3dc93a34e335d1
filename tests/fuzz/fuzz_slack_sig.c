/* fuzz_slack_sig.c — libFuzzer target: Slack signature verification with
 * the input split into timestamp, signature and body at the first two
 * newlines. A signature we compute ourselves must always verify. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/slack_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char secret[] = "8f742231b10e8888abcd99yyyzzz85a5";
    struct hg_slack_secrets s = { 0 };
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *ts = copy, *sig = NULL, *body = copy + size;
    char *nl = memchr(copy, '\n', size);
    if (nl) {
        *nl = '\0';
        sig = nl + 1;
        char *nl2 = memchr(sig, '\n', (size_t)(copy + size - sig));
        if (nl2) {
            *nl2 = '\0';
            body = nl2 + 1;
        } else {
            body = copy + size;
        }
    }
    size_t body_len = (size_t)(copy + size - body);
    if (hg_slack_secrets_add_list(&s, "other-secret,8f742231b10e8888abcd99yyyzzz85a5") != 2)
        abort();
    /* a scratch kept across inputs, as a gateway thread keeps one: it must
     * answer exactly as a fresh one does */
    static struct hg_slack_sig_scratch *sc;
    if (!sc && !(sc = hg_slack_sig_scratch_new()))
        abort();
    enum hg_slack_sig_result r = hg_slack_sig_verify(&s, sc, ts, sig, body, body_len, 1531420618, 300);
    if (hg_slack_sig_result_str(r) == NULL)
        abort();
    if (hg_slack_sig_verify(&s, NULL, ts, sig, body, body_len, 1531420618, 300) != r)
        abort();
    (void)hg_slack_sig_verify(&s, sc, ts, sig, body, body_len, 0, 0);
    /* our own signature over a valid timestamp must verify */
    if (strlen(ts) >= 1 && strlen(ts) <= 12 && strspn(ts, "0123456789") == strlen(ts)) {
        char good[68];
        hg_slack_sig_sign(secret, strlen(secret), ts, body, body_len, good);
        if (hg_slack_sig_verify(&s, sc, ts, good, body, body_len, 0, 0) != HG_SLACK_SIG_OK)
            abort();
    }
    /* the list parser on the raw input (bounded by its own limits) */
    struct hg_slack_secrets t = { 0 };
    (void)hg_slack_secrets_add_list(&t, ts);
    hg_slack_secrets_cleanup(&t);
    hg_slack_secrets_cleanup(&s);
    free(copy);
    return 0;
}
