/* ingest.c — verify → classify → normalise one Slack request into a record.
 * Slack facts: protocols.md §1–3 (api.slack.com/authentication/verifying-
 * requests-from-slack, docs.slack.dev/apis/events-api,
 * docs.slack.dev/interactivity/handling-user-interaction). */
#include "gateway/ingest.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/form.h"
#include "common/json.h"
#include "common/record.h"
#include "gateway/dedup.h"

#define TYPE_TOKEN_MAX 64
#define CHALLENGE_MAX 1024

static const char *const route_names[] = { "events", "interactive", "commands" };

void gw_ingest_result_cleanup(struct gw_ingest_result *r)
{
    hg_buf_cleanup(&r->reply);
    free(r->record);
    r->record = NULL;
}

/* Join NULL-ended strings into dst (cap bytes, NUL included), cut at the
 * cap like snprintf; returns the length written. A printf-free hot path. */
static size_t join(char *dst, size_t cap, ...)
{
    va_list ap;
    size_t o = 0;
    const char *p;
    va_start(ap, cap);
    while ((p = va_arg(ap, const char *)) != NULL) {
        size_t n = strlen(p);
        if (n > cap - 1 - o)
            n = cap - 1 - o;
        memcpy(dst + o, p, n);
        o += n;
    }
    va_end(ap);
    dst[o] = '\0';
    return o;
}

/* An error answer: message, and ": detail" when there is one. */
static enum gw_ingest_action refuse(struct gw_ingest_result *r, int status, const char *code,
                                    const char *message, const char *detail)
{
    r->action = GW_INGEST_REPLY;
    r->status = status;
    r->error = code;
    snprintf(r->message, sizeof r->message, "%s%s%s", message, detail ? ": " : "", detail ? detail : "");
    return r->action;
}

static enum gw_ingest_action answer(struct gw_ingest_result *r, const char *type,
                                    const char *body, size_t len)
{
    r->action = GW_INGEST_REPLY;
    r->status = 200;
    r->error = NULL;
    r->reply_type = type;
    if (len && hg_buf_append(&r->reply, body, len) != 0)
        return refuse(r, 500, "internal", "out of memory", NULL);
    return r->action;
}

