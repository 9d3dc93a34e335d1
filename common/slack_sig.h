/* slack_sig.h — Slack v0 request signatures (HMAC-SHA256), several secrets
 * at once for rotation, constant-time comparison.
 * https://api.slack.com/authentication/verifying-requests-from-slack */
#ifndef HG_SLACK_SIG_H
#define HG_SLACK_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

enum hg_slack_sig_result {
    HG_SLACK_SIG_OK = 0,
    HG_SLACK_SIG_MISSING,        /* a header is absent or empty */
    HG_SLACK_SIG_BAD_TIMESTAMP,  /* not a plain decimal integer */
    HG_SLACK_SIG_STALE,          /* outside the window */
    HG_SLACK_SIG_MALFORMED,      /* not "v0=" + 64 hex digits */
    HG_SLACK_SIG_MISMATCH,       /* no configured secret produced it */
};

#define HG_SLACK_SIG_BLOCK 64u   /* SHA-256's block: the HMAC key pads */

/* The accepted signing secrets. Owned copies; wiped on cleanup. Each
 * secret is also kept as its two HMAC key blocks (RFC 2104: the key, or
 * its SHA-256 when longer than a block, XOR 0x36 and XOR 0x5c), computed
 * once when added, so that a verification only hashes. Not to be copied by
 * value; shared read-only between threads once built. */
struct hg_slack_secrets {
    char         *secret[HG_SLACK_MAX_SECRETS];
    size_t        len[HG_SLACK_MAX_SECRETS];
    unsigned char ipad[HG_SLACK_MAX_SECRETS][HG_SLACK_SIG_BLOCK];
    unsigned char opad[HG_SLACK_MAX_SECRETS][HG_SLACK_SIG_BLOCK];
    size_t        n;
};

/* One thread's working state for verifications: a SHA-256 context reused
 * from one request to the next (a verification then allocates almost
 * nothing). Owned by the caller, used by one thread at a time. */
struct hg_slack_sig_scratch;
/* NULL when out of memory. */
struct hg_slack_sig_scratch *hg_slack_sig_scratch_new(void);
void hg_slack_sig_scratch_free(struct hg_slack_sig_scratch *sc);

/* Add one secret (copied). Returns 0, or -1 when empty, longer than
 * HG_SLACK_SECRET_MAX_LEN, or HG_SLACK_MAX_SECRETS are already held. */
int hg_slack_secrets_add(struct hg_slack_secrets *s, const char *secret, size_t len);
/* Add every secret in a comma- or newline-separated list (surrounding
 * whitespace trimmed, empty items skipped). Returns the number added or -1. */
int hg_slack_secrets_add_list(struct hg_slack_secrets *s, const char *list);
/* Zero and free all secrets. */
void hg_slack_secrets_cleanup(struct hg_slack_secrets *s);

/* Verify one request. ts/sig are the raw header values (NULL = absent),
 * body the raw bytes as received. now is Unix time in seconds; max_age 0
 * disables the window (replaying captured traffic). Every configured secret
 * is tried (constant time per secret, CRYPTO_memcmp). sc: the calling
 * thread's scratch, or NULL for a temporary one (slower). A failure to
 * compute (out of memory) counts as a mismatch. */
enum hg_slack_sig_result hg_slack_sig_verify(const struct hg_slack_secrets *s,
                                             struct hg_slack_sig_scratch *sc,
                                             const char *ts, const char *sig,
                                             const void *body, size_t body_len,
                                             int64_t now, int64_t max_age);

/* Compute "v0=<hex>" into out (68 bytes incl. NUL) — for tests and tools. */
void hg_slack_sig_sign(const char *secret, size_t secret_len, const char *ts,
                       const void *body, size_t body_len, char out[68]);

/* A short, stable, secret-free reason for logs and error bodies. */
const char *hg_slack_sig_result_str(enum hg_slack_sig_result r);

#endif
