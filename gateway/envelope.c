/* envelope.c — API Gateway v1/v2 and ALB event envelopes → inner request. */
#include "gateway/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/b64.h"
#include "common/json.h"
#include "common/limits.h"

static const char *const wanted[GW_ENV_HDR_COUNT] = {
    "content-type", "x-slack-signature", "x-slack-request-timestamp",
    "x-slack-retry-num", "x-slack-retry-reason",
};

const char *gw_envelope_kind_name(enum gw_envelope_kind k)
{
    switch (k) {
    case GW_ENV_APIGW_V1: return "apigw-v1";
    case GW_ENV_APIGW_V2: return "apigw-v2";
    case GW_ENV_ALB:      return "alb";
    }
    return "unknown";
}

void gw_envelope_cleanup(struct gw_envelope *env)
{
    free(env->path);
    for (int i = 0; i < GW_ENV_HDR_COUNT; i++)
        free(env->hdr[i]);
    hg_buf_cleanup(&env->body);
    memset(env, 0, sizeof *env);
}

/* Take the wanted headers from "headers" (string values) or, failing that,
 * "multiValueHeaders" (arrays; the last value wins, as API Gateway does).
 * A name given twice in one object (in other letter cases) counts by its
 * last occurrence, as a repeated header of a direct request does (conn.c). */
static int take_headers(struct gw_envelope *env, yajl_val root, char *errstr, size_t errstr_size)
{
    yajl_val h = hg_json_get(root, "headers", (const char *)NULL);
    yajl_val mh = hg_json_get(root, "multiValueHeaders", (const char *)NULL);
    if (h && !YAJL_IS_OBJECT(h) && !YAJL_IS_NULL(h)) {
        snprintf(errstr, errstr_size, "envelope field \"headers\" must be an object");
        return -1;
    }
    if (mh && !YAJL_IS_OBJECT(mh) && !YAJL_IS_NULL(mh)) {
        snprintf(errstr, errstr_size, "envelope field \"multiValueHeaders\" must be an object");
        return -1;
    }
    bool from_headers[GW_ENV_HDR_COUNT] = { false };
    for (int pass = 0; pass < 2; pass++) {
        yajl_val o = pass == 0 ? h : mh;
        if (!o || !YAJL_IS_OBJECT(o))
            continue;
        if (o->u.object.len > HG_ENVELOPE_MAX_HEADERS) {
            snprintf(errstr, errstr_size, "envelope has more than %u headers", HG_ENVELOPE_MAX_HEADERS);
            return -1;
        }
        for (size_t i = 0; i < o->u.object.len; i++) {
            const char *name = o->u.object.keys[i];
            yajl_val v = o->u.object.values[i];
            for (int w = 0; w < GW_ENV_HDR_COUNT; w++) {
                if ((pass == 1 && from_headers[w]) || strcasecmp(name, wanted[w]) != 0)
                    continue;
                if (pass == 1 && YAJL_IS_ARRAY(v) && v->u.array.len > 0)
                    v = v->u.array.values[v->u.array.len - 1];
                if (v && v->type == HG_JSON_T_NUL_STRING) {
                    snprintf(errstr, errstr_size, "envelope header \"%s\" holds U+0000", wanted[w]);
                    return -1;
                }
                if (!YAJL_IS_STRING(v)) {
                    snprintf(errstr, errstr_size, "envelope header \"%s\" must be a string", wanted[w]);
                    return -1;
                }
                free(env->hdr[w]);
                env->hdr[w] = strdup(v->u.string);
                from_headers[w] = pass == 0;
                if (!env->hdr[w]) {
                    snprintf(errstr, errstr_size, "out of memory");
                    return -1;
                }
            }
        }
    }
    return 0;
}