/* "application/json; charset=utf-8" matches "application/json". */
static bool media_type_is(const char *ct, const char *want)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strlen(want);
    if (strncasecmp(ct, want, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* Type names and ids become part of a record's type / id: a small alphabet. */
static bool token_ok(const char *s, size_t max)
{
    size_t n = 0;
    if (!s || !*s)
        return false;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= max || !(isalnum(c) || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* Slack IDs (team, channel, app) are short and alphanumeric; anything else
 * is left out of the key and extensions rather than trusted. */
static const char *slack_id(const char *s)
{
    return token_ok(s, HG_RECORD_KEY_MAX) ? s : NULL;
}

/* A picked string: its text; "" when it was a string too long to keep or
 * one holding U+0000, which no C string carries (every check that follows
 * refuses "": such an event_id or type is a 400, such a team, channel or
 * app id is left out like any other that is no Slack ID); NULL when absent
 * or no string. */
static const char *picked_str(const struct hg_json_pick *p)
{
    if (p->kind == HG_JSON_PICK_STRING)
        return p->str;
    return p->kind == HG_JSON_PICK_TOO_LONG || p->kind == HG_JSON_PICK_STRING_NUL ? "" : NULL;
}

/* Where a channel id sits in Events API events and interaction payloads,
 * below prefix (NULL = the root), in the order tried: CHANNEL_PICKS picks
 * from picks[0]. */
#define CHANNEL_PICKS 5
static void channel_picks(struct hg_json_pick *picks, const char *prefix)
{
    static const char *const paths[CHANNEL_PICKS][3] = {
        { "channel" }, { "channel_id" }, { "channel", "id" }, { "item", "channel" },
        { "container", "channel_id" },
    };
    for (int i = 0; i < CHANNEL_PICKS; i++) {
        int k = 0;
        if (prefix)
            picks[i].path[k++] = prefix;
        for (int j = 0; j < 3 && paths[i][j]; j++)
            picks[i].path[k++] = paths[i][j];
        picks[i].path[k] = NULL;
        picks[i].max_len = HG_RECORD_KEY_MAX;
    }
}

static const char *channel_of(const struct hg_json_pick *picks)
{
    const char *c;
    for (int i = 0; i < CHANNEL_PICKS; i++)
        if ((c = picked_str(&picks[i])))
            return c;
    return NULL;
}

struct meta {
    const char *id, *team, *channel, *app;
    char        type[sizeof "com.slack.interactive." + TYPE_TOKEN_MAX];
    int64_t     time_ms;
    const char *encoding;
    const char *data;
    size_t      data_len;
};

static int parse_retry_num(const char *s, int *out)
{
    *out = 0;
    if (!s)
        return 0;
    if (!*s || strlen(s) > 3)
        return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    *out = (int)strtol(s, NULL, 10);
    return 0;
}

static enum gw_ingest_action build(const struct gw_ingest_ctx *ctx, const struct gw_inbound *in,
                                   struct meta *m, struct gw_ingest_result *r)
{
    char uuid[37], source[2 * HG_RECORD_KEY_MAX + 16], encoding[32];
    int retry_num;
    struct hg_buf out;

    if (parse_retry_num(in->retry_num, &retry_num) != 0)
        return refuse(r, 400, "bad_retry_header", "X-Slack-Retry-Num must be a small decimal number", NULL);
    if (!m->id) {
        if (hg_uuid7(uuid) != 0)
            return refuse(r, 500, "internal", "random number generator failed", NULL);
        m->id = uuid;
    }
    m->team = slack_id(m->team);
    m->channel = slack_id(m->channel);
    m->app = slack_id(m->app);
    join(source, sizeof source, "slack://", m->team ? m->team : "unknown",
         m->app ? "/" : "", m->app ? m->app : "", (const char *)NULL);
    join(encoding, sizeof encoding, m->encoding, in->base64 ? "+base64" : "", (const char *)NULL);

    struct hg_record_fields f = {
        .id = m->id, .type = m->type, .source = source, .time_ms = m->time_ms,
        .team = m->team, .channel = m->channel, .app = m->app,
        .retry_num = retry_num,
        .retry_reason = token_ok(in->retry_reason, 64) ? in->retry_reason : NULL,
        .route = route_names[in->route], .envelope = in->envelope, .encoding = encoding,
        .received_ms = in->received_ms, .data = m->data, .data_len = m->data_len,
    };
    hg_buf_init(&out, ctx->max_record);
    if (hg_record_write(&out, &f) != 0) {
        hg_buf_cleanup(&out);
        return refuse(r, 413, "record_too_large", "the normalised record exceeds the size limit", NULL);
    }
    r->record = hg_buf_steal(&out, &r->record_len);
    if (m->team && m->channel)
        r->key_len = join(r->key, sizeof r->key, m->team, ":", m->channel, (const char *)NULL);
    else if (m->team)
        r->key_len = join(r->key, sizeof r->key, m->team, (const char *)NULL);
    r->action = GW_INGEST_PRODUCE;
    r->status = 200;
    return r->action;
}

/* What the Events API route reads of a body; the rest is kept as sent. */
enum {
    EV_ROOT, EV_TYPE, EV_CHALLENGE, EV_ID, EV_EVENT, EV_EVENT_TYPE, EV_TEAM, EV_APP, EV_TIME,
    EV_CHANNEL, EV_PICKS = EV_CHANNEL + CHANNEL_PICKS
};
#define EV_ARENA (CHALLENGE_MAX + HG_RECORD_ID_MAX + 2 * TYPE_TOKEN_MAX + \
                  (2 + CHANNEL_PICKS) * HG_RECORD_KEY_MAX + EV_PICKS)

static enum gw_ingest_action handle_events(const struct gw_ingest_ctx *ctx, const struct gw_inbound *in,
                                           struct gw_ingest_result *r)
{
    char why[160], arena[EV_ARENA];
    struct meta m = { .encoding = "json", .data = in->body, .data_len = in->body_len,
                      .time_ms = in->received_ms };
    struct hg_json_pick pk[EV_PICKS] = {
        [EV_ROOT] = { .path = { NULL } },
        [EV_TYPE] = { .path = { "type" }, .max_len = TYPE_TOKEN_MAX },
        [EV_CHALLENGE] = { .path = { "challenge" }, .max_len = CHALLENGE_MAX },
        [EV_ID] = { .path = { "event_id" }, .max_len = HG_RECORD_ID_MAX },
        [EV_EVENT] = { .path = { "event" } },
        [EV_EVENT_TYPE] = { .path = { "event", "type" }, .max_len = TYPE_TOKEN_MAX },
        [EV_TEAM] = { .path = { "team_id" }, .max_len = HG_RECORD_KEY_MAX },
        [EV_APP] = { .path = { "api_app_id" }, .max_len = HG_RECORD_KEY_MAX },
        [EV_TIME] = { .path = { "event_time" } },
    };
    channel_picks(&pk[EV_CHANNEL], "event");

    if (!media_type_is(in->content_type, "application/json"))
        return refuse(r, 415, "unsupported_media_type",
                      "the Events API route takes application/json", NULL);
    if (hg_json_pick(in->body, in->body_len, pk, EV_PICKS, arena, sizeof arena, why, sizeof why) != 0)
        return refuse(r, 400, "malformed_json", "body is not valid JSON", why);
    if (pk[EV_ROOT].kind != HG_JSON_PICK_OBJECT)
        return refuse(r, 400, "malformed_event", "body must be a JSON object", NULL);
    const char *type = picked_str(&pk[EV_TYPE]);
    if (!type)
        return refuse(r, 400, "malformed_event", "the event has no \"type\" string", NULL);
    if (!strcmp(type, "url_verification")) {
        const char *ch = picked_str(&pk[EV_CHALLENGE]);
        if (!ch || !*ch)
            return refuse(r, 400, "malformed_event", "url_verification needs a \"challenge\" string", NULL);
        r->handshake = true;
        return answer(r, "text/plain", ch, strlen(ch));
    }
    const char *event_id = picked_str(&pk[EV_ID]);
    if (event_id) {
        if (!token_ok(event_id, HG_RECORD_ID_MAX))
            return refuse(r, 400, "malformed_event", "\"event_id\" must be 1-128 letters, digits, '_', '-' or '.'", NULL);
        r->id_hash = gw_dedup_hash(event_id, strlen(event_id));
        if (gw_dedup_contains(ctx->dedup, r->id_hash)) {
            r->duplicate = true;
            return answer(r, NULL, NULL, 0);
        }
        m.id = event_id;
    }
    const char *subtype = type;
    if (!strcmp(type, "event_callback")) {
        if (pk[EV_EVENT].kind != HG_JSON_PICK_OBJECT)
            return refuse(r, 400, "malformed_event", "event_callback without an \"event\" object", NULL);
        subtype = picked_str(&pk[EV_EVENT_TYPE]);
        m.channel = channel_of(&pk[EV_CHANNEL]);
    }
    if (!token_ok(subtype, TYPE_TOKEN_MAX))
        return refuse(r, 400, "malformed_event", "the event type must be 1-64 letters, digits, '_', '-' or '.'", NULL);
    join(m.type, sizeof m.type, "com.slack.events.", subtype, (const char *)NULL);
    m.team = picked_str(&pk[EV_TEAM]);
    m.app = picked_str(&pk[EV_APP]);
    const struct hg_json_pick *et = &pk[EV_TIME];
    if (et->kind == HG_JSON_PICK_INTEGER && et->integer > 0 && et->integer < 32503680000LL)
        m.time_ms = et->integer * 1000;
    return build(ctx, in, &m, r);
}

/* What the interactive route reads of a payload. */
enum {
    IA_ROOT, IA_TYPE, IA_TEAM, IA_TEAM_VIEW, IA_TEAM_USER, IA_APP, IA_CHANNEL,
    IA_PICKS = IA_CHANNEL + CHANNEL_PICKS
};
#define IA_ARENA (TYPE_TOKEN_MAX + (4 + CHANNEL_PICKS) * HG_RECORD_KEY_MAX + IA_PICKS)

static enum gw_ingest_action handle_interactive(const struct gw_ingest_ctx *ctx, const struct gw_inbound *in,
                                                const struct hg_form *form, struct gw_ingest_result *r)
{
    char why[160], arena[IA_ARENA];
    const struct hg_form_field *p = hg_form_get(form, "payload");
    if (!p)
        return refuse(r, 400, "malformed_form", "interactive request without a \"payload\" field", NULL);
    struct hg_json_pick pk[IA_PICKS] = {
        [IA_ROOT] = { .path = { NULL } },
        [IA_TYPE] = { .path = { "type" }, .max_len = TYPE_TOKEN_MAX },
        [IA_TEAM] = { .path = { "team", "id" }, .max_len = HG_RECORD_KEY_MAX },
        [IA_TEAM_VIEW] = { .path = { "view", "app_installed_team_id" }, .max_len = HG_RECORD_KEY_MAX },
        [IA_TEAM_USER] = { .path = { "user", "team_id" }, .max_len = HG_RECORD_KEY_MAX },
        [IA_APP] = { .path = { "api_app_id" }, .max_len = HG_RECORD_KEY_MAX },
    };
    channel_picks(&pk[IA_CHANNEL], NULL);
    if (hg_json_pick(p->value, p->value_len, pk, IA_PICKS, arena, sizeof arena, why, sizeof why) != 0)
        return refuse(r, 400, "malformed_json", "\"payload\" is not valid JSON", why);
    struct meta m = { .encoding = "form-payload", .data = p->value, .data_len = p->value_len,
                      .time_ms = in->received_ms };
    const char *type = picked_str(&pk[IA_TYPE]);
    if (pk[IA_ROOT].kind != HG_JSON_PICK_OBJECT || !token_ok(type, TYPE_TOKEN_MAX))
        return refuse(r, 400, "malformed_payload", "\"payload\" must be an object with a \"type\" of 1-64 letters, digits, '_', '-' or '.'", NULL);
    join(m.type, sizeof m.type, "com.slack.interactive.", type, (const char *)NULL);
    /* An org-wide (Enterprise Grid) install sends "team": null; then the
     * workspace is the view's installing team, or the user's (as Slack's
     * bolt-js finds it: src/App.ts, "team property will be null"). */
    m.team = picked_str(&pk[IA_TEAM]);
    if (!m.team)
        m.team = picked_str(&pk[IA_TEAM_VIEW]);
    if (!m.team)
        m.team = picked_str(&pk[IA_TEAM_USER]);
    m.app = picked_str(&pk[IA_APP]);
    m.channel = channel_of(&pk[IA_CHANNEL]);
    return build(ctx, in, &m, r);
}

static enum gw_ingest_action handle_command(const struct gw_ingest_ctx *ctx, const struct gw_inbound *in,
                                            const struct hg_form *form, struct gw_ingest_result *r)
{
    struct hg_buf data;
    enum gw_ingest_action a;
    const struct hg_form_field *cmd = hg_form_get(form, "command");
    if (!cmd || !cmd->value_len)
        return refuse(r, 400, "malformed_form", "slash command without a \"command\" field", NULL);
    for (size_t i = 0; i < form->n; i++)
        if (hg_json_utf8_check(form->fields[i].key, strlen(form->fields[i].key)) ||
            hg_json_utf8_check(form->fields[i].value, form->fields[i].value_len))
            return refuse(r, 400, "malformed_form", "a form field is not valid UTF-8 text", NULL);
    /* data = the form as a JSON object of strings (first value of a repeated key). */
    hg_buf_init(&data, ctx->max_record);
    int rc = hg_buf_append(&data, "{", 1);
    for (size_t i = 0; rc == 0 && i < form->n; i++) {
        if (hg_form_get(form, form->fields[i].key) != &form->fields[i])
            continue;
        rc |= hg_buf_append_str(&data, data.len > 1 ? ",\"" : "\"");
        rc |= hg_buf_append_json_str(&data, form->fields[i].key, strlen(form->fields[i].key));
        rc |= hg_buf_append_str(&data, "\":\"");
        rc |= hg_buf_append_json_str(&data, form->fields[i].value, form->fields[i].value_len);
        rc |= hg_buf_append(&data, "\"", 1);
    }
    rc |= hg_buf_append(&data, "}", 1);
    if (rc != 0) {
        hg_buf_cleanup(&data);
        return refuse(r, 413, "record_too_large", "the normalised record exceeds the size limit", NULL);
    }
    struct meta m = { .encoding = "form", .data = data.data, .data_len = data.len,
                      .time_ms = in->received_ms };
    snprintf(m.type, sizeof m.type, "com.slack.command");
    const struct hg_form_field *f;
    m.team = (f = hg_form_get(form, "team_id")) ? f->value : NULL;
    m.channel = (f = hg_form_get(form, "channel_id")) ? f->value : NULL;
    m.app = (f = hg_form_get(form, "api_app_id")) ? f->value : NULL;
    a = build(ctx, in, &m, r);
    hg_buf_cleanup(&data);
    return a;
}

enum gw_ingest_action gw_ingest_handle(const struct gw_ingest_ctx *ctx, const struct gw_inbound *in,
                                       struct gw_ingest_result *r)
{
    char why[160];
    struct hg_form form = { 0 };
    enum gw_ingest_action a;
    const char *body = in->body ? in->body : "";

    memset(r, 0, sizeof *r);
    hg_buf_init(&r->reply, CHALLENGE_MAX + 1);

    /* ssl_check (protocols.md §3): answered 200 before the signature check —
     * whether Slack signs it is not documented, and it produces nothing. */
    if (in->route == GW_SLACK_COMMANDS && in->body_len < 512 &&
        media_type_is(in->content_type, "application/x-www-form-urlencoded") &&
        hg_form_parse(body, in->body_len, &form, why, sizeof why) == 0) {
        const struct hg_form_field *ssl = hg_form_get(&form, "ssl_check");
        bool is_check = ssl && !strcmp(ssl->value, "1") && !hg_form_get(&form, "command");
        hg_form_cleanup(&form);
        if (is_check) {
            r->handshake = true;
            return answer(r, NULL, NULL, 0);
        }
    }

    r->sig = hg_slack_sig_verify(ctx->secrets, ctx->sig_scratch, in->timestamp, in->signature, body, in->body_len,
                                 ctx->now_s, ctx->max_age);
    if (r->sig != HG_SLACK_SIG_OK)
        return refuse(r, 401, "invalid_signature", "Slack signature check failed",
                      hg_slack_sig_result_str(r->sig));

    struct gw_inbound inner = *in;
    inner.body = body;
    if (in->route == GW_SLACK_EVENTS)
        return handle_events(ctx, &inner, r);

    if (!media_type_is(in->content_type, "application/x-www-form-urlencoded"))
        return refuse(r, 415, "unsupported_media_type",
                      "this route takes application/x-www-form-urlencoded", NULL);
    if (hg_form_parse(body, in->body_len, &form, why, sizeof why) != 0)
        return refuse(r, 400, "malformed_form", "body is not a valid form", why);
    if (in->route == GW_SLACK_INTERACTIVE)
        a = handle_interactive(ctx, &inner, &form, r);
    else
        a = handle_command(ctx, &inner, &form, r);
    hg_form_cleanup(&form);
    return a;
}
