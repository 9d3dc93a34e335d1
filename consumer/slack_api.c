/* slack_api.c — Slack Web API calls over the common HTTP client. */
#include "consumer/slack_api.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"
#include "consumer/tables.h"

struct hgc_slack {
    struct hg_http_client *http;
    char *base;
    char *auth;       /* "Bearer xoxb-..." — never logged */
    long timeout_ms;
};

struct hgc_slack *hgc_slack_create(struct hg_http_client *http, const char *base_url,
                                   const char *token, long timeout_ms)
{
    struct hgc_slack *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->http = http;
    s->timeout_ms = timeout_ms;
    size_t n = strlen(token) + sizeof "Bearer ";
    s->base = strdup(base_url);
    s->auth = malloc(n);
    if (!s->base || !s->auth) {
        hgc_slack_destroy(s);
        return NULL;
    }
    snprintf(s->auth, n, "Bearer %s", token);
    return s;
}

void hgc_slack_destroy(struct hgc_slack *s)
{
    if (!s)
        return;
    if (s->auth) {
        volatile char *p = s->auth;
        while (*p)
            *p++ = 0;
    }
    free(s->auth);
    free(s->base);
    free(s);
}

void hgc_slack_file_cleanup(struct hgc_slack_file *f)
{
    free(f->id);
    free(f->name);
    free(f->filetype);
    free(f->mimetype);
    free(f->url);
    memset(f, 0, sizeof *f);
}

/* Slack ids (files, channels, events) are short runs of [A-Za-z0-9._-];
 * anything else is refused rather than encoded. */
static bool id_ok(const char *id)
{
    if (!id || !*id || strlen(id) > HGC_SLACK_ID_MAX)
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return true;
}

/* Perform one Web API call (GET when body is NULL, else POST JSON) and
 * parse the {"ok":...} envelope. Returns the parsed tree (caller frees) on
 * ok:true, NULL with e otherwise. */
static yajl_val slack_call(struct hgc_slack *s, const char *method, const char *query,
                           const char *body, size_t body_len, struct hgc_err *e)
{
    char url[HGC_URL_MAX];
    char errbuf[256];
    struct hg_http_response resp = { 0 };
    yajl_val root = NULL;
    struct hg_http_header hdrs[2] = {
        { "Authorization", s->auth },
        { "Content-Type", "application/json; charset=utf-8" },
    };
    int n = snprintf(url, sizeof url, "%s/%s%s%s", s->base, method, query ? "?" : "",
                     query ? query : "");
    if (n < 0 || (size_t)n >= sizeof url) {
        hgc_err_set(e, HGC_PERMANENT, "slack_url", "%s: URL too long", method);
        goto out;
    }
    struct hg_http_request req = {
        .method = body ? "POST" : "GET",
        .url = url,
        .headers = hdrs,
        .nheaders = body ? 2 : 1,
        .body = body,
        .body_len = body_len,
        .timeout_ms = s->timeout_ms,
        .max_response = HGC_SLACK_MAX_RESPONSE,
    };
    enum hg_http_result r = hg_http_perform(s->http, &req, &resp, errbuf, sizeof errbuf);
    enum hgc_class cls = hgc_retry_classify_http(r, resp.status);
    if (r != HG_HTTP_OK) {
        hgc_err_set(e, cls, "slack_unreachable", "%s: %s", method, errbuf);
        goto out;
    }
    if (resp.status == 429) {
        hgc_err_set(e, HGC_TRANSIENT, "slack_ratelimited", "%s: HTTP 429", method);
        e->retry_after_ms = hg_http_retry_after_ms(&resp);
        goto out;
    }
    if (resp.status != 200) {
        /* another 2xx is no answer either: tried again (a proxy's doing) */
        hgc_err_set(e, cls == HGC_OK ? HGC_TRANSIENT : cls, "slack_http", "%s: HTTP %ld", method,
                    resp.status);
        e->retry_after_ms = hg_http_retry_after_ms(&resp);
        goto out;
    }
    root = hgc_slack_parse_response(method, resp.body.data ? resp.body.data : "", resp.body.len, e);
out:
    hg_http_response_cleanup(&resp);
    return root;
}

