/* test_aws_parsers.c — unit tests for the AWS layer's small parsers and
 * policies: XML extraction limits, error classification and code
 * normalisation, s3:// URIs, backoff bounds, Retry-After, credential
 * sources read from files and variables (no network). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/aws/creds.h"
#include "common/aws/error.h"
#include "common/aws/s3.h"
#include "common/aws/xml.h"
#include "common/http_client.h"
#include "common/json.h"
#include "tests/unit/test.h"

static void test_xml(void)
{
    char code[32], msg[64], root[32], err[128];
    struct hg_xml_field f[] = {
        { "Error/Code", code, sizeof code, false, false },
        { "Error/Message", msg, sizeof msg, false, true },
    };
    const char *ok = "  \n <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<Error><Code>SlowDown</Code><Message>Please &amp; reduce</Message></Error>";
    CHECK_INT(hg_xml_extract(ok, strlen(ok), root, sizeof root, f, 2, err, sizeof err), 0);
    CHECK_STR(root, "Error");
    CHECK(f[0].found && f[1].found);
    CHECK_STR(code, "SlowDown");
    CHECK_STR(msg, "Please & reduce");

    /* Namespaces are ignored; a missing field is reported as not found. */
    const char *ns = "<R xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Error><Code>A</Code></Error></R>";
    CHECK_INT(hg_xml_extract(ns, strlen(ns), root, sizeof root, f, 2, err, sizeof err), 0);
    CHECK_STR(root, "R");
    CHECK(!f[0].found);

    const char *bad[] = {
        "<Error><Code>x</Code>",                                        /* truncated */
        "<!DOCTYPE x [<!ENTITY a \"b\">]><Error><Code>&a;</Code></Error>", /* DTD */
        "<Error><Code>0123456789012345678901234567890123456789</Code></Error>", /* too long */
        "",
        "<a><b></a></b>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_INT(hg_xml_extract(bad[i], strlen(bad[i]), root, sizeof root, f, 2, err, sizeof err), -1);
        CHECK(strncmp(err, "xml: ", 5) == 0);
    }
    /* A message longer than its buffer is cut, in whole UTF-8 characters
     * (S3's AccessDenied messages name principal, resource and policy); a
     * code that does not fit still fails (above). Cut where the walk's text
     * buffer ends (msg is the largest field), across expat's chunks ("&amp;"
     * comes as one of its own), and where a smaller field's own buffer ends. */
    char longmsg[512], want[64];
    const char *who = "User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized";
    snprintf(longmsg, sizeof longmsg, "<Error><Code>AccessDenied</Code><Message>%.40s &amp; %.20s"
             "\xc3\xa9\xc3\xa9 and more after it</Message></Error>", who, "01234567890123456789");
    /* 40 + 3 + 20 = 63 bytes, then "é" (2 bytes): 63 fit in msg[64]. */
    snprintf(want, sizeof want, "%.40s & %.20s", who, "01234567890123456789");
    CHECK_INT(hg_xml_extract(longmsg, strlen(longmsg), root, sizeof root, f, 2, err, sizeof err), 0);
    CHECK(f[0].found && f[1].found);
    CHECK_STR(code, "AccessDenied");
    CHECK_STR(msg, want);
    snprintf(longmsg, sizeof longmsg, "<Error><Code>AccessDenied</Code><Message>%.62s\xc3\xa9 x"
             "</Message></Error>", "01234567890123456789012345678901234567890123456789012345678901");
    CHECK_INT(hg_xml_extract(longmsg, strlen(longmsg), root, sizeof root, f, 2, err, sizeof err), 0);
    CHECK_INT((long long)strlen(msg), 62);   /* the "é" at 62-63 would not fit whole */
    char small[8], wide[64];
    struct hg_xml_field g[] = {
        { "Error/Message", small, sizeof small, false, true },
        { "Error/Code", wide, sizeof wide, false, false },
    };
    const char *sm = "<Error><Message>abcdef\xc3\xa9" "gh</Message><Code>AccessDenied</Code></Error>";
    CHECK_INT(hg_xml_extract(sm, strlen(sm), root, sizeof root, g, 2, err, sizeof err), 0);
    CHECK_STR(small, "abcdef");   /* 6 + "é" is one byte over small[8] */
    CHECK_STR(wide, "AccessDenied");

    /* Depth cap. */
    char deep[2048];
    size_t dl = 0;
    for (int i = 0; i < 40; i++)
        dl += (size_t)snprintf(deep + dl, sizeof deep - dl, "<a>");
    for (int i = 0; i < 40; i++)
        dl += (size_t)snprintf(deep + dl, sizeof deep - dl, "</a>");
    CHECK_INT(hg_xml_extract(deep, strlen(deep), NULL, 0, f, 2, err, sizeof err), -1);
    CHECK(strstr(err, "deep") != NULL);
    /* Size cap. */
    size_t big = HG_AWS_XML_MAX + 1;
    char *b = malloc(big);
    memset(b, ' ', big);
    CHECK_INT(hg_xml_extract(b, big, NULL, 0, f, 2, err, sizeof err), -1);
    free(b);
}

