/* creds.h — AWS credentials and the SDKs' default provider chain:
 * environment, web identity (STS AssumeRoleWithWebIdentity), shared
 * credentials/config files, container credentials (ECS, EKS Pod Identity),
 * EC2 IMDSv2. Cached, refreshed before expiry, thread-safe.
 * https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html */
#ifndef HG_AWS_CREDS_H
#define HG_AWS_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

/* A set of credentials, by value. Secrets: never log any field except
 * access_key_id; wipe copies with hg_aws_creds_wipe. */
struct hg_aws_creds {
    char    access_key_id[HG_AWS_AKID_MAX];
    char    secret_access_key[HG_AWS_SECRET_MAX];
    char    session_token[HG_AWS_TOKEN_MAX];   /* "" for long-term keys */
    int64_t expiration;                        /* Unix seconds; 0 = does not expire */
};

/* Zero every byte (OPENSSL_cleanse). */
void hg_aws_creds_wipe(struct hg_aws_creds *c);

/* The provider chain. Thread-safe: any thread may call hg_aws_creds_get.
 * One refresh runs at a time, without the provider's lock held: while it
 * runs, callers whose cached credentials are still valid get those, and
 * the others wait for it and share its outcome. */
struct hg_aws_creds_provider;

/* Build the default chain from the environment (envp NULL-terminated, e.g.
 * `environ`; read once here except the token files, which are re-read on
 * every refresh). Recognised, in the SDKs' order:
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 *   AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME]
 *     against AWS_ENDPOINT_URL_STS (else AWS_ENDPOINT_URL, else
 *     https://sts.<region>.amazonaws.com, region from AWS_REGION /
 *     AWS_DEFAULT_REGION, else the global https://sts.amazonaws.com);
 *   AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), AWS_CONFIG_FILE
 *     (~/.aws/config), AWS_PROFILE (default "default");
 *   AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2<uri>) or
 *     AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback,
 *     169.254.170.2/.23 or fd00:ec2::23 host), with the Authorization from
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN;
 *   EC2 IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT (default
 *     http://169.254.169.254), unless AWS_EC2_METADATA_DISABLED=true.
 * Nothing is fetched here. Returns the provider (free with
 * hg_aws_creds_provider_destroy) or NULL with errstr (out of memory, a
 * malformed variable such as a FULL_URI to a non-allowed host). */
struct hg_aws_creds_provider *hg_aws_creds_provider_from_env(char **envp,
                                                             char *errstr, size_t errstr_size);

/* A provider that always returns a copy of c (tests, tools). */
struct hg_aws_creds_provider *hg_aws_creds_provider_static(const struct hg_aws_creds *c);

/* Free the provider and wipe its cache. NULL is ignored. Call after every
 * user (S3/Glue clients, the Kafka handle) is gone. */
void hg_aws_creds_provider_destroy(struct hg_aws_creds_provider *p);

/* Current credentials into *out: the cached set, or a fresh one when none
 * is cached or it expires within HG_AWS_CREDS_REFRESH_S seconds. Sources are
 * tried in order; the first that is configured is used (a configured source
 * that fails is an error, as in the SDKs — except IMDS, tried last). A
 * refresh that fails while the cached set is still valid returns that set,
 * and for the next 5 s the chain is not tried again while it stays valid
 * (once expired, or after hg_aws_creds_invalidate, every get refreshes).
 * Returns 0, or -1 with one errstr line naming every source tried and why
 * each failed (no secret values). *out is wiped on failure. */
int hg_aws_creds_get(struct hg_aws_creds_provider *p, struct hg_aws_creds *out,
                     char *errstr, size_t errstr_size);

/* Drop the cache so the next get refreshes (after ExpiredToken). */
void hg_aws_creds_invalidate(struct hg_aws_creds_provider *p);

/* Name of the source that produced the cached credentials ("environment",
 * "web-identity", "shared-file", "container", "imds", "static"), or "none". */
const char *hg_aws_creds_source(struct hg_aws_creds_provider *p);

/* The region from AWS_REGION, then AWS_DEFAULT_REGION, then the `region` of
 * the profile in the shared config file. Returns 0 with out filled, or -1
 * when none is set (out = ""). */
int hg_aws_region_from_env(char **envp, char *out, size_t out_size);

/* Parse a credentials JSON document (container endpoint, IMDS):
 * AccessKeyId, SecretAccessKey, Token, Expiration (ISO 8601, UTC), and a
 * "Code" that must be "Success" when present. Returns 0 with *out filled,
 * or -1 with errstr (no values echoed). Exposed for tests and fuzzing. */
int hg_aws_creds_parse_json(const char *doc, size_t len, struct hg_aws_creds *out,
                            char *errstr, size_t errstr_size);

/* Look key up in [section] of an AWS shared config/credentials text
 * (NUL-terminated). Section and key names are trimmed, keys compared
 * case-insensitively, '#'/';' lines are comments, indented lines belong to
 * the nested value above them and are skipped. *section_seen is set when
 * the section exists. Returns a heap copy of the trimmed value (free()) or
 * NULL. Exposed for tests and fuzzing. */
char *hg_aws_ini_get(const char *text, const char *section, const char *key, bool *section_seen);

/* Value of name in envp (NULL-terminated), or NULL when unset or empty. */
const char *hg_aws_getenv(char **envp, const char *name);

#endif
