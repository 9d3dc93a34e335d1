/* slack_sig.c — Slack v0 request signatures: HMAC-SHA256 over
 * "v0:<ts>:<body>", several secrets for rotation, constant-time compare.
 * https://api.slack.com/authentication/verifying-requests-from-slack */
#include "common/slack_sig.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define SIG_HEX_LEN 64u
#define SIG_TS_MAX_DIGITS 12u

/* The HMAC implementation, fetched once (OpenSSL 3 EVP_MAC); lives for the
 * life of the process. */
static EVP_MAC *sig_hmac;
static pthread_once_t sig_once = PTHREAD_ONCE_INIT;

static void sig_fetch(void)
{
    sig_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* A new HMAC-SHA256 context keyed with secret, or NULL. */
static EVP_MAC_CTX *sig_keyed_new(const char *secret, size_t secret_len)
{
    pthread_once(&sig_once, sig_fetch);
    EVP_MAC_CTX *c = sig_hmac ? EVP_MAC_CTX_new(sig_hmac) : NULL;
    if (!c)
        return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(c, (const unsigned char *)secret, secret_len, params) != 1) {
        EVP_MAC_CTX_free(c);
        return NULL;
    }
    return c;
}

/* HMAC-SHA256 of "v0:" ts ":" body with a keyed context (left as it was:
 * the work happens on a copy). Returns 0 or -1. */
static int sig_mac(const EVP_MAC_CTX *keyed, const char *ts, size_t ts_len,
                   const void *body, size_t body_len, unsigned char mac[32])
{
    int rc = -1;
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(keyed);
    if (!c)
        return -1;
    if (EVP_MAC_update(c, (const unsigned char *)"v0:", 3) != 1 ||
        EVP_MAC_update(c, (const unsigned char *)ts, ts_len) != 1 ||
        EVP_MAC_update(c, (const unsigned char *)":", 1) != 1 ||
        (body_len && EVP_MAC_update(c, body, body_len) != 1))
        goto out;
    size_t outl = 0;
    if (EVP_MAC_final(c, mac, &outl, 32) != 1 || outl != 32)
        goto out;
    rc = 0;
out:
    EVP_MAC_CTX_free(c);
    return rc;
}

int hg_slack_secrets_add(struct hg_slack_secrets *s, const char *secret, size_t len)
{
    if (!secret || len == 0 || len > HG_SLACK_SECRET_MAX_LEN || s->n >= HG_SLACK_MAX_SECRETS)
        return -1;
    char *copy = malloc(len + 1);
    EVP_MAC_CTX *keyed = sig_keyed_new(secret, len);
    if (!copy || !keyed) {
        free(copy);
        EVP_MAC_CTX_free(keyed);
        return -1;
    }
    memcpy(copy, secret, len);
    copy[len] = '\0';
    s->secret[s->n] = copy;
    s->keyed[s->n] = keyed;
    s->len[s->n] = len;
    s->n++;
    return 0;
}

int hg_slack_secrets_add_list(struct hg_slack_secrets *s, const char *list)
{
    if (!list)
        return -1;
    int added = 0;
    const char *p = list;
    for (;;) {
        size_t span = strcspn(p, ",\n");
        const char *a = p, *e = p + span;
        while (a < e && isspace((unsigned char)*a))
            a++;
        while (e > a && isspace((unsigned char)e[-1]))
            e--;
        if (e > a) {
            if (hg_slack_secrets_add(s, a, (size_t)(e - a)) != 0)
                return -1;
            added++;
        }
        if (p[span] == '\0')
            break;
        p += span + 1;
    }
    return added;
}

void hg_slack_secrets_cleanup(struct hg_slack_secrets *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n && i < HG_SLACK_MAX_SECRETS; i++) {
        if (s->secret[i]) {
            OPENSSL_cleanse(s->secret[i], s->len[i]);
            free(s->secret[i]);
        }
        EVP_MAC_CTX_free(s->keyed[i]);   /* frees the keyed copy of the secret too */
        s->keyed[i] = NULL;
        s->secret[i] = NULL;
        s->len[i] = 0;
    }
    s->n = 0;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

