"""test_s3.py — S3 through hg-aws-probe against s3rver behind a proxy that
verifies every signature with botocore (S3SigV4Auth): put/head/get/delete,
create-once, multipart, error parsing and classification, faults."""

import datetime
import hashlib
import json
import os
import time

from conftest import BUCKET, base_env, log_lines, retry_lines, run_probe


def s3env(s3, **extra):
    return base_env(AWS_ENDPOINT_URL_S3=s3.url, **extra)



def test_put_head_get_delete(probe, s3, tmp_path):
    data = b"id,name\n1,\xc3\xa9t\xc3\xa9\n" * 100
    f = tmp_path / "obj.csv"
    f.write_bytes(data)
    key = "tables/2026/odd key+chars/été=&.csv"
    env = s3env(s3)
    doc, _ = run_probe(probe, ["s3-put", BUCKET, key, str(f)], env)
    assert doc["rc"] == 0, doc
    assert doc["size"] == len(data)
    assert doc["etag"] == '"%s"' % hashlib.md5(data).hexdigest()
    doc, _ = run_probe(probe, ["s3-head", BUCKET, key], env)
    assert doc["rc"] == 0 and doc["size"] == len(data), doc
    doc, _ = run_probe(probe, ["s3-get", BUCKET, key], env)
    assert doc["rc"] == 0, doc
    assert doc["sha256"] == hashlib.sha256(data).hexdigest()
    assert doc["len"] == len(data)
    doc, _ = run_probe(probe, ["s3-delete", BUCKET, key], env)
    assert doc["rc"] == 0, doc
    doc, _ = run_probe(probe, ["s3-head", BUCKET, key], env)
    assert doc["rc"] == 1, doc
    doc, _ = run_probe(probe, ["s3-get", BUCKET, key], env)
    assert doc["rc"] == 1, doc
    # s3rver writes "é" in its error XML as the HTML entity &eacute; (not
    # well-formed XML), so check the parsed code with an ASCII key.
    doc, _ = run_probe(probe, ["s3-get", BUCKET, "no/such-key.csv"], env)
    assert doc["rc"] == 1, doc
    assert doc["error"]["code"] == "NoSuchKey"
    assert doc["error"]["class"] == "permanent"
    assert s3.sig_failures == 0
    # The key went over the wire encoded once, path-style.
    assert any("/hg-test/tables/2026/odd%20key%2Bchars/%C3%A9t%C3%A9%3D%26.csv" == p
               for m, p, h in s3.log), [p for m, p, h in s3.log]


def test_bad_signature_is_rejected(probe, s3, tmp_path):
    """The proxy really checks: a wrong secret fails with SignatureDoesNotMatch."""
    f = tmp_path / "x"
    f.write_bytes(b"x")
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "k", str(f)],
                       s3env(s3, AWS_SECRET_ACCESS_KEY="wrong"))
    assert doc["rc"] == -1
    assert doc["error"]["code"] == "SignatureDoesNotMatch"
    assert doc["error"]["status"] == 403
    assert doc["error"]["class"] == "permanent"
    assert s3.sig_failures == 1


def test_create_once(probe, s3, tmp_path):
    f = tmp_path / "a"
    f.write_bytes(b"first")
    env = s3env(s3)
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "once/a.csv", str(f), "--if-none-match"], env)
    assert doc["rc"] == 0, doc
    f.write_bytes(b"second")
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "once/a.csv", str(f), "--if-none-match"], env)
    assert doc["rc"] == 1, doc
    doc, _ = run_probe(probe, ["s3-get", BUCKET, "once/a.csv"], env)
    assert doc["sha256"] == hashlib.sha256(b"first").hexdigest()
    puts = [h for m, p, h in s3.log if m == "PUT"]
    assert all(h.get("If-None-Match") == "*" for h in puts)


