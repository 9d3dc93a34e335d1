/* pipeline.h — the file_shared pipeline: files.info → table config →
 * streamed download + validation → Glue job check → S3 create-once →
 * verify → Glue StartJobRun → Slack PASS/ERROR, idempotent through the
 * markers of idempotency.h. */
#ifndef HGC_PIPELINE_H
#define HGC_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/aws/glue.h"
#include "common/aws/s3.h"
#include "common/limits.h"
#include "common/metrics.h"
#include "consumer/consumer_config.h"
#include "consumer/glue_runs.h"
#include "consumer/retry.h"
#include "consumer/slack_api.h"

#define HGC_FILE_SHARED_TYPE "com.slack.events.file_shared"

/* The steps, for logs, DLQ headers and the per-step latency histogram. */
enum hgc_step {
    HGC_STEP_RECORD = 0,     /* parse the record */
    HGC_STEP_MARKER,         /* done-marker check */
    HGC_STEP_FILES_INFO,
    HGC_STEP_TABLE,
    HGC_STEP_DOWNLOAD,       /* download + validate + spool */
    HGC_STEP_GLUE_CHECK,     /* GetJob before anything is written */
    HGC_STEP_S3_PUT,
    HGC_STEP_S3_VERIFY,
    HGC_STEP_GLUE_START,
    HGC_STEP_NOTIFY,         /* chat.postMessage + done marker */
    HGC_STEP_COUNT,
};
const char *hgc_step_name(enum hgc_step s);

enum hgc_outcome {
    HGC_OUT_PASS = 0,        /* landed, loaded, PASS posted */
    HGC_OUT_ERROR,           /* a permanent problem, ERROR posted once */
    HGC_OUT_SKIPPED,         /* not a file_shared record */
    HGC_OUT_IGNORED,         /* not a CSV file */
    HGC_OUT_DUPLICATE,       /* the done marker says it was finished before */
    HGC_OUT_RETRY,           /* transient failure: retry later */
    HGC_OUT_DEAD,            /* retries exhausted or unreportable: dead-letter it */
    HGC_OUT_VALID,           /* dry run: the file is valid */
    HGC_OUT_INVALID,         /* dry run: the file has problems (or a permanent error) */
    HGC_OUT_COUNT,
};
const char *hgc_outcome_name(enum hgc_outcome o);

/* Long-lived clients and settings, all borrowed. */
struct hgc_pipeline {
    const struct hgc_settings *settings;
    struct hgc_slack *slack;
    struct hg_s3 *s3;
    struct hg_glue *glue;              /* GetJob, GetJobRuns, StartJobRun */
    struct hg_histogram *step_latency[HGC_STEP_COUNT];  /* seconds; NULL entries ignored */
    bool dry_run;            /* stop after validation: no S3, Glue or Slack writes */
    char owner[37];          /* this process's Glue claims (set at the first claim) */
};

struct hgc_pipeline_result {
    enum hgc_outcome outcome;
    enum hgc_step step;      /* where it ended (the failing step for ERROR/RETRY/DEAD) */
    struct hgc_err err;      /* cls OK for PASS/SKIPPED/IGNORED/DUPLICATE */
    char event_id[HGC_SLACK_ID_MAX + 1];
    char file_id[HGC_SLACK_ID_MAX + 1];
    char s3_key[HGC_KEY_MAX];
    char run_id[HG_GLUE_RUN_ID_MAX];
    uint64_t rows;
    uint64_t bytes;
    char message[HGC_MESSAGE_MAX];   /* the text posted (or, dry run, that would be) */
};

/* Process one record (the Kafka message value). attempt is 1 for the first
 * try; final says no retry will follow, so a transient failure becomes
 * HGC_OUT_DEAD (a best-effort "could not finish" ERROR message is posted,
 * without a done marker, so a redrive can still succeed). Never throws
 * away work: everything written before a failure is found again by the
 * markers on the next attempt. res is filled in every case. */
void hgc_pipeline_process(struct hgc_pipeline *p, const char *payload, size_t len,
                          int attempt, bool final, struct hgc_pipeline_result *res);

/* Can the normalised CSV be spooled in dir (HOOKGATE_TMP_DIR)? Creates
 * and removes one file there, as every download does. Returns 0, or -1
 * with errstr ("cannot create a file in DIR: why"). run and doctor ask
 * at start: a missing or read-only directory failed every file, each
 * after all its attempts. */
int hgc_pipeline_spool_check(const char *dir, char *errstr, size_t errstr_size);

/* The deterministic object key: template (NULL = the default
 * "{prefix}/{project}/{schema}/{table}/dt={dt}/{file_id}.csv") with the
 * placeholders replaced; empty segments from an empty prefix are removed.
 * dt is YYYY-MM-DD. Returns 0 or -1 (too long, unknown placeholder). */
int hgc_pipeline_s3_key(const char *tmpl, const char *prefix, const char *project,
                        const char *schema, const char *table, const char *dt,
                        const char *file_id, char *out, size_t out_size);

#endif
