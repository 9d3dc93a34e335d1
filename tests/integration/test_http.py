# test_http.py — HTTP/1.1 connection behaviour: keep-alive, pipelining,
# Expect: 100-continue, slow clients cut off by --request-timeout-ms, idle
# keep-alive connections closed after --keepalive-timeout.
import http.client
import json
import socket
import time

from conftest import event_callback, post_event, request, sign

REQUEST_TIMEOUT_S = 0.8   # conftest.gateway: --request-timeout-ms 800
KEEPALIVE_S = 2           # conftest.gateway: --keepalive-timeout 2


def raw_event(doc, extra_headers=b""):
    body = json.dumps(doc).encode()
    h = sign(body)
    return (b"POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Type: application/json\r\n"
            b"X-Slack-Request-Timestamp: " + h["X-Slack-Request-Timestamp"].encode() + b"\r\n"
            b"X-Slack-Signature: " + h["X-Slack-Signature"].encode() + b"\r\n" + extra_headers +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def read_responses(sock, n, timeout=10):
    """Read n responses (Content-Length framed) from sock, in order."""
    sock.settimeout(timeout)
    buf = b""
    out = []
    while len(out) < n:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                return out, True
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        clen = int(headers.get("content-length", "0"))
        while len(buf) < clen:
            chunk = sock.recv(65536)
            if not chunk:
                return out, True
            buf += chunk
        out.append((int(lines[0].split()[1]), headers, buf[:clen]))
        buf = buf[clen:]
    return out, False


def closed_by_peer(sock, timeout):
    """True when the server closes the connection within timeout."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_keep_alive_several_requests_one_connection(gateway, reader):
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    conn.connect()
    local = conn.sock.getsockname()
    ids = []
    for i in range(5):
        doc = event_callback()
        ids.append(doc["event_id"])
        r = post_event(gateway.port, doc, conn=conn)
        assert r.status == 200, r
        assert r.headers.get("connection", "").lower() != "close"
        r = request(gateway.port, "GET", "/healthz", conn=conn)
        assert r.status == 200 and r.body == b"ok\n"
        assert conn.sock is not None and conn.sock.getsockname() == local, "connection was reopened"
    conn.close()
    for i in ids:
        assert len(reader.by_id(i)) == 1


def test_pipelining_two_requests_in_one_send(gateway, reader):
    d1, d2 = event_callback(), event_callback()
    s = socket.create_connection(("127.0.0.1", gateway.port))
    # an event (waits for Kafka), then a GET that could answer at once: order must hold
    s.sendall(raw_event(d1) + b"GET /nope HTTP/1.1\r\nHost: it\r\n\r\n" + raw_event(d2))
    out, closed = read_responses(s, 3)
    s.close()
    assert [o[0] for o in out] == [200, 404, 200], out
    assert json.loads(out[1][2])["error"] == "not_found"
    assert len(reader.by_id(d1["event_id"])) == 1
    assert len(reader.by_id(d2["event_id"])) == 1


def test_connection_close_is_honoured(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\nConnection: close\r\n\r\n")
    out, _ = read_responses(s, 1)
    assert out[0][0] == 200
    assert closed_by_peer(s, 2)
    s.close()
    # HTTP/1.0 without keep-alive closes too
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    out, _ = read_responses(s, 1)
    assert out[0][0] == 200
    assert closed_by_peer(s, 2)
    s.close()


def test_expect_100_continue(gateway, reader):
    doc = event_callback()
    req = raw_event(doc, b"Expect: 100-continue\r\n")
    head, _, body = req.partition(b"\r\n\r\n")
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(head + b"\r\n\r\n")
    s.settimeout(5)
    interim = s.recv(4096)
    assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim
    s.sendall(body)
    out, _ = read_responses(s, 1)
    s.close()
    assert out[0][0] == 200
    assert len(reader.by_id(doc["event_id"])) == 1


def test_slow_client_cut_off(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Type: appl")
    t0 = time.monotonic()
    out, closed = read_responses(s, 1, timeout=REQUEST_TIMEOUT_S + 5)
    elapsed = time.monotonic() - t0
    if out:
        assert out[0][0] == 408, out
        assert json.loads(out[0][2])["error"] == "request_timeout"
        assert out[0][1].get("connection", "").lower() == "close"
        assert closed_by_peer(s, 2)
    else:
        assert closed
    s.close()
    assert REQUEST_TIMEOUT_S - 0.2 <= elapsed <= REQUEST_TIMEOUT_S + 1.5, elapsed


def test_slow_body_cut_off(gateway):
    # headers complete, body trickles: the whole request has the same deadline
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n{")
    t0 = time.monotonic()
    got = None
    for _ in range(20):
        time.sleep(0.2)
        try:
            s.sendall(b" ")
        except (BrokenPipeError, ConnectionResetError):
            break
        s.settimeout(0.01)
        try:
            got = s.recv(65536)
            break
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
    elapsed = time.monotonic() - t0
    s.close()
    assert elapsed < REQUEST_TIMEOUT_S + 1.5, elapsed
    assert got is None or got == b"" or got.startswith(b"HTTP/1.1 408"), got


def test_idle_keepalive_closed(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
    out, _ = read_responses(s, 1)
    assert out[0][0] == 200
    t0 = time.monotonic()
    # still open well inside the idle timeout ...
    assert not closed_by_peer(s, KEEPALIVE_S - 1)
    # ... closed soon after it
    assert closed_by_peer(s, KEEPALIVE_S + 2)
    elapsed = time.monotonic() - t0
    s.close()
    assert KEEPALIVE_S - 0.3 <= elapsed <= KEEPALIVE_S + 2, elapsed


def test_connection_without_request_closed_after_idle_timeout(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    t0 = time.monotonic()
    assert closed_by_peer(s, KEEPALIVE_S + 2)
    s.close()
    assert time.monotonic() - t0 >= KEEPALIVE_S - 0.3
