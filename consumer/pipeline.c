/* pipeline.c — the file_shared steps, in order, as one readable function
 * (process_file_shared) over small step functions. */
#include "consumer/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/record.h"
#include "common/utf8.h"
#include "consumer/csv_validate.h"
#include "consumer/idempotency.h"
#include "consumer/tables.h"

const char *hgc_step_name(enum hgc_step s)
{
    static const char *const names[HGC_STEP_COUNT] = {
        "record", "marker", "files_info", "table_config", "download_validate",
        "glue_check", "s3_put", "s3_verify", "glue_start", "notify",
    };
    return s < HGC_STEP_COUNT ? names[s] : "unknown";
}

const char *hgc_outcome_name(enum hgc_outcome o)
{
    static const char *const names[HGC_OUT_COUNT] = {
        "pass", "error", "skipped", "ignored", "duplicate", "retry", "dead_lettered",
        "valid", "invalid",
    };
    return o < HGC_OUT_COUNT ? names[o] : "unknown";
}

/* Everything one file_shared event needs on its way through the steps. */
struct job {
    struct hgc_pipeline *p;
    struct hgc_pipeline_result *res;
    int attempt;
    bool final;
    const char *event_id, *file_id, *channel;
    int64_t event_time;             /* epoch seconds */
    char dt[11];                    /* YYYY-MM-DD of the event */
    struct hgc_slack_file file;
    char table_name[HG_TABLE_NAME_MAX + 1];
    struct hgc_table *table;
    char glue_job[HG_TABLE_IDENT_MAX + 32];
    char notify_channel[HGC_SLACK_ID_MAX + 1]; /* the table's, when resumed (no table then) */
    int spool_fd;                   /* normalised CSV, unlinked temp file */
    int64_t spool_len, spool_off;
    struct hg_buf reason;           /* ERROR text for the channel */
    int64_t step_t0;
};

/* ---- small helpers ----------------------------------------------------- */

static void step_begin(struct job *j, enum hgc_step s)
{
    j->res->step = s;
    j->step_t0 = hg_clock_mono_us();
}

static void step_end(struct job *j)
{
    struct hg_histogram *h = j->p->step_latency[j->res->step];
    if (h)
        hg_histogram_observe(h, (double)(hg_clock_mono_us() - j->step_t0) / 1e6);
}

/* The ERROR text for the channel; one too long for HGC_MESSAGE_MAX is cut
 * where a UTF-8 character starts (file names are often Japanese). */
static void reason_set(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason_set(struct job *j, const char *fmt, ...)
{
    char tmp[HGC_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    hg_utf8_vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    hg_buf_reset(&j->reason);
    hg_buf_append_str(&j->reason, tmp);
}

static const char *file_label(const struct job *j)
{
    return j->file.name ? j->file.name : j->file_id;
}

static bool is_csv(const struct hgc_slack_file *f)
{
    size_t n = strlen(f->name);
    if (f->filetype && !strcasecmp(f->filetype, "csv"))
        return true;
    return n > 4 && !strcasecmp(f->name + n - 4, ".csv");
}

/* ---- step: done marker --------------------------------------------------- */

/* Returns 1 when the event was finished before, 0 when not, -1 on error. */
static int step_check_done(struct job *j)
{
    char key[HGC_KEY_MAX];
    yajl_val doc = NULL;
    step_begin(j, HGC_STEP_MARKER);
    if (hgc_idem_key(j->p->settings->s3_prefix, HGC_MARK_DONE, j->event_id, key, sizeof key))
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "bad_event_id", "event id not usable in a key");
    int r = hgc_idem_get(j->p->s3, j->p->settings->s3_bucket, key, &doc, &j->res->err);
    yajl_tree_free(doc);
    step_end(j);
    return r < 0 ? -1 : r == 0;
}

/* ---- step: files.info ---------------------------------------------------- */

static int step_files_info(struct job *j)
{
    step_begin(j, HGC_STEP_FILES_INFO);
    int r = hgc_slack_files_info(j->p->slack, j->file_id, &j->file, &j->res->err);
    step_end(j);
    return r;
}

/* ---- step: table config ------------------------------------------------ */

static struct hgc_table *table_from_s3(struct job *j, enum hgc_table_error *terr, char *msg,
                                       size_t msg_size)
{
    struct hg_aws_error ae;
    struct hgc_table *t = hgc_tables_load_s3(j->p->s3, j->p->settings->tables, j->file.name, terr,
                                             &ae, msg, msg_size);
    if (*terr == HGC_TABLE_IO && ae.code[0]) {
        hgc_err_from_aws(&j->res->err, "table_get", &ae);
        snprintf(msg, msg_size, "%s", j->res->err.detail);
    }
    return t;
}

/* Whether key lies in <prefix>/_hookgate/, where the markers are. */
static bool key_among_markers(const char *prefix, const char *key)
{
    char root[HG_S3_KEY_MAX + 16];
    int n = snprintf(root, sizeof root, "%s%s_hookgate/", prefix ? prefix : "",
                     prefix && *prefix ? "/" : "");
    return n > 0 && (size_t)n < sizeof root && !strncmp(key, root, (size_t)n);
}

static int step_table(struct job *j)
{
    char msg[512] = "";
    enum hgc_table_error terr = HGC_TABLE_OK;
    step_begin(j, HGC_STEP_TABLE);
    hgc_err_clear(&j->res->err);
    if (hgc_table_name_from_file(j->file.name, j->table_name, sizeof j->table_name, msg, sizeof msg)) {
        reason_set(j, "The file name \"%s\" does not match any table config (%s). Name the file "
                   "after its table, e.g. campaign_tags.csv.", file_label(j), msg);
        step_end(j);
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "table_bad_name", "%s", msg);
    }
    if (!strncmp(j->p->settings->tables, "s3://", 5))
        j->table = table_from_s3(j, &terr, msg, sizeof msg);
    else
        j->table = hgc_tables_load_file(j->p->settings->tables, j->file.name, &terr, msg, sizeof msg);
    step_end(j);
    switch (terr) {
    case HGC_TABLE_OK:
        break;
    case HGC_TABLE_BAD_NAME:
        reason_set(j, "The file name \"%s\" does not match any table config (%s).", file_label(j), msg);
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "table_bad_name", "%s", msg);
    case HGC_TABLE_NOT_FOUND:
        reason_set(j, "There is no table config for \"%s\" (expected %s.json). Ask the data team "
                   "to add one, or rename the file after an existing table.", file_label(j),
                   j->table_name);
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "table_missing", "%s", msg);
    case HGC_TABLE_INVALID:
        reason_set(j, "The table config %s.json is broken, so \"%s\" could not be checked: %s. "
                   "Ask the data team to fix it.", j->table_name, file_label(j), msg);
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "table_invalid", "%s", msg);
    case HGC_TABLE_UNAVAILABLE:
        return hgc_err_set(&j->res->err, HGC_TRANSIENT, "table_unavailable", "%s", msg);
    case HGC_TABLE_IO:
        if (j->res->err.cls == HGC_TRANSIENT)
            return -1;
        reason_set(j, "The table config %s.json could not be read (%s).", j->table_name, msg);
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "table_io", "%s", msg);
    }
    if (j->table->glue_job)
        snprintf(j->glue_job, sizeof j->glue_job, "%s", j->table->glue_job);
    else  /* the team convention: <project>-<table>-load */
        snprintf(j->glue_job, sizeof j->glue_job, "%s-%s-load", j->table->project, j->table->name);
    return 0;
}

