"""standins.py — local stand-ins for AWS endpoints on 127.0.0.1 that check
every request's SigV4 signature with botocore (the independent
implementation) before answering: an S3 proxy in front of s3rver, Glue,
STS (AssumeRoleWithWebIdentity), IMDSv2 and the container credentials
endpoint. Each server can be told to inject faults (HTTP errors, timeouts,
truncated bodies, expired credentials)."""

import datetime
import email.utils
import hashlib
import hmac
import http.client
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
    r"SignedHeaders=([a-z0-9;\-]+), Signature=([0-9a-f]{64})$")


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Keyring:
    """Credentials the stand-ins accept: akid -> (secret, token, expires)."""

    def __init__(self):
        self.keys = {}
        self.lock = threading.Lock()

    def add(self, akid, secret, token=None, expires=None):
        with self.lock:
            self.keys[akid] = (secret, token, expires)

    def expire(self, akid):
        with self.lock:
            s, t, _ = self.keys[akid]
            self.keys[akid] = (s, t, time.time() - 1)

    def revoke(self, akid):
        """The key's session token stops being accepted (InvalidToken)."""
        with self.lock:
            s, t, e = self.keys[akid]
            self.keys[akid] = (s, "revoked-" + (t or ""), e)

    def get(self, akid):
        with self.lock:
            return self.keys.get(akid)


