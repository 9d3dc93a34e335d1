"""test_creds.py — the credential chain through hg-aws-probe against local
stand-ins: web identity (STS AssumeRoleWithWebIdentity), container
credentials (full URI, token and token file), IMDSv2; caching, refresh
before expiry, and one clear error naming every source tried."""

import hashlib

import pytest

import standins
from conftest import AKID, SECRET, run_probe


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


@pytest.fixture
def ring():
    return standins.Keyring()


def no_env_creds(**extra):
    env = {"AWS_REGION": "eu-west-1", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/c",
           "AWS_CONFIG_FILE": "/nonexistent/f"}
    env.update(extra)
    return env


def test_environment(probe):
    doc, err = run_probe(probe, ["creds"], no_env_creds(AWS_ACCESS_KEY_ID=AKID,
                                                        AWS_SECRET_ACCESS_KEY=SECRET,
                                                        AWS_SESSION_TOKEN="tok"))
    g = doc["gets"][0]
    assert g["source"] == "environment" and g["access_key_id"] == AKID
    assert g["secret_sha256"] == sha(SECRET) and g["token_sha256"] == sha("tok")
    assert SECRET not in err


def test_web_identity(probe, ring, tmp_path):
    tok = tmp_path / "token"
    tok.write_text("eyJhbGciOiJSUzI1NiJ9.web-identity-token.sig\n")
    sts = standins.start("sts", ring, role_arn="arn:aws:iam::123456789012:role/hg",
                         expect_token="eyJhbGciOiJSUzI1NiJ9.web-identity-token.sig")
    try:
        env = no_env_creds(AWS_WEB_IDENTITY_TOKEN_FILE=str(tok),
                           AWS_ROLE_ARN="arn:aws:iam::123456789012:role/hg",
                           AWS_ENDPOINT_URL_STS=sts.url)
        doc, err = run_probe(probe, ["creds", "2"], env)
        g = doc["gets"]
        assert g[0]["source"] == "web-identity", doc
        assert g[0]["access_key_id"] == "ASIAWEB00001"
        assert g[0]["secret_sha256"] == sha("websecret1") and g[0]["token_sha256"] == sha("webtoken1")
        assert g[1]["access_key_id"] == "ASIAWEB00001"   # cached
        assert sts.issued == 1
        assert len(sts.log) == 1 and sts.log[0][0] == "POST"
        # Short-lived credentials are refreshed before they expire (ones
        # already inside the 300 s window at most every 5 s), and the token
        # file is re-read each time.
        sts.lifetime = 120
        tok.write_text("rotated-token")
        sts.expect_token = "rotated-token"
        doc, _ = run_probe(probe, ["creds", "3", "3000"], env)
        assert [x["access_key_id"] for x in doc["gets"]] == \
            ["ASIAWEB00002", "ASIAWEB00002", "ASIAWEB00003"], doc
        # A rejected token: the error names the source and STS's code.
        sts.expect_token = "something-else"
        doc, err = run_probe(probe, ["creds"], env)
        e = doc["gets"][0]["error"]
        assert "web-identity" in e and "InvalidIdentityToken" in e, e
        assert "rotated-token" not in e and "rotated-token" not in err
    finally:
        sts.stop()


def test_container_full_uri_and_token_file(probe, ring, tmp_path):
    tf = tmp_path / "eks-token"
    tf.write_text("pod-identity-token-1\n")
    srv = standins.start("container", ring, expect_auth="pod-identity-token-1",
                         creds_path="/v1/credentials")
    try:
        env = no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/v1/credentials",
                           AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tf))
        doc, err = run_probe(probe, ["creds"], env)
        g = doc["gets"][0]
        assert g["source"] == "container", doc
        assert g["access_key_id"] == "ASIACTR00001" and g["has_token"]
        assert srv.log[0][2].get("Authorization") == "pod-identity-token-1"
        assert "pod-identity-token-1" not in err
        # Token given directly instead of a file.
        srv.expect_auth = "ecs-token"
        env2 = no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/v1/credentials",
                            AWS_CONTAINER_AUTHORIZATION_TOKEN="ecs-token")
        doc, _ = run_probe(probe, ["creds"], env2)
        assert doc["gets"][0]["source"] == "container"
        # A wrong token: a clear error, no fall-through to IMDS.
        doc, _ = run_probe(probe, ["creds"], env)
        e = doc["gets"][0]["error"]
        assert "container: HTTP 401" in e and "imds" not in e, e
    finally:
        srv.stop()


