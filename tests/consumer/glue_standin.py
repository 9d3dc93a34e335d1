"""glue_standin.py — a local AWS Glue (JSON 1.1) stand-in for the consumer's
tests: GetJob, StartJobRun and GetJobRuns, every request's SigV4 signature
recomputed with botocore and refused (403) when it differs. Fault modes per
operation ("ConcurrentRunsExceededException", "ThrottlingException", "500",
"EntityNotFoundException", "delay:S"), a gate that holds a call, and a
record of every run started.
"""
import json
import time
from http.server import BaseHTTPRequestHandler

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from standin_base import StandinBase


def verify_sigv4(method, url, headers, body, secrets):
    """Recompute the Authorization header with botocore. Returns None when
    it matches, else a reason."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no SigV4 Authorization header"
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    akid, date, region, service, term = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return "host and x-amz-date must be signed"
    secret = secrets.get(akid)
    if secret is None:
        return "unknown access key"
    req = AWSRequest(method=method, url=url, data=body,
                     headers={h: headers[h] for h in signed if h in headers})
    req.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(Credentials(akid, secret, headers.get("x-amz-security-token")),
                       service, region)
    creq = signer.canonical_request(req)
    sts = signer.string_to_sign(req, creq)
    want = signer.signature(sts, req)
    if want != fields["Signature"]:
        return "signature mismatch"
    return None


class GlueStandin(StandinBase):
    """Faults per operation ("StartJobRun", "GetJob", "GetJobRuns"): an
    error code such as "ConcurrentRunsExceededException" (400),
    "EntityNotFoundException" (404), "500"/"503", or "delay:S" (answer
    normally after S seconds). Gates by operation."""

    def __init__(self, secrets, jobs=()):
        self.secrets = dict(secrets)
        self.jobs = set(jobs)
        self.runs = []           # dict(JobName, Arguments, JobRunId)
        super().__init__(self._handler())

    def _handler(self):
        glue = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _reply(self, status, obj, err=None):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("x-amzn-RequestId", "req-1")
                if err:
                    self.send_header("x-amzn-ErrorType", err)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass        # the client gave up (its timeout)

            def _error(self, status, code, msg):
                return self._reply(status, {"__type": code, "message": msg}, code)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                target = headers.get("x-amz-target", "")
                op = target.split(".", 1)[1] if target.startswith("AWSGlue.") else target
                url = "http://%s%s" % (headers.get("host"), self.path)
                with glue.lock:
                    glue.requests.append(dict(op=op, headers=headers, body=body, time=time.time()))
                bad = verify_sigv4("POST", url, headers, body, glue.secrets)
                if bad:
                    return self._error(403, "InvalidSignatureException", bad)
                if headers.get("content-type") != "application/x-amz-json-1.1":
                    return self._error(400, "SerializationException", "wrong content type")
                glue.pass_gate(lambda key: key == op)
                fault = glue.next_fault(op)
                if fault and fault.startswith("delay:"):
                    time.sleep(float(fault[len("delay:"):]))
                    fault = None
                started_then = fault and fault.startswith("started-then-")
                if started_then:    # act on the call, then answer as if it failed
                    fault = fault[len("started-then-"):]
                if fault in ("500", "503") and not started_then:
                    return self._error(int(fault), "InternalServiceException", "stand-in fault")
                if fault and not started_then:
                    status = 404 if fault == "EntityNotFoundException" else 400
                    return self._error(status, fault, "stand-in fault")
                req = json.loads(body or b"{}")
                if op == "GetJob":
                    if req.get("JobName") not in glue.jobs:
                        return self._error(400, "EntityNotFoundException", "Job not found")
                    return self._reply(200, {"Job": {"Name": req["JobName"]}})
                if op == "StartJobRun":
                    if req.get("JobName") not in glue.jobs:
                        return self._error(400, "EntityNotFoundException", "Job not found")
                    with glue.lock:
                        rid = "jr_%04d" % (len(glue.runs) + 1)
                        glue.runs.append(dict(JobName=req["JobName"],
                                              Arguments=req.get("Arguments", {}), JobRunId=rid))
                    if started_then:
                        return self._error(int(fault), "InternalServiceException", "stand-in fault")
                    return self._reply(200, {"JobRunId": rid})
                if op == "GetJobRuns":
                    runs = [dict(Id=r["JobRunId"], JobName=r["JobName"], Arguments=r["Arguments"],
                                 JobRunState="RUNNING")
                            for r in glue.runs if r["JobName"] == req.get("JobName")]
                    return self._reply(200, {"JobRuns": runs})
                return self._error(400, "UnknownOperationException", op)

        return H
