/* glue_runs.c — Glue GetJobRuns over the common Glue client. */
#include "consumer/glue_runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"
#include "consumer/idempotency.h"

int hgc_glue_runs_scan(const char *json, size_t len, const char *arg, const char *value,
                       char *run_id, size_t run_id_size, char **next)
{
    char err[128];
    int rc = -1;
    if (next)
        *next = NULL;
    yajl_val root = hg_json_parse(json, len, err, sizeof err);
    if (!root || !YAJL_IS_OBJECT(root))
        goto out;
    yajl_val runs = hg_json_get(root, "JobRuns", NULL);
    rc = 0;
    if (runs && YAJL_IS_ARRAY(runs)) {
        for (size_t i = 0; i < runs->u.array.len; i++) {
            yajl_val r = runs->u.array.values[i];
            const char *v = hg_json_get_str(r, "Arguments", arg, NULL);
            const char *id = hg_json_get_str(r, "Id", NULL);
            if (v && id && !strcmp(v, value)) {
                snprintf(run_id, run_id_size, "%s", id);
                rc = 1;
                goto out;
            }
        }
    }
    const char *nt = hg_json_get_str(root, "NextToken", NULL);
    if (next && nt && *nt && strlen(nt) < HGC_MARKER_MAX)
        *next = strdup(nt);
out:
    if (root)
        yajl_tree_free(root);
    return rc;
}

int hgc_glue_runs_find(struct hg_glue *glue, const char *job, const char *arg,
                       const char *value, char *run_id, size_t run_id_size, struct hgc_err *e)
{
    struct hg_buf body, resp;
    struct hg_aws_error ae;
    char *next = NULL;
    int rc = -1;
    hg_aws_error_clear(&ae);
    hg_buf_init(&body, HGC_MARKER_MAX + 1024);
    hg_buf_init(&resp, HGC_GLUE_RUNS_MAX_RESPONSE);
    for (unsigned page = 0; page < HGC_GLUE_RUN_PAGES; page++) {
        hg_buf_reset(&body);
        if (hg_buf_append_str(&body, "{\"JobName\":\"") ||
            hg_buf_append_json_str(&body, job, strlen(job)) ||
            hg_buf_append_str(&body, "\",\"MaxResults\":200") ||
            (next && (hg_buf_append_str(&body, ",\"NextToken\":\"") ||
                      hg_buf_append_json_str(&body, next, strlen(next)) ||
                      hg_buf_append_str(&body, "\""))) ||
            hg_buf_append_str(&body, "}")) {
            hgc_err_set(e, HGC_PERMANENT, "glue_runs_request", "GetJobRuns request too long");
            goto out;
        }
        free(next);
        next = NULL;
        hg_buf_reset(&resp);
        if (hg_glue_call(glue, "GetJobRuns", body.data, body.len, &resp, &ae)) {
            hgc_err_from_aws(e, "glue_runs", &ae);
            goto out;
        }
        int r = hgc_glue_runs_scan(resp.data ? resp.data : "", resp.len, arg, value,
                                   run_id, run_id_size, &next);
        if (r < 0) {
            hgc_err_set(e, HGC_TRANSIENT, "glue_runs_bad_answer", "GetJobRuns: not a JobRuns answer");
            goto out;
        }
        if (r == 1 || !next) {
            rc = r;
            goto out;
        }
    }
    rc = 0;
out:
    free(next);
    hg_buf_cleanup(&resp);
    hg_buf_cleanup(&body);
    return rc;
}