def test_container_500_is_retried(probe, ring):
    srv = standins.start("container", ring, expect_auth=None, creds_path="/creds")
    try:
        srv.faults.append({"status": 500})
        doc, _ = run_probe(probe, ["creds"], no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/creds"))
        assert doc["gets"][0]["source"] == "container", doc
        assert len(srv.log) == 2
    finally:
        srv.stop()


def test_imds_v2(probe, ring):
    srv = standins.start("imds", ring, session_token="imds-session-token")
    try:
        env = no_env_creds(AWS_EC2_METADATA_DISABLED=None,
                           AWS_EC2_METADATA_SERVICE_ENDPOINT=srv.url)
        doc, err = run_probe(probe, ["creds"], env)
        g = doc["gets"][0]
        assert g["source"] == "imds", doc
        assert g["access_key_id"] == "ASIAIMDS00001"
        methods = [(m, p) for m, p, h in srv.log]
        assert methods[0] == ("PUT", "/latest/api/token")
        assert srv.log[0][2]["X-aws-ec2-metadata-token-ttl-seconds"] == "21600"
        assert all(h.get("X-aws-ec2-metadata-token") == "imds-session-token" for m, p, h in srv.log[1:])
        assert "imds-session-token" not in err
    finally:
        srv.stop()


def test_nothing_configured_names_every_source(probe):
    env = no_env_creds(AWS_EC2_METADATA_DISABLED=None,
                       AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:9")
    doc, _ = run_probe(probe, ["creds"], env)
    e = doc["gets"][0]["error"]
    for name in ("environment:", "web-identity:", "shared-file:", "container:", "imds:"):
        assert name in e, e
    assert doc["rc"] == -1


def test_expired_credentials_mid_run(probe, ring, glue, tmp_path):
    """Glue rejects the container's first credentials as expired; the client
    drops its cache, fetches new ones and the call succeeds."""
    srv = standins.start("container", glue.keyring, expect_auth=None, creds_path="/creds")
    try:
        env = no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/creds",
                           AWS_ENDPOINT_URL_GLUE=glue.url, HG_PROBE_BASE_MS="10")
        glue.faults.append({"op": "StartJobRun", "kind": "expire", "akid": "ASIACTR00001"})
        doc, err = run_probe(probe, ["glue-start", "hg-load", "--k", "v"], env)
        assert doc["rc"] == 0, doc
        assert srv.issued == 2
        auths = [h["Authorization"] for m, p, h in glue.log]
        assert "ASIACTR00001" in auths[0] and "ASIACTR00002" in auths[1]
        assert "ExpiredTokenException" in err
        for leak in ("secret-ASIACTR", "token-ASIACTR", "Signature="):
            assert leak not in err
    finally:
        srv.stop()


def test_threads_share_one_provider(probe, ring):
    """8 threads on one provider whose credentials always need refreshing
    (lifetime under the refresh margin): every get succeeds, and refreshes
    are serialised (one request per get at most)."""
    srv = standins.start("container", ring, expect_auth=None, creds_path="/creds", lifetime=120)
    try:
        doc, _ = run_probe(probe, ["creds-threads", "8", "5"],
                           no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/creds"))
        assert doc["rc"] == 0 and doc["failures"] == 0, doc
        assert doc["source"] == "container"
        assert 1 <= srv.issued <= 40
        assert srv.connections == 1   # one refresh at a time: the connection is reused
    finally:
        srv.stop()


def test_cached_credentials_served_while_one_thread_refreshes(probe, ring):
    """Still-valid credentials inside the early-refresh window: while one
    thread refreshes (a slow endpoint), the others get the cached set
    instead of queueing behind it, and the first fetch is shared by all."""
    srv = standins.start("container", ring, expect_auth=None, creds_path="/creds", lifetime=120)
    srv.faults += [{"op": "creds", "kind": "sleep", "seconds": 0.3, "then_answer": True}] * 40
    try:
        doc, _ = run_probe(probe, ["creds-threads", "8", "5"],
                           no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/creds"))
        assert doc["rc"] == 0 and doc["failures"] == 0, doc
        # Serialised behind the lock this was 40 fetches (12 s); now the
        # first is shared and the refresher's own gets are the rest.
        assert 1 <= srv.issued <= 12, srv.issued
    finally:
        srv.stop()


def test_failed_refresh_backs_off_while_cached_valid(probe, ring):
    """An early refresh that fails keeps the cached credentials, and the
    chain is not tried again for 5 s while they are valid. Credentials that
    arrive already inside the early-refresh window (120 s left, the window
    is 300 s) are not fetched again for 5 s either."""
    srv = standins.start("container", ring, expect_auth=None, creds_path="/creds", lifetime=120)
    srv.faults += [{"op": "creds", "kind": "sleep", "seconds": 0, "then_answer": True},
                   {"op": "creds", "status": 403, "code": "AccessDenied"}]
    try:
        # gets at 0 (fetched: inside the window), 2 and 4 s (backing off), 6 s
        # (refresh fails), 8 and 10 s (backing off), 12 s (refreshes)
        doc, _ = run_probe(probe, ["creds", "7", "2000"],
                           no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/creds"))
        keys = [g.get("access_key_id") for g in doc["gets"]]
        assert keys == ["ASIACTR00001"] * 6 + ["ASIACTR00002"], doc
        assert len(srv.log) == 3, srv.log
    finally:
        srv.stop()


def test_credentials_inside_the_refresh_window_are_not_fetched_every_call(probe, ring):
    """A source that hands out credentials with less than the 300 s
    early-refresh margin left (IMDS renews 5 minutes before expiry) used to
    be asked again on every call."""
    srv = standins.start("container", ring, expect_auth=None, creds_path="/creds", lifetime=200)
    try:
        doc, _ = run_probe(probe, ["creds", "10", "100"],
                           no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/creds"))
        assert [g.get("access_key_id") for g in doc["gets"]] == ["ASIACTR00001"] * 10, doc
        assert len(srv.log) == 1, srv.log
    finally:
        srv.stop()


def test_container_uri_with_userinfo_refused(probe, ring):
    """http://169.254.170.2:1@elsewhere/ names the host after the '@' to
    libcurl: the plain-http allow-list must not be fooled by what comes
    before it (the pod's token would go to elsewhere in clear text)."""
    srv = standins.start("container", ring, expect_auth=None, creds_path="/creds")
    try:
        port = srv.url.rsplit(":", 1)[1]
        for url in ("http://169.254.170.2:1@127.0.0.1:%s/creds" % port,
                    "http://localhost@127.0.0.1:%s/creds" % port):
            doc, err = run_probe(probe, ["creds"], no_env_creds(AWS_CONTAINER_CREDENTIALS_FULL_URI=url,
                                                                AWS_CONTAINER_AUTHORIZATION_TOKEN="pod-token"))
            assert doc.get("rc") != 0 or "error" in doc["gets"][0], doc
            assert "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https" in (err + str(doc)), (doc, err)
        assert srv.log == [], srv.log
    finally:
        srv.stop()