class SigError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def verify_sigv4(method, raw_path, headers, body, keyring, service, s3, now=None):
    """Recompute the request's signature with botocore; raise SigError.
    now is the server's clock (default: this host's)."""
    now = time.time() if now is None else now
    auth = headers.get("Authorization")
    if not auth:
        raise SigError(403, "MissingAuthenticationToken", "no Authorization header")
    m = AUTH_RE.match(auth)
    if not m:
        raise SigError(400, "InvalidArgument", "malformed Authorization header")
    akid, date8, region, svc, signed, sig = m.groups()
    if svc != service:
        raise SigError(403, "SignatureDoesNotMatch", "wrong service in the scope: " + svc)
    entry = keyring.get(akid)
    if entry is None:
        raise SigError(403, "InvalidAccessKeyId", "unknown access key")
    secret, token, expires = entry
    amz_date = headers.get("X-Amz-Date", "")
    if not amz_date.startswith(date8):
        raise SigError(403, "SignatureDoesNotMatch", "scope date differs from X-Amz-Date")
    t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    if abs(t.timestamp() - now) > 900:
        if s3:
            raise SigError(403, "RequestTimeTooSkewed",
                           "The difference between the request time and the current time is too large.")
        raise SigError(403, "InvalidSignatureException",
                       "Signature expired: %s is now earlier than %s (%s - 5 min.)" % (
                           amz_date, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now - 300)),
                           time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))))
    if token is not None and headers.get("X-Amz-Security-Token") != token:
        raise SigError(403, "InvalidToken", "missing or wrong session token")
    if expires is not None and time.time() >= expires:
        raise SigError(400 if s3 else 403, "ExpiredToken" if s3 else "ExpiredTokenException",
                       "The security token included in the request is expired")
    names = signed.split(";")
    if "host" not in names or "x-amz-date" not in names:
        raise SigError(403, "SignatureDoesNotMatch", "host and x-amz-date must be signed")
    if token is not None and "x-amz-security-token" not in names:
        raise SigError(403, "SignatureDoesNotMatch", "the session token must be signed")
    req = AWSRequest(method=method, url="http://" + headers["Host"] + raw_path, data=body)
    for n in names:
        vals = headers.get_all(n) or []
        if not vals:
            raise SigError(403, "SignatureDoesNotMatch", "signed header missing: " + n)
        for v in vals:
            req.headers[n] = v
    if s3:
        ph = headers.get("x-amz-content-sha256")
        if not ph:
            raise SigError(400, "InvalidRequest", "missing x-amz-content-sha256")
        if ph != "UNSIGNED-PAYLOAD" and ph != hashlib.sha256(body).hexdigest():
            raise SigError(400, "XAmzContentSHA256Mismatch", "payload hash mismatch")
    signer = (S3SigV4Auth if s3 else SigV4Auth)(Credentials(akid, secret, token), service, region)
    req.context["timestamp"] = amz_date
    creq = signer.canonical_request(req)
    sts = signer.string_to_sign(req, creq)
    want = signer.signature(sts, req)
    if not hmac.compare_digest(want, sig):
        raise SigError(403, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match")
    return akid


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler, keyring):
        super().__init__(("127.0.0.1", 0), handler)
        self.keyring = keyring
        self.faults = []          # consumed in order: dicts, see Handler.fault
        self.log = []             # (method, path, headers-dict) of every request
        self.connections = 0
        self.clock_offset = 0     # seconds this server's clock is ahead of the host's
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def take_fault(self, op):
        with self.lock:
            for i, f in enumerate(self.faults):
                if f.get("op") in (None, op):
                    return self.faults.pop(i)
        return None

    def stop(self):
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    service = "none"

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, fmt, *args):
        pass

    def clock(self):
        """This server's clock: the host's + clock_offset."""
        return time.time() + self.server.clock_offset

    def date_time_string(self, timestamp=None):
        """The Date header of every answer tells this server's clock."""
        return email.utils.formatdate(self.clock() if timestamp is None else timestamp, usegmt=True)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, body=b"", ctype="application/xml", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "REQ123")
        self.send_header("x-amzn-RequestId", "REQ123")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fault(self, op, error_body):
        """Apply an injected fault; True when the request was answered."""
        f = self.server.take_fault(op)
        if not f:
            return False
        kind = f.get("kind", "status")
        if kind == "sleep":
            time.sleep(f["seconds"])
            return False if f.get("then_answer") else self._drop()
        if kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            self.close_connection = True
            return True
        if kind == "body":      # this status with exactly this body (a malformed answer)
            self.send(f["status"], f["body"], f.get("ctype", "application/x-amz-json-1.1"))
            return True
        hdrs = {}
        if "retry_after" in f:
            hdrs["Retry-After"] = str(f["retry_after"])
        self.send(f["status"], error_body(f.get("code", "InternalError"), "injected"),
                  headers=hdrs)
        return True

    def apply_expiry(self, op):
        """An "expire" fault marks a key expired before this request is
        verified (credentials that run out mid-run); a "revoke" fault makes
        its session token invalid (InvalidToken)."""
        with self.server.lock:
            for i, f in enumerate(self.server.faults):
                if f.get("kind") in ("expire", "revoke") and f.get("op") in (None, op):
                    self.server.faults.pop(i)
                    break
            else:
                return
        if f["kind"] == "expire":
            self.server.keyring.expire(f["akid"])
        else:
            self.server.keyring.revoke(f["akid"])

    def _drop(self):
        self.close_connection = True
        return True

    def record(self):
        with self.server.lock:
            self.server.log.append((self.command, self.path, dict(self.headers.items())))


def s3_error(code, message):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
            "<RequestId>REQ123</RequestId></Error>" % (code, message)).encode()


