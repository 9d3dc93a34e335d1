"""test_msk_iam.py — the MSK IAM OAUTHBEARER token: base64url (no padding)
of a presigned kafka-cluster:Connect URL whose signature botocore's
SigV4QueryAuth reproduces for the same credentials, region and time (the
method of aws-msk-iam-sasl-signer-python)."""

import base64
import time
import urllib.parse

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import AKID, SECRET, run_probe

NOW = 1763800000
NOW_AMZ = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(NOW))


def boto_presign(region, token):
    """SigV4QueryAuth.add_auth at NOW. add_auth stamps request.context
    ["timestamp"] from the wall clock (utcnow() in botocore 1.29,
    now(timezone.utc) later), so its steps are run here with the timestamp
    set: the X-Amz-Date parameter, scope and signing key all read it."""
    url = "https://kafka.%s.amazonaws.com/?Action=kafka-cluster%%3AConnect" % region
    req = AWSRequest(method="GET", url=url)
    signer = SigV4QueryAuth(Credentials(AKID, SECRET, token), "kafka-cluster", region, expires=900)
    req.context["timestamp"] = NOW_AMZ
    signer._modify_request_before_signing(req)
    creq = signer.canonical_request(req)
    signer._inject_signature_to_request(req, signer.signature(signer.string_to_sign(req, creq), req))
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(req.url).query)
    assert q["X-Amz-Date"] == [NOW_AMZ]   # the pinned time was used
    return q


def decode(tok):
    assert "=" not in tok and "+" not in tok and "/" not in tok
    return base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)).decode()


def check(probe, token):
    env = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
    if token:
        env["AWS_SESSION_TOKEN"] = token
    doc, err = run_probe(probe, ["msk-token", "eu-west-1", str(NOW)], env)
    assert doc["rc"] == 0, doc
    assert doc["lifetime_ms"] == (NOW + 900) * 1000
    url = decode(doc["token"])
    parts = urllib.parse.urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "kafka.eu-west-1.amazonaws.com"
    assert parts.path == "/"
    q = urllib.parse.parse_qs(parts.query)
    want = boto_presign("eu-west-1", token)
    assert q["Action"] == ["kafka-cluster:Connect"]
    assert q["X-Amz-Signature"] == want["X-Amz-Signature"]
    for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
              "X-Amz-SignedHeaders"):
        assert q[k] == want[k], k
    assert q["X-Amz-Expires"] == ["900"]
    assert q["User-Agent"][0].startswith("hookgate/")
    if token:
        assert q["X-Amz-Security-Token"] == [token]
    assert SECRET not in err and doc["token"] not in err




def test_token_long_term_keys(probe):
    check(probe, None)


def test_token_session_credentials(probe):
    check(probe, "FwoGZXIvYXdzEJr//////////wEaDO+session/token==")