def test_replace_if_unchanged(probe, s3, tmp_path):
    # If-Match: the object is replaced only while it has the ETag named; a
    # changed or missing object is rc 1 and left as it is
    f = tmp_path / "a"
    f.write_bytes(b"first")
    env = s3env(s3)
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "cas/a.json", str(f)], env)
    assert doc["rc"] == 0, doc
    first = doc["etag"]
    f.write_bytes(b"second")
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "cas/a.json", str(f), "--if-match", '"0000"'], env)
    assert doc["rc"] == 1 and doc["error"]["status"] == 412, doc
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "cas/a.json", str(f), "--if-match", first], env)
    assert doc["rc"] == 0, doc
    f.write_bytes(b"third")
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "cas/a.json", str(f), "--if-match", first], env)
    assert doc["rc"] == 1, doc                      # the object changed since first was read
    doc, _ = run_probe(probe, ["s3-get", BUCKET, "cas/a.json"], env)
    assert doc["sha256"] == hashlib.sha256(b"second").hexdigest()
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "cas/none.json", str(f), "--if-match", first], env)
    assert doc["rc"] == 1 and doc["error"]["code"] == "NoSuchKey", doc
    puts = [h for m, p, h in s3.log if m == "PUT" and h.get("If-Match")]
    assert [h["If-Match"] for h in puts] == ['"0000"', first, first, first]
    # a multipart upload carries it on CompleteMultipartUpload
    part = 5 * 1024 * 1024
    big = tmp_path / "big"
    big.write_bytes(os.urandom(part + 10))
    menv = s3env(s3, HG_PROBE_PART_SIZE=str(part))
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "cas/a.json", str(big), "--if-match", first], menv)
    assert doc["rc"] == 1 and doc["error"]["status"] == 412, doc
    completes = [h for m, p, h in s3.log if m == "POST" and "uploadId=" in p]
    assert completes and completes[-1].get("If-Match") == first


def test_multipart(probe, s3, tmp_path):
    part = 5 * 1024 * 1024
    data = os.urandom(2 * part + 12345)
    f = tmp_path / "big"
    f.write_bytes(data)
    env = s3env(s3, HG_PROBE_PART_SIZE=str(part))
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "big/obj.bin", str(f)], env)
    assert doc["rc"] == 0, doc
    assert doc["size"] == len(data)
    assert doc["etag"].startswith('"') and len(doc["etag"]) > 2, doc
    ops = [(m, p.split("?", 1)[1] if "?" in p else "") for m, p, h in s3.log]
    assert ops[0] == ("POST", "uploads=") or ops[0] == ("POST", "uploads"), ops
    assert [o for o in ops if o[0] == "PUT" and o[1].startswith("partNumber=")] and \
        len([o for o in ops if o[0] == "PUT"]) == 3
    assert ops[-1][0] == "POST" and ops[-1][1].startswith("uploadId=")
    # One connection for the whole upload (the client reuses it).
    assert s3.connections == 1, s3.connections
    env2 = s3env(s3, HG_PROBE_MAX=str(len(data) + 1))
    doc, _ = run_probe(probe, ["s3-get", BUCKET, "big/obj.bin"], env2)
    assert doc["rc"] == 0 and doc["sha256"] == hashlib.sha256(data).hexdigest(), doc
    # Over the caller's cap: a clear permanent error.
    doc, _ = run_probe(probe, ["s3-get", BUCKET, "big/obj.bin"], s3env(s3, HG_PROBE_MAX="1000"))
    assert doc["rc"] == -1 and doc["error"]["code"] == "ResponseTooLarge"
    assert doc["error"]["class"] == "permanent"
    assert s3.sig_failures == 0


def test_multipart_complete_200_error_is_retried(probe, s3, tmp_path):
    part = 5 * 1024 * 1024
    data = os.urandom(part + 10)
    f = tmp_path / "big"
    f.write_bytes(data)
    s3.faults.append({"op": "complete-200-error", "code": "InternalError"})
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "mp/retry.bin", str(f)],
                       s3env(s3, HG_PROBE_PART_SIZE=str(part)))
    assert doc["rc"] == 0, doc
    completes = [p for m, p, h in s3.log if m == "POST" and "uploadId=" in p]
    assert len(completes) == 2