class S3Proxy(Handler):
    """Verifies SigV4 with botocore's S3SigV4Auth, adds the conditional
    writes s3rver lacks (If-None-Match: * create-once; If-Match: <etag>
    replace-if-unchanged, 404 NoSuchKey when there is no object), then
    forwards to s3rver."""
    service = "s3"

    def op(self):
        q = urllib.parse.urlsplit(self.path).query
        if self.command == "POST" and q.startswith("uploads"):
            return "initiate"
        if self.command == "POST" and "uploadId=" in q:
            return "complete"
        if self.command == "PUT" and "partNumber=" in q:
            return "part"
        if self.command == "DELETE" and "uploadId=" in q:
            return "abort"
        return self.command.lower()

    def handle_any(self):
        self.record()
        body = self.body()
        op = self.op()
        self.apply_expiry(op)
        try:
            verify_sigv4(self.command, self.path, self.headers, body, self.server.keyring, "s3", True,
                         now=self.clock())
        except SigError as e:
            self.server.sig_failures += 1
            return self.send(e.status, s3_error(e.code, e.message))
        if self.fault(op, s3_error):
            return
        f = self.server.take_fault("complete-200-error") if op == "complete" else None
        want = self.headers.get("If-Match")
        if (self.headers.get("If-None-Match") == "*" or want) and op in ("put", "complete"):
            path = urllib.parse.urlsplit(self.path).path
            st, hdrs, _ = self.forward("HEAD", path, b"", {})
            etag = dict((k.lower(), v) for k, v in hdrs).get("etag")
            if want and st != 200:
                return self.send(404, s3_error("NoSuchKey", "The specified key does not exist."))
            if (want and want != etag) or (not want and st == 200):
                return self.send(412, s3_error("PreconditionFailed",
                                               "At least one of the pre-conditions you specified did not hold"))
        if f:
            # S3 answered 200, kept the connection alive with whitespace,
            # then failed: the body is an <Error>.
            return self.send(200, b"  \n  " + s3_error(f.get("code", "InternalError"),
                                                      "We encountered an internal error"))
        fwd = {k: v for k, v in self.headers.items()
               if k.lower() in ("content-type", "content-length", "range")}
        st, hdrs, rbody = self.forward(self.command, self.path, body, fwd)
        keep = {k: v for k, v in hdrs if k.lower() in ("etag", "last-modified", "content-type",
                                                    "x-amz-error-code", "x-amz-error-message")}
        if self.command == "HEAD":
            self.send_response(st)
            for k, v in keep.items():
                self.send_header(k, v)
            self.send_header("Content-Length", dict((k.lower(), v) for k, v in hdrs).get("content-length", "0"))
            self.send_header("x-amz-request-id", "REQ123")
            self.end_headers()
            return
        ctype = keep.pop("Content-Type", keep.pop("content-type", "application/xml"))
        self.send(st, rbody, ctype=ctype, headers=keep)

    def forward(self, method, path, body, headers):
        c = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=30)
        try:
            c.request(method, path, body=body if method not in ("HEAD", "GET") else None,
                      headers=headers)
            r = c.getresponse()
            data = r.read()
            return r.status, r.getheaders(), data
        finally:
            c.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def glue_error(code, message):
    return json.dumps({"__type": code, "message": message}).encode()


class Glue(Handler):
    """Verifies SigV4 (service glue) with botocore; StartJobRun and GetJob."""
    service = "glue"

    def do_POST(self):
        self.record()
        body = self.body()
        self.apply_expiry(self.headers.get("X-Amz-Target", "").split(".")[-1])
        try:
            verify_sigv4("POST", self.path, self.headers, body, self.server.keyring, "glue", False,
                         now=self.clock())
        except SigError as e:
            self.server.sig_failures += 1
            return self.send(e.status, glue_error(e.code, e.message), "application/x-amz-json-1.1")
        target = self.headers.get("X-Amz-Target", "")
        if self.headers.get("Content-Type") != "application/x-amz-json-1.1":
            return self.send(400, glue_error("SerializationException", "bad content type"),
                             "application/x-amz-json-1.1")
        op = target.split(".")[-1]
        if self.fault(op, lambda c, m: glue_error(c, m)):
            return
        try:
            req = json.loads(body)
        except ValueError:
            return self.send(400, glue_error("SerializationException", "bad JSON"))
        job = req.get("JobName")
        if target == "AWSGlue.GetJob":
            if job not in self.server.jobs:
                return self.send(400, glue_error("com.amazonaws.glue#EntityNotFoundException",
                                                 "Job %s not found" % job), "application/x-amz-json-1.1")
            return self.send(200, json.dumps({"Job": {"Name": job}}).encode(), "application/x-amz-json-1.1")
        if target == "AWSGlue.StartJobRun":
            if job not in self.server.jobs:
                return self.send(400, glue_error("EntityNotFoundException", "Job %s not found" % job),
                                 "application/x-amz-json-1.1")
            with self.server.lock:
                self.server.runs.append(req)
                rid = "jr_%04d" % len(self.server.runs)
            return self.send(200, json.dumps({"JobRunId": rid}).encode(), "application/x-amz-json-1.1")
        self.send(400, glue_error("UnknownOperationException", target), "application/x-amz-json-1.1")