enum hg_slack_sig_result hg_slack_sig_verify(const struct hg_slack_secrets *s,
                                             const char *ts, const char *sig,
                                             const void *body, size_t body_len,
                                             int64_t now, int64_t max_age)
{
    if (!ts || !*ts || !sig || !*sig)
        return HG_SLACK_SIG_MISSING;
    /* Timestamp: 1..12 plain decimal digits. */
    size_t ts_len = strlen(ts);
    if (ts_len > SIG_TS_MAX_DIGITS)
        return HG_SLACK_SIG_BAD_TIMESTAMP;
    int64_t t = 0;
    for (size_t i = 0; i < ts_len; i++) {
        if (ts[i] < '0' || ts[i] > '9')
            return HG_SLACK_SIG_BAD_TIMESTAMP;
        t = t * 10 + (ts[i] - '0');
    }
    /* Signature: "v0=" + 64 hex digits, decoded to bytes. */
    if (strlen(sig) != 3 + SIG_HEX_LEN || memcmp(sig, "v0=", 3) != 0)
        return HG_SLACK_SIG_MALFORMED;
    unsigned char want[32];
    for (size_t i = 0; i < 32; i++) {
        int hi = hexval((unsigned char)sig[3 + 2 * i]);
        int lo = hexval((unsigned char)sig[4 + 2 * i]);
        if (hi < 0 || lo < 0)
            return HG_SLACK_SIG_MALFORMED;
        want[i] = (unsigned char)(hi << 4 | lo);
    }
    if (max_age > 0) {
        int64_t d = now - t;
        if (d < 0)
            d = -d;
        if (d > max_age)
            return HG_SLACK_SIG_STALE;
    }
    if (!s)
        return HG_SLACK_SIG_MISMATCH;
    int ok = 0;
    for (size_t i = 0; i < s->n; i++) {
        unsigned char mac[32];
        if (!s->keyed[i] || sig_mac(s->keyed[i], ts, ts_len, body, body_len, mac) != 0)
            continue;
        /* lengths are both 32 by construction */
        ok |= CRYPTO_memcmp(mac, want, sizeof mac) == 0;
        OPENSSL_cleanse(mac, sizeof mac);
    }
    return ok ? HG_SLACK_SIG_OK : HG_SLACK_SIG_MISMATCH;
}

void hg_slack_sig_sign(const char *secret, size_t secret_len, const char *ts,
                       const void *body, size_t body_len, char out[68])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[32];
    EVP_MAC_CTX *keyed = sig_keyed_new(secret, secret_len);
    int rc = keyed ? sig_mac(keyed, ts, strlen(ts), body, body_len, mac) : -1;
    EVP_MAC_CTX_free(keyed);
    if (rc != 0) {
        out[0] = '\0';
        return;
    }
    memcpy(out, "v0=", 3);
    for (size_t i = 0; i < 32; i++) {
        out[3 + 2 * i] = hex[mac[i] >> 4];
        out[4 + 2 * i] = hex[mac[i] & 15];
    }
    out[67] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
}

const char *hg_slack_sig_result_str(enum hg_slack_sig_result r)
{
    switch (r) {
    case HG_SLACK_SIG_OK:            return "ok";
    case HG_SLACK_SIG_MISSING:       return "signature or timestamp header missing";
    case HG_SLACK_SIG_BAD_TIMESTAMP: return "timestamp is not a plain decimal integer";
    case HG_SLACK_SIG_STALE:         return "timestamp outside the allowed window";
    case HG_SLACK_SIG_MALFORMED:     return "signature is not v0= followed by 64 hex digits";
    case HG_SLACK_SIG_MISMATCH:      return "signature does not match";
    }
    return "unknown";
}
