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
#define HG_JSON_MAX_VALUES            262144u   /* values in one parsed tree (hg_json_parse) */
#define HG_FORM_MAX_FIELDS            256u
#define HG_FORM_MAX_KEY               256u
#define HG_ENVELOPE_MAX_HEADERS       128u
#define HG_ENVELOPE_MAX_VALUES        4096u     /* values in one API Gateway / ALB envelope */

/* Signature checks. */
#define HG_SLACK_MAX_SECRETS          8u
#define HG_SLACK_SECRET_MAX_LEN       256u
#define HG_SLACK_ACK_DEADLINE_MS      3000              /* Slack retries a request not answered by then */

/* Records. */
#define HG_RECORD_ID_MAX              128u
#define HG_RECORD_TYPE_MAX            160u
#define HG_RECORD_KEY_MAX             128u

/* Logging. */
#define HG_LOG_LINE_MAX               4096u

/* Settings. */
#define HG_CONFIG_MAX_KAFKA_PROPS     64u
#define HG_CONFIG_VALUE_MAX           4096u

/* AWS layer and the HTTP client (common/http_client.c, common/aws/). */
#define HG_HTTP_CLIENT_MAX_RESPONSE   (1024u * 1024u)   /* default cap on a buffered response body */
#define HG_HTTP_CLIENT_MAX_HEADERS    (64u * 1024u)     /* response header bytes kept */
#define HG_HTTP_CLIENT_TIMEOUT_MS     30000L            /* default whole-request timeout */
#define HG_HTTP_CLIENT_CONNECT_MS     5000L             /* default connect timeout */
#define HG_HTTP_RETRY_AFTER_MAX_MS    60000L            /* a larger Retry-After is clamped */
#define HG_AWS_AKID_MAX               128u              /* access key id, bytes incl. NUL */
#define HG_AWS_SECRET_MAX             256u              /* secret access key, incl. NUL */
#define HG_AWS_TOKEN_MAX              8192u             /* session token, incl. NUL */
#define HG_AWS_REGION_MAX             64u
#define HG_AWS_URL_MAX                2048u
#define HG_AWS_ERR_CODE_MAX           128u
#define HG_AWS_ERR_MSG_MAX            512u
#define HG_AWS_XML_MAX                (256u * 1024u)    /* S3/STS XML documents parsed */
#define HG_AWS_XML_MAX_DEPTH          16u
#define HG_AWS_CREDS_DOC_MAX          (64u * 1024u)     /* IMDS/container/STS credential documents */
#define HG_AWS_CREDS_FILE_MAX         (1024u * 1024u)   /* ~/.aws/credentials and config */
#define HG_AWS_WEB_TOKEN_MAX          (64u * 1024u)     /* web identity token file */
#define HG_AWS_CREDS_REFRESH_S        300               /* refresh temporary creds this early */
#define HG_KAFKA_TOPIC_MAX            249u              /* Kafka's own limit on topic names */
#define HG_S3_KEY_MAX                 1024u             /* S3's own limit on key bytes */
#define HG_S3_ETAG_MAX                128u
#define HG_S3_PART_SIZE_DEFAULT       (8u * 1024u * 1024u)
#define HG_S3_PART_SIZE_MIN           (5u * 1024u * 1024u)
#define HG_S3_MAX_PARTS               10000u
#define HG_S3_UPLOAD_ID_MAX           1024u
#define HG_S3_LIST_XML_MAX            (2u * 1024u * 1024u)  /* one ListObjectsV2 answer (1000 entries) */
#define HG_S3_LIST_PAGE_KEYS          1000u             /* max-keys asked for, and allowed back, per page */
#define HG_S3_LIST_TOKEN_MAX          2048u             /* a continuation token, incl. NUL */
#define HG_S3_LIST_MAX_PAGES          100u              /* ListObjectsV2 requests of one listing */
#define HG_GLUE_MAX_ARGS              64u
#define HG_GLUE_RUN_ID_MAX            256u
#define HG_GLUE_RESPONSE_MAX          (1024u * 1024u)   /* StartJobRun, GetJob answers */
#define HG_GLUE_CALL_RESPONSE_MAX     (4u * 1024u * 1024u)  /* hg_glue_call (GetJobRuns pages) */