/* ListObjectsV2 answers: the good shape, then each refusal by its reason. */
static void test_s3_list_parse(void)
{
    struct hg_s3_list_page pg;
    char err[256];
    const char *ok =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
        "<Prefix>t/</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><Delimiter>/</Delimiter>"
        "<IsTruncated>true</IsTruncated>"
        "<Contents><Key>t/a.json</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
        "<ETag>&quot;x&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
        "<Contents><Size>0</Size><Key>t/b &amp; c.json</Key></Contents>"
        "<CommonPrefixes><Prefix>t/sub/</Prefix></CommonPrefixes>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
        "</ListBucketResult>";
    CHECK_INT(hg_s3_list_parse(ok, strlen(ok), 3, &pg, err, sizeof err), 0);
    CHECK_INT((int)pg.nkeys, 2);
    CHECK_STR(pg.keys[0], "t/a.json");
    CHECK_INT((int)pg.sizes[0], 12);
    CHECK_STR(pg.keys[1], "t/b & c.json");
    CHECK_INT((int)pg.sizes[1], 0);
    CHECK_INT((int)pg.nprefixes, 1);
    CHECK(pg.truncated);
    CHECK_STR(pg.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    hg_s3_list_page_cleanup(&pg);
    CHECK_INT((int)pg.nkeys, 0);
    /* The same page when only one key was asked for. */
    CHECK_INT(hg_s3_list_parse(ok, strlen(ok), 1, &pg, err, sizeof err), -1);
    CHECK(strstr(err, "more keys than max-keys") != NULL);
    CHECK(pg.keys == NULL && pg.nkeys == 0);

    const char *empty = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
    CHECK_INT(hg_s3_list_parse(empty, strlen(empty), 0, &pg, err, sizeof err), 0);
    CHECK(pg.nkeys == 0 && !pg.truncated && pg.next_token[0] == '\0');
    hg_s3_list_page_cleanup(&pg);

#define LB(x) "<ListBucketResult>" x "</ListBucketResult>"
    static const struct { const char *doc, *why; } bad[] = {
        { LB("<IsTruncated>false</IsTruncated><Contents><Key>a</Key>"), "xml: " },  /* malformed */
        { "<ListBucketResult><IsTruncated>false</IsTruncated>", "xml: " },          /* cut off */
        { "<!DOCTYPE x [<!ENTITY e \"k\">]>" LB("<IsTruncated>false</IsTruncated>"), "DOCTYPE" },
        { "<Error><Code>AccessDenied</Code></Error>", "not a ListBucketResult" },
        { LB("<Contents><Key>a</Key></Contents>"), "no IsTruncated" },
        { LB("<IsTruncated>yes</IsTruncated>"), "neither true nor false" },
        { LB("<IsTruncated>false</IsTruncated><IsTruncated>true</IsTruncated>"), "twice" },
        { LB("<IsTruncated>true</IsTruncated><Contents><Key>a</Key></Contents>"),
          "truncated without a NextContinuationToken" },
        { LB("<IsTruncated>false</IsTruncated><Contents><Size>1</Size></Contents>"),
          "without a Key" },
        { LB("<IsTruncated>false</IsTruncated><Contents><Key>a</Key><Key>b</Key></Contents>"),
          "two Keys" },
        { LB("<IsTruncated>false</IsTruncated><Contents><Key></Key></Contents>"), "empty" },
        { LB("<IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>-1</Size></Contents>"),
          "Size" },
        { LB("<IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1e3</Size></Contents>"),
          "Size" },
        { LB("<IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>99999999999999999999</Size></Contents>"),
          "Size" },
    };
#undef LB
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_INT(hg_s3_list_parse(bad[i].doc, strlen(bad[i].doc), 0, &pg, err, sizeof err), -1);
        CHECK(strncmp(err, "ListObjectsV2: ", 15) == 0);
        if (!strstr(err, bad[i].why))
            fprintf(stderr, "case %zu: want '%s' in '%s'\n", i, bad[i].why, err);
        CHECK(strstr(err, bad[i].why) != NULL);
        CHECK(pg.keys == NULL && pg.nkeys == 0);
    }

    /* A key over 1024 bytes, a token over the cap, a document over the cap,
     * more entries than a page may hold. */
    size_t cap = HG_S3_LIST_XML_MAX + 4096;
    char *d = malloc(cap);
    char *long_key = malloc(HG_S3_KEY_MAX + 2);
    memset(long_key, 'k', HG_S3_KEY_MAX + 1);
    long_key[HG_S3_KEY_MAX + 1] = '\0';
    snprintf(d, cap, "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>%s</Key>"
             "</Contents></ListBucketResult>", long_key);
    CHECK_INT(hg_s3_list_parse(d, strlen(d), 0, &pg, err, sizeof err), -1);
    CHECK(strstr(err, "over 1024 bytes") != NULL);
    long_key[HG_S3_KEY_MAX] = '\0';          /* exactly 1024: fine */
    snprintf(d, cap, "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>%s</Key>"
             "</Contents></ListBucketResult>", long_key);
    CHECK_INT(hg_s3_list_parse(d, strlen(d), 0, &pg, err, sizeof err), 0);
    CHECK_INT((int)strlen(pg.keys[0]), (int)HG_S3_KEY_MAX);
    hg_s3_list_page_cleanup(&pg);
    size_t o = (size_t)snprintf(d, cap, "<ListBucketResult><IsTruncated>true</IsTruncated>"
                                "<NextContinuationToken>");
    memset(d + o, 'T', HG_S3_LIST_TOKEN_MAX);
    o += HG_S3_LIST_TOKEN_MAX;
    o += (size_t)snprintf(d + o, cap - o, "</NextContinuationToken></ListBucketResult>");
    CHECK_INT(hg_s3_list_parse(d, o, 0, &pg, err, sizeof err), -1);
    CHECK(strstr(err, "too long") != NULL);
    static const char *const over[] = { "more keys than max-keys", "more than 1000 CommonPrefixes" };
    for (size_t k = 0; k < 2; k++) {
        o = (size_t)snprintf(d, cap, "<ListBucketResult><IsTruncated>false</IsTruncated>");
        for (unsigned i = 0; i <= HG_S3_LIST_PAGE_KEYS; i++)
            o += (size_t)(k ? snprintf(d + o, cap - o, "<CommonPrefixes><Prefix>p%u/</Prefix></CommonPrefixes>", i)
                            : snprintf(d + o, cap - o, "<Contents><Key>k%u</Key></Contents>", i));
        o += (size_t)snprintf(d + o, cap - o, "</ListBucketResult>");
        CHECK_INT(hg_s3_list_parse(d, o, 0, &pg, err, sizeof err), -1);
        CHECK(strstr(err, over[k]) != NULL);
    }
    memset(d, ' ', cap);
    CHECK_INT(hg_s3_list_parse(d, HG_S3_LIST_XML_MAX + 1, 0, &pg, err, sizeof err), -1);
    CHECK(strstr(err, "document over") != NULL);
    free(long_key);
    free(d);
}