int gw_envelope_parse(const char *json, size_t len, size_t max_body,
                      struct gw_envelope *env, char *errstr, size_t errstr_size)
{
    char why[160];
    const char *method = NULL, *path = NULL;
    int rc = GW_ENVELOPE_MALFORMED;
    memset(env, 0, sizeof *env);
    /* Parsed before the signature check: its tree is capped (a real
     * envelope holds a few hundred values). U+0000 is accepted where the
     * gateway does not look (API Gateway v1 decodes ?x=%00 into
     * queryStringParameters); a field it reads that holds one is no string
     * (HG_JSON_NUL_OK) and refused below. */
    yajl_val root = hg_json_parse_opts(json, len, HG_ENVELOPE_MAX_VALUES, HG_JSON_NUL_OK, why, sizeof why);
    if (!root && strstr(why, "more values than the limit")) {
        snprintf(errstr, errstr_size, "envelope has more than %u JSON values", HG_ENVELOPE_MAX_VALUES);
        return GW_ENVELOPE_MALFORMED;
    }
    if (!root) {
        snprintf(errstr, errstr_size, "envelope is not valid JSON: %s", why);
        return GW_ENVELOPE_MALFORMED;
    }
    if (!YAJL_IS_OBJECT(root)) {
        snprintf(errstr, errstr_size, "envelope must be a JSON object");
        goto fail;
    }
    const char *version = hg_json_get_str(root, "version", (const char *)NULL);
    if (hg_json_get(root, "requestContext", "elb", (const char *)NULL)) {
        env->kind = GW_ENV_ALB;
        method = hg_json_get_str(root, "httpMethod", (const char *)NULL);
        path = hg_json_get_str(root, "path", (const char *)NULL);
    } else if (version && !strcmp(version, "2.0")) {
        env->kind = GW_ENV_APIGW_V2;
        method = hg_json_get_str(root, "requestContext", "http", "method", (const char *)NULL);
        path = hg_json_get_str(root, "rawPath", (const char *)NULL);
    } else if (hg_json_get(root, "httpMethod", (const char *)NULL) &&
               hg_json_get(root, "requestContext", (const char *)NULL)) {
        env->kind = GW_ENV_APIGW_V1;
        method = hg_json_get_str(root, "httpMethod", (const char *)NULL);
        path = hg_json_get_str(root, "path", (const char *)NULL);
    } else {
        snprintf(errstr, errstr_size,
                 "not an API Gateway (v1 or v2) or ALB event: expected requestContext with httpMethod, "
                 "version \"2.0\" or requestContext.elb");
        goto fail;
    }
    if (!method || !*method || strlen(method) >= sizeof env->method) {
        snprintf(errstr, errstr_size, "envelope (%s) lacks a valid HTTP method", gw_envelope_kind_name(env->kind));
        goto fail;
    }
    if (!path || path[0] != '/' || strlen(path) > HG_HTTP_MAX_URL) {
        snprintf(errstr, errstr_size, "envelope (%s) lacks a valid path", gw_envelope_kind_name(env->kind));
        goto fail;
    }
    memcpy(env->method, method, strlen(method) + 1);
    env->path = strdup(path);
    if (!env->path || take_headers(env, root, errstr, errstr_size) != 0)
        goto fail_oom_or_set;

    yajl_val b64 = hg_json_get(root, "isBase64Encoded", (const char *)NULL);
    if (b64 && !YAJL_IS_TRUE(b64) && !YAJL_IS_FALSE(b64)) {
        snprintf(errstr, errstr_size, "envelope field \"isBase64Encoded\" must be true or false");
        goto fail;
    }
    env->base64 = b64 && YAJL_IS_TRUE(b64);
    yajl_val body = hg_json_get(root, "body", (const char *)NULL);
    const char *text = "";
    if (body && YAJL_IS_STRING(body))
        text = YAJL_GET_STRING(body);
    else if (body && body->type == HG_JSON_T_NUL_STRING) {
        /* JSON carries U+0000 only escaped, a form only as %00 */
        snprintf(errstr, errstr_size, "envelope field \"body\" holds U+0000, which no JSON or form body does");
        goto fail;
    } else if (body && !YAJL_IS_NULL(body)) {
        snprintf(errstr, errstr_size, "envelope field \"body\" must be a string or null");
        goto fail;
    }
    size_t tlen = strlen(text);
    hg_buf_init(&env->body, max_body);
    if (env->base64) {
        /* A quick bound before decoding: N decoded bytes take 4*ceil(N/3)
         * characters, for which HG_B64_DECODED_MAX gives at most N + 5;
         * the exact cap is the append below. */
        if (HG_B64_DECODED_MAX(tlen) > max_body + 5) {
            snprintf(errstr, errstr_size, "envelope body is larger than the %zu-byte limit", max_body);
            rc = GW_ENVELOPE_TOO_LARGE;
            goto fail;
        }
        unsigned char *out = malloc(HG_B64_DECODED_MAX(tlen) + 1);
        size_t bad = 0;
        long n = out ? hg_b64_decode(text, tlen, out, &bad) : -1;
        if (n < 0) {
            free(out);
            if (out)
                snprintf(errstr, errstr_size, "envelope body is not valid base64 (at offset %zu)", bad);
            else
                snprintf(errstr, errstr_size, "out of memory");
            goto fail;
        }
        int appended = hg_buf_append(&env->body, out, (size_t)n);
        free(out);
        if (appended != 0) {
            snprintf(errstr, errstr_size, "envelope body is larger than the %zu-byte limit", max_body);
            rc = GW_ENVELOPE_TOO_LARGE;
            goto fail;
        }
    } else if (hg_buf_append(&env->body, text, tlen) != 0) {
        snprintf(errstr, errstr_size, "envelope body is larger than the %zu-byte limit", max_body);
        rc = GW_ENVELOPE_TOO_LARGE;
        goto fail;
    }
    yajl_tree_free(root);
    return 0;
fail_oom_or_set:
    if (!env->path)
        snprintf(errstr, errstr_size, "out of memory");
fail:
    yajl_tree_free(root);
    gw_envelope_cleanup(env);
    return rc;
}
