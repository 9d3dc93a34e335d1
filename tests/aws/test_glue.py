"""test_glue.py — Glue StartJobRun/GetJob through hg-aws-probe against a
stand-in that verifies each signature with botocore (service glue)."""

import json

from conftest import SECRET, base_env, retry_lines, run_probe


def genv(glue, **extra):
    return base_env(AWS_ENDPOINT_URL_GLUE=glue.url, **extra)



def test_start_job_run_with_arguments(probe, glue):
    args = ["--table", "orders", "--s3_key", "s3://b/k \"quoted\"\\é"]
    doc, _ = run_probe(probe, ["glue-start", "hg-load"] + args, genv(glue))
    assert doc["rc"] == 0, doc
    assert doc["run_id"] == "jr_0001"
    assert glue.runs == [{"JobName": "hg-load",
                          "Arguments": {"--table": "orders", "--s3_key": "s3://b/k \"quoted\"\\é"}}]
    m, p, h = glue.log[0]
    assert (m, p) == ("POST", "/")
    assert h["X-Amz-Target"] == "AWSGlue.StartJobRun"
    assert h["Content-Type"] == "application/x-amz-json-1.1"
    assert glue.sig_failures == 0


def test_get_job(probe, glue):
    doc, _ = run_probe(probe, ["glue-get", "hg-load"], genv(glue))
    assert doc["rc"] == 0
    doc, _ = run_probe(probe, ["glue-get", "nope"], genv(glue))
    assert doc["rc"] == 1, doc
    assert doc["error"]["code"] == "EntityNotFoundException"   # "ns#" prefix stripped
    assert doc["error"]["class"] == "permanent"


def test_errors_classified(probe, glue):
    doc, _ = run_probe(probe, ["glue-start", "missing-job"], genv(glue))
    assert doc["rc"] == -1
    assert doc["error"]["code"] == "EntityNotFoundException"
    assert doc["error"]["class"] == "permanent"
    assert len(glue.log) == 1   # not retried
    glue.faults += [{"op": "StartJobRun", "status": 400, "code": "ConcurrentRunsExceededException"}] * 2
    doc, _ = run_probe(probe, ["glue-start", "hg-load"], genv(glue, HG_PROBE_ATTEMPTS="2"))
    assert doc["rc"] == -1
    assert doc["error"]["code"] == "ConcurrentRunsExceededException"
    assert doc["error"]["class"] == "retryable"
    # A 5xx leaves open whether the run started: StartJobRun is not retried
    # in the client (glue.h), the retryable error goes to the caller at once.
    glue.faults.append({"op": "StartJobRun", "status": 500, "code": "InternalServiceException"})
    n = len(glue.log)
    doc, err = run_probe(probe, ["glue-start", "hg-load"], genv(glue))
    assert doc["rc"] == -1, doc
    assert doc["error"]["code"] == "InternalServiceException"
    assert doc["error"]["class"] == "retryable"
    assert len(glue.log) == n + 1 and retry_lines(err) == []
    # Failures that prove no run started are retried, and Retry-After is
    # honoured. The delay is max(jitter, Retry-After) (hg_retry_backoff_ms):
    # the first has no header, so only jitter (at most HG_PROBE_BASE_MS, 20);
    # the throttle's Retry-After: 1 is then exactly 1000 (attempt 2's jitter
    # is at most 40).
    glue.faults += [{"op": "StartJobRun", "status": 400, "code": "ConcurrentRunsExceededException"},
                    {"op": "StartJobRun", "status": 400, "code": "ThrottlingException", "retry_after": 1}]
    doc, err = run_probe(probe, ["glue-start", "hg-load"], genv(glue))
    assert doc["rc"] == 0, doc
    retries = [(d["code"], d["attempt"], d["delay_ms"]) for d in retry_lines(err)]
    assert len(retries) == 2, retries
    assert retries[0][:2] == ("ConcurrentRunsExceededException", "1") and \
        int(retries[0][2]) <= 20, retries
    assert retries[1] == ("ThrottlingException", "2", "1000"), retries


def test_resource_limit_is_retried_in_the_client(probe, glue):
    # StartJobRun's ResourceNumberLimitExceededException (the account's
    # limit on concurrent runs or DPUs) proves no run started and clears
    # when other runs finish: retryable, and retried inside the client like
    # ConcurrentRunsExceededException. It used to be permanent (rc -1 after
    # one request).
    glue.faults.append({"op": "StartJobRun", "status": 400,
                        "code": "ResourceNumberLimitExceededException"})
    doc, err = run_probe(probe, ["glue-start", "hg-load"], genv(glue))
    assert doc["rc"] == 0, doc
    assert doc["run_id"] == "jr_0001"
    assert [d["code"] for d in retry_lines(err)] == ["ResourceNumberLimitExceededException"]
    assert len(glue.log) == 2 and len(glue.runs) == 1
    # When it never clears, the caller gets it as retryable (to back off
    # and at last dead-letter), not as a problem with the request.
    glue.faults += [{"op": "StartJobRun", "status": 400,
                     "code": "ResourceNumberLimitExceededException"}] * 2
    doc, _ = run_probe(probe, ["glue-start", "hg-load"], genv(glue, HG_PROBE_ATTEMPTS="2"))
    assert doc["rc"] == -1, doc
    assert doc["error"]["code"] == "ResourceNumberLimitExceededException"
    assert doc["error"]["class"] == "retryable"