static void test_classify(void)
{
    CHECK_INT(hg_aws_s3_classify(503, "SlowDown"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_s3_classify(500, "InternalError"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_s3_classify(400, "RequestTimeout"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_s3_classify(400, "ExpiredToken"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_s3_classify(409, "ConditionalRequestConflict"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_s3_classify(403, "AccessDenied"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_s3_classify(404, "NoSuchBucket"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_s3_classify(400, "BadDigest"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_s3_classify(412, NULL), HG_AWS_PERMANENT);
    /* A 200 with an <Error> body (CompleteMultipartUpload): the code alone. */
    CHECK_INT(hg_aws_s3_classify(200, "InternalError"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_s3_classify(200, "SlowDown"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_s3_classify(200, "InvalidPart"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_s3_classify(200, "InvalidPartOrder"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_s3_classify(200, "NoSuchUpload"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_s3_classify(200, "EntityTooSmall"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_s3_classify(429, NULL), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_json_classify(400, "ConcurrentRunsExceededException"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_json_classify(400, "ThrottlingException"), HG_AWS_RETRYABLE);
    /* StartJobRun's account limit on concurrent runs/DPUs: clears by itself. */
    CHECK_INT(hg_aws_json_classify(400, "ResourceNumberLimitExceededException"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_json_classify(500, "InternalServiceException"), HG_AWS_RETRYABLE);
    CHECK_INT(hg_aws_json_classify(400, "EntityNotFoundException"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_json_classify(400, "InvalidInputException"), HG_AWS_PERMANENT);
    CHECK_INT(hg_aws_json_classify(403, "AccessDeniedException"), HG_AWS_PERMANENT);

    char c1[] = "aws.glue#EntityNotFoundException:http://internal.amazon.com/";
    hg_aws_error_code_normalise(c1);
    CHECK_STR(c1, "EntityNotFoundException");
    char c2[] = "ThrottlingException";
    hg_aws_error_code_normalise(c2);
    CHECK_STR(c2, "ThrottlingException");

    /* texts are cut in whole UTF-8 characters: "ab" then three 3-byte ones */
    char d[6];
    hg_aws_text_copy(d, sizeof d, "ab\xe6\x9d\xb1\xe4\xba\xac");
    CHECK_STR(d, "ab\xe6\x9d\xb1");
    hg_aws_text_copy(d, 4, "ab\xe6\x9d\xb1");
    CHECK_STR(d, "ab");
    hg_aws_text_copy(d, sizeof d, "short");
    CHECK_STR(d, "short");
    struct hg_aws_error e;
    char longmsg[HG_AWS_ERR_MSG_MAX + 8];
    memset(longmsg, 'a', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    memcpy(longmsg + HG_AWS_ERR_MSG_MAX - 2, "\xe6\x9d\xb1", 3);   /* straddles the cut */
    hg_aws_error_set(&e, HG_AWS_PERMANENT, 400, "X", longmsg);
    CHECK_INT(strlen(e.message), HG_AWS_ERR_MSG_MAX - 2);
    CHECK(hg_json_utf8_check(e.message, strlen(e.message)) == NULL);
}

static void test_s3_uri(void)
{
    char b[64], k[1100];
    CHECK_INT(hg_s3_parse_uri("s3://bucket/prefix/a.json", b, sizeof b, k, sizeof k), 0);
    CHECK_STR(b, "bucket");
    CHECK_STR(k, "prefix/a.json");
    CHECK_INT(hg_s3_parse_uri("s3://bucket", b, sizeof b, k, sizeof k), 0);
    CHECK_STR(k, "");
    CHECK_INT(hg_s3_parse_uri("s3:///x", b, sizeof b, k, sizeof k), -1);
    CHECK_INT(hg_s3_parse_uri("https://bucket/x", b, sizeof b, k, sizeof k), -1);
    CHECK_INT(hg_s3_parse_uri("s3://b/x", b, 1, k, sizeof k), -1);
}

static void test_s3_urls(void)
{
    struct hg_aws_creds c;
    char err[256];
    memset(&c, 0, sizeof c);
    struct hg_aws_creds_provider *p = hg_aws_creds_provider_static(&c);
    struct hg_s3_config aws = { .region = "eu-west-1", .creds = p };
    struct hg_s3 *s3 = hg_s3_create(&aws, err, sizeof err);
    struct hg_buf u;
    hg_buf_init(&u, 4096);
    CHECK(s3 != NULL);
    CHECK_INT(hg_s3_url(s3, "my-bucket", "a b/c+d/é.csv", &u), 0);
    CHECK_STR(u.data, "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b/c%2Bd/%C3%A9.csv");
    hg_buf_reset(&u);
    CHECK_INT(hg_s3_url(s3, "my.dotted.bucket", "k", &u), 0);
    CHECK_STR(u.data, "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/k");
    hg_buf_reset(&u);
    CHECK_INT(hg_s3_url(s3, "Bad_Bucket", "k", &u), -1);
    CHECK_INT(hg_s3_url(s3, "ok-bucket", "", &u), -1);
    hg_s3_destroy(s3);

    struct hg_s3_config local = { .region = "eu-west-1", .creds = p,
                                  .endpoint = "http://127.0.0.1:80/base/" };
    s3 = hg_s3_create(&local, err, sizeof err);
    CHECK(s3 != NULL);
    hg_buf_reset(&u);
    CHECK_INT(hg_s3_url(s3, "hg-test", "x/y", &u), 0);
    CHECK_STR(u.data, "http://127.0.0.1/base/hg-test/x/y");
    hg_s3_destroy(s3);

    const char *bad[] = { "ftp://h/", "http://user@h/", "http://h/?q", "http://", "h:80" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hg_s3_config b = { .region = "eu-west-1", .creds = p, .endpoint = bad[i] };
        CHECK(hg_s3_create(&b, err, sizeof err) == NULL);
    }
    struct hg_s3_config br = { .region = "EU WEST", .creds = p };
    CHECK(hg_s3_create(&br, err, sizeof err) == NULL);
    struct hg_s3_config small = { .region = "eu-west-1", .creds = p, .part_size = 1024 };
    CHECK(hg_s3_create(&small, err, sizeof err) == NULL);
    hg_buf_cleanup(&u);
    hg_aws_creds_provider_destroy(p);
}

static void test_backoff(void)
{
    struct hg_retry_policy p = { .max_attempts = 5, .base_ms = 100, .max_backoff_ms = 1000 };
    long mx[6] = { 0 };
    for (int i = 0; i < 2000; i++) {
        for (int a = 1; a <= 5; a++) {
            long d = hg_retry_backoff_ms(&p, a, 0);
            CHECK(d >= 0);
            long cap = 100L << (a - 1);
            if (cap > 1000)
                cap = 1000;
            if (d > cap)
                CHECK(!"backoff over its ceiling");
            if (d > mx[a])
                mx[a] = d;
        }
    }
    /* Full jitter actually spreads: the maxima approach the ceilings. */
    CHECK(mx[1] > 80 && mx[3] > 320 && mx[5] > 800);
    CHECK(hg_retry_backoff_ms(&p, 1, 3000) >= 3000);
    CHECK_INT(hg_retry_backoff_ms(&p, 1, 10L * 60 * 1000), HG_HTTP_RETRY_AFTER_MAX_MS);

    struct hg_http_response r;
    memset(&r, 0, sizeof r);
    hg_buf_init(&r.hdrs, 1024);
    hg_buf_append(&r.hdrs, "Retry-After\0" "7\0", 14);
    CHECK_INT(hg_http_retry_after_ms(&r), 7000);
    hg_buf_reset(&r.hdrs);
    hg_buf_append(&r.hdrs, "retry-after\0" "soon\0", 17);
    CHECK_INT(hg_http_retry_after_ms(&r), 0);
    CHECK(hg_http_response_header(&r, "RETRY-AFTER") != NULL);
    CHECK(hg_http_response_header(&r, "ETag") == NULL);
    hg_http_response_cleanup(&r);
}

static void test_creds_json(void)
{
    struct hg_aws_creds c;
    char err[256];
    const char *ok = "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\","
                     "\"Token\":\"t\",\"Expiration\":\"2026-11-22T08:00:00Z\"}";
    CHECK_INT(hg_aws_creds_parse_json(ok, strlen(ok), &c, err, sizeof err), 0);
    CHECK_STR(c.access_key_id, "ASIA1");
    CHECK_STR(c.session_token, "t");
    CHECK_INT(c.expiration, 1795334400);
    const char *frac = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"2026-11-22T08:00:00.5+00:00\"}";
    CHECK_INT(hg_aws_creds_parse_json(frac, strlen(frac), &c, err, sizeof err), 0);
    CHECK_INT(c.expiration, 1795334400);
    CHECK_STR(c.session_token, "");
    const char *bad[] = {
        "[]", "{", "{\"AccessKeyId\":\"A\"}",
        "{\"Code\":\"Failure\",\"Message\":\"no role\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"tomorrow\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"2026-13-01T00:00:00Z\"}",
        "{\"AccessKeyId\":7,\"SecretAccessKey\":\"s\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_INT(hg_aws_creds_parse_json(bad[i], strlen(bad[i]), &c, err, sizeof err), -1);
        CHECK(err[0] != '\0');
        CHECK(strstr(err, "\"s\"") == NULL);
    }
    /* A field over its limit is an error, not a truncation. */
    char big[HG_AWS_SECRET_MAX + 128];
    memset(big, 0, sizeof big);
    int n = snprintf(big, sizeof big, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"");
    memset(big + n, 'x', HG_AWS_SECRET_MAX);
    memcpy(big + n + HG_AWS_SECRET_MAX, "\"}", 3);
    CHECK_INT(hg_aws_creds_parse_json(big, strlen(big), &c, err, sizeof err), -1);
    CHECK(strstr(err, "too long") != NULL);
    /* Nesting within the document cap: refused at the JSON depth limit, with
     * where it happened, not parsed into a tree 30,000 levels deep. */
    size_t depth = HG_AWS_CREDS_DOC_MAX / 2 - 64;
    char *deep = malloc(2 * depth + 64);
    CHECK(deep != NULL);
    if (deep) {
        int k = snprintf(deep, 64, "{\"AccessKeyId\":\"A\",\"x\":");
        memset(deep + k, '[', depth);
        memset(deep + k + depth, ']', depth);
        memcpy(deep + k + 2 * depth, "}", 2);
        err[0] = '\0';
        CHECK_INT(hg_aws_creds_parse_json(deep, strlen(deep), &c, err, sizeof err), -1);
        CHECK(strstr(err, "not a JSON object: offset") != NULL);
        CHECK(strstr(err, "deep") != NULL);
        free(deep);
    }
}

static void test_creds_files(void)
{
    char dir[] = "/tmp/hg-aws-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cred[256], conf[256], e1[300], e2[300], e3[300], e4[300], err[2048];
    snprintf(cred, sizeof cred, "%s/credentials", dir);
    snprintf(conf, sizeof conf, "%s/config", dir);
    FILE *f = fopen(cred, "w");
    fputs("# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=sdefault\n"
          "[dev]\naws_access_key_id =  AKIDDEV  \naws_secret_access_key = sdev\n"
          "aws_session_token = tdev\n", f);
    fclose(f);
    f = fopen(conf, "w");
    fputs("[default]\nregion = eu-north-1\n[profile cfgonly]\naws_access_key_id=AKIDCFG\n"
          "aws_secret_access_key=scfg\nregion=ap-south-1\n[profile assume]\nrole_arn=arn:x\n"
          "source_profile=default\n", f);
    fclose(f);
    snprintf(e1, sizeof e1, "AWS_SHARED_CREDENTIALS_FILE=%s", cred);
    snprintf(e2, sizeof e2, "AWS_CONFIG_FILE=%s", conf);
    snprintf(e4, sizeof e4, "AWS_EC2_METADATA_DISABLED=true");

    struct hg_aws_creds c;
    const char *profiles[] = { NULL, "dev", "cfgonly" };
    const char *want[] = { "AKIDDEFAULT", "AKIDDEV", "AKIDCFG" };
    for (int i = 0; i < 3; i++) {
        snprintf(e3, sizeof e3, "AWS_PROFILE=%s", profiles[i] ? profiles[i] : "default");
        char *env[] = { e1, e2, e3, e4, NULL };
        struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(env, err, sizeof err);
        CHECK(p != NULL);
        CHECK_INT(hg_aws_creds_get(p, &c, err, sizeof err), 0);
        CHECK_STR(c.access_key_id, want[i]);
        CHECK_STR(hg_aws_creds_source(p), "shared-file");
        if (i == 1)
            CHECK_STR(c.session_token, "tdev");
        hg_aws_creds_provider_destroy(p);
    }
    char region[64];
    {
        char *env[] = { e2, NULL };
        CHECK_INT(hg_aws_region_from_env(env, region, sizeof region), 0);
        CHECK_STR(region, "eu-north-1");
        char r2[] = "AWS_DEFAULT_REGION=us-west-2";
        char *env2[] = { e2, r2, NULL };
        CHECK_INT(hg_aws_region_from_env(env2, region, sizeof region), 0);
        CHECK_STR(region, "us-west-2");
        char *env3[] = { e3, e2, NULL };   /* AWS_PROFILE=cfgonly */
        CHECK_INT(hg_aws_region_from_env(env3, region, sizeof region), 0);
        CHECK_STR(region, "ap-south-1");
        char nofile[] = "AWS_CONFIG_FILE=/nonexistent/x";
        char *env4[] = { nofile, NULL };
        CHECK_INT(hg_aws_region_from_env(env4, region, sizeof region), -1);
    }
    /* Unsupported profile kinds and missing explicit profiles are errors. */
    {
        char pa[] = "AWS_PROFILE=assume", pm[] = "AWS_PROFILE=missing";
        char *env[] = { e1, e2, pa, e4, NULL };
        struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(env, err, sizeof err);
        CHECK_INT(hg_aws_creds_get(p, &c, err, sizeof err), -1);
        CHECK(strstr(err, "role_arn") != NULL);
        hg_aws_creds_provider_destroy(p);
        char *env2[] = { e1, e2, pm, e4, NULL };
        p = hg_aws_creds_provider_from_env(env2, err, sizeof err);
        CHECK_INT(hg_aws_creds_get(p, &c, err, sizeof err), -1);
        CHECK(strstr(err, "profile missing not found") != NULL);
        CHECK(strstr(err, "sdefault") == NULL && strstr(err, "sdev") == NULL);
        hg_aws_creds_provider_destroy(p);
    }
    /* Nothing configured: one error naming every source tried. */
    {
        char n1[] = "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/c", n2[] = "AWS_CONFIG_FILE=/nonexistent/f";
        char *env[] = { n1, n2, e4, NULL };
        struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(env, err, sizeof err);
        CHECK_INT(hg_aws_creds_get(p, &c, err, sizeof err), -1);
        CHECK(strstr(err, "environment:") && strstr(err, "web-identity:") &&
              strstr(err, "shared-file:") && strstr(err, "container:") && strstr(err, "imds:"));
        CHECK_STR(hg_aws_creds_source(p), "none");
        hg_aws_creds_provider_destroy(p);
    }
    /* Environment wins; half-set is an error. */
    {
        char a[] = "AWS_ACCESS_KEY_ID=AKIDENV", s[] = "AWS_SECRET_ACCESS_KEY=senv";
        char *env[] = { a, s, e1, NULL };
        struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(env, err, sizeof err);
        CHECK_INT(hg_aws_creds_get(p, &c, err, sizeof err), 0);
        CHECK_STR(c.access_key_id, "AKIDENV");
        CHECK_STR(hg_aws_creds_source(p), "environment");
        hg_aws_creds_provider_destroy(p);
        char *env2[] = { a, e1, NULL };
        p = hg_aws_creds_provider_from_env(env2, err, sizeof err);
        CHECK_INT(hg_aws_creds_get(p, &c, err, sizeof err), -1);
        CHECK(strstr(err, "AWS_SECRET_ACCESS_KEY") != NULL);
        hg_aws_creds_provider_destroy(p);
    }
    /* Container FULL_URI: plain http only to allowed hosts. */
    {
        const char *good[] = { "http://127.0.0.1:9/c", "http://169.254.170.23/v1/credentials",
                               "http://[fd00:ec2::23]/v1", "https://creds.example.com/x",
                               "http://localhost:80/x" };
        const char *badu[] = { "http://example.com/x", "http://10.0.0.1/x", "ftp://127.0.0.1/x",
                               "http://127.0.0.1.evil.com/x" };
        char v[300];
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
            snprintf(v, sizeof v, "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s", good[i]);
            char *env[] = { v, NULL };
            struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(env, err, sizeof err);
            CHECK(p != NULL);
            hg_aws_creds_provider_destroy(p);
        }
        for (size_t i = 0; i < sizeof badu / sizeof badu[0]; i++) {
            snprintf(v, sizeof v, "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s", badu[i]);
            char *env[] = { v, NULL };
            struct hg_aws_creds_provider *p = hg_aws_creds_provider_from_env(env, err, sizeof err);
            CHECK(p == NULL);
            CHECK(strstr(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI") != NULL);
        }
    }
    unlink(cred);
    unlink(conf);
    rmdir(dir);
}

int main(void)
{
    test_s3_list_parse();
    test_xml();
    test_classify();
    test_s3_uri();
    test_s3_urls();
    test_backoff();
    test_creds_json();
    test_creds_files();
    return TEST_DONE();
}
