/* s3.h — the S3 operations hookgate needs: streamed PutObject (multipart
 * above a threshold, optional create-once with If-None-Match: * or
 * replace-if-unchanged with If-Match: <ETag>), HEAD, GET of small objects,
 * DELETE. Path-style for custom endpoints (S3-compatible servers),
 * virtual-hosted style for AWS.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html */
#ifndef HG_AWS_S3_H
#define HG_AWS_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/aws/creds.h"
#include "common/aws/error.h"
#include "common/buf.h"
#include "common/http_client.h"

/* One client = one HTTP connection pool. NOT thread-safe: one per thread
 * (they may share one credentials provider). */
struct hg_s3;

struct hg_s3_config {
    const char *region;           /* required, e.g. "eu-west-1" */
    const char *endpoint;         /* NULL = https://s3.<region>.amazonaws.com with
                                     virtual-hosted buckets; else e.g.
                                     "http://127.0.0.1:4568" (path-style) */
    bool        path_style;       /* force path-style on AWS too (dots in bucket names) */
    struct hg_aws_creds_provider *creds;  /* borrowed; must outlive the client */
    long        timeout_ms;       /* per HTTP request (for a streamed PUT or GET: the
                                     longest stall, see hg_http_request); 0 =
                                     HG_HTTP_CLIENT_TIMEOUT_MS */
    size_t      part_size;        /* multipart part size; 0 = HG_S3_PART_SIZE_DEFAULT,
                                     at least HG_S3_PART_SIZE_MIN */
    size_t      multipart_threshold; /* objects larger go multipart; 0 = part_size;
                                        capped at part_size */
    struct hg_retry_policy retry; /* zeroed = defaults (4 attempts); retryable
                                     errors per hg_aws_s3_classify, and an
                                     InvalidToken once (the credentials are
                                     dropped and fetched again first) */
    const char *ca_file;          /* optional CA bundle */
    size_t      list_page_keys;   /* max-keys of one ListObjectsV2 page; 0 =
                                     HG_S3_LIST_PAGE_KEYS (also the ceiling) */
};

/* Create a client; cfg strings are copied. Returns NULL with errstr. */
struct hg_s3 *hg_s3_create(const struct hg_s3_config *cfg, char *errstr, size_t errstr_size);

/* Create from the environment: region from AWS_REGION / AWS_DEFAULT_REGION
 * (or the profile's config), endpoint from AWS_ENDPOINT_URL_S3, else
 * AWS_ENDPOINT_URL (either ⇒ path-style). creds is borrowed; timeout_ms as
 * in hg_s3_config. Returns NULL with errstr (e.g. "no region: set
 * AWS_REGION"). */
struct hg_s3 *hg_s3_create_from_env(char **envp, struct hg_aws_creds_provider *creds,
                                    long timeout_ms, char *errstr, size_t errstr_size);

void hg_s3_destroy(struct hg_s3 *s3);

/* Parse "s3://bucket/prefix/..." into bucket and key (key may be ""). The
 * outputs are NUL-terminated. Returns 0 or -1 when malformed or too long. */
int hg_s3_parse_uri(const char *uri, char *bucket, size_t bucket_size,
                    char *key, size_t key_size);

/* Append the URL the client uses for bucket/key (virtual-hosted
 * https://bucket.s3.<region>.amazonaws.com/key on AWS, path-style
 * <endpoint>/bucket/key otherwise or for dotted buckets; key %-encoded).
 * For logs and tests: it holds no secret. Returns 0, or -1 for a bad bucket
 * name or key, or the cap of out. */
int hg_s3_url(struct hg_s3 *s3, const char *bucket, const char *key, struct hg_buf *out);

struct hg_s3_put_opts {
    const char *content_type;    /* NULL = application/octet-stream */
    bool        if_none_match;   /* create-once: If-None-Match: * on PUT / Complete */
    const char *if_match;        /* replace only the object of this ETag (quoted, as
                                    S3 sent it): If-Match on PUT / Complete; NULL =
                                    none. Borrowed. */
    const struct hg_http_header *headers;  /* extra x-amz-meta-* etc., borrowed */
    size_t      nheaders;
};

struct hg_s3_object_info {
    int64_t size;                 /* Content-Length; -1 unknown */
    char    etag[HG_S3_ETAG_MAX]; /* with its quotes, as S3 sends it */
    char    content_type[128];
    char    last_modified[64];    /* the header verbatim */
};

/* Upload the stream read_fn (0 = end, HG_HTTP_READ_ABORT = fail) as
 * bucket/key. Up to multipart_threshold bytes are buffered and sent as one
 * PutObject; a longer stream becomes a multipart upload of part_size parts
 * (each buffered, hashed and retried on its own), aborted on any failure.
 * Memory use is bounded by part_size. Returns 0 on success (info, may be
 * NULL, gets the ETag and size), 1 when a condition did not hold (err
 * says which): if_none_match and the object exists (HTTP 412), if_match
 * and the object has another ETag (412) or is not there (404 NoSuchKey),
 * or -1 with err filled (a read abort is permanent "StreamAborted"). A 409
 * ConditionalRequestConflict (a write racing a conditional one) is retried
 * by a single PUT; a multipart upload returns it (retryable): send again. The stream is read to its end or to the
 * failure; the caller owns it throughout. */