def test_multipart_aborts_on_permanent_failure(probe, s3, tmp_path):
    part = 5 * 1024 * 1024
    f = tmp_path / "big"
    f.write_bytes(os.urandom(part + 10))
    s3.faults.append({"op": "part", "status": 400, "code": "InvalidRequest"})
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "mp/abort.bin", str(f)],
                       s3env(s3, HG_PROBE_PART_SIZE=str(part)))
    assert doc["rc"] == -1
    assert doc["error"]["code"] == "InvalidRequest" and doc["error"]["class"] == "permanent"
    assert any(m == "DELETE" and "uploadId=" in p for m, p, h in s3.log)
    doc, _ = run_probe(probe, ["s3-head", BUCKET, "mp/abort.bin"], s3env(s3))
    assert doc["rc"] == 1


def test_slowdown_and_500_are_retried(probe, s3, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"hello")
    s3.faults += [{"op": "put", "status": 503, "code": "SlowDown", "retry_after": 1},
                  {"op": "put", "status": 500, "code": "InternalError"}]
    doc, err = run_probe(probe, ["s3-put", BUCKET, "retry/x", str(f)], s3env(s3))
    assert doc["rc"] == 0, doc
    assert len([1 for m, p, h in s3.log if m == "PUT"]) == 3
    # The delay is max(jitter, Retry-After) (hg_retry_backoff_ms): the jitter
    # of attempt 1 is at most HG_PROBE_BASE_MS (20), so Retry-After: 1 shows
    # as exactly 1000; the 500 that follows has no header and only jitter.
    retries = [(d["code"], d["attempt"], d["delay_ms"]) for d in retry_lines(err)]
    assert len(retries) == 2 and retries[0] == ("SlowDown", "1", "1000"), retries
    assert retries[1][:2] == ("InternalError", "2") and int(retries[1][2]) <= 40, retries


def test_retries_exhausted_is_retryable(probe, s3, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"hello")
    s3.faults += [{"op": "put", "status": 503, "code": "SlowDown"}] * 3
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "retry/y", str(f)], s3env(s3, HG_PROBE_ATTEMPTS="3"))
    assert doc["rc"] == -1
    assert doc["error"] == {"class": "retryable", "status": 503, "code": "SlowDown",
                            "message": "injected"}


def test_timeout_and_truncated_body(probe, s3, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"abc")
    env = s3env(s3)
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "t/x", str(f)], env)
    assert doc["rc"] == 0
    s3.faults.append({"op": "get", "kind": "truncate"})
    s3.faults.append({"op": "get", "kind": "sleep", "seconds": 3})
    doc, _ = run_probe(probe, ["s3-get", BUCKET, "t/x"], s3env(s3, HG_PROBE_TIMEOUT_MS="1500"))
    assert doc["rc"] == 0 and doc["sha256"] == hashlib.sha256(b"abc").hexdigest(), doc
    assert len([1 for m, p, h in s3.log if m == "GET"]) == 3
    s3.faults += [{"op": "get", "kind": "truncate"}] * 2
    doc, _ = run_probe(probe, ["s3-get", BUCKET, "t/x"], s3env(s3, HG_PROBE_ATTEMPTS="2"))
    assert doc["rc"] == -1 and doc["error"]["code"] == "Truncated"
    assert doc["error"]["class"] == "retryable"
    s3.faults += [{"op": "head", "kind": "sleep", "seconds": 2}] * 2
    doc, _ = run_probe(probe, ["s3-head", BUCKET, "t/x"],
                       s3env(s3, HG_PROBE_ATTEMPTS="2", HG_PROBE_TIMEOUT_MS="500"))
    assert doc["rc"] == -1 and doc["error"]["code"] == "Timeout"
    assert doc["error"]["class"] == "retryable"


