/* limits.h — every size and count cap hookgate enforces, in one place. */
#ifndef HG_LIMITS_H
#define HG_LIMITS_H

/* HTTP ingress (gateway). */
#define HG_HTTP_MAX_BODY_DEFAULT      (1024u * 1024u)   /* 1 MiB, --max-body */
#define HG_HTTP_MAX_BODY_CEILING      (16u * 1024u * 1024u)
#define HG_HTTP_MAX_HEADER_BYTES      (16u * 1024u)     /* request line + headers */
#define HG_HTTP_MAX_HEADERS           64u
#define HG_HTTP_MAX_URL               2048u
#define HG_HTTP_MAX_PIPELINED         16u               /* parsed ahead while one waits */

/* Parsers of outside input. */
#define HG_JSON_MAX_DEPTH             64u
#define HG_FORM_MAX_FIELDS            256u
#define HG_FORM_MAX_KEY               256u
#define HG_ENVELOPE_MAX_HEADERS       128u

/* Signature checks. */
#define HG_SLACK_MAX_SECRETS          8u
#define HG_SLACK_SECRET_MAX_LEN       256u

/* Records. */
#define HG_RECORD_ID_MAX              128u
#define HG_RECORD_TYPE_MAX            160u
#define HG_RECORD_KEY_MAX             128u

/* Logging. */
#define HG_LOG_LINE_MAX               4096u

/* Settings. */
#define HG_CONFIG_MAX_KAFKA_PROPS     64u
#define HG_CONFIG_VALUE_MAX           4096u

#endif
