/* envelope.h — unwrapping API Gateway (REST v1, HTTP API v2) and ALB
 * Lambda-target event envelopes into the inner HTTP request.
 * Shapes: protocols.md §5 (docs.aws.amazon.com/apigateway/latest/developerguide/
 * set-up-lambda-proxy-integrations.html, http-api-develop-integrations-lambda.html,
 * elasticloadbalancing/latest/application/lambda-functions.html). */
#ifndef GW_ENVELOPE_H
#define GW_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

enum gw_envelope_kind { GW_ENV_APIGW_V1, GW_ENV_APIGW_V2, GW_ENV_ALB };

/* Header names the gateway needs from an envelope (others are dropped). */
enum gw_env_hdr {
    GW_ENV_HDR_CONTENT_TYPE = 0,
    GW_ENV_HDR_SIGNATURE,
    GW_ENV_HDR_TIMESTAMP,
    GW_ENV_HDR_RETRY_NUM,
    GW_ENV_HDR_RETRY_REASON,
    GW_ENV_HDR_COUNT
};

struct gw_envelope {
    enum gw_envelope_kind kind;
    char          method[16];
    char         *path;                       /* owned */
    char         *hdr[GW_ENV_HDR_COUNT];      /* owned, NULL when absent */
    struct hg_buf body;                       /* the inner body, decoded */
    bool          base64;
};

/* Parse an envelope (JSON, at most max_body bytes of inner body). On
 * success returns 0 and fills env (free with gw_envelope_cleanup). On
 * failure returns GW_ENVELOPE_TOO_LARGE (the inner body is over max_body:
 * 413) or GW_ENVELOPE_MALFORMED (anything else: 400) with a precise message
 * in errstr (which field, why); env holds nothing to free. Never echoes
 * header values. */
#define GW_ENVELOPE_MALFORMED (-1)
#define GW_ENVELOPE_TOO_LARGE (-2)
int gw_envelope_parse(const char *json, size_t len, size_t max_body,
                      struct gw_envelope *env, char *errstr, size_t errstr_size);
void gw_envelope_cleanup(struct gw_envelope *env);
const char *gw_envelope_kind_name(enum gw_envelope_kind k);

#endif