class Sts(Handler):
    """AssumeRoleWithWebIdentity (unsigned Query API over POST)."""

    def do_POST(self):
        self.record()
        body = self.body().decode()
        p = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        if self.fault("AssumeRoleWithWebIdentity", lambda c, m: sts_error(c, m)):
            return
        if "Authorization" in self.headers:
            return self.send(400, sts_error("InvalidParameterValue", "must be unsigned"))
        if (p.get("Action") != "AssumeRoleWithWebIdentity" or p.get("Version") != "2011-06-15"
                or p.get("RoleArn") != self.server.role_arn or not p.get("RoleSessionName")):
            return self.send(400, sts_error("InvalidParameterValue", "bad parameters"))
        if p.get("WebIdentityToken") != self.server.expect_token:
            return self.send(400, sts_error("InvalidIdentityToken", "token rejected"))
        with self.server.lock:
            self.server.issued += 1
            n = self.server.issued
        akid, secret, token = "ASIAWEB%05d" % n, "websecret%d" % n, "webtoken%d" % n
        exp = time.time() + self.server.lifetime
        self.server.keyring.add(akid, secret, token, exp)
        xml = ("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
               "<AssumeRoleWithWebIdentityResult><Credentials>"
               "<AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
               "<SessionToken>%s</SessionToken><Expiration>%s</Expiration>"
               "</Credentials></AssumeRoleWithWebIdentityResult>"
               "</AssumeRoleWithWebIdentityResponse>" % (akid, secret, token, iso(exp)))
        self.send(200, xml.encode(), "text/xml")


def sts_error(code, message):
    return ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
            "</ErrorResponse>" % (code, message)).encode()


class CredsIssuer:
    """Mixin: mint fresh temporary credentials into the keyring."""

    def mint(self, prefix):
        with self.server.lock:
            self.server.issued += 1
            n = self.server.issued
        akid, secret, token = "%s%05d" % (prefix, n), "secret-%s-%d" % (prefix, n), "token-%s-%d" % (prefix, n)
        exp = time.time() + self.server.lifetime
        self.server.keyring.add(akid, secret, token, exp)
        return {"AccessKeyId": akid, "SecretAccessKey": secret, "Token": token,
                "Expiration": iso(exp)}


class Container(Handler, CredsIssuer):
    """ECS / EKS Pod Identity credentials endpoint."""

    def do_GET(self):
        self.record()
        if self.fault("creds", lambda c, m: json.dumps({"code": c, "message": m}).encode()):
            return
        if self.server.expect_auth is not None and self.headers.get("Authorization") != self.server.expect_auth:
            return self.send(401, b'{"message":"bad authorization"}', "application/json")
        if urllib.parse.urlsplit(self.path).path != self.server.creds_path:
            return self.send(404, b"{}", "application/json")
        c = self.mint("ASIACTR")
        c["RoleArn"] = "arn:aws:iam::123456789012:role/test"
        self.send(200, json.dumps(c).encode(), "application/json")


class Imds(Handler, CredsIssuer):
    """EC2 IMDSv2: token PUT, role listing, role credentials."""

    def do_PUT(self):
        self.record()
        self.body()
        if self.path != "/latest/api/token":
            return self.send(404, b"", "text/plain")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.send(400, b"", "text/plain")
        self.send(200, self.server.session_token.encode(), "text/plain")

    def do_GET(self):
        self.record()
        if self.headers.get("X-aws-ec2-metadata-token") != self.server.session_token:
            return self.send(401, b"", "text/plain")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.send(200, b"hookgate-role", "text/plain")
        if self.path == base + "hookgate-role":
            c = self.mint("ASIAIMDS")
            c.update({"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": iso(time.time())})
            return self.send(200, json.dumps(c).encode(), "text/plain")
        self.send(404, b"", "text/plain")


def start(kind, keyring, **attrs):
    handler = {"s3": S3Proxy, "glue": Glue, "sts": Sts, "container": Container, "imds": Imds}[kind]
    srv = Server(handler, keyring)
    srv.sig_failures = 0
    srv.issued = 0
    srv.lifetime = 3600
    srv.jobs = set()
    srv.runs = []
    for k, v in attrs.items():
        setattr(srv, k, v)
    return srv