def test_no_such_bucket_and_connect_error(probe, s3, tmp_path):
    doc, _ = run_probe(probe, ["s3-get", "no-such-bucket", "k"], s3env(s3))
    assert doc["rc"] == -1 and doc["error"]["code"] == "NoSuchBucket"
    assert doc["error"]["class"] == "permanent"
    doc, _ = run_probe(probe, ["s3-head", BUCKET, "k"],
                       base_env(AWS_ENDPOINT_URL_S3="http://127.0.0.1:9", HG_PROBE_ATTEMPTS="2"))
    assert doc["rc"] == -1 and doc["error"]["code"] == "Connect"
    assert doc["error"]["class"] == "retryable"



def test_long_error_message_keeps_the_code(probe, s3, tmp_path):
    """S3's AccessDenied messages name the principal, the resource (bucket
    and key) and the policy that denied, and can run past the 512-byte
    message buffer: the message is cut (whole UTF-8 characters) and the code
    is still S3's, not the status's "Forbidden"."""
    import standins
    f = tmp_path / "x"
    f.write_bytes(b"data")
    key = "exports/project/schema/table/dt=2026-11-22/" + "F" * 300 + ".csv"
    message = ("User: arn:aws:sts::123456789012:assumed-role/hookgate-consumer/i-0123456789abcdef0 "
               "is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::%s/%s\" "
               "with an explicit deny in a service control policy: arn:aws:organizations::"
               "123456789012:policy/o-abcdefghij/service_control_policy/p-abcdefgh \u00e9\u00e9"
               % (BUCKET, key))
    assert len(message.encode()) > 600
    s3.faults.append({"op": "put", "kind": "body", "status": 403, "ctype": "application/xml",
                      "body": standins.s3_error("AccessDenied", message)})
    doc, _ = run_probe(probe, ["s3-put", BUCKET, key, str(f)], s3env(s3))
    assert doc["rc"] == -1, doc
    assert doc["error"]["code"] == "AccessDenied" and doc["error"]["class"] == "permanent", doc
    got = doc["error"]["message"]
    assert got and message.startswith(got) and len(got.encode()) < 512, got

def put_with_container_creds(probe, s3, tmp_path, fault, key):
    """PUT key with credentials from a container endpoint, while S3 answers
    the first set with fault ("expire" or "revoke"). Returns (doc, stderr,
    credential sets issued)."""
    import standins
    srv = standins.start("container", s3.keyring, expect_auth=None, creds_path="/creds")
    try:
        f = tmp_path / "x"
        f.write_bytes(b"data")
        env = {"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_S3": s3.url,
               "AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.url + "/creds",
               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "HG_PROBE_BASE_MS": "10"}
        s3.faults.append({"op": "put", "kind": fault, "akid": "ASIACTR00001"})
        doc, err = run_probe(probe, ["s3-put", BUCKET, key, str(f)], env)
        return doc, err, srv.issued
    finally:
        srv.stop()


def test_expired_credentials_mid_run(probe, s3, tmp_path):
    """S3 answers ExpiredToken for the container's first credentials; the
    client refreshes them and the PUT goes through."""
    doc, err, issued = put_with_container_creds(probe, s3, tmp_path, "expire", "exp/x")
    assert doc["rc"] == 0, doc
    assert issued == 2
    assert '"code":"ExpiredToken"' in err
    assert "secret-ASIACTR" not in err and "token-ASIACTR" not in err


def test_stream_from_stdin_and_multipart_create_once(probe, s3, tmp_path):
    part = 5 * 1024 * 1024
    data = os.urandom(part + 4096)
    env = s3env(s3, HG_PROBE_PART_SIZE=str(part))
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "stdin/obj", "-", "--if-none-match"], env, stdin=data)
    assert doc["rc"] == 0 and doc["size"] == len(data), doc
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "stdin/obj", "-", "--if-none-match"], env, stdin=data)
    assert doc["rc"] == 1, doc                      # 412 on CompleteMultipartUpload
    completes = [h for m, p, h in s3.log if m == "POST" and "uploadId=" in p]
    assert len(completes) == 2 and all(h.get("If-None-Match") == "*" for h in completes)
    assert any(m == "DELETE" and "uploadId=" in p for m, p, h in s3.log)   # the second was aborted
    doc, _ = run_probe(probe, ["s3-get", BUCKET, "stdin/obj"], s3env(s3, HG_PROBE_MAX=str(2 * part)))
    assert doc["sha256"] == hashlib.sha256(data).hexdigest()


