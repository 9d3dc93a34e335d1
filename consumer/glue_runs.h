/* glue_runs.h — Glue GetJobRuns: find a run started earlier for a file (by
 * its --hookgate_file_id argument), closing the crash window between
 * StartJobRun and the "glue" marker. common/aws/glue.h has no GetJobRuns
 * yet; this rides on its signer, credentials and HTTP client.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRuns.html */
#ifndef HGC_GLUE_RUNS_H
#define HGC_GLUE_RUNS_H

#include <stddef.h>

#include "common/aws/creds.h"
#include "consumer/retry.h"

struct hgc_glue_runs;

/* Region and endpoint as hg_glue_create_from_env (AWS_REGION /
 * AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_GLUE, AWS_ENDPOINT_URL). creds is
 * borrowed. Returns the object (free with hgc_glue_runs_destroy) or NULL
 * with errstr. */
struct hgc_glue_runs *hgc_glue_runs_create(char **envp, struct hg_aws_creds_provider *creds,
                                           char *errstr, size_t errstr_size);
void hgc_glue_runs_destroy(struct hgc_glue_runs *g);

/* Look through the job's runs (newest first, at most HGC_GLUE_RUN_PAGES
 * pages) for one whose Arguments carry `arg` = value. Returns 1 with the run
 * id copied into run_id, 0 when none, -1 with e (classified). */
int hgc_glue_runs_find(struct hgc_glue_runs *g, const char *job, const char *arg,
                       const char *value, char *run_id, size_t run_id_size, struct hgc_err *e);

/* Scan one GetJobRuns answer (exposed for tests and the fuzz target).
 * Returns 1 with run_id filled, 0 when absent; *next (may be NULL) gets a
 * copy of NextToken (caller frees) or NULL. -1 when the text is not a
 * GetJobRuns answer. */
int hgc_glue_runs_scan(const char *json, size_t len, const char *arg, const char *value,
                       char *run_id, size_t run_id_size, char **next);

#endif
