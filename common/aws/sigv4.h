/* sigv4.h — AWS Signature Version 4 with OpenSSL: header-signed requests
 * and presigned URLs.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html */
#ifndef HG_AWS_SIGV4_H
#define HG_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/aws/creds.h"
#include "common/buf.h"
#include "common/http_client.h"

#define HG_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Flags. */
#define HG_SIGV4_S3            0x1u  /* path used as given (encoded once, not normalised) */
#define HG_SIGV4_CONTENT_SHA256 0x2u /* also sign and emit x-amz-content-sha256 (S3) */

struct hg_sigv4_request {
    const char *method;         /* "GET", ... */
    const char *host;           /* Host header value: "bucket.s3.us-east-1.amazonaws.com" or "127.0.0.1:4568" */
    const char *path;           /* the path as sent, already %-encoded; "" = "/" */
    const char *query;          /* the query as sent, without '?'; NULL or "" for none */
    const struct hg_http_header *headers;  /* other headers to sign, borrowed (host,
                                              x-amz-date, authorization are added/ignored;
                                              user-agent, expect, x-amzn-trace-id unsigned) */
    size_t      nheaders;
    const void *body;           /* hashed unless payload_hash is set */
    size_t      body_len;
    const char *payload_hash;   /* hex SHA-256 or HG_SIGV4_UNSIGNED_PAYLOAD; NULL = hash body */
    const char *region;         /* "us-east-1" */
    const char *service;        /* "s3", "glue", "sts", "kafka-cluster" */
    int64_t     now;            /* Unix seconds of the signature */
    unsigned    flags;
};

/* What header signing produced: add these headers to the request
 * (x_amz_security_token only when session_token is non-empty,
 * x_amz_content_sha256 only with HG_SIGV4_CONTENT_SHA256). authorization
 * carries the signature: never log it. */
struct hg_sigv4_signed {
    char amz_date[17];                 /* "20150830T123600Z" */
    char payload_hash[65];
    char signature[65];
    char authorization[HG_AWS_AKID_MAX + 512];
};

/* Sign r with c. When creq is non-NULL it receives the canonical request
 * (tests; it holds no secret). Returns 0, or -1 with errstr (a field too
 * long, a bad path or query escape, out of memory). out is wiped on error. */
int hg_sigv4_sign(const struct hg_aws_creds *c, const struct hg_sigv4_request *r,
                  struct hg_sigv4_signed *out, struct hg_buf *creq,
                  char *errstr, size_t errstr_size);

/* Presign: append to out the complete canonical query string to send,
 * i.e. r->query's parameters plus X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-Expires=expires_s, X-Amz-Security-Token (when set),
 * X-Amz-SignedHeaders, sorted, and X-Amz-Signature last. The payload hash is
 * r->payload_hash or, when NULL, UNSIGNED-PAYLOAD for HG_SIGV4_S3 and the
 * hash of body otherwise. Returns 0, or -1 with errstr (out may then hold a
 * partial string: reset it). */
int hg_sigv4_presign(const struct hg_aws_creds *c, const struct hg_sigv4_request *r,
                     long expires_s, struct hg_buf *out,
                     char *errstr, size_t errstr_size);

/* Lower-case hex SHA-256 of data into out (65 bytes). */
void hg_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Append s[0..n) %-encoded per RFC 3986 (unreserved A-Z a-z 0-9 - . _ ~
 * kept); with keep_slash '/' is kept too (S3 object keys in paths).
 * Returns 0 or -1 (cap). */
int hg_sigv4_uri_encode(struct hg_buf *out, const char *s, size_t n, bool keep_slash);

/* "20150830T123600Z" for now into out (17 bytes). */
void hg_sigv4_amz_date(int64_t now, char out[17]);

#endif