def test_head_of_object_larger_than_response_cap(probe, s3, tmp_path):
    """HEAD reports the size of an object far above the 1 MiB body cap."""
    part = 5 * 1024 * 1024
    f = tmp_path / "big"
    f.write_bytes(b"z" * (part + 1))
    env = s3env(s3, HG_PROBE_PART_SIZE=str(part))
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "big/head", str(f)], env)
    assert doc["rc"] == 0, doc
    doc, _ = run_probe(probe, ["s3-head", BUCKET, "big/head"], env)
    assert doc["rc"] == 0 and doc["size"] == part + 1, doc


def test_get_stream(probe, s3, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 7)   # larger than any buffer: it streams
    f = tmp_path / "s"
    f.write_bytes(data)
    env = s3env(s3)
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "stream/obj", str(f)], env)
    assert doc["rc"] == 0, doc
    doc, _ = run_probe(probe, ["s3-get-stream", BUCKET, "stream/obj"], env)
    assert doc["rc"] == 0 and doc["len"] == len(data), doc
    assert doc["sha256"] == hashlib.sha256(data).hexdigest() and doc["calls"] > 1
    # The consumer aborts (e.g. a bad CSV row): permanent, not retried.
    gets = len([1 for m, p, h in s3.log if m == "GET"])
    doc, _ = run_probe(probe, ["s3-get-stream", BUCKET, "stream/obj"], s3env(s3, HG_PROBE_ABORT_AT="100000"))
    assert doc["rc"] == -1 and doc["error"]["code"] == "StreamAborted"
    assert doc["error"]["class"] == "permanent"
    assert len([1 for m, p, h in s3.log if m == "GET"]) == gets + 1
    # A missing key streams nothing and says so.
    doc, _ = run_probe(probe, ["s3-get-stream", BUCKET, "stream/none"], env)
    assert doc["rc"] == 1 and doc["len"] == 0 and doc["error"]["code"] == "NoSuchKey"


def test_dot_segment_keys_sent_as_signed(probe, s3, tmp_path):
    """S3 keys are not paths: "a/../b" and "./x" go over the wire as signed
    (libcurl would otherwise drop the dot segments after signing, and the
    request would reach another path than the one signed). s3rver files
    objects under path.join(key), so it aliases "a/../b" with "b"; what is
    checked is the wire path, the signature and each round trip."""
    env = s3env(s3)
    keys = ["dots/a/../b.csv", "./x.csv", "dots/./y/..", "dots/y/../../w"]
    for i, key in enumerate(keys):
        data = ("object %d for %s\n" % (i, key)).encode()
        f = tmp_path / ("d%d" % i)
        f.write_bytes(data)
        doc, _ = run_probe(probe, ["s3-put", BUCKET, key, str(f)], env)
        assert doc["rc"] == 0, (key, doc)
        doc, _ = run_probe(probe, ["s3-head", BUCKET, key], env)
        assert doc["rc"] == 0 and doc["size"] == len(data), (key, doc)
        doc, _ = run_probe(probe, ["s3-get", BUCKET, key], env)
        assert doc["rc"] == 0 and doc["sha256"] == hashlib.sha256(data).hexdigest(), (key, doc)
        want = "/" + BUCKET + "/" + key
        paths = [p for m, p, h in s3.log]
        assert paths.count(want) == 3, (want, paths)
    assert s3.sig_failures == 0


