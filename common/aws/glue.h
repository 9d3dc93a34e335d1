/* glue.h — AWS Glue over the JSON 1.1 protocol: StartJobRun with arguments
 * and GetJob (does the job exist?).
 * https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html */
#ifndef HG_AWS_GLUE_H
#define HG_AWS_GLUE_H

#include <stddef.h>

#include "common/aws/creds.h"
#include "common/buf.h"
#include "common/aws/error.h"
#include "common/http_client.h"

/* NOT thread-safe: one per thread (they may share one credentials provider). */
struct hg_glue;

struct hg_glue_config {
    const char *region;            /* required */
    const char *endpoint;          /* NULL = https://glue.<region>.amazonaws.com */
    struct hg_aws_creds_provider *creds;  /* borrowed; must outlive the client */
    long        timeout_ms;        /* 0 = HG_HTTP_CLIENT_TIMEOUT_MS */
    struct hg_retry_policy retry;  /* zeroed = defaults */
    const char *ca_file;
};

/* Returns the client or NULL with errstr; cfg strings are copied. */
struct hg_glue *hg_glue_create(const struct hg_glue_config *cfg, char *errstr, size_t errstr_size);
/* Region as for S3; endpoint from AWS_ENDPOINT_URL_GLUE, else
 * AWS_ENDPOINT_URL; timeout_ms as in hg_glue_config. */
struct hg_glue *hg_glue_create_from_env(char **envp, struct hg_aws_creds_provider *creds,
                                        long timeout_ms, char *errstr, size_t errstr_size);
void hg_glue_destroy(struct hg_glue *g);

/* StartJobRun. args: NULL-terminated list of name, value pairs
 * ({"--table", "orders", "--s3-key", "k", NULL}); at most HG_GLUE_MAX_ARGS
 * pairs; may be NULL. Arguments are not secret (Glue shows them). Returns 0
 * with the JobRunId in run_id (NUL-terminated), or -1 with err (code e.g.
 * "ConcurrentRunsExceededException" retryable, "EntityNotFoundException"
 * permanent). Retried internally per the client's policy only while each
 * failure proves no run was started (connection refused, throttling,
 * ConcurrentRunsExceededException, a rotated token); a failure that leaves
 * it open (timeout, cut-off answer, 5xx) is returned at once, classified
 * retryable: look for the run (GetJobRuns) before starting it again. */
int hg_glue_start_job_run(struct hg_glue *g, const char *job_name,
                          const char *const *args, char *run_id, size_t run_id_size,
                          struct hg_aws_error *err);

/* GetJob. Returns 0 when the job exists, 1 when not (EntityNotFoundException),
 * -1 with err. */
int hg_glue_get_job(struct hg_glue *g, const char *job_name, struct hg_aws_error *err);

/* Any other Glue JSON 1.1 operation (e.g. "GetJobRuns"): POST json[0..len)
 * (NULL = "{}") with X-Amz-Target AWSGlue.<op>, signed and retried like
 * GetJob — so only for read-only operations (a retry may repeat the call).
 * On success the response JSON is appended to out (may be NULL). The
 * answer may be as large as out's room (its max less its length), at most
 * HG_GLUE_CALL_RESPONSE_MAX; without out, HG_GLUE_RESPONSE_MAX. A larger
 * one is a permanent "ResponseTooLarge". Returns 0, or -1 with err (code
 * from __type, "ns#" prefix stripped; out then unchanged). */
int hg_glue_call(struct hg_glue *g, const char *op, const char *json, size_t len,
                 struct hg_buf *out, struct hg_aws_error *err);

#endif