yajl_val hgc_slack_parse_response(const char *method, const char *body, size_t len,
                                  struct hgc_err *e)
{
    char errbuf[256];
    yajl_val root = hg_json_parse(body, len, errbuf, sizeof errbuf);
    if (!root) {
        hgc_err_set(e, HGC_TRANSIENT, "slack_bad_json", "%s: response is not JSON: %s",
                    method, errbuf);
        return NULL;
    }
    yajl_val ok = hg_json_get(root, "ok", NULL);
    if (!ok || !YAJL_IS_TRUE(ok)) {
        const char *code = hg_json_get_str(root, "error", NULL);
        char c[64];
        snprintf(c, sizeof c, "slack_%.50s", code ? code : "unknown_error");
        hgc_err_set(e, hgc_retry_classify_slack(code), c, "%s: ok=false error=%.60s", method,
                    code ? code : "(none)");
        yajl_tree_free(root);
        return NULL;
    }
    return root;
}

static char *dup_str(yajl_val v, const char *key)
{
    const char *s = hg_json_get_str(v, key, NULL);
    return s ? strdup(s) : NULL;
}

int hgc_slack_files_info(struct hgc_slack *s, const char *file_id, struct hgc_slack_file *f,
                         struct hgc_err *e)
{
    char q[128];
    memset(f, 0, sizeof *f);
    if (!id_ok(file_id))
        return hgc_err_set(e, HGC_PERMANENT, "bad_file_id", "file id is missing or malformed");
    snprintf(q, sizeof q, "file=%s", file_id);
    yajl_val root = slack_call(s, "files.info", q, NULL, 0, e);
    if (!root)
        return -1;
    int rc = hgc_slack_file_from_json(root, f, e);
    yajl_tree_free(root);
    return rc;
}

int hgc_slack_file_from_json(yajl_val root, struct hgc_slack_file *f, struct hgc_err *e)
{
    int rc = -1;
    memset(f, 0, sizeof *f);
    yajl_val file = hg_json_get(root, "file", NULL);
    if (!file || !YAJL_IS_OBJECT(file)) {
        hgc_err_set(e, HGC_PERMANENT, "slack_bad_response", "files.info: no file object");
        goto out;
    }
    f->id = dup_str(file, "id");
    f->name = dup_str(file, "name");
    f->filetype = dup_str(file, "filetype");
    f->mimetype = dup_str(file, "mimetype");
    f->url = dup_str(file, "url_private_download");
    if (!f->url)
        f->url = dup_str(file, "url_private");
    yajl_val size = hg_json_get(file, "size", NULL);
    f->size = size && YAJL_IS_INTEGER(size) ? YAJL_GET_INTEGER(size) : -1;
    if (!f->name || !f->url || !*f->name || strlen(f->name) > HGC_SLACK_NAME_MAX) {
        hgc_err_set(e, HGC_PERMANENT, "slack_bad_response", "files.info: file has no usable name or URL");
        goto out;
    }
    rc = 0;
out:
    if (rc)
        hgc_slack_file_cleanup(f);
    return rc;
}

yajl_val hgc_slack_history_find(yajl_val root, const char *event_id, const char *outcome)
{
    yajl_val msgs = hg_json_get(root, "messages", NULL);
    if (!msgs || !YAJL_IS_ARRAY(msgs))
        return NULL;
    for (size_t i = 0; i < msgs->u.array.len; i++) {
        yajl_val m = msgs->u.array.values[i];
        const char *et = hg_json_get_str(m, "metadata", "event_type", NULL);
        const char *ev = hg_json_get_str(m, "metadata", "event_payload", "event_id", NULL);
        const char *oc = hg_json_get_str(m, "metadata", "event_payload", "outcome", NULL);
        if (et && ev && oc && !strcmp(et, "hookgate_result") && !strcmp(ev, event_id) &&
            !strcmp(oc, outcome))
            return m;
    }
    return NULL;
}

bool hgc_slack_history_has_result(yajl_val root, const char *event_id, const char *outcome)
{
    return hgc_slack_history_find(root, event_id, outcome) != NULL;
}

bool hgc_slack_ts_ok(const char *ts)
{
    size_t n = ts ? strlen(ts) : 0;
    return n > 0 && n < HGC_SLACK_TS_MAX && strspn(ts, "0123456789.") == n && ts[0] != '.';
}

