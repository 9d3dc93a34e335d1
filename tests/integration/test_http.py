# test_http.py — HTTP/1.1 connection behaviour: keep-alive, pipelining,
# Expect: 100-continue, slow clients cut off by --request-timeout-ms, idle
# keep-alive connections closed after --keepalive-timeout.
import http.client
import json
import os
import socket
import time

import pytest

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


@pytest.mark.parametrize("req", [
    b"GET /healthz HTTP/1.1\r\nHost: it\r\nConnection: close\r\n\r\n",
    b"GET /healthz HTTP/1.0\r\n\r\n",                 # HTTP/1.0 without keep-alive
])
def test_connection_close_is_honoured(gateway, req):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(req)
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


def test_expect_100_continue_not_sent_for_a_request_answered_without_its_body(gateway):
    # an unknown route or a method the route does not take is answered from
    # the headers: no 100 that would make the client send the body first
    for method, path in (("POST", "/nope"), ("PUT", "/slack/events"), ("GET", "/slack/events")):
        s = socket.create_connection(("127.0.0.1", gateway.port))
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: it\r\nExpect: 100-continue\r\n"
                  "Content-Length: 60000\r\n\r\n".encode())
        s.settimeout(5)
        first = s.recv(4096)
        s.close()
        assert first.startswith((b"HTTP/1.1 404", b"HTTP/1.1 405")), (method, path, first)
    # nor for a request with no body at all
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\nExpect: 100-continue\r\n\r\n")
    s.settimeout(5)
    first = s.recv(4096)
    s.close()
    assert first.startswith(b"HTTP/1.1 200"), first


def test_expect_100_continue_ignored_for_http10(gateway, reader):
    # RFC 9110 §10.1.1: an HTTP/1.0 request's 100-continue is ignored; the
    # first thing the client reads is the final answer
    doc = event_callback()
    req = raw_event(doc, b"Expect: 100-continue\r\n").replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1)
    assert b" HTTP/1.0\r\n" in req
    head, _, body = req.partition(b"\r\n\r\n")
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(head + b"\r\n\r\n")
    s.settimeout(0.5)
    with pytest.raises(socket.timeout):
        early = s.recv(4096)
        raise AssertionError(f"answered before the body: {early!r}")
    s.settimeout(5)
    s.sendall(body)
    first = s.recv(4096)
    s.close()
    assert first.startswith(b"HTTP/1.1 200 ") or first.startswith(b"HTTP/1.0 200 "), first
    assert b" 100 " not in first.split(b"\r\n", 1)[0]
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


def test_chunked_request_body_accepted(gateway, reader):
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = sign(body)
    parts = [body[i:i + 50] for i in range(0, len(body), 50)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n"
              b"X-Slack-Request-Timestamp: " + h["X-Slack-Request-Timestamp"].encode() + b"\r\n"
              b"X-Slack-Signature: " + h["X-Slack-Signature"].encode() + b"\r\n\r\n" + chunked)
    out, _ = read_responses(s, 1)
    s.close()
    assert out[0][0] == 200, out
    found = reader.by_id(doc["event_id"])
    assert len(found) == 1 and found[0][1]["data"] == doc


def test_chunked_trailers_are_not_read_as_headers(gateway, reader):
    # RFC 9110 §6.5.1: trailer fields are not merged into the headers. A
    # signature, timestamp or content type only in the trailer is missing
    # (401), and one in the trailer does not replace the header's.
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = sign(body)
    sig = (b"X-Slack-Request-Timestamp: " + h["X-Slack-Request-Timestamp"].encode() + b"\r\n"
           b"X-Slack-Signature: " + h["X-Slack-Signature"].encode() + b"\r\n")
    chunked = b"%x\r\n%s\r\n0\r\n" % (len(body), body)
    head = b"POST /slack/events HTTP/1.1\r\nHost: it\r\nTransfer-Encoding: chunked\r\n"
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(head + b"Content-Type: application/json\r\n\r\n" + chunked + sig + b"\r\n")
    out, _ = read_responses(s, 1)
    s.close()
    assert out[0][0] == 401, out
    assert b"header missing" in out[0][2], out
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(head + sig + b"\r\n" + chunked + b"Content-Type: application/json\r\n\r\n")
    out, _ = read_responses(s, 1)
    s.close()
    assert out[0][0] == 415, out
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(head + b"Content-Type: application/json\r\n" + sig + b"\r\n" + chunked +
              b"X-Slack-Signature: v0=" + b"0" * 64 + b"\r\n\r\n")
    out, _ = read_responses(s, 1)
    s.close()
    assert out[0][0] == 200, out
    assert len(reader.by_id(doc["event_id"])) == 1