/* ---- step: download + validate + spool ---------------------------------- */

struct dl_sink {
    struct job *j;
    struct hgc_csv_validator *v;
};

static int spool_write(void *arg, const char *data, size_t n)
{
    struct job *j = arg;
    while (n > 0) {
        ssize_t w = write(j->spool_fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
        j->spool_len += w;
    }
    return 0;
}

static int download_feed(void *ud, const char *data, size_t len)
{
    struct dl_sink *s = ud;
    if (hgc_csv_validator_feed(s->v, data, len) != 0) {
        hgc_err_set(&s->j->res->err, HGC_TRANSIENT, "spool_write",
                    "writing the normalised CSV to the temporary directory failed");
        return -1;
    }
    return 0;
}

/* A new file in dir, already unlinked (gone when closed). Returns the
 * descriptor, or -1 with errno (ENAMETOOLONG for a dir over the cap). */
static int spool_create(const char *dir)
{
    char path[HGC_SPOOL_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/hookgate-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

int hgc_pipeline_spool_check(const char *dir, char *errstr, size_t errstr_size)
{
    int fd = spool_create(dir);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "cannot create a file in %s: %s", dir, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

static int spool_open(struct job *j)
{
    j->spool_fd = spool_create(j->p->settings->tmp_dir);
    if (j->spool_fd < 0)
        return hgc_err_set(&j->res->err, errno == ENAMETOOLONG ? HGC_PERMANENT : HGC_TRANSIENT,
                           "spool_open", "cannot create a file in %s: %s",
                           j->p->settings->tmp_dir, strerror(errno));
    return 0;
}

/* Returns 0 valid, 1 invalid (reason set), -1 error. */
static int step_download_validate(struct job *j)
{
    int rc = -1;
    int64_t got = 0;
    struct hgc_csv_options o = { .write = spool_write, .write_arg = j };
    struct dl_sink sink = { j, NULL };
    step_begin(j, HGC_STEP_DOWNLOAD);
    hgc_err_clear(&j->res->err);
    /* files.info already says how big it is: no download to find out (the
     * streamed cap below still holds when that size was wrong). */
    if (j->file.size > j->p->settings->max_file_bytes) {
        hgc_err_set(&j->res->err, HGC_PERMANENT, "file_too_large",
                    "files.info size %" PRId64 " is over %" PRId64 " bytes", j->file.size,
                    (int64_t)j->p->settings->max_file_bytes);
        reason_set(j, "\"%s\" is larger than the %" PRId64 " bytes hookgate accepts.",
                   file_label(j), (int64_t)j->p->settings->max_file_bytes);
        goto out;
    }
    if (!j->p->dry_run && spool_open(j))
        goto out;
    if (j->p->dry_run)
        o.write = NULL;
    sink.v = hgc_csv_validator_create(j->table, &o);
    if (!sink.v) {
        hgc_err_set(&j->res->err, HGC_TRANSIENT, "oom", "out of memory creating the validator");
        goto out;
    }
    if (hgc_slack_download(j->p->slack, j->file.url, j->p->settings->max_file_bytes, download_feed,
                           &sink, &got, &j->res->err)) {
        const char *c = j->res->err.code;
        if (!strcmp(c, "slack_file_deleted"))
            reason_set(j, "\"%s\" was deleted from Slack before it could be processed. Upload it "
                       "again if it should be loaded.", file_label(j));
        else if (!strcmp(c, "slack_download_html") || !strcmp(c, "slack_download_denied"))
            reason_set(j, "hookgate could not download \"%s\" from Slack: its access token is "
                       "invalid or lacks the files:read permission. Ask a workspace admin to check "
                       "the hookgate app.", file_label(j));
        else if (!strcmp(c, "file_too_large"))
            reason_set(j, "\"%s\" is larger than the %" PRId64 " bytes hookgate accepts.",
                       file_label(j), (int64_t)j->p->settings->max_file_bytes);
        else if (!strcmp(c, "slack_bad_url"))
            reason_set(j, "\"%s\" was not downloaded: Slack gave a download address that is not "
                       "https, and hookgate does not send its token in clear.", file_label(j));
        else
            reason_set(j, "\"%s\" could not be downloaded from Slack (%s).", file_label(j), c);
        goto out;
    }
    int v = hgc_csv_validator_finish(sink.v);
    const struct hgc_csv_result *r = hgc_csv_validator_result(sink.v);
    j->res->rows = r->rows_out;
    j->res->bytes = r->bytes_out;
    if (v < 0) {
        hgc_err_set(&j->res->err, HGC_TRANSIENT, "spool_write",
                    "writing the normalised CSV to the temporary directory failed");
        goto out;
    }
    if (v == 1) {
        hg_buf_reset(&j->reason);
        hgc_csv_validator_message(sink.v, file_label(j), &j->reason);
        hgc_err_set(&j->res->err, HGC_PERMANENT, "csv_invalid", "%" PRIu64 " problems in %" PRIu64 " rows",
                    r->problem_count, r->rows_in);
        rc = 1;
        goto out;
    }
    rc = 0;
out:
    step_end(j);
    hgc_csv_validator_destroy(sink.v);
    return rc;
}

/* ---- step: Glue job exists ------------------------------------------------ */

static int step_glue_check(struct job *j)
{
    struct hg_aws_error ae;
    hg_aws_error_clear(&ae);
    step_begin(j, HGC_STEP_GLUE_CHECK);
    int r = hg_glue_get_job(j->p->glue, j->glue_job, &ae);
    step_end(j);
    if (r == 1) {
        reason_set(j, "\"%s\" is valid, but the Glue job \"%s\" that loads table %s does not "
                   "exist, so nothing was stored or loaded. Ask the data team to create it.",
                   file_label(j), j->glue_job, j->table->name);
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "glue_job_missing", "Glue job %s not found",
                           j->glue_job);
    }
    if (r < 0) {
        hgc_err_from_aws(&j->res->err, "glue_get_job", &ae);
        reason_set(j, "The Glue job \"%s\" could not be checked (%s).", j->glue_job, ae.code);
        return -1;
    }
    return 0;
}

/* ---- step: S3 upload + verify ----------------------------------------------- */

static size_t spool_read(void *ud, char *buf, size_t len)
{
    struct job *j = ud;
    for (;;) {
        ssize_t r = pread(j->spool_fd, buf, len, j->spool_off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return HG_HTTP_READ_ABORT;
        j->spool_off += r;
        return (size_t)r;
    }
}

static int landed_marker_json(struct job *j, struct hg_buf *b)
{
    return hg_buf_appendf(b, "{\"file_id\":\"%s\",\"event_id\":\"%s\",\"key\":\"", j->file_id,
                          j->event_id) ||
           hg_buf_append_json_str(b, j->res->s3_key, strlen(j->res->s3_key)) ||
           hg_buf_appendf(b, "\",\"rows\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", j->res->rows,
                          j->res->bytes);
}

static int step_s3_put(struct job *j)
{
    const struct hgc_settings *s = j->p->settings;
    struct hg_aws_error ae;
    struct hg_s3_put_opts o = { .content_type = "text/csv; charset=utf-8", .if_none_match = true };
    hg_aws_error_clear(&ae);
    step_begin(j, HGC_STEP_S3_PUT);
    j->spool_off = 0;
    int r = hg_s3_put_stream(j->p->s3, s->s3_bucket, j->res->s3_key, spool_read, j, &o, NULL, &ae);
    step_end(j);
    if (r < 0) {
        hgc_err_from_aws(&j->res->err, "s3_put", &ae);
        reason_set(j, "\"%s\" is valid, but storing it in S3 failed (%s), so nothing was loaded. "
                   "The data team has been told through hookgate's logs.", file_label(j), ae.code);
        return -1;
    }
    if (r == 1)
        hg_log_info("s3_object_exists", "key", j->res->s3_key, "event_id", j->event_id);
    return 0;
}

static int step_s3_verify(struct job *j)
{
    const struct hgc_settings *s = j->p->settings;
    struct hg_aws_error ae;
    struct hg_s3_object_info info;
    hg_aws_error_clear(&ae);
    step_begin(j, HGC_STEP_S3_VERIFY);
    int r = hg_s3_head(j->p->s3, s->s3_bucket, j->res->s3_key, &info, &ae);
    step_end(j);
    if (r == 1) {
        reason_set(j, "\"%s\" was written to S3 but is not there afterwards (s3://%s/%s), so "
                   "nothing was loaded. Please tell the data team.", file_label(j), s->s3_bucket,
                   j->res->s3_key);
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "s3_verify_missing",
                           "HEAD found no object at the written key");
    }
    if (r < 0) {
        hgc_err_from_aws(&j->res->err, "s3_head", &ae);
        reason_set(j, "Checking \"%s\" in S3 failed (%s).", file_label(j), ae.code);
        return -1;
    }
    if (info.size >= 0 && j->spool_fd >= 0 && info.size != j->spool_len) {
        /* A different object already sat at the deterministic key (an
         * earlier run): accept it, the key is per file id. */
        hg_log_warn("s3_size_differs", "key", j->res->s3_key);
    }
    struct hg_buf b;
    char key[HGC_KEY_MAX];
    hg_buf_init(&b, HGC_MARKER_MAX);
    int rc = 0;
    if (hgc_idem_key(s->s3_prefix, HGC_MARK_LANDED, j->file_id, key, sizeof key) ||
        landed_marker_json(j, &b))
        rc = hgc_err_set(&j->res->err, HGC_PERMANENT, "marker_too_long", "landed marker too long");
    else if (hgc_idem_put(j->p->s3, s->s3_bucket, key, b.data, &j->res->err) < 0)
        rc = -1;
    hg_buf_cleanup(&b);
    return rc;
}

/* Returns 1 when an earlier attempt landed the file (key, rows, bytes filled
 * from the marker), 0 when not, -1 on error. */
static int step_check_landed(struct job *j)
{
    char key[HGC_KEY_MAX];
    yajl_val doc = NULL;
    step_begin(j, HGC_STEP_MARKER);
    if (hgc_idem_key(j->p->settings->s3_prefix, HGC_MARK_LANDED, j->file_id, key, sizeof key))
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "bad_file_id", "file id not usable in a key");
    int r = hgc_idem_get(j->p->s3, j->p->settings->s3_bucket, key, &doc, &j->res->err);
    step_end(j);
    if (r != 0)
        return r < 0 ? -1 : 0;
    const char *k = hg_json_get_str(doc, "key", NULL);
    yajl_val rows = hg_json_get(doc, "rows", NULL), bytes = hg_json_get(doc, "bytes", NULL);
    if (k && strlen(k) < sizeof j->res->s3_key)
        snprintf(j->res->s3_key, sizeof j->res->s3_key, "%s", k);
    if (rows && YAJL_IS_INTEGER(rows))
        j->res->rows = (uint64_t)YAJL_GET_INTEGER(rows);
    if (bytes && YAJL_IS_INTEGER(bytes))
        j->res->bytes = (uint64_t)YAJL_GET_INTEGER(bytes);
    yajl_tree_free(doc);
    return 1;
}

/* ---- step: Glue StartJobRun --------------------------------------------- */

/* Take the file's Glue claim: this process holds it now, from an earlier
 * attempt here, or by taking over a stale one; glue_claimed (transient)
 * while another holds it (or took the stale one over first, or it went
 * while read). Return values below.
 *
 * The claim names its process (owner) and when it was taken: the same
 * event handled by two processes at once (a replay while the worker has
 * it, a partition moved after max.poll.interval) must not start two runs,
 * so a claim is ours only when our process wrote it. One left by a process
 * that died, or by an event dead-lettered since, is stale after
 * HGC_GLUE_CLAIM_LEASE_S (longer than a StartJobRun with its retries
 * takes): GetJobRuns, just before, found no run, so it may be started. Any
 * number of processes may find it stale at once: each replaces it with its
 * own claim only while it is still the stale object (If-Match on the ETag
 * read), so one takes it over and the others wait on the new claim.
 *
 * A claim of ours older than HGC_GLUE_CLAIM_RENEW_S (an earlier attempt
 * took it, then StartJobRun failed and the retries waited) is renewed the
 * same way before StartJobRun: started on a claim about to go stale, the
 * run could be started a second time by a process finding the claim
 * stale meanwhile. Renewed, the claim stays fresh for longer than one
 * StartJobRun takes, so the run is there (GetJobRuns) before anyone can
 * take the claim over. Returns 0 when the claim is ours, 2 when it is ours
 * by taking a stale one over (look for a run again: its owner may have
 * started one after our look), -1 with j->res->err (glue_claimed, or an S3
 * error). */
static int claim_glue(struct job *j)
{
    const struct hgc_settings *s = j->p->settings;
    char key[HGC_KEY_MAX], body[320], etag[HG_S3_ETAG_MAX];
    yajl_val doc = NULL;
    if (hgc_idem_key(s->s3_prefix, HGC_MARK_CLAIM, j->file_id, key, sizeof key))
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "bad_file_id", "file id not usable in a key");
    if (!j->p->owner[0] && hg_uuid7(j->p->owner) != 0) {
        j->p->owner[0] = '\0';
        return hgc_err_set(&j->res->err, HGC_TRANSIENT, "rng", "random number generator failed");
    }
    int64_t now = (int64_t)time(NULL);
    snprintf(body, sizeof body, "{\"event_id\":\"%s\",\"file_id\":\"%s\",\"owner\":\"%s\","
             "\"claimed_at\":%" PRId64 "}", j->event_id, j->file_id, j->p->owner, now);
    int r = hgc_idem_put(j->p->s3, s->s3_bucket, key, body, &j->res->err);
    if (r <= 0)
        return r;
    r = hgc_idem_get_etag(j->p->s3, s->s3_bucket, key, &doc, etag, &j->res->err);
    if (r < 0)
        return -1;
    const char *owner = r == 0 ? hg_json_get_str(doc, "owner", NULL) : NULL;
    yajl_val at = r == 0 ? hg_json_get(doc, "claimed_at", NULL) : NULL;
    bool mine = owner && !strcmp(owner, j->p->owner);
    int64_t age = at && YAJL_IS_INTEGER(at) ? now - YAJL_GET_INTEGER(at) : INT64_MAX;
    char prev[64], a[24];
    snprintf(prev, sizeof prev, "%s", owner ? owner : "");
    snprintf(a, sizeof a, "%" PRId64, age == INT64_MAX ? -1 : age);
    yajl_tree_free(doc);
    const char *why = NULL;
    if (mine) {
        /* an earlier attempt here claimed it and found no run */
        if (age <= HGC_GLUE_CLAIM_RENEW_S)
            return 0;
        r = hgc_idem_replace(j->p->s3, s->s3_bucket, key, body, etag, &j->res->err);
        if (r < 0)
            return -1;
        if (r == 0) {
            hg_log_info("glue_claim_renewed", "event_id", j->event_id, "file_id", j->file_id,
                        "age_s", a);
            return 0;
        }
        why = "went stale and was taken over by another process";
    } else if (r == 1) {
        why = "went while it was read (the next attempt claims it afresh)";
    } else if (age <= HGC_GLUE_CLAIM_LEASE_S) {
        why = "is held by another process";
    } else {
        r = hgc_idem_replace(j->p->s3, s->s3_bucket, key, body, etag, &j->res->err);
        if (r < 0)
            return -1;
        if (r == 0) {
            hg_log_warn("glue_claim_stale", "event_id", j->event_id, "file_id", j->file_id,
                        "age_s", a, "stale_owner", prev);
            return 2;
        }
        why = "was stale, and another process took it over first";
    }
    reason_set(j, "\"%s\" is being loaded by another share of the same file.", file_label(j));
    return hgc_err_set(&j->res->err, HGC_TRANSIENT, "glue_claimed",
                       "the Glue claim of file %s %s (age_s %s)", j->file_id, why, a);
}

static int step_glue_start(struct job *j)
{
    const struct hgc_settings *s = j->p->settings;
    char key[HGC_KEY_MAX], path[HGC_KEY_MAX + 300];
    yajl_val doc = NULL;
    struct hg_aws_error ae;
    struct hg_buf b;
    int rc = -1;
    hg_aws_error_clear(&ae);
    hg_buf_init(&b, HGC_MARKER_MAX);
    step_begin(j, HGC_STEP_GLUE_START);
    if (hgc_idem_key(s->s3_prefix, HGC_MARK_GLUE, j->file_id, key, sizeof key)) {
        hgc_err_set(&j->res->err, HGC_PERMANENT, "bad_file_id", "file id not usable in a key");
        goto out;
    }
    int r = hgc_idem_get(j->p->s3, s->s3_bucket, key, &doc, &j->res->err);
    if (r < 0)
        goto out;
    if (r == 0) {
        const char *id = hg_json_get_str(doc, "run_id", NULL);
        snprintf(j->res->run_id, sizeof j->res->run_id, "%s", id ? id : "");
        rc = 0;
        goto out;
    }
    /* A crash between StartJobRun and the marker below leaves a run
     * without a marker: find it by its --hookgate_file_id argument. Two
     * events of one file (shared into two channels) may reach here at once
     * on different partitions: the create-once claim lets one start the
     * run; the other retries until the "glue" marker is there. A claim
     * taken over from a stale owner: look once more. */
    for (int look = 0;; look++) {
        int f = hgc_glue_runs_find(j->p->glue, j->glue_job, "--hookgate_file_id", j->file_id,
                                   j->res->run_id, sizeof j->res->run_id, &j->res->err);
        if (f < 0) {
            reason_set(j, "Checking the Glue job \"%s\" for earlier runs failed (%s).", j->glue_job,
                       j->res->err.code);
            goto out;
        }
        if (f == 1) {
            hg_log_info("glue_run_found", "file_id", j->file_id, "run_id", j->res->run_id);
            goto mark;
        }
        if (look)
            break;
        r = claim_glue(j);
        if (r < 0)
            goto out;
        if (r != 2)
            break;
    }
    snprintf(path, sizeof path, "s3://%s/%s", s->s3_bucket, j->res->s3_key);
    const char *args[] = {
        "--hookgate_file_id", j->file_id,
        "--hookgate_event_id", j->event_id,
        "--s3_path", path,
        "--table", j->table->name,
        "--project", j->table->project,
        "--schema", j->table->schema,
        NULL,
    };
    if (hg_glue_start_job_run(j->p->glue, j->glue_job, args, j->res->run_id, sizeof j->res->run_id,
                              &ae)) {
        hgc_err_from_aws(&j->res->err, "glue_start", &ae);
        if (!strcmp(ae.code, "EntityNotFoundException"))
            reason_set(j, "\"%s\" is valid, but the Glue job \"%s\" does not exist, so it was not "
                       "loaded. Ask the data team to create it.", file_label(j), j->glue_job);
        else
            reason_set(j, "\"%s\" is valid, but starting the Glue job \"%s\" failed (%s).",
                       file_label(j), j->glue_job, ae.code);
        goto out;
    }
mark:
    if (hg_buf_appendf(&b, "{\"job\":\"") || hg_buf_append_json_str(&b, j->glue_job, strlen(j->glue_job)) ||
        hg_buf_appendf(&b, "\",\"run_id\":\"") ||
        hg_buf_append_json_str(&b, j->res->run_id, strlen(j->res->run_id)) ||
        hg_buf_appendf(&b, "\",\"event_id\":\"%s\",\"file_name\":\"", j->event_id) ||
        hg_buf_append_json_str(&b, file_label(j), strlen(file_label(j))) ||
        hg_buf_appendf(&b, "\",\"table\":\"%s\",\"notify_channel\":\"%s\"}", j->table->name,
                       j->table->notify_channel ? j->table->notify_channel : "")) {
        hgc_err_set(&j->res->err, HGC_PERMANENT, "marker_too_long", "glue marker too long");
        goto out;
    }
    /* If this write fails the run is started but unrecorded; the retry
     * finds it through GetJobRuns. */
    if (hgc_idem_put(j->p->s3, s->s3_bucket, key, b.data, &j->res->err) < 0)
        goto out;
    rc = 0;
out:
    step_end(j);
    yajl_tree_free(doc);
    hg_buf_cleanup(&b);
    return rc;
}

/* An earlier attempt stored the file and started its Glue run, and only
 * the PASS message is left (chat.postMessage failed, or the worker died):
 * report it from the markers, without asking Slack or the table config
 * again. A file deleted from Slack, or a config renamed, since then must
 * not turn a loaded file into an ERROR that asks for a new upload.
 * Returns 1 when resumed (PASS text's facts filled in), 0 when there is
 * nothing to resume from (or a marker from before file_name was kept),
 * -1 on an S3 error. */
static int step_resume(struct job *j)
{
    const struct hgc_settings *s = j->p->settings;
    char key[HGC_KEY_MAX];
    yajl_val doc = NULL;
    int rc = 0;
    step_begin(j, HGC_STEP_MARKER);
    if (hgc_idem_key(s->s3_prefix, HGC_MARK_GLUE, j->file_id, key, sizeof key)) {
        step_end(j);
        return 0;   /* the steps below report it */
    }
    int r = hgc_idem_get(j->p->s3, s->s3_bucket, key, &doc, &j->res->err);
    step_end(j);
    if (r != 0) {
        rc = r < 0 ? -1 : 0;
        goto out;
    }
    const char *job = hg_json_get_str(doc, "job", NULL), *run = hg_json_get_str(doc, "run_id", NULL);
    const char *name = hg_json_get_str(doc, "file_name", NULL);
    const char *nch = hg_json_get_str(doc, "notify_channel", NULL);
    if (!job || !run || !name || strlen(job) >= sizeof j->glue_job ||
        strlen(run) >= sizeof j->res->run_id || (nch && strlen(nch) >= sizeof j->notify_channel))
        goto out;
    r = step_check_landed(j);
    if (r <= 0) {
        rc = r;
        goto out;
    }
    if (!(j->file.name = strdup(name))) {
        rc = hgc_err_set(&j->res->err, HGC_TRANSIENT, "oom", "out of memory");
        goto out;
    }
    snprintf(j->glue_job, sizeof j->glue_job, "%s", job);
    snprintf(j->res->run_id, sizeof j->res->run_id, "%s", run);
    snprintf(j->notify_channel, sizeof j->notify_channel, "%s", nch ? nch : "");
    hg_log_info("resumed_from_markers", "event_id", j->event_id, "file_id", j->file_id,
                "run_id", run);
    rc = 1;
out:
    yajl_tree_free(doc);
    return rc;
}

/* Remove what an attempt wrote when the outcome is a permanent ERROR after
 * the upload (Glue job gone between the check and the start): the ERROR
 * promise is "no S3 object". Best effort. */
static void undo_landing(struct job *j)
{
    const struct hgc_settings *s = j->p->settings;
    struct hg_aws_error ae;
    char key[HGC_KEY_MAX];
    hg_aws_error_clear(&ae);
    if (j->res->s3_key[0])
        hg_s3_delete(j->p->s3, s->s3_bucket, j->res->s3_key, &ae);
    if (!hgc_idem_key(s->s3_prefix, HGC_MARK_LANDED, j->file_id, key, sizeof key))
        hg_s3_delete(j->p->s3, s->s3_bucket, key, &ae);
    if (!hgc_idem_key(s->s3_prefix, HGC_MARK_CLAIM, j->file_id, key, sizeof key))
        hg_s3_delete(j->p->s3, s->s3_bucket, key, &ae);
}

/* ---- step: notify ---------------------------------------------------------- */

/* The most specific wins: the table's own options.notify_channel, then
 * HOOKGATE_SLACK_CHANNEL, then the channel the file was shared in. */
static const char *target_channel(const struct job *j)
{
    const struct hgc_settings *s = j->p->settings;
    if (j->table && j->table->notify_channel)
        return j->table->notify_channel;
    if (j->notify_channel[0])
        return j->notify_channel;
    if (s->slack_channel && *s->slack_channel)
        return s->slack_channel;
    return j->channel;
}

/* The set-aside notice an earlier attempt of this event posted in channel
 * ch (its "set-aside" marker): its ts into ts (size HGC_SLACK_TS_MAX), or
 * "" when there is none, it names another channel or it is unusable.
 * Returns 0, or -1 with j->res->err on a transient S3 failure. */
static int aside_marker_get(struct job *j, const char *ch, char *ts)
{
    const struct hgc_settings *s = j->p->settings;
    char key[HGC_KEY_MAX];
    struct hgc_err e;
    yajl_val doc = NULL;
    ts[0] = '\0';
    hgc_err_clear(&e);
    if (hgc_idem_key(s->s3_prefix, HGC_MARK_ASIDE, j->event_id, key, sizeof key))
        return 0;
    int r = hgc_idem_get(j->p->s3, s->s3_bucket, key, &doc, &e);
    if (r < 0 && e.cls == HGC_TRANSIENT) {
        j->res->err = e;
        return -1;
    }
    if (r < 0)
        hg_log_warn("set_aside_marker_unusable", "event_id", j->event_id, "code", e.code);
    const char *mc = r == 0 ? hg_json_get_str(doc, "channel", NULL) : NULL;
    const char *mt = r == 0 ? hg_json_get_str(doc, "ts", NULL) : NULL;
    if (mc && !strcmp(mc, ch) && hgc_slack_ts_ok(mt))
        snprintf(ts, HGC_SLACK_TS_MAX, "%s", mt);
    yajl_tree_free(doc);
    return 0;
}

/* Remember where the set-aside notice is, so the event's result can edit
 * it. Best effort: without the marker the history look-up may still find
 * the notice. */
static void aside_marker_put(struct job *j, const char *ch, const char *ts)
{
    const struct hgc_settings *s = j->p->settings;
    char key[HGC_KEY_MAX], doc[512];
    struct hgc_err e;
    hgc_err_clear(&e);
    snprintf(doc, sizeof doc, "{\"event_id\":\"%s\",\"file_id\":\"%s\",\"channel\":\"%s\",\"ts\":\"%s\"}",
             j->event_id, j->file_id, ch, ts);
    if (!hgc_slack_ts_ok(ts) ||
        hgc_idem_key(s->s3_prefix, HGC_MARK_ASIDE, j->event_id, key, sizeof key) ||
        hgc_idem_put(j->p->s3, s->s3_bucket, key, doc, &e) < 0)
        hg_log_warn("set_aside_marker_failed", "event_id", j->event_id, "code",
                    e.code[0] ? e.code : "bad_ts");
}

/* Report text once per event. outcome HGC_OUTCOME_SET_ASIDE is the notice
 * that retries ran out; any other is the event's result. Skipped when the
 * channel already holds this outcome for the event (a crash between the
 * post and the marker). A result for an event that was set aside edits
 * that notice (chat.update; the ts from the set-aside marker, else from
 * the history), so the channel keeps one message per event; only when the
 * notice cannot be edited (deleted, ...) is the result posted. A second
 * set-aside notice is never posted. Then the done marker when mark is set. */
static int step_notify(struct job *j, const char *text, bool mark, const char *outcome)
{
    const struct hgc_settings *s = j->p->settings;
    const char *ch = target_channel(j);
    bool aside = !strcmp(outcome, HGC_OUTCOME_SET_ASIDE);
    struct hgc_err herr;
    bool found = false;
    char ts[HGC_SLACK_TS_MAX] = "", aside_ts[HGC_SLACK_TS_MAX] = "", hist_aside_ts[HGC_SLACK_TS_MAX];
    char key[HGC_KEY_MAX], marker[512];
    step_begin(j, HGC_STEP_NOTIFY);
    hgc_err_clear(&herr);
    snprintf(j->res->message, sizeof j->res->message, "%s", text);
    if (!ch) {
        step_end(j);
        return hgc_err_set(&j->res->err, HGC_PERMANENT, "no_channel", "event names no channel");
    }
    if (aside_marker_get(j, ch, aside_ts) < 0) {
        step_end(j);
        return -1;
    }
    if (aside && aside_ts[0]) {
        hg_log_info("already_set_aside", "event_id", j->event_id, "channel", ch, "ts", aside_ts);
        step_end(j);
        return 0;
    }
    if (hgc_slack_find_result(j->p->slack, ch, j->event_id, outcome,
                              j->event_time > 86400 ? j->event_time - 86400 : 0,
                              HGC_SLACK_HISTORY_PAGES, &found, hist_aside_ts, sizeof hist_aside_ts,
                              &herr) < 0) {
        if (herr.cls == HGC_TRANSIENT) {
            j->res->err = herr;
            step_end(j);
            return -1;
        }
        /* No history scope: go on without the check (the markers still hold). */
        hg_log_warn("history_check_skipped", "event_id", j->event_id, "code", herr.code);
    } else if (!aside && !aside_ts[0] && hist_aside_ts[0]) {
        snprintf(aside_ts, sizeof aside_ts, "%s", hist_aside_ts);
    }
    if (found) {
        hg_log_info("result_already_posted", "event_id", j->event_id, "channel", ch);
        goto mark;
    }
    if (!aside && aside_ts[0]) {
        hgc_err_clear(&herr);
        if (hgc_slack_update_result(j->p->slack, ch, aside_ts, text, j->file_id, j->event_id,
                                    outcome, &herr) == 0) {
            hg_log_info("set_aside_notice_updated", "event_id", j->event_id, "channel", ch,
                        "ts", aside_ts);
            goto mark;
        }
        if (herr.cls == HGC_TRANSIENT) {
            j->res->err = herr;
            step_end(j);
            return -1;
        }
        /* Deleted, not ours, edits closed, ...: post the result instead. */
        hg_log_warn("set_aside_update_failed", "event_id", j->event_id, "code", herr.code);
    }
    if (hgc_slack_post_result(j->p->slack, ch, text, j->file_id, j->event_id, outcome, ts,
                              sizeof ts, &j->res->err)) {
        step_end(j);
        return -1;
    }
    if (aside)
        aside_marker_put(j, ch, ts);
mark:
    if (mark) {
        snprintf(marker, sizeof marker, "{\"event_id\":\"%s\",\"file_id\":\"%s\",\"outcome\":\"%s\"}",
                 j->event_id, j->file_id, outcome);
        if (hgc_idem_key(s->s3_prefix, HGC_MARK_DONE, j->event_id, key, sizeof key) == 0 &&
            hgc_idem_put(j->p->s3, s->s3_bucket, key, marker, &j->res->err) < 0) {
            step_end(j);
            return -1;
        }
    }
    step_end(j);
    return 0;
}

static void pass_text(struct job *j, struct hg_buf *t)
{
    hg_buf_appendf(t, ":white_check_mark: PASS: %s: %" PRIu64 " rows (%" PRIu64 " bytes) stored at "
                   "s3://%s/%s; Glue job %s started (run %s).", file_label(j), j->res->rows,
                   j->res->bytes, j->p->settings->s3_bucket, j->res->s3_key, j->glue_job,
                   j->res->run_id);
}

/* A failure at the current step: a permanent one is reported once; a
 * transient one is retried, or when final, reported as unfinished and
 * dead-lettered. */
static void finish_failure(struct job *j)
{
    struct hgc_pipeline_result *res = j->res;
    enum hgc_step failed = res->step;
    struct hgc_err cause = res->err;
    char text[HGC_MESSAGE_MAX];

    if (j->p->dry_run) {
        res->outcome = cause.cls == HGC_TRANSIENT && !j->final ? HGC_OUT_RETRY : HGC_OUT_INVALID;
        snprintf(res->message, sizeof res->message, "%s", j->reason.len ? j->reason.data : cause.detail);
        return;
    }
    /* glue_claimed waits for the claim's holder whatever the attempt: its
     * lease, not the attempt budget, bounds the wait (the worker does not
     * count these attempts) */
    if (cause.cls == HGC_TRANSIENT && (!j->final || !strcmp(cause.code, "glue_claimed"))) {
        res->outcome = HGC_OUT_RETRY;
        return;
    }
    if (failed == HGC_STEP_NOTIFY || failed == HGC_STEP_RECORD) {
        res->outcome = HGC_OUT_DEAD;   /* the report itself cannot be delivered */
        return;
    }
    /* a text too long is cut where a UTF-8 character starts, so Slack gets
     * valid UTF-8 */
    if (cause.cls == HGC_TRANSIENT)
        hg_utf8_snprintf(text, sizeof text, ":x: ERROR: %s could not be processed after %d "
                         "attempts (step %s: %s). It has been set aside for the data team to "
                         "retry.", file_label(j), j->attempt, hgc_step_name(failed), cause.code);
    else
        hg_utf8_snprintf(text, sizeof text, ":x: ERROR: %s",
                         j->reason.len ? j->reason.data : cause.detail);
    bool permanent = cause.cls == HGC_PERMANENT;
    if (step_notify(j, text, permanent, permanent ? "error" : HGC_OUTCOME_SET_ASIDE) < 0) {
        res->outcome = res->err.cls == HGC_TRANSIENT && !j->final ? HGC_OUT_RETRY : HGC_OUT_DEAD;
        if (res->outcome == HGC_OUT_RETRY)
            return;
        if (permanent) {
            /* Dead-lettered because its ERROR could not be posted: the
             * step is notify and the reason says so, with the cause the
             * ERROR was about (a redrive posts it again). */
            char d[sizeof res->err.detail];
            hg_utf8_snprintf(d, sizeof d, "%s; the ERROR it was to post: %s: %s: %s",
                             res->err.detail, hgc_step_name(failed), cause.code, cause.detail);
            memcpy(res->err.detail, d, sizeof d);
            return;
        }
        res->step = failed;   /* the set-aside notice is best effort: the cause stays */
        res->err = cause;
        return;
    }
    res->step = failed;
    res->err = cause;
    res->outcome = permanent ? HGC_OUT_ERROR : HGC_OUT_DEAD;
}

/* ---- the pipeline ------------------------------------------------------------ */

static void process_file_shared(struct job *j)
{
    struct hgc_pipeline_result *res = j->res;
    struct hg_buf text;
    hg_buf_init(&text, HGC_MESSAGE_MAX);

    if (!j->p->dry_run) {
        int done = step_check_done(j);
        if (done < 0)
            goto failed;
        if (done) {
            res->outcome = HGC_OUT_DUPLICATE;
            goto out;
        }
    }
    if (!j->p->dry_run) {
        int resumed = step_resume(j);
        if (resumed < 0)
            goto failed;
        if (resumed)
            goto notify_pass;
    }
    if (step_files_info(j)) {
        const char *c = res->err.code;
        if (!strcmp(c, "slack_file_not_found") || !strcmp(c, "slack_file_deleted"))
            reason_set(j, "The file %s was deleted from Slack before it could be processed. Upload "
                       "it again if it should be loaded.", j->file_id);
        else if (!strcmp(c, "slack_invalid_auth") || !strcmp(c, "slack_not_authed") ||
                 !strcmp(c, "slack_token_revoked") || !strcmp(c, "slack_token_expired") ||
                 !strcmp(c, "slack_account_inactive") || !strcmp(c, "slack_missing_scope"))
            reason_set(j, "hookgate could not read file %s from Slack: its access token is invalid "
                       "or lacks permission (%s). Ask a workspace admin to check the hookgate app.",
                       j->file_id, c + 6);
        else
            reason_set(j, "hookgate could not look up file %s in Slack (%s).", j->file_id, c);
        goto failed;
    }
    if (!is_csv(&j->file)) {
        hg_log_info("not_csv_ignored", "event_id", j->event_id, "file_id", j->file_id,
                    "filetype", j->file.filetype ? j->file.filetype : "");
        res->outcome = HGC_OUT_IGNORED;
        goto out;
    }
    if (step_table(j))
        goto failed;
    if (hgc_pipeline_s3_key(j->table->s3_key_template,
                            j->table->s3_prefix ? j->table->s3_prefix : j->p->settings->s3_prefix,
                            j->table->project, j->table->schema, j->table->name, j->dt, j->file_id,
                            res->s3_key, sizeof res->s3_key)) {
        hgc_err_set(&res->err, HGC_PERMANENT, "s3_key", "S3 key template gives no valid key");
        reason_set(j, "The table config %s.json has an unusable S3 key layout.", j->table->name);
        goto failed;
    }
    if (key_among_markers(j->p->settings->s3_prefix, res->s3_key)) {
        /* e.g. project "_hookgate": the CSV would overwrite or fake a marker */
        hgc_err_set(&res->err, HGC_PERMANENT, "s3_key", "S3 key %s falls among hookgate's markers",
                    res->s3_key);
        reason_set(j, "The table config %s.json puts files under hookgate's own _hookgate folder. "
                   "Ask the data team to fix its project, schema, name or S3 layout.", j->table->name);
        goto failed;
    }

    int landed = j->p->dry_run ? 0 : step_check_landed(j);
    if (landed < 0)
        goto failed;
    if (!landed) {
        int v = step_download_validate(j);
        if (v != 0)
            goto failed;               /* 1 = invalid: reason holds the problem list */
        if (j->p->dry_run) {
            res->outcome = HGC_OUT_VALID;
            snprintf(res->message, sizeof res->message, "%s is valid: %" PRIu64 " rows, %" PRIu64
                     " bytes normalised; would be stored at s3://%s/%s and loaded by %s.",
                     file_label(j), res->rows, res->bytes, j->p->settings->s3_bucket ?
                     j->p->settings->s3_bucket : "(bucket)", res->s3_key, j->glue_job);
            goto out;
        }
        if (step_glue_check(j) || step_s3_put(j) || step_s3_verify(j))
            goto failed;
    }
    if (step_glue_start(j)) {
        if (res->err.cls == HGC_PERMANENT)
            undo_landing(j);
        goto failed;
    }
notify_pass:
    pass_text(j, &text);
    if (step_notify(j, text.data ? text.data : "PASS", true, "pass"))
        goto failed;
    res->outcome = HGC_OUT_PASS;
    goto out;
failed:
    finish_failure(j);
out:
    hg_buf_cleanup(&text);
}

/* Event date from the envelope's event_time (epoch seconds), else the
 * record's time attribute. */
static void event_date(struct job *j, yajl_val data, const char *rec_time)
{
    yajl_val et = hg_json_get(data, "event_time", NULL);
    struct tm tm;
    if (et && YAJL_IS_INTEGER(et) && YAJL_GET_INTEGER(et) > 0) {
        time_t t = (time_t)YAJL_GET_INTEGER(et);
        j->event_time = (int64_t)t;
        gmtime_r(&t, &tm);
        strftime(j->dt, sizeof j->dt, "%Y-%m-%d", &tm);
        return;
    }
    if (rec_time && strlen(rec_time) >= 10) {
        memcpy(j->dt, rec_time, 10);
        j->dt[10] = '\0';
        memset(&tm, 0, sizeof tm);
        if (strptime(rec_time, "%Y-%m-%dT%H:%M:%S", &tm))
            j->event_time = (int64_t)timegm(&tm);
        return;
    }
    time_t now = time(NULL);
    j->event_time = (int64_t)now;
    gmtime_r(&now, &tm);
    strftime(j->dt, sizeof j->dt, "%Y-%m-%d", &tm);
}

void hgc_pipeline_process(struct hgc_pipeline *p, const char *payload, size_t len,
                          int attempt, bool final, struct hgc_pipeline_result *res)
{
    struct hg_record rec;
    char errbuf[256];
    struct job j;
    memset(res, 0, sizeof *res);
    memset(&j, 0, sizeof j);
    j.p = p;
    j.res = res;
    j.attempt = attempt;
    j.final = final;
    j.spool_fd = -1;
    hg_buf_init(&j.reason, HGC_MESSAGE_MAX);
    res->step = HGC_STEP_RECORD;

    if (hg_record_parse(payload, len, &rec, errbuf, sizeof errbuf)) {
        /* Not ours to judge: another producer's record. Dead-letter it so
         * someone can look, rather than lose or loop on it. */
        hgc_err_set(&res->err, HGC_PERMANENT, "bad_record", "%s", errbuf);
        res->outcome = HGC_OUT_DEAD;
        goto out_norec;
    }
    if (strcmp(rec.type, HGC_FILE_SHARED_TYPE)) {
        res->outcome = HGC_OUT_SKIPPED;
        goto out;
    }
    j.event_id = hg_json_get_str(rec.data, "event_id", NULL);
    if (!j.event_id)
        j.event_id = rec.id;
    j.file_id = hg_json_get_str(rec.data, "event", "file_id", NULL);
    if (!j.file_id)
        j.file_id = hg_json_get_str(rec.data, "event", "file", "id", NULL);
    j.channel = hg_json_get_str(rec.data, "event", "channel_id", NULL);
    if (!j.channel)
        j.channel = rec.channel;
    snprintf(res->event_id, sizeof res->event_id, "%s", j.event_id);
    if (!j.file_id || strlen(j.file_id) > HGC_SLACK_ID_MAX ||
        strlen(j.event_id) > HGC_SLACK_ID_MAX) {
        hgc_err_set(&res->err, HGC_PERMANENT, "bad_event", "file_shared event without a usable file id");
        res->outcome = HGC_OUT_DEAD;
        goto out;
    }
    snprintf(res->file_id, sizeof res->file_id, "%s", j.file_id);
    event_date(&j, rec.data, rec.time);
    process_file_shared(&j);
out:
    hg_record_cleanup(&rec);
out_norec:
    /* A dry run sends nothing to the dead-letter topic: a record that would
     * go there is reported invalid, with the reason. */
    if (p->dry_run && res->outcome == HGC_OUT_DEAD) {
        res->outcome = HGC_OUT_INVALID;
        if (!res->message[0])
            snprintf(res->message, sizeof res->message, "would be dead-lettered: %s: %s",
                     res->err.code, res->err.detail);
    }
    if (j.spool_fd >= 0)
        close(j.spool_fd);
    hgc_table_destroy(j.table);
    hgc_slack_file_cleanup(&j.file);
    hg_buf_cleanup(&j.reason);
}

/* ---- keys ---------------------------------------------------------------- */

int hgc_pipeline_s3_key(const char *tmpl, const char *prefix, const char *project,
                        const char *schema, const char *table, const char *dt,
                        const char *file_id, char *out, size_t out_size)
{
    struct hg_buf b;
    int rc = -1;
    if (!tmpl)
        tmpl = "{prefix}/{project}/{schema}/{table}/dt={dt}/{file_id}.csv";
    hg_buf_init(&b, out_size - 1);
    for (const char *p = tmpl; *p;) {
        if (*p != '{') {
            if (hg_buf_append(&b, p, 1))
                goto out;
            p++;
            continue;
        }
        const char *e = strchr(p, '}');
        if (!e)
            goto out;
        size_t n = (size_t)(e - p - 1);
        const char *v = NULL;
        if (n == 6 && !strncmp(p + 1, "prefix", 6)) v = prefix ? prefix : "";
        else if (n == 7 && !strncmp(p + 1, "project", 7)) v = project;
        else if (n == 6 && !strncmp(p + 1, "schema", 6)) v = schema;
        else if (n == 5 && !strncmp(p + 1, "table", 5)) v = table;
        else if (n == 2 && !strncmp(p + 1, "dt", 2)) v = dt;
        else if (n == 7 && !strncmp(p + 1, "file_id", 7)) v = file_id;
        if (!v)
            goto out;
        if (hg_buf_append_str(&b, v))
            goto out;
        p = e + 1;
    }
    if (!b.data)
        goto out;
    /* Drop empty segments ("//", a leading '/') left by an empty prefix. */
    size_t o = 0;
    for (size_t i = 0; i < b.len; i++) {
        if (b.data[i] == '/' && (o == 0 || out[o - 1] == '/'))
            continue;
        out[o++] = b.data[i];
    }
    out[o] = '\0';
    if (o == 0 || out[o - 1] == '/' || strstr(out, ".."))
        goto out;
    for (size_t i = 0; i < o; i++)       /* a "." segment: read back as another key */
        if (out[i] == '.' && (i == 0 || out[i - 1] == '/') && (i + 1 == o || out[i + 1] == '/'))
            goto out;
    rc = 0;
out:
    hg_buf_cleanup(&b);
    return rc;
}
