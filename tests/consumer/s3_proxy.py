"""s3_proxy.py — a fault-injecting pass-through in front of s3rver for the
consumer's tests. Requests are forwarded byte for byte (the Host header
too, so SigV4 still verifies at s3rver); a fault rule answers instead with
an S3 error (e.g. PUT of a data key → 403 AccessDenied or 503 SlowDown, HEAD
→ 404). s3rver ignores `If-None-Match: *` and `If-Match: <etag>` on PUT, so
the proxy implements S3's conditional writes (412 PreconditionFailed when
the key exists, or for If-Match when its ETag differs; 404 NoSuchKey for
If-Match when there is no object), one at a time,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html.
conditions = False passes them through, as a store ignoring them would.
deny_missing makes a GET of a missing key 403 AccessDenied, as S3 answers a
role without s3:ListBucket.
Every request is recorded (method, path, headers)."""
import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from standin_base import StandinBase

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}


class S3Proxy(StandinBase):
    def __init__(self, upstream):
        u = urllib.parse.urlsplit(upstream)
        self.up_host, self.up_port = u.hostname, u.port
        self.rules = []          # [method, substring, status, code, remaining(-1 = forever)]
        self.create_lock = threading.Lock()
        self.deny_missing = False   # GET of a missing key → 403 AccessDenied (no s3:ListBucket)
        self.conditions = True      # False: conditional PUTs reach s3rver, which ignores them
        super().__init__(self._handler())

    def fault(self, method, substring, status, code, times=-1):
        with self.lock:
            self.rules.append([method, substring, status, code, times])

    def gate(self, method, substring):
        return super().gate((method, substring))

    def release_gate(self, method, substring):
        super().release_gate((method, substring))

    def _rule(self, method, path):
        with self.lock:
            for r in self.rules:
                if r[0] == method and r[1] in path and r[4] != 0:
                    if r[4] > 0:
                        r[4] -= 1
                    return r
        return None

    def _handler(self):
        proxy = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                path = urllib.parse.unquote(self.path)
                with proxy.lock:
                    proxy.requests.append(dict(method=self.command, path=path,
                                               headers={k.lower(): v for k, v in self.headers.items()}))
                proxy.pass_gate(lambda key: key[0] == self.command and key[1] in path)
                r = proxy._rule(self.command, path)
                if r:
                    xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
                           "<Message>injected by the test</Message></Error>" % r[3]).encode()
                    self.send_response(r[2])
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(xml)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(xml)
                    return
                c = http.client.HTTPConnection(proxy.up_host, proxy.up_port, timeout=60)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                conditional = self.headers.get("If-None-Match") == "*" or self.headers.get("If-Match")
                if self.command == "PUT" and conditional and proxy.conditions and "uploadId=" not in self.path:
                    with proxy.create_lock:
                        return self._conditional_put(c, hdrs, body)
                c.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST") else None,
                          headers=hdrs)
                resp = c.getresponse()
                data = resp.read()
                if proxy.deny_missing and self.command == "GET" and resp.status == 404:
                    # What S3 answers a role without s3:ListBucket on the bucket
                    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
                    c.close()
                    return self._error(403, "AccessDenied", "Access Denied")
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                if self.command == "HEAD":
                    cl = resp.getheader("Content-Length")
                    self.send_header("Content-Length", cl or "0")
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                c.close()

            def _error(self, status, code, message):
                """Answer as S3 does: an <Error> document."""
                xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
                       "<Message>%s</Message></Error>" % (code, message)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(xml)))
                self.end_headers()
                self.wfile.write(xml)

            def _conditional_put(self, c, hdrs, body):
                # HEAD is signed differently; ask s3rver's store through an
                # unsigned-safe route: s3rver accepts any HEAD without auth
                # checks on its default (non-strict) settings.
                h = http.client.HTTPConnection(proxy.up_host, proxy.up_port, timeout=60)
                h.request("HEAD", self.path.split("?")[0])
                head = h.getresponse()
                exists, etag = head.status == 200, head.getheader("ETag")
                h.close()
                want = self.headers.get("If-Match")
                if want and not exists:
                    return self._error(404, "NoSuchKey", "The specified key does not exist.")
                if (want and want != etag) or (not want and exists):
                    return self._error(412, "PreconditionFailed",
                                       "At least one of the pre-conditions you specified did not hold")
                c.request("PUT", self.path, body=body, headers=hdrs)
                resp = c.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                c.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        return H