bool hgc_slack_looks_html(const char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < n && isspace((unsigned char)p[i]))
        i++;
    static const char *const marks[] = { "<!doctype html", "<html" };
    for (size_t k = 0; k < 2; k++) {
        size_t m = strlen(marks[k]);
        if (n - i >= m && !strncasecmp(p + i, marks[k], m))
            return true;
    }
    return false;
}

/* ---- download ---------------------------------------------------------- */

#define DL_SNIFF 512u

struct dl_ctx {
    hg_http_write_fn fn;
    void *ud;
    char head[DL_SNIFF];
    size_t headlen;
    bool flushed;
    bool html;
    bool too_big;
    bool user_abort;
    int64_t bytes, max;
};

static int dl_flush_head(struct dl_ctx *c)
{
    c->flushed = true;
    if (hgc_slack_looks_html(c->head, c->headlen)) {
        c->html = true;
        return -1;
    }
    if (c->headlen && c->fn(c->ud, c->head, c->headlen) != 0) {
        c->user_abort = true;
        return -1;
    }
    return 0;
}

static int dl_write(void *ud, const char *data, size_t len)
{
    struct dl_ctx *c = ud;
    if ((int64_t)len > c->max - c->bytes) {
        c->too_big = true;
        return -1;
    }
    c->bytes += (int64_t)len;
    if (!c->flushed) {
        size_t take = DL_SNIFF - c->headlen < len ? DL_SNIFF - c->headlen : len;
        memcpy(c->head + c->headlen, data, take);
        c->headlen += take;
        data += take;
        len -= take;
        if (c->headlen < DL_SNIFF)
            return 0;
        if (dl_flush_head(c) != 0)
            return -1;
    }
    if (len && c->fn(c->ud, data, len) != 0) {
        c->user_abort = true;
        return -1;
    }
    return 0;
}

bool hgc_slack_url_may_carry_token(const char *url)
{
    char host[256];
    if (hg_http_url_host(url, host, sizeof host) != 0)
        return false;
    return strncasecmp(url, "https://", 8) == 0 || hg_http_url_loopback(url);
}

int hgc_slack_download(struct hgc_slack *s, const char *url, int64_t max_bytes,
                       hg_http_write_fn write_fn, void *ud, int64_t *bytes,
                       struct hgc_err *e)
{
    int rc = -1;
    char errbuf[256];
    struct hg_http_response resp = { 0 };
    struct dl_ctx c = { .fn = write_fn, .ud = ud, .max = max_bytes };
    struct hg_http_header hdrs[1] = { { "Authorization", s->auth } };
    struct hg_http_request req = {
        .method = "GET",
        .url = url,
        .headers = hdrs,
        .nheaders = 1,
        .write_fn = dl_write,
        .write_ud = &c,
        .timeout_ms = 0,           /* the client's, as a stall limit (streamed) */
        .follow_redirects = true,
    };
    *bytes = 0;
    if (!hgc_slack_url_may_carry_token(url)) {
        hgc_err_set(e, HGC_PERMANENT, "slack_bad_url",
                    "download URL is not https (the bot token would be sent in clear)");
        goto out;
    }
    enum hg_http_result r = hg_http_perform(s->http, &req, &resp, errbuf, sizeof errbuf);
    if (r == HG_HTTP_OK && !c.flushed && resp.status >= 200 && resp.status < 300)
        dl_flush_head(&c);
    *bytes = c.bytes;
    const char *ctype = hg_http_response_header(&resp, "content-type");
    if (c.html || (resp.status == 200 && ctype && !strncasecmp(ctype, "text/html", 9))) {
        hgc_err_set(e, HGC_PERMANENT, "slack_download_html",
                    "download returned an HTML page instead of the file (token without access?)");
        goto out;
    }
    if (c.too_big) {
        hgc_err_set(e, HGC_PERMANENT, "file_too_large", "file is larger than %" PRId64 " bytes",
                    max_bytes);
        goto out;
    }
    if (c.user_abort) {
        if (!e->code[0])
            hgc_err_set(e, HGC_PERMANENT, "download_aborted", "download stopped by the consumer");
        goto out;
    }
    if (r != HG_HTTP_OK) {
        hgc_err_set(e, hgc_retry_classify_http(r, 0), "slack_download", "download: %s", errbuf);
        goto out;
    }
    if (resp.status == 404 || resp.status == 410) {
        hgc_err_set(e, HGC_PERMANENT, "slack_file_deleted", "download: HTTP %ld", resp.status);
        goto out;
    }
    if (resp.status == 401 || resp.status == 403) {
        hgc_err_set(e, HGC_PERMANENT, "slack_download_denied", "download: HTTP %ld", resp.status);
        goto out;
    }
    if (resp.status != 200) {
        enum hgc_class cls = hgc_retry_classify_http(r, resp.status);
        hgc_err_set(e, cls == HGC_OK ? HGC_TRANSIENT : cls, "slack_download_http",
                    "download: HTTP %ld", resp.status);
        e->retry_after_ms = hg_http_retry_after_ms(&resp);
        goto out;
    }
    rc = 0;
out:
    hg_http_response_cleanup(&resp);
    return rc;
}

