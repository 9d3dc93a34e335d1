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


def test_token_lifetime_capped_by_credentials_expiry(keyring, probe):
    """Temporary credentials that expire within the 900 s of a token: the
    lifetime handed to librdkafka is their Expiration, not now + 900 s
    (so librdkafka refreshes before the signing credentials are gone); with
    credentials that outlive it, it stays now + 900 s."""
    import standins
    srv = standins.start("container", keyring, expect_auth=None, creds_path="/creds")
    try:
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.url + "/creds",
               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
        for n, lifetime in ((1, 400), (2, 3600)):
            srv.lifetime = lifetime
            now = int(time.time())
            doc, err = run_probe(probe, ["msk-token", "eu-west-1", str(now)], env)
            assert doc["rc"] == 0, doc
            akid = "ASIACTR%05d" % n
            expires = int(keyring.get(akid)[2])      # as sent: whole seconds
            assert akid in decode(doc["token"])
            if lifetime < 900:
                assert doc["lifetime_ms"] == expires * 1000 < (now + 900) * 1000, (doc, now)
            else:
                assert doc["lifetime_ms"] == (now + 900) * 1000, (doc, now)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(decode(doc["token"])).query)
            assert q["X-Amz-Expires"] == ["900"]
            assert "secret-ASIACTR" not in err and doc["token"] not in err
    finally:
        srv.stop()
