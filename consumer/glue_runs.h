/* glue_runs.h — Glue GetJobRuns: find a run started earlier for a file (by
 * its --hookgate_file_id argument), closing the crash window between
 * StartJobRun and the "glue" marker. The call goes through the common Glue
 * client (hg_glue_call: its endpoint, signing, retries and timeout).
 * https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRuns.html */
#ifndef HGC_GLUE_RUNS_H
#define HGC_GLUE_RUNS_H

#include <stddef.h>

#include "common/aws/glue.h"
#include "consumer/retry.h"

/* Look through the job's runs (newest first, at most HGC_GLUE_RUN_PAGES
 * pages of 200, each answer at most HGC_GLUE_RUNS_MAX_RESPONSE bytes) for
 * one whose Arguments carry `arg` = value. glue is borrowed. Returns 1 with
 * the run id copied into run_id, 0 when none, -1 with e (classified as the
 * Glue client classified the failure; code "glue_runs_<AWS code>"). */
int hgc_glue_runs_find(struct hg_glue *glue, const char *job, const char *arg,
                       const char *value, char *run_id, size_t run_id_size, struct hgc_err *e);

/* Scan one GetJobRuns answer (exposed for tests and the fuzz target).
 * Returns 1 with run_id filled, 0 when absent; *next (may be NULL) gets a
 * copy of NextToken (caller frees) or NULL. -1 when the text is not a
 * GetJobRuns answer. */
int hgc_glue_runs_scan(const char *json, size_t len, const char *arg, const char *value,
                       char *run_id, size_t run_id_size, char **next);

#endif