def test_multipart_complete_200_error_classified_by_code(probe, s3, tmp_path):
    """A 200 whose body is an <Error> is classified by the S3 code alone:
    SlowDown is retried, InvalidPart/EntityTooSmall fail at once
    (permanent) and the upload is aborted. NoSuchUpload (the upload id is
    gone: an earlier Complete whose answer was lost, or an abort) is not
    re-sent with that id either, but is retryable, so the caller sends the
    stream again; also when it comes as a 404."""
    part = 5 * 1024 * 1024
    f = tmp_path / "big"
    f.write_bytes(os.urandom(part + 10))
    env = s3env(s3, HG_PROBE_PART_SIZE=str(part))
    for code in ("SlowDown", "ServiceUnavailable", "RequestTimeout"):
        del s3.log[:]
        s3.faults.append({"op": "complete-200-error", "code": code})
        doc, _ = run_probe(probe, ["s3-put", BUCKET, "mp/code-retry.bin", str(f)], env)
        assert doc["rc"] == 0, (code, doc)
        assert len([p for m, p, h in s3.log if m == "POST" and "uploadId=" in p]) == 2, code
    for fault in ({"op": "complete-200-error", "code": "NoSuchUpload"},
                  {"op": "complete", "status": 404, "code": "NoSuchUpload"}):
        del s3.log[:]
        s3.faults.append(fault)
        doc, _ = run_probe(probe, ["s3-put", BUCKET, "mp/gone.bin", str(f), "--if-none-match"], env)
        assert doc["rc"] == -1, (fault, doc)
        assert doc["error"]["code"] == "NoSuchUpload" and doc["error"]["class"] == "retryable", doc
        assert len([p for m, p, h in s3.log if m == "POST" and "uploadId=" in p]) == 1, fault
        # the stream sent again lands (the fault prevented the first Complete)
        doc, _ = run_probe(probe, ["s3-put", BUCKET, "mp/gone.bin", str(f), "--if-none-match"], env)
        assert doc["rc"] == 0, (fault, doc)
        doc, _ = run_probe(probe, ["s3-delete", BUCKET, "mp/gone.bin"], env)
    for code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall"):
        del s3.log[:]
        s3.faults.append({"op": "complete-200-error", "code": code})
        doc, _ = run_probe(probe, ["s3-put", BUCKET, "mp/code-perm.bin", str(f)], env)
        assert doc["rc"] == -1, (code, doc)
        assert doc["error"]["code"] == code and doc["error"]["class"] == "permanent", doc
        assert doc["error"]["status"] == 200, doc
        assert len([p for m, p, h in s3.log if m == "POST" and "uploadId=" in p]) == 1, code
        assert any(m == "DELETE" and "uploadId=" in p for m, p, h in s3.log), code
    assert not s3.faults
    assert s3.sig_failures == 0



def test_multipart_complete_409_conflict_restarts_not_retried(probe, s3, tmp_path):
    """409 ConditionalRequestConflict on a conditional CompleteMultipartUpload
    (a racing write): S3 says to start the multipart upload again, so the
    Complete is not re-sent with the same upload id; the upload is aborted
    and the error is retryable, for the caller to send the stream again.
    Also when the 409's code comes in a 200's <Error> body. A PutObject's
    409 is still retried in place (that is what S3 says for it)."""
    part = 5 * 1024 * 1024
    f = tmp_path / "big"
    f.write_bytes(os.urandom(part + 10))
    env = s3env(s3, HG_PROBE_PART_SIZE=str(part))
    for fault in ({"op": "complete", "status": 409, "code": "ConditionalRequestConflict"},
                  {"op": "complete-200-error", "code": "ConditionalRequestConflict"}):
        del s3.log[:]
        s3.faults.append(fault)
        doc, _ = run_probe(probe, ["s3-put", BUCKET, "mp/conflict.bin", str(f), "--if-none-match"], env)
        assert doc["rc"] == -1, (fault, doc)
        assert doc["error"]["code"] == "ConditionalRequestConflict", doc
        assert doc["error"]["class"] == "retryable", doc
        assert len([p for m, p, h in s3.log if m == "POST" and "uploadId=" in p]) == 1, (fault, s3.log)
        assert any(m == "DELETE" and "uploadId=" in p for m, p, h in s3.log), fault
    assert not s3.faults
    del s3.log[:]
    small = tmp_path / "small"
    small.write_bytes(b"x")
    s3.faults.append({"op": "put", "status": 409, "code": "ConditionalRequestConflict"})
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "mp/conflict-small", str(small), "--if-none-match"],
                       s3env(s3))
    assert doc["rc"] == 0, doc
    assert len([1 for m, p, h in s3.log if m == "PUT"]) == 2
    assert s3.sig_failures == 0