def test_request_split_into_small_writes(gateway, reader):
    # the parser keeps state across reads: header names and values cut anywhere
    doc = event_callback()
    req = raw_event(doc)
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(0, len(req), 7):
        s.sendall(req[i:i + 7])
        time.sleep(0.002)
    out, _ = read_responses(s, 1)
    s.close()
    assert out[0][0] == 200, out
    assert len(reader.by_id(doc["event_id"])) == 1


def test_obs_fold_header_refused(gateway, reader):
    # RFC 9112 §5.2: a header value continued on the next line (obs-fold) is
    # refused with 400, also when a read boundary falls at the fold; every
    # split of a request without folds still passes (the test above).
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = sign(body)
    sig = h["X-Slack-Signature"].encode()
    head = (b"POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Type: application/json\r\n"
            b"X-Slack-Request-Timestamp: " + h["X-Slack-Request-Timestamp"].encode() + b"\r\n"
            b"X-Slack-Signature: " + sig[:20] + b"\r\n " + sig[20:] + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    cut = head.index(b"\r\n ") + 2
    for parts in ([head + body], [head[:cut], head[cut:] + body], [head[:cut + 1], head[cut + 1:] + body]):
        s = socket.create_connection(("127.0.0.1", gateway.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for p in parts:
            s.sendall(p)
            time.sleep(0.05)
        out, _ = read_responses(s, 1)
        s.close()
        assert out and out[0][0] == 400, (parts, out)
        assert json.loads(out[0][2])["error"] == "obs_fold", out
    reader.poll(1)
    assert reader.find(lambda x: x["id"] == doc["event_id"]) == []
    # an empty header value is no fold (http_parser reports it at the next line)
    h2 = sign(body)
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: it\r\nX-Empty:\r\nX-Empty-Too: \r\n"
              b"Content-Type: application/json\r\n"
              b"X-Slack-Request-Timestamp: " + h2["X-Slack-Request-Timestamp"].encode() + b"\r\n"
              b"X-Slack-Signature: " + h2["X-Slack-Signature"].encode() + b"\r\n"
              b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    out, _ = read_responses(s, 1)
    s.close()
    assert out[0][0] == 200, out


def test_connection_survives_refused_requests(gateway, reader):
    # a 4xx from ingest does not cost the client its keep-alive connection
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    conn.connect()
    local = conn.sock.getsockname()
    assert post_event(gateway.port, event_callback(), secret="wrong", conn=conn).status == 401
    assert request(gateway.port, "GET", "/nope", conn=conn).status == 404
    assert request(gateway.port, "GET", "/slack/events", conn=conn).status == 405
    doc = event_callback()
    assert post_event(gateway.port, doc, conn=conn).status == 200
    assert conn.sock.getsockname() == local
    conn.close()
    assert len(reader.by_id(doc["event_id"])) == 1


def test_query_string_is_ignored_for_routing(gateway, reader):
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    r = request(gateway.port, "POST", "/slack/events?source=it&x=1", body, h)
    assert r.status == 200, r
    assert len(reader.by_id(doc["event_id"])) == 1


def raw_post(port, headers, body):
    """POST body to /slack/events with these header lines, sent as they are
    (what a client library would tidy); returns the status."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: it\r\n" + headers +
              b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    out, _ = read_responses(s, 1)
    s.close()
    return out[0][0]


def test_repeated_signature_header_last_wins(gateway, reader):
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = sign(body)
    status = raw_post(gateway.port, b"Content-Type: application/json\r\n"
                      b"X-Slack-Signature: v0=" + b"0" * 64 + b"\r\n"
                      b"X-Slack-Request-Timestamp: " + h["X-Slack-Request-Timestamp"].encode() + b"\r\n"
                      b"x-slack-signature: " + h["X-Slack-Signature"].encode() + b"\r\n", body)
    assert status == 200


def test_max_connections_per_thread(cluster):
    from conftest import Gateway, gateway_args
    gw = Gateway(gateway_args(cluster.bootstrap, "--max-connections", "2", threads=1))
    try:
        a = socket.create_connection(("127.0.0.1", gw.port))
        b = socket.create_connection(("127.0.0.1", gw.port))
        a.sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
        assert read_responses(a, 1)[0][0][0] == 200
        c = socket.create_connection(("127.0.0.1", gw.port))
        assert closed_by_peer(c, 2), "a third connection was kept open"
        c.close()
        # the two admitted connections still work
        b.sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
        assert read_responses(b, 1)[0][0][0] == 200
        b.close()
        a.close()
        time.sleep(0.2)
        # capacity comes back once connections close
        d = socket.create_connection(("127.0.0.1", gw.port))
        d.sendall(b"GET /metrics HTTP/1.1\r\nHost: it\r\n\r\n")
        (status, _, body), = read_responses(d, 1)[0]
        d.close()
        assert status == 200
        assert "hookgate_connections_rejected_total 1" in body.decode().splitlines()
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_many_pipelined_requests_beyond_the_read_buffer(gateway, reader):
    # 24 events (~20 KiB, more than the 8 KiB connection buffer) in one send
    docs = [event_callback() for _ in range(24)]
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"".join(raw_event(d) for d in docs))
    out, closed = read_responses(s, len(docs), timeout=20)
    s.close()
    assert [o[0] for o in out] == [200] * len(docs), out
    want = {d["event_id"] for d in docs}
    found = reader.wait_for(lambda x: x["id"] in want, n=len(want))
    assert {rec["id"] for _, rec in found} == want and len(found) == len(want)


def test_requests_sent_while_one_waits_for_kafka_answered_in_order(gateway, reader):
    # The connection stays watched while a request waits for its delivery
    # report: what arrives meanwhile (in separate packets, a reset at the end)
    # is buffered, answered in order, and nothing is lost.
    docs = [event_callback() for _ in range(4)]
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for d in docs:
        s.sendall(raw_event(d))
        time.sleep(0.0005)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
    out, _ = read_responses(s, 5, timeout=20)
    assert [o[0] for o in out] == [200] * 5, out
    # then a reset after one more request: its record lands, the gateway serves on
    late = event_callback()
    s.sendall(raw_event(late))
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    want = {d["event_id"] for d in docs} | {late["event_id"]}
    found = reader.wait_for(lambda x: x["id"] in want, n=len(want))
    assert sorted(rec["id"] for _, rec in found) == sorted(want)
    assert post_event(gateway.port, event_callback()).status == 200


def test_request_then_half_close_still_answered(gateway, reader):
    doc = event_callback()
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(raw_event(doc))
    s.shutdown(socket.SHUT_WR)
    out, _ = read_responses(s, 1)
    s.close()
    assert out and out[0][0] == 200, out
    assert len(reader.by_id(doc["event_id"])) == 1


def test_pipelined_requests_then_half_close_all_answered(gateway, reader):
    # three requests in one write, then SHUT_WR: the EOF arrives while the
    # first waits for Kafka; the two buffered behind it are still answered
    docs = [event_callback() for _ in range(3)]
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"".join(raw_event(d) for d in docs) + b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    out, _ = read_responses(s, 4, timeout=20)
    assert [o[0] for o in out] == [200] * 4, out
    s.settimeout(5)
    assert s.recv(100) == b""   # and then the gateway closed its side
    s.close()
    want = {d["event_id"] for d in docs}
    found = reader.wait_for(lambda x: x["id"] in want, n=len(want))
    assert sorted(rec["id"] for _, rec in found) == sorted(want)


def test_half_close_inside_a_request_closes_without_answer(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Length: 50\r\n\r\n{\"type\"")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    assert s.recv(100) == b""   # closed at once, nothing produced
    s.close()


def test_client_gone_while_waiting_for_kafka(gateway):
    # the connection closes while its record waits for the delivery report:
    # the late report must find no connection (a use-after-free here shows
    # under ASan), and nothing stays in flight
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(raw_event(event_callback()))
    time.sleep(0.005)
    s.close()
    time.sleep(0.5)
    r = request(gateway.port, "GET", "/metrics")
    assert r.status == 200
    assert "hookgate_inflight_records 0" in r.body.decode().splitlines()
    assert gateway.proc.poll() is None


def test_head_response_has_no_body(gateway):
    # RFC 9110 §9.3.2: a response to HEAD carries no content; on a keep-alive
    # connection stray body bytes would be read as the next response's start
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: it\r\n\r\nGET /readyz HTTP/1.1\r\nHost: it\r\n\r\n")
    s.settimeout(3)
    data = b""
    deadline = time.monotonic() + 3
    while data.count(b"HTTP/1.1 ") < 2 and time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    first_head, _, rest = data.partition(b"\r\n\r\n")
    assert first_head.startswith(b"HTTP/1.1 200"), data
    assert rest.startswith(b"HTTP/1.1 200"), f"bytes after the HEAD response's headers: {rest[:40]!r}"


def test_many_concurrent_connections(gateway, reader):
    # 300 connections each with one event outstanding at the same time
    docs = [event_callback() for _ in range(300)]
    socks = [socket.create_connection(("127.0.0.1", gateway.port)) for _ in docs]
    try:
        for s, d in zip(socks, docs):
            s.sendall(raw_event(d))
        statuses = [(read_responses(s, 1)[0] or [(None,)])[0][0] for s in socks]
    finally:
        for s in socks:
            s.close()
    assert statuses == [200] * len(docs), {x: statuses.count(x) for x in set(statuses)}
    want = {d["event_id"] for d in docs}
    found = reader.wait_for(lambda x: x["id"] in want, n=len(want), timeout=20)
    assert {rec["id"] for _, rec in found} == want and len(found) == len(want)


def _rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_idle_keepalive_connections_do_not_keep_their_bodies(cluster):
    # memory is bounded by the requests in progress, not by every connection
    # that once sent a large body: 200 keep-alive connections, each sent one
    # 60 KiB body (one at a time, answered 401) and then idle, hold ~12 MiB
    # between them if each keeps its body buffer
    from conftest import Gateway, gateway_args
    # under AddressSanitizer freed memory waits in a quarantine before reuse
    asan = ":".join(o for o in (os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=0") if o)
    gw = Gateway(gateway_args(cluster.bootstrap, "--max-body", "65536", "--keepalive-timeout", "60",
                              threads=1), env={"ASAN_OPTIONS": asan})
    socks = []
    try:
        body = b'{"type":"event_callback","pad":"' + b"p" * 60000 + b'"}'
        req = (b"POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Type: application/json\r\n"
               b"X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=" + b"0" * 64 + b"\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        for _ in range(3):   # warm up the allocator with one body's worth
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(req)
            assert read_responses(s, 1)[0][0][0] == 401
            s.close()
        time.sleep(0.2)
        before = _rss_kib(gw.proc.pid)
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", gw.port))
            socks.append(s)
            s.sendall(req)
            (status, headers, _), = read_responses(s, 1)[0]
            assert status == 401 and headers.get("connection") != "close"
        grown = _rss_kib(gw.proc.pid) - before
        assert grown < 6 * 1024, f"200 idle connections grew the gateway by {grown} KiB"
        # still keep-alive and served
        socks[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
        assert read_responses(socks[0], 1)[0][0][0] == 200
    finally:
        for s in socks:
            s.close()
        assert gw.stop() == 0, gw.stderr()


def test_http10_keep_alive_is_confirmed_in_the_answer(gateway, reader):
    # an HTTP/1.0 client keeps a connection only when the answer says
    # "Connection: keep-alive"; without it, it waits for the server to close
    # (until the idle timeout). Without keep-alive, 1.0 gets close + EOF.
    s = socket.create_connection(("127.0.0.1", gateway.port))
    doc = event_callback()
    for req in (b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                raw_event(doc, b"Connection: keep-alive\r\n").replace(b"HTTP/1.1", b"HTTP/1.0", 1)):
        s.sendall(req)
        (status, headers, _), = read_responses(s, 1)[0]
        assert status == 200 and headers.get("connection", "").lower() == "keep-alive", headers
    s.close()
    assert len(reader.by_id(doc["event_id"])) == 1
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    (status, headers, _), = read_responses(s, 1)[0]
    assert status == 200 and headers.get("connection", "").lower() == "close", headers
    assert closed_by_peer(s, 2)
    s.close()


def test_trailing_whitespace_in_header_values_is_not_part_of_them(gateway, reader):
    # RFC 9110 §5.5: a field value excludes leading and trailing SP/HTAB
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = sign(body)
    status = raw_post(gateway.port, b"Content-Type: application/json \t\r\n"
                      b"X-Slack-Signature: " + h["X-Slack-Signature"].encode() + b"\t\r\n"
                      b"X-Slack-Request-Timestamp:  " + h["X-Slack-Request-Timestamp"].encode() + b"  \r\n"
                      b"X-Slack-Retry-Num: 1 \r\nX-Slack-Retry-Reason: http_timeout \r\n", body)
    assert status == 200
    (key, rec), = reader.wait_for(lambda x: x["id"] == doc["event_id"])
    assert rec["slackretrynum"] == 1 and rec["slackretryreason"] == "http_timeout", rec
