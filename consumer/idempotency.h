/* idempotency.h — create-once marker objects in S3 that make redelivered,
 * replayed and retried events harmless: "landed" (the validated CSV is in
 * S3), "glue-claim" (one event of a file may start its Glue run), "glue"
 * (the job run was started), "set-aside" (where the notice that retries ran
 * out was posted) and "done" (the result message was posted),
 * under PREFIX/_hookgate/<kind>/<id>.json. */
#ifndef HGC_IDEMPOTENCY_H
#define HGC_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "common/aws/s3.h"
#include "consumer/retry.h"

/* Marker kinds. */
#define HGC_MARK_LANDED "landed"   /* per file id: {"key","rows","bytes"} */
#define HGC_MARK_GLUE   "glue"     /* per file id: {"job","run_id"} */
#define HGC_MARK_CLAIM  "glue-claim" /* per file id: {"event_id","file_id","owner","claimed_at"},
                                        taken before StartJobRun; a stale one is replaced
                                        (hgc_idem_replace) */
#define HGC_MARK_DONE   "done"     /* per event id: {"event_id","file_id","outcome"} */
#define HGC_MARK_ASIDE  "set-aside" /* per event id: {"event_id","file_id","channel","ts"} of the
                                      "set aside" notice, which the result then edits */

/* "PREFIX/_hookgate/<kind>/<id>.json" (no PREFIX/ when prefix is ""). id
 * must be [A-Za-z0-9._-]. Returns 0 or -1 (too long / bad id). */
int hgc_idem_key(const char *prefix, const char *kind, const char *id, char *out, size_t out_size);

/* Read a marker into a JSON tree. Returns 0 with *doc (caller frees with
 * yajl_tree_free), 1 when there is none (*doc NULL), -1 with e (S3 error,
 * classified; a marker that is not JSON is a permanent error). */
int hgc_idem_get(struct hg_s3 *s3, const char *bucket, const char *key, yajl_val *doc,
                 struct hgc_err *e);

/* As hgc_idem_get, and etag (HG_S3_ETAG_MAX bytes; may be NULL) gets the
 * marker's ETag when there is one (else ""), for hgc_idem_replace. */
int hgc_idem_get_etag(struct hg_s3 *s3, const char *bucket, const char *key, yajl_val *doc,
                      char *etag, struct hgc_err *e);

/* Replace the marker at key with json only while it is still the object
 * of etag (If-Match: of several processes that read it, one wins). Returns
 * 0 when replaced, 1 when it changed or went since (412, or 404; left as it
 * is), -1 with e (an empty etag is a transient error: nothing is written).
 * json and etag are borrowed.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html */
int hgc_idem_replace(struct hg_s3 *s3, const char *bucket, const char *key, const char *json,
                     const char *etag, struct hgc_err *e);

/* Write a marker once (If-None-Match: *). Returns 0 when written, 1 when it
 * already existed (left unchanged), -1 with e. json is borrowed. */
int hgc_idem_put(struct hg_s3 *s3, const char *bucket, const char *key, const char *json,
                 struct hgc_err *e);

/* An hg_aws_error → hgc_err (code "<step>_<AWS code>"). Returns -1. */
int hgc_err_from_aws(struct hgc_err *e, const char *step, const struct hg_aws_error *ae);

#endif
