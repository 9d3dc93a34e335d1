/* slack_api.h — the Slack Web API calls the worker makes (files.info, the
 * private download, chat.postMessage, conversations.history, auth.test)
 * over the common HTTP client, with {"ok":false} errors and 429 Retry-After
 * classified. https://github.com/slackhq/slack-api-docs/blob/master/index_web.md */
#ifndef HGC_SLACK_API_H
#define HGC_SLACK_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "common/http_client.h"
#include "consumer/retry.h"

struct hgc_slack;

/* base_url e.g. "https://slack.com/api" (no trailing '/'); token is the bot
 * token (copied, never logged). The client is borrowed and must outlive the
 * object. Returns the object (free with hgc_slack_destroy) or NULL on
 * out-of-memory. */
struct hgc_slack *hgc_slack_create(struct hg_http_client *http, const char *base_url,
                                   const char *token, long timeout_ms);
void hgc_slack_destroy(struct hgc_slack *s);

/* What files.info says about a file. Strings are owned by the struct. */
struct hgc_slack_file {
    char   *id, *name, *filetype, *mimetype, *url;   /* url: url_private_download (or url_private) */
    int64_t size;
};
void hgc_slack_file_cleanup(struct hgc_slack_file *f);

/* files.info?file=ID. Returns 0 with f filled (caller cleans it), or -1 with
 * e: Slack's error code as "slack_<code>" (file_not_found, file_deleted,
 * invalid_auth, ...), classified; HTTP 429 is transient with Retry-After.
 * https://docs.slack.dev/reference/methods/files.info/ */
int hgc_slack_files_info(struct hgc_slack *s, const char *file_id, struct hgc_slack_file *f,
                         struct hgc_err *e);

/* May url carry the bot token? https always; plain http only to this
 * machine (hg_http_url_loopback), where the
 * tests' stand-ins run: files.info naming an http:// download elsewhere
 * would have the token sent in clear. */
bool hgc_slack_url_may_carry_token(const char *url);

/* GET url with the Bearer token, streaming the body to write_fn (which may
 * abort with -1; the error is then whatever write_fn put in e, or
 * "download_aborted"). Refuses a file larger than max_bytes. An HTML page
 * instead of the file (Slack's answer to a token without access) is a
 * permanent "slack_download_html" error, detected before any byte reaches
 * write_fn. A url hgc_slack_url_may_carry_token refuses is a permanent
 * "slack_bad_url", nothing sent. *bytes receives the bytes delivered.
 * Returns 0 or -1 with e. https://docs.slack.dev/reference/objects/file-object */
int hgc_slack_download(struct hgc_slack *s, const char *url, int64_t max_bytes,
                       hg_http_write_fn write_fn, void *ud, int64_t *bytes,
                       struct hgc_err *e);

/* The metadata outcome of a "set aside" notice (retries ran out): not a
 * result; a later PASS or ERROR for the event edits that message. */
#define HGC_OUTCOME_SET_ASIDE "unfinished"

/* chat.postMessage with text (mrkdwn) and message metadata
 * {event_type:"hookgate_result", event_payload:{file_id, event_id, outcome}}
 * so a later check can find it (outcome: "pass", "error", "unfinished"). *ts (may be NULL, >= 32 bytes) receives the
 * message ts. Returns 0 or -1 with e.
 * https://docs.slack.dev/reference/methods/chat.postMessage */
int hgc_slack_post_result(struct hgc_slack *s, const char *channel, const char *text,
                          const char *file_id, const char *event_id, const char *outcome,
                          char *ts, size_t ts_size, struct hgc_err *e);

/* chat.update of the message ts in channel: the text and the metadata (as
 * hgc_slack_post_result's) replace the old ones. Returns 0 or -1 with e
 * ("slack_message_not_found", "slack_cant_update_message", ... permanent).
 * https://docs.slack.dev/reference/methods/chat.update/ */
int hgc_slack_update_result(struct hgc_slack *s, const char *channel, const char *ts,
                            const char *text, const char *file_id, const char *event_id,
                            const char *outcome, struct hgc_err *e);

/* Look for an earlier result message for event_id with this outcome in the
 * channel's history since oldest (epoch seconds; 0 = no bound), at most
 * `pages` pages of 200. *found is set. aside_ts (may be NULL) receives the
 * ts of the newest set-aside notice for the event seen on those pages, or
 * "". Returns 0 or -1 with e. */
int hgc_slack_find_result(struct hgc_slack *s, const char *channel, const char *event_id,
                          const char *outcome, int64_t oldest, int pages, bool *found,
                          char *aside_ts, size_t aside_ts_size, struct hgc_err *e);

/* auth.test: returns 0 with team and user names copied into the buffers
 * (may be NULL), or -1 with e. */
int hgc_slack_auth_test(struct hgc_slack *s, char *team, size_t team_size,
                        char *user, size_t user_size, struct hgc_err *e);

/* ---- parsers (exposed for tests and the fuzz target) ---- */

/* Parse a Web API answer: returns the tree (caller frees with
 * yajl_tree_free) when it is JSON with "ok":true, else NULL with e
 * ("slack_<error>" classified; not JSON is transient "slack_bad_json"). */
yajl_val hgc_slack_parse_response(const char *method, const char *body, size_t len,
                                  struct hgc_err *e);
/* Fill f from a files.info answer. Returns 0 (f owned by the caller) or -1
 * with e (f then empty). */
int hgc_slack_file_from_json(yajl_val root, struct hgc_slack_file *f, struct hgc_err *e);
/* The first message (newest: Slack lists history newest first) of a
 * conversations.history answer that is a hookgate result for event_id with
 * this outcome, or NULL. Points into root. */
yajl_val hgc_slack_history_find(yajl_val root, const char *event_id, const char *outcome);
/* Does a conversations.history answer hold a hookgate result for event_id
 * with this outcome? */
bool hgc_slack_history_has_result(yajl_val root, const char *event_id, const char *outcome);
/* Is ts usable as a message ts (digits and dots, under HGC_SLACK_TS_MAX)? */
bool hgc_slack_ts_ok(const char *ts);
/* Does a body start (after a BOM and white space) like an HTML page? */
bool hgc_slack_looks_html(const char *p, size_t n);

#endif