/* ---- messages ---------------------------------------------------------- */

/* text as a JSON string's content, with Slack's three control characters
 * escaped (& < > as &amp; &lt; &gt;,
 * https://api.slack.com/reference/surfaces/formatting#escaping): a file
 * name or cell value quoted in a result cannot become a mention
 * (<!channel>), a disguised link or another control sequence. hookgate's
 * own texts use none of them. */
static int append_slack_text(struct hg_buf *b, const char *text)
{
    int x = 0;
    const char *run = text;
    for (const char *p = text;; p++) {
        const char *ent = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : NULL;
        if (!ent && *p)
            continue;
        x |= hg_buf_append_json_str(b, run, (size_t)(p - run));
        if (!*p)
            break;
        x |= hg_buf_append_str(b, ent);
        run = p + 1;
    }
    return x;
}

/* The JSON body of chat.postMessage (ts NULL) or chat.update (ts set):
 * channel, text and the hookgate_result metadata. Returns 0 or -1 (over
 * the cap). */
static int result_body(struct hg_buf *b, const char *channel, const char *ts, const char *text,
                       const char *file_id, const char *event_id, const char *outcome)
{
    int x = hg_buf_append_str(b, "{\"channel\":\"");
    x |= hg_buf_append_json_str(b, channel, strlen(channel));
    if (ts) {
        x |= hg_buf_append_str(b, "\",\"ts\":\"");
        x |= hg_buf_append_json_str(b, ts, strlen(ts));
    }
    x |= hg_buf_append_str(b, "\",\"text\":\"");
    x |= append_slack_text(b, text);
    x |= hg_buf_append_str(b, ts ? "\"," : "\",\"unfurl_links\":false,");
    x |= hg_buf_append_str(b, "\"metadata\":{\"event_type\":\"hookgate_result\","
                              "\"event_payload\":{\"file_id\":\"");
    x |= hg_buf_append_json_str(b, file_id, strlen(file_id));
    x |= hg_buf_append_str(b, "\",\"event_id\":\"");
    x |= hg_buf_append_json_str(b, event_id, strlen(event_id));
    x |= hg_buf_append_str(b, "\",\"outcome\":\"");
    x |= hg_buf_append_json_str(b, outcome, strlen(outcome));
    x |= hg_buf_append_str(b, "\"}}}");
    return x ? -1 : 0;
}

/* chat.postMessage (ts_in NULL) or chat.update of ts_in. */
static int send_result(struct hgc_slack *s, const char *channel, const char *ts_in,
                       const char *text, const char *file_id, const char *event_id,
                       const char *outcome, char *ts, size_t ts_size, struct hgc_err *e)
{
    const char *method = ts_in ? "chat.update" : "chat.postMessage";
    int rc = -1;
    struct hg_buf b;
    yajl_val root = NULL;
    hg_buf_init(&b, HGC_SLACK_MAX_REQUEST);
    const char *why = hgc_channel_id_check(channel);
    if (why)
        return hgc_err_set(e, HGC_PERMANENT, "bad_channel", "channel %s", why);
    if (ts_in && !hgc_slack_ts_ok(ts_in))
        return hgc_err_set(e, HGC_PERMANENT, "bad_ts", "message ts is malformed");
    if (result_body(&b, channel, ts_in, text, file_id, event_id, outcome)) {
        hgc_err_set(e, HGC_PERMANENT, "message_too_long", "%s body over the cap", method);
        goto out;
    }
    root = slack_call(s, method, NULL, b.data, b.len, e);
    if (!root)
        goto out;
    if (ts && ts_size) {
        const char *t = hg_json_get_str(root, "ts", NULL);
        snprintf(ts, ts_size, "%s", t ? t : "");
    }
    rc = 0;
out:
    yajl_tree_free(root);
    hg_buf_cleanup(&b);
    return rc;
}