def test_invalid_token_mid_run_retried_once(probe, s3, tmp_path):
    """S3 answers InvalidToken for the container's first credentials (the
    session token was revoked): the client drops them, fetches fresh ones
    and the PUT goes through. A token that stays invalid is retried only
    once and then fails as permanent."""
    doc, err, issued = put_with_container_creds(probe, s3, tmp_path, "revoke", "tok/x")
    assert doc["rc"] == 0, doc
    assert issued == 2
    assert '"code":"InvalidToken"' in err
    assert "secret-ASIACTR" not in err and "token-ASIACTR" not in err
    puts = [h for m, p, h in s3.log if m == "PUT"]
    assert len(puts) == 2 and "ASIACTR00002" in puts[1]["Authorization"]
    # Static keys whose session token is wrong: one retry, then permanent.
    f = tmp_path / "x"   # written by put_with_container_creds
    s3.keyring.add("ASIASTATIC0001", "static-secret", "the-right-token")
    del s3.log[:]
    doc, _ = run_probe(probe, ["s3-put", BUCKET, "tok/y", str(f)],
                       s3env(s3, AWS_ACCESS_KEY_ID="ASIASTATIC0001",
                             AWS_SECRET_ACCESS_KEY="static-secret",
                             AWS_SESSION_TOKEN="a-wrong-token"))
    assert doc["rc"] == -1, doc
    assert doc["error"]["code"] == "InvalidToken" and doc["error"]["class"] == "permanent", doc
    assert len([1 for m, p, h in s3.log if m == "PUT"]) == 2


def test_list_objects_v2_pages_delimiter_and_limits(probe, s3, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"{}")
    env = s3env(s3)
    names = ["a.json", "b & c.json", "d+e=f.json", "sub/x.json", "z.txt", "\u00e9t\u00e9.json"]
    for n in names:
        doc, _ = run_probe(probe, ["s3-put", BUCKET, "lst/" + n, str(f)], env)
        assert doc["rc"] == 0, doc
    # Pages of two: four signed GETs, each after the first with the token the
    # last one gave; "sub/" is a common prefix, not a key.
    s3.log.clear()
    doc, _ = run_probe(probe, ["s3-list", BUCKET, "lst/", "/"], s3env(s3, HG_PROBE_LIST_PAGE="2"))
    assert doc["rc"] == 0, doc
    want = sorted("lst/" + n for n in names if "/" not in n)
    assert doc["keys"] == sorted(want, key=lambda k: k.encode()) and doc["more"] == 0
    gets = [p for m, p, h in s3.log if m == "GET"]
    assert len(gets) >= 3, gets
    import urllib.parse
    qs = [dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(p).query)) for p in gets]
    assert urllib.parse.urlsplit(gets[0]).path == "/" + BUCKET
    assert all(q["list-type"] == "2" and q["prefix"] == "lst/" and q["delimiter"] == "/"
               and q["max-keys"] == "2" for q in qs), qs
    assert "continuation-token" not in qs[0]
    assert all(q.get("continuation-token") for q in qs[1:])
    assert len({q["continuation-token"] for q in qs[1:]}) == len(qs) - 1
    assert s3.sig_failures == 0
    # Without a delimiter the sub-"directory" shows; max_keys stops the listing.
    doc, _ = run_probe(probe, ["s3-list", BUCKET, "lst/", "", "3"], s3env(s3, HG_PROBE_LIST_PAGE="2"))
    assert doc["rc"] == 0 and len(doc["keys"]) == 3 and doc["more"] == 1, doc
    doc, _ = run_probe(probe, ["s3-list", BUCKET, "lst/sub/"], env)
    assert doc["rc"] == 0 and doc["keys"] == ["lst/sub/x.json"] and doc["more"] == 0, doc
    doc, _ = run_probe(probe, ["s3-list", BUCKET, "nothing-here/"], env)
    assert doc["rc"] == 0 and doc["keys"] == [], doc


