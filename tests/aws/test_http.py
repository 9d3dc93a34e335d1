"""test_http.py — the shared libcurl client (common/http_client.c) through
hg-aws-probe http-get: retries honour Retry-After, response caps, timeouts,
truncated bodies, and TLS verification that cannot be switched off."""

import os
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import run_probe


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or -1)
        body = self.rfile.read(n) if n > 0 else b""
        with self.server.lock:
            self.server.bodies.append((self.headers.get("Content-Length"),
                                       self.headers.get("Transfer-Encoding"),
                                       self.headers.get("Expect"), body))
            first = len(self.server.bodies) == 1
        st = 503 if first else 200
        self.send_response(st)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.hits += 1
            n = srv.hits
        script = srv.script[min(n, len(srv.script)) - 1]
        kind = script[0]
        if kind == "status":
            body = b"x" * script[2] if len(script) > 2 else b"busy"
            self.send_response(script[1])
            if len(script) > 3:
                self.send_header("Retry-After", script[3])
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"e%d"' % n)
            self.end_headers()
            self.wfile.write(body)
        elif kind == "sleep":
            time.sleep(script[1])
            self.close_connection = True
        elif kind == "redirect":
            body = b"this is the redirect's own body"
            self.send_response(302)
            self.send_header("Location", script[1])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"short")
            self.close_connection = True


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    srv.lock = threading.Lock()
    srv.hits = 0
    srv.script = [("status", 200, 10)]
    srv.bodies = []
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    srv.url = "http://127.0.0.1:%d/x" % srv.server_address[1]
    yield srv
    srv.shutdown()
    srv.server_close()


def test_retry_after_honoured(probe, server):
    server.script = [("status", 503, 4, "1"), ("status", 200, 10)]
    doc, _ = run_probe(probe, ["http-get", server.url, "--retry", "3"], {"HG_PROBE_BASE_MS": "1"})
    assert doc["result"] == "ok" and doc["status"] == 200 and doc["attempts"] == 2, doc
    assert doc["elapsed_ms"] >= 1000          # waited for Retry-After, not the 1 ms base
    assert doc["etag"] == '"e2"'              # response headers of the final answer


def test_non_retryable_status_not_retried(probe, server):
    server.script = [("status", 404, 3)]
    doc, _ = run_probe(probe, ["http-get", server.url, "--retry", "3"], {})
    assert doc["status"] == 404 and doc["attempts"] == 1


def test_response_cap(probe, server):
    server.script = [("status", 200, 5000)]
    doc, _ = run_probe(probe, ["http-get", server.url, "--max", "4096"], {})
    assert doc["result"] == "too-large", doc
    doc, _ = run_probe(probe, ["http-get", server.url, "--max", "5000"], {})
    assert doc["result"] == "ok" and doc["body_len"] == 5000


def test_timeout_and_truncation(probe, server):
    server.script = [("sleep", 2)]
    doc, _ = run_probe(probe, ["http-get", server.url, "--timeout-ms", "300"], {})
    assert doc["result"] == "timeout", doc
    assert doc["elapsed_ms"] < 1500
    server.hits = 0
    server.script = [("truncate",), ("status", 200, 7)]
    doc, _ = run_probe(probe, ["http-get", server.url, "--retry", "2"], {"HG_PROBE_BASE_MS": "1"})
    assert doc["result"] == "ok" and doc["attempts"] == 2 and doc["body_len"] == 7, doc


def test_tls_verification_on(probe, tmp_path):
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.lock, srv.hits, srv.script = threading.Lock(), 0, [("status", 200, 3)]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(crt), str(key))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        doc, _ = run_probe(probe, ["http-get", "https://127.0.0.1:%d/x" % srv.server_address[1]], {})
        assert doc["result"] == "tls", doc     # self-signed: refused
        assert srv.hits == 0
    finally:
        srv.shutdown()
        srv.server_close()


def test_streamed_upload_rewound_on_retry(probe, server, tmp_path):
    data = os.urandom(300000)
    f = tmp_path / "body"
    f.write_bytes(data)
    doc, _ = run_probe(probe, ["http-put", server.url, str(f), "3"], {"HG_PROBE_BASE_MS": "1"})
    assert doc["result"] == "ok" and doc["status"] == 200 and doc["attempts"] == 2, doc
    assert len(server.bodies) == 2
    for clen, te, expect, body in server.bodies:
        assert clen == str(len(data)) and te is None and expect is None
        assert body == data          # the retry re-sent the whole stream


def test_redirect_body_not_mixed_in(probe, server):
    server.script = [("redirect", "/y"), ("status", 200, 5)]
    doc, _ = run_probe(probe, ["http-get", server.url, "--follow", "1"], {})
    assert doc["result"] == "ok" and doc["status"] == 200, doc
    assert doc["body"] == "xxxxx" and doc["etag"] == '"e2"'
    server.hits = 0
    doc, _ = run_probe(probe, ["http-get", server.url], {})
    assert doc["status"] == 302 and doc["body"] == "this is the redirect's own body"


def test_error_text_leaves_out_the_url_user_part(probe, server):
    # An endpoint variable may carry user:password@; error texts name the
    # origin (scheme, host, port) only.
    server.script = [("sleep", 2)]
    url = server.url.replace("http://", "http://user:hunter2@") + "/path?q=1"
    doc, err = run_probe(probe, ["http-get", url, "--timeout-ms", "300"], {})
    assert doc["result"] == "timeout", doc
    text = str(doc) + err
    assert "hunter2" not in text and "user:" not in text, text
    assert server.url.rsplit("/", 1)[0] + ":" in text, text    # http://127.0.0.1:PORT: timeout