/* Table configs and the CSV validator (consumer/tables.c, csv_validate.c). */
#define HG_TABLE_CONFIG_MAX_BYTES     (1024u * 1024u)   /* a table's JSON config file */
#define HG_TABLE_NAME_MAX             128u              /* table/file name bytes (without .csv) */
#define HG_TABLE_MAX_COLUMNS          512u              /* mappings entries */
#define HG_TABLE_COLUMN_NAME_MAX      128u              /* one column name, bytes */
#define HG_TABLE_IDENT_MAX            128u              /* project, schema, glue_job, channel */
#define HG_TABLE_PATH_MAX             512u              /* s3_prefix, s3_key_template */
#define HG_TABLE_MAX_MARKERS          32u               /* empty_markers / forbidden_separators entries */
#define HG_TABLE_MARKER_MAX           32u               /* one marker or separator, bytes */
#define HG_CSV_MAX_FIELD_BYTES        (128u * 1024u)    /* one cell after unquoting */
#define HG_CSV_MAX_ROW_BYTES          (1024u * 1024u)   /* one record after unquoting */
#define HG_CSV_MAX_FIELDS             4096u             /* fields counted beyond this are not stored */
#define HG_CSV_PROBLEM_VALUE_MAX      80u               /* bytes of an offending value kept */
#define HG_CSV_MAX_PROBLEMS_DEFAULT   20u               /* problems kept in full */
#define HG_CSV_MAX_PROBLEMS_CEILING   10000u
#define HG_CSV_FAST_LINE_MAX          4096u             /* longer lines skip the vector line splitter */
#define HG_CSV_OUT_BUF_BYTES          (1024u * 1024u)   /* output batched before the write callback */
#ifndef HG_CSV_UNIQUE_BUFFER_SLOTS   /* fuzz_csv.c sets it small, so merges happen every few rows */
#define HG_CSV_UNIQUE_BUFFER_SLOTS    (1u << 18)        /* uniqueness: recent-hash set (2 MiB) */
#endif
#define HG_CSV_READ_CHUNK             (256u * 1024u)    /* validate command: read size */

/* Consumer worker (consumer/): Slack Web API, markers, DLQ, admin port. */
#define HGC_SLACK_ID_MAX              64u               /* file, channel, event ids */
#define HGC_SLACK_NAME_MAX            255u              /* a file name from files.info */
#define HGC_URL_MAX                   4096u             /* any URL the worker builds */
#define HGC_SLACK_MAX_RESPONSE        (4u * 1024u * 1024u)  /* one Web API JSON answer */
#define HGC_SLACK_MAX_REQUEST         (64u * 1024u)     /* one chat.postMessage body */
#define HGC_SLACK_HISTORY_PAGES       5u                /* conversations.history pages searched */
#define HGC_SLACK_TS_MAX              32u               /* a message ts ("1700000000.000100"), incl. NUL */
#define HGC_MARKER_MAX                (16u * 1024u)     /* one idempotency marker object */
#define HGC_MESSAGE_MAX               (8u * 1024u)      /* text of one result message */
#define HGC_PROBLEMS_SHOWN            10u               /* validation problems quoted in a message */
#define HGC_KEY_MAX                   1024u             /* one S3 key (S3's own limit) */
#define HGC_REPLAY_LATE_MS            60000     /* replay --to-time: how out of order timestamps may be */
#define HGC_ADMIN_MAX_BODY            (1u * 1024u * 1024u)  /* /metrics text */
#define HGC_ADMIN_HEAD_MAX            8192u     /* an admin request's line and headers */
#define HGC_ADMIN_DEADLINE_S          5         /* a whole admin exchange, request and answer */
#define HGC_ADMIN_MAX_CONNS           32u       /* open admin connections; a new one ends the oldest */
#define HGC_ADMIN_LINGER_BYTES        65536u    /* read and dropped after an answer, at most */
#define HGC_ADMIN_LINGER_MS           1000      /* ... and for at most this long */
#define HGC_GLUE_RUN_PAGES            5u                /* GetJobRuns pages searched (200 runs each) */
#define HGC_GLUE_RUNS_MAX_RESPONSE    (4u * 1024u * 1024u)  /* one GetJobRuns answer */
#define HGC_MAX_PARTITIONS            1024u             /* partitions backing off at once, each in a
                                                           retry slot; one more is retried in place */
#define HGC_GLUE_CLAIM_LEASE_S        120               /* a Glue claim older than this is stale */
#define HGC_GLUE_CLAIM_RENEW_S        30                /* our own claim older than this is renewed
                                                           before StartJobRun */
#define HGC_SPOOL_PATH_MAX            512u              /* HOOKGATE_TMP_DIR + "/hookgate-XXXXXX" */
#define HGC_DOCTOR_MAX_TABLES         1000u             /* table configs doctor checks */
#define HGC_DOCTOR_MAX_CHANNELS       64u               /* result channels doctor checks */

#endif