def test_list_objects_v2_errors(probe, s3, tmp_path):
    # A 503 is retried like any GET; a missing bucket is permanent, by code.
    s3.faults += [{"op": "get", "status": 503, "code": "SlowDown"}]
    doc, err = run_probe(probe, ["s3-list", BUCKET, "lst/"], s3env(s3))
    assert doc["rc"] == 0, doc
    assert [d["code"] for d in retry_lines(err)] == ["SlowDown"]
    doc, _ = run_probe(probe, ["s3-list", "no-such-bucket-hg", "x/"], s3env(s3))
    assert doc["rc"] == -1 and doc["error"]["code"] == "NoSuchBucket", doc
    assert doc["error"]["class"] == "permanent"


def test_clock_skew_corrected_from_date_header(probe, s3, tmp_path):
    """A server whose clock is 20 min ahead answers 403 RequestTimeTooSkewed
    (with its clock in Date) while x-amz-date is more than 15 min off: the
    client keeps the offset, the retry signs on the server's clock and goes
    through, and the next request of the process is right at once."""
    s3.clock_offset = 20 * 60
    data = b"id\n1\n"
    f = tmp_path / "x"
    f.write_bytes(data)
    doc, err = run_probe(probe, ["s3-put-get", BUCKET, "skew/x.csv", str(f)], s3env(s3))
    assert doc["rc"] == 0, doc
    assert doc["put_rc"] == 0
    assert doc["sha256"] == hashlib.sha256(data).hexdigest()
    assert abs(doc["skew_after_put"] - 1200) <= 2, doc
    puts = [h for m, p, h in s3.log if m == "PUT"]
    gets = [h for m, p, h in s3.log if m == "GET"]
    assert len(puts) == 2 and len(gets) == 1, [(m, p) for m, p, h in s3.log]
    assert s3.sig_failures == 1                       # only the first PUT
    assert [r["code"] for r in retry_lines(err)] == ["RequestTimeTooSkewed"]
    sk = log_lines(err, "aws_clock_skew")
    assert len(sk) == 1 and abs(int(sk[0]["skew_s"]) - 1200) <= 2, sk
    # Both signed requests after the 403 carry the server's time.
    for h in (puts[1], gets[0]):
        d = {k.lower(): v for k, v in h.items()}["x-amz-date"]
        t = datetime.datetime.strptime(d, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        assert abs(t - s3.clock_offset - time.time()) < 60, d


def test_clock_skew_behind_and_garbage_date(probe, s3, tmp_path):
    """A server 20 min behind is corrected too; a skew error whose Date
    cannot be believed changes nothing (the retries fail as before)."""
    f = tmp_path / "x"
    f.write_bytes(b"x")
    s3.clock_offset = -20 * 60
    doc, err = run_probe(probe, ["s3-put-get", BUCKET, "skew/behind", str(f)], s3env(s3))
    assert doc["rc"] == 0, doc
    assert abs(doc["skew"] + 1200) <= 2, doc
    # Over the 24 h cap: not believed.
    s3.clock_offset = 3 * 86400
    n = len(s3.log)
    doc, err = run_probe(probe, ["s3-put", BUCKET, "skew/far", str(f)],
                         s3env(s3, HG_PROBE_ATTEMPTS="2"))
    assert doc["rc"] == -1 and doc["error"]["code"] == "RequestTimeTooSkewed", doc
    assert doc["error"]["class"] == "retryable"
    assert len(s3.log) == n + 2 and log_lines(err, "aws_clock_skew") == []
