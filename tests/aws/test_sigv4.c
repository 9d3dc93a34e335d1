/* test_sigv4.c — SigV4 against the published vectors of protocols.md §6
 * (S3 header-auth examples, aws-sig-v4-test-suite get-vanilla), plus
 * canonicalisation edge cases. botocore comparisons live in test_sigv4.py. */
#include <stdio.h>
#include <string.h>

#include "common/aws/sigv4.h"
#include "tests/unit/test.h"

/* 2013-05-24T00:00:00Z and 2015-08-30T12:36:00Z */
#define T_S3DOC  1369353600
#define T_SUITE  1440938160
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void s3_creds(struct hg_aws_creds *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->access_key_id, sizeof c->access_key_id, "AKIAIOSFODNN7EXAMPLE");
    snprintf(c->secret_access_key, sizeof c->secret_access_key,
             "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
}

static void test_s3_docs(void)
{
    struct hg_aws_creds c;
    struct hg_sigv4_signed s;
    char err[256];
    s3_creds(&c);

    /* GET Object with a Range header. */
    struct hg_http_header h1[] = { { "Range", "bytes=0-9" } };
    struct hg_sigv4_request r = {
        .method = "GET", .host = "examplebucket.s3.amazonaws.com", .path = "/test.txt",
        .headers = h1, .nheaders = 1, .region = "us-east-1", .service = "s3",
        .now = T_S3DOC, .flags = HG_SIGV4_S3 | HG_SIGV4_CONTENT_SHA256,
    };
    CHECK_INT(hg_sigv4_sign(&c, &r, &s, NULL, err, sizeof err), 0);
    CHECK_STR(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    CHECK_STR(s.amz_date, "20130524T000000Z");
    CHECK_STR(s.payload_hash, EMPTY_SHA);
    CHECK_STR(s.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

    /* PUT Object. */
    const char *body = "Welcome to Amazon S3.";
    struct hg_http_header h2[] = {
        { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
        { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
    };
    struct hg_sigv4_request r2 = {
        .method = "PUT", .host = "examplebucket.s3.amazonaws.com", .path = "/test%24file.text",
        .headers = h2, .nheaders = 2, .body = body, .body_len = strlen(body),
        .region = "us-east-1", .service = "s3", .now = T_S3DOC,
        .flags = HG_SIGV4_S3 | HG_SIGV4_CONTENT_SHA256,
    };
    CHECK_INT(hg_sigv4_sign(&c, &r2, &s, NULL, err, sizeof err), 0);
    CHECK_STR(s.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    CHECK_STR(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");

    /* GET Bucket Lifecycle: a valueless query key. */
    struct hg_sigv4_request r3 = {
        .method = "GET", .host = "examplebucket.s3.amazonaws.com", .path = "/",
        .query = "lifecycle", .region = "us-east-1", .service = "s3", .now = T_S3DOC,
        .flags = HG_SIGV4_S3 | HG_SIGV4_CONTENT_SHA256,
    };
    struct hg_buf creq;
    hg_buf_init(&creq, 65536);
    CHECK_INT(hg_sigv4_sign(&c, &r3, &s, &creq, err, sizeof err), 0);
    CHECK_STR(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    CHECK(creq.data && strstr(creq.data, "GET\n/\nlifecycle=\nhost:") == creq.data);
    hg_buf_cleanup(&creq);

    /* List Objects: query sorted. */
    struct hg_sigv4_request r4 = r3;
    r4.query = "prefix=J&max-keys=2";
    CHECK_INT(hg_sigv4_sign(&c, &r4, &s, NULL, err, sizeof err), 0);
    CHECK_STR(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void test_suite_vanilla(void)
{
    struct hg_aws_creds c;
    struct hg_sigv4_signed s;
    char err[256];
    memset(&c, 0, sizeof c);
    snprintf(c.access_key_id, sizeof c.access_key_id, "AKIDEXAMPLE");
    snprintf(c.secret_access_key, sizeof c.secret_access_key,
             "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    struct hg_sigv4_request r = {
        .method = "GET", .host = "example.amazonaws.com", .path = "/",
        .region = "us-east-1", .service = "service", .now = T_SUITE,
    };
    struct hg_buf creq;
    hg_buf_init(&creq, 65536);
    CHECK_INT(hg_sigv4_sign(&c, &r, &s, &creq, err, sizeof err), 0);
    CHECK_STR(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK_STR(creq.data, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                         "host;x-amz-date\n" EMPTY_SHA);
    CHECK_STR(s.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                               "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    hg_buf_cleanup(&creq);

    /* Same request, path spelled with dot segments: normalised for non-S3. */
    r.path = "/./";
    CHECK_INT(hg_sigv4_sign(&c, &r, &s, NULL, err, sizeof err), 0);
    CHECK_STR(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    r.path = "/a/../";
    CHECK_INT(hg_sigv4_sign(&c, &r, &s, NULL, err, sizeof err), 0);
    CHECK_STR(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    /* ... but not for S3. */
    r.flags = HG_SIGV4_S3;
    CHECK_INT(hg_sigv4_sign(&c, &r, &s, NULL, err, sizeof err), 0);
    CHECK(strcmp(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") != 0);
}

static void test_canonical_bits(void)
{
    struct hg_aws_creds c;
    struct hg_sigv4_signed s;
    char err[256];
    struct hg_buf creq;
    s3_creds(&c);
    snprintf(c.session_token, sizeof c.session_token, "TOKEN/with+chars=");
    hg_buf_init(&creq, 65536);
    struct hg_http_header h[] = {
        { "My-Header", "  a   b\t c  " }, { "my-header", "second" }, { "Blank", "" },
        { "User-Agent", "x" }, { "Zed", "z" },
    };
    struct hg_sigv4_request r = {
        .method = "POST", .host = "h.example", .path = "/p%20q/",
        .query = "b=2&a=%2f&a=1&c", .headers = h, .nheaders = 5,
        .payload_hash = HG_SIGV4_UNSIGNED_PAYLOAD,
        .region = "eu-west-1", .service = "glue", .now = T_SUITE,
    };
    CHECK_INT(hg_sigv4_sign(&c, &r, &s, &creq, err, sizeof err), 0);
    CHECK_STR(creq.data, "POST\n/p%2520q/\na=%2F&a=1&b=2&c=\n"
                         "blank:\nhost:h.example\nmy-header:a b c,second\n"
                         "x-amz-date:20150830T123600Z\n"
                         "x-amz-security-token:TOKEN/with+chars=\nzed:z\n\n"
                         "blank;host;my-header;x-amz-date;x-amz-security-token;zed\n"
                         "UNSIGNED-PAYLOAD");
    hg_buf_cleanup(&creq);

    /* A bad escape is an error, and the output is wiped. */
    r.query = "a=%zz";
    CHECK_INT(hg_sigv4_sign(&c, &r, &s, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "query") != NULL);
    CHECK_INT(s.signature[0], 0);

    /* Presign: the query carries the auth parameters, signature last. */
    struct hg_buf q;
    hg_buf_init(&q, 65536);
    struct hg_sigv4_request p = {
        .method = "GET", .host = "kafka.us-east-1.amazonaws.com", .path = "/",
        .query = "Action=kafka-cluster%3AConnect", .region = "us-east-1",
        .service = "kafka-cluster", .now = T_SUITE,
    };
    CHECK_INT(hg_sigv4_presign(&c, &p, 900, &q, err, sizeof err), 0);
    static const char want[] = "Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
                                    "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20150830%2Fus-east-1%2F"
                                    "kafka-cluster%2Faws4_request&X-Amz-Date=20150830T123600Z&"
                                    "X-Amz-Expires=900&X-Amz-Security-Token=TOKEN%2Fwith%2Bchars%3D&"
                                    "X-Amz-SignedHeaders=host&X-Amz-Signature=";
    CHECK(q.data && strncmp(q.data, want, sizeof want - 1) == 0);
    CHECK_INT(q.len, sizeof want - 1 + 64);
    hg_buf_cleanup(&q);

    struct hg_buf e;
    hg_buf_init(&e, 100);
    CHECK_INT(hg_sigv4_uri_encode(&e, "a b/ü~", 7, true), 0);
    CHECK_STR(e.data, "a%20b/%C3%BC~");
    hg_buf_cleanup(&e);
}

int main(void)
{
    test_s3_docs();
    test_suite_vanilla();
    test_canonical_bits();
    return TEST_DONE();
}