def test_bad_signature_rejected(probe, glue):
    doc, _ = run_probe(probe, ["glue-get", "hg-load"], genv(glue, AWS_SECRET_ACCESS_KEY="nope"))
    assert doc["rc"] == -1
    assert doc["error"]["code"] == "SignatureDoesNotMatch"
    assert glue.sig_failures >= 1


def test_timeout_is_retryable(probe, glue):
    glue.faults += [{"op": "GetJob", "kind": "sleep", "seconds": 2}] * 2
    doc, _ = run_probe(probe, ["glue-get", "hg-load"],
                       genv(glue, HG_PROBE_ATTEMPTS="2", HG_PROBE_TIMEOUT_MS="500"))
    assert doc["rc"] == -1
    assert doc["error"]["code"] == "Timeout" and doc["error"]["class"] == "retryable"


def test_secrets_never_logged(probe, glue):
    """With debug logging and several retries, neither the secret, the
    session token, the signature nor the Authorization header reaches
    stderr or the printed error."""
    token = "SESSIONTOKEN-must-not-leak-123"
    glue.keyring.add("ASIALEAKTEST", SECRET, token)
    # Throttling: StartJobRun is retried only on failures proving no run
    # started (a 503 is returned to the caller at once).
    glue.faults += [{"op": "StartJobRun", "status": 400, "code": "ThrottlingException"}] * 2
    env = genv(glue, AWS_ACCESS_KEY_ID="ASIALEAKTEST", AWS_SESSION_TOKEN=token)
    doc, err = run_probe(probe, ["glue-start", "hg-load"], env)
    assert doc["rc"] == 0, doc
    assert len(retry_lines(err)) == 2   # the retries were logged ...
    sigs = [h["Authorization"].rsplit("Signature=", 1)[1] for m, p, h in glue.log]
    out = json.dumps(doc)
    for leak in [SECRET, token, "Authorization", "AWS4-HMAC-SHA256"] + sigs:
        assert leak not in err and leak not in out   # ... without secrets


def test_generic_call(probe, glue):
    doc, _ = run_probe(probe, ["glue-call", "GetJob", '{"JobName":"hg-load"}'], genv(glue))
    assert doc["rc"] == 0, doc
    assert json.loads(doc["response"]) == {"Job": {"Name": "hg-load"}}
    assert glue.log[-1][2]["X-Amz-Target"] == "AWSGlue.GetJob"
    doc, _ = run_probe(probe, ["glue-call", "Bad.Op"], genv(glue))
    assert doc["rc"] == -1 and doc["error"]["code"] == "InvalidInputException"
    doc, _ = run_probe(probe, ["glue-call", "GetJobRuns", '{"JobName":"x"}'], genv(glue))
    assert doc["rc"] == -1 and doc["error"]["code"] == "UnknownOperationException"


def test_deeply_nested_answers_are_refused(probe, glue):
    # An answer nested far deeper than any Glue answer, but under the
    # response cap (1 MiB), is refused by the parser's depth limit (64) — an
    # unbounded tree parse and free used to run out of stack and kill the
    # process (the worker then died on every retry of the record).
    deep = b"[" * 400000 + b"]" * 400000
    glue.faults.append({"op": "GetJob", "kind": "body", "status": 400,
                        "body": b'{"__type":"ValidationException","x":' + deep + b"}"})
    doc, err = run_probe(probe, ["glue-get", "hg-load"], genv(glue))
    assert doc is not None, "the probe died: " + err[-300:]
    assert doc["rc"] == -1, doc
    assert doc["error"]["status"] == 400 and doc["error"]["class"] == "permanent", doc
    glue.faults.append({"op": "StartJobRun", "kind": "body", "status": 200,
                        "body": b'{"JobRunId":"jr_1","x":' + deep + b"}"})
    doc, err = run_probe(probe, ["glue-start", "hg-load"], genv(glue))
    assert doc is not None, "the probe died: " + err[-300:]
    assert doc["rc"] == -1, doc
    assert doc["error"]["code"] == "BadResponse", doc


def test_clock_skew_corrected_start_job_run_retried(probe, glue):
    """Glue's clock 20 min ahead: 403 InvalidSignatureException "Signature
    expired" proves no run started, so StartJobRun is retried, signed on the
    server's clock (taken from the answer's Date), and starts one run."""
    glue.clock_offset = 20 * 60
    doc, err = run_probe(probe, ["glue-start", "hg-load"], genv(glue))
    assert doc["rc"] == 0, doc
    assert abs(doc["skew"] - 1200) <= 2, doc
    assert len(glue.log) == 2 and glue.sig_failures == 1 and len(glue.runs) == 1
    assert [r["code"] for r in retry_lines(err)] == ["InvalidSignatureException"]
