/* fuzz_slack_api.c — libFuzzer target: the consumer's parsers of Slack's
 * answers (Web API envelope, files.info, conversations.history, the HTML
 * sniff of a download), of Glue's GetJobRuns answers and of S3 key
 * templates. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "consumer/glue_runs.h"
#include "consumer/pipeline.h"
#include "consumer/slack_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hgc_err e;
    struct hgc_slack_file f;
    hgc_err_clear(&e);
    (void)hgc_slack_looks_html((const char *)data, size);
    yajl_val root = hgc_slack_parse_response("fuzz", (const char *)data, size, &e);
    if (root) {
        if (hgc_slack_file_from_json(root, &f, &e) == 0) {
            if (!f.name || !f.url)
                abort();   /* the contract: both set on success */
            hgc_slack_file_cleanup(&f);
        }
        (void)hgc_slack_history_has_result(root, "Ev1", "pass");
        yajl_val m = hgc_slack_history_find(root, "Ev1", HGC_OUTCOME_SET_ASIDE);
        if (m)
            (void)hgc_slack_ts_ok(hg_json_get_str(m, "ts", NULL));
        yajl_tree_free(root);
    } else if (!e.code[0]) {
        abort();           /* a failure always says why */
    }
    /* The input as a Glue GetJobRuns answer. */
    char run_id[64];
    char *next = NULL;
    int g = hgc_glue_runs_scan((const char *)data, size, "--hookgate_file_id", "F1", run_id,
                               sizeof run_id, &next);
    if (g == 1 && strlen(run_id) >= sizeof run_id)
        abort();
    if (g != 0 && next)
        abort();   /* NextToken only matters when nothing was found */
    free(next);
    /* The input as an S3 key template. */
    char *tmpl = malloc(size + 1);
    char key[HGC_KEY_MAX];
    if (tmpl) {
        memcpy(tmpl, data, size);
        tmpl[size] = '\0';
        if (hgc_pipeline_s3_key(tmpl, "p", "proj", "sch", "tab", "2026-01-01", "F1", key,
                                sizeof key) == 0 &&
            (strlen(key) >= sizeof key || key[0] == '/' || strstr(key, "..") || strstr(key, "//")))
            abort();
        free(tmpl);
    }
    return 0;
}