int hg_s3_put_stream(struct hg_s3 *s3, const char *bucket, const char *key,
                     hg_http_read_fn read_fn, void *read_ud,
                     const struct hg_s3_put_opts *opts,
                     struct hg_s3_object_info *info, struct hg_aws_error *err);

/* Upload data[0..len) (multipart above the threshold as well). Returns as
 * hg_s3_put_stream. */
int hg_s3_put(struct hg_s3 *s3, const char *bucket, const char *key,
              const void *data, size_t len, const struct hg_s3_put_opts *opts,
              struct hg_s3_object_info *info, struct hg_aws_error *err);

/* HEAD. Returns 0 when the object exists (info filled), 1 when it does not
 * (404), -1 with err otherwise. */
int hg_s3_head(struct hg_s3 *s3, const char *bucket, const char *key,
               struct hg_s3_object_info *info, struct hg_aws_error *err);

/* GET a small object into out (appended; its cap max bounds the object:
 * over it ⇒ -1, permanent "ResponseTooLarge"). Returns 0 (info, may be NULL,
 * filled), 1 when the object does not exist (NoSuchKey), -1 with err. out
 * is owned by the caller and may hold a partial body on -1: reset it. */
int hg_s3_get(struct hg_s3 *s3, const char *bucket, const char *key,
              struct hg_buf *out, struct hg_s3_object_info *info,
              struct hg_aws_error *err);

/* GET streamed into write_fn (return -1 to abort). No retry once bytes
 * were delivered. Returns as hg_s3_get. */
int hg_s3_get_stream(struct hg_s3 *s3, const char *bucket, const char *key,
                     hg_http_write_fn write_fn, void *write_ud,
                     struct hg_s3_object_info *info, struct hg_aws_error *err);

/* DELETE. Returns 0 (also when the key did not exist: S3 answers 204), -1
 * with err. */
int hg_s3_delete(struct hg_s3 *s3, const char *bucket, const char *key,
                 struct hg_aws_error *err);

/* ---- ListObjectsV2 ------------------------------------------------------
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html */

/* One ListObjectsV2 answer. Everything is owned by the page. */
struct hg_s3_list_page {
    char   **keys;          /* nkeys keys (Contents/Key), NUL-terminated, in order */
    int64_t *sizes;         /* their Size, -1 when absent */
    size_t   nkeys;
    size_t   nprefixes;     /* CommonPrefixes entries (counted, not kept) */
    bool     truncated;     /* IsTruncated */
    char     next_token[HG_S3_LIST_TOKEN_MAX];  /* NextContinuationToken, "" when none */
};
void hg_s3_list_page_cleanup(struct hg_s3_list_page *page);

/* Parse one ListObjectsV2 answer (exposed for tests and the fuzz target).
 * Refused, with a precise reason in errstr: a document over
 * HG_S3_LIST_XML_MAX bytes, malformed or with a DOCTYPE (hg_xml_walk), a
 * root other than ListBucketResult, more than max_keys keys (0 or more
 * than HG_S3_LIST_PAGE_KEYS: that many) or HG_S3_LIST_PAGE_KEYS common
 * prefixes (S3 counts them in max-keys, s3rver does not), a Contents without a
 * Key or with two, a Key empty or over HG_S3_KEY_MAX bytes, a Size that is
 * not a non-negative integer, IsTruncated missing or not true/false, a
 * truncated page without a NextContinuationToken, a token over
 * HG_S3_LIST_TOKEN_MAX - 1 bytes. Returns 0 (page filled; clean it), or -1
 * (page empty). */
int hg_s3_list_parse(const char *doc, size_t len, size_t max_keys,
                     struct hg_s3_list_page *page, char *errstr, size_t errstr_size);

/* Called for each listed key, in S3's order (UTF-8 binary order). Return
 * 0 to go on, 1 to stop the listing there (not an error), -1 to fail it. */
typedef int (*hg_s3_list_fn)(void *ud, const char *key, int64_t size);

/* List bucket's keys under prefix (may be "" or NULL); with a delimiter
 * (e.g. "/"; NULL = none) only the keys with no delimiter after the prefix
 * (the "directory"; common prefixes are skipped). Pages of up to
 * list_page_keys (hg_s3_config), each request retried like a GET; at most
 * HG_S3_LIST_MAX_PAGES requests and max_keys keys (0 = no limit but the
 * pages). *more (may be NULL) says the listing stopped at one of those
 * limits or at fn's request with keys left. A page whose continuation
 * token repeats the one sent is an error (a server going round in
 * circles). Returns 0, or -1 with err (a bad answer is retryable
 * "BadResponse" with the parser's reason; fn's -1 is permanent
 * "Aborted"). */
int hg_s3_list(struct hg_s3 *s3, const char *bucket, const char *prefix, const char *delimiter,
               size_t max_keys, hg_s3_list_fn fn, void *ud, bool *more, struct hg_aws_error *err);

#endif