int hgc_slack_post_result(struct hgc_slack *s, const char *channel, const char *text,
                          const char *file_id, const char *event_id, const char *outcome,
                          char *ts, size_t ts_size, struct hgc_err *e)
{
    return send_result(s, channel, NULL, text, file_id, event_id, outcome, ts, ts_size, e);
}

int hgc_slack_update_result(struct hgc_slack *s, const char *channel, const char *ts,
                            const char *text, const char *file_id, const char *event_id,
                            const char *outcome, struct hgc_err *e)
{
    return send_result(s, channel, ts, text, file_id, event_id, outcome, NULL, 0, e);
}

int hgc_slack_find_result(struct hgc_slack *s, const char *channel, const char *event_id,
                          const char *outcome, int64_t oldest, int pages, bool *found,
                          char *aside_ts, size_t aside_ts_size, struct hgc_err *e)
{
    char q[512];
    char cursor[256] = "";
    *found = false;
    if (aside_ts && aside_ts_size)
        aside_ts[0] = '\0';
    const char *why = hgc_channel_id_check(channel);
    if (why)
        return hgc_err_set(e, HGC_PERMANENT, "bad_channel", "channel %s", why);
    for (int page = 0; page < pages; page++) {
        int n = snprintf(q, sizeof q, "channel=%s&include_all_metadata=true&limit=200&oldest=%" PRId64
                         "%s%s", channel, oldest, cursor[0] ? "&cursor=" : "", cursor);
        if (n < 0 || (size_t)n >= sizeof q)
            return hgc_err_set(e, HGC_PERMANENT, "slack_url", "history query too long");
        yajl_val root = slack_call(s, "conversations.history", q, NULL, 0, e);
        if (!root)
            return -1;
        *found = hgc_slack_history_has_result(root, event_id, outcome);
        if (aside_ts && aside_ts_size && !aside_ts[0]) {
            yajl_val m = hgc_slack_history_find(root, event_id, HGC_OUTCOME_SET_ASIDE);
            const char *t = m ? hg_json_get_str(m, "ts", NULL) : NULL;
            if (hgc_slack_ts_ok(t))
                snprintf(aside_ts, aside_ts_size, "%s", t);
        }
        const char *next = hg_json_get_str(root, "response_metadata", "next_cursor", NULL);
        cursor[0] = '\0';
        if (next && *next) {
            /* cursors are base64-ish; keep only safe characters, %-encode '=' */
            size_t o = 0;
            for (const char *p = next; *p && o + 4 < sizeof cursor; p++) {
                if (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.')
                    cursor[o++] = *p;
                else
                    o += (size_t)snprintf(cursor + o, sizeof cursor - o, "%%%02X", (unsigned char)*p);
            }
            cursor[o] = '\0';
        }
        yajl_tree_free(root);
        if (*found || !cursor[0])
            break;
    }
    return 0;
}

int hgc_slack_auth_test(struct hgc_slack *s, char *team, size_t team_size,
                        char *user, size_t user_size, struct hgc_err *e)
{
    yajl_val root = slack_call(s, "auth.test", NULL, "{}", 2, e);
    if (!root)
        return -1;
    if (team && team_size) {
        const char *t = hg_json_get_str(root, "team", NULL);
        snprintf(team, team_size, "%s", t ? t : "");
    }
    if (user && user_size) {
        const char *u = hg_json_get_str(root, "user", NULL);
        snprintf(user, user_size, "%s", u ? u : "");
    }
    yajl_tree_free(root);
    return 0;
}
