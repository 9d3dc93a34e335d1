# test_framing.py — HTTP/1.1 request framing as RFC 9112 has it: the Host
# header (§3.2: missing in HTTP/1.1, repeated or invalid → 400), the
# absolute-form request target (§3.2.2: accepted, routed by its path), and
# Transfer-Encoding (§6.1, §6.3: exactly "chunked", else 501 or 400 and the
# connection closed; with Content-Length → 400; in HTTP/1.0 the connection
# closes after the answer). Raw sockets: a client library would tidy what
# these tests send.
import json
import socket

from conftest import event_callback, request, sign, uid
from test_http import closed_by_peer, read_responses

refused_ids = []   # event ids of refused requests: none may reach the topic


def refused_event():
    doc = event_callback(event_id=uid("EvFRAMING"))
    refused_ids.append(doc["event_id"])
    return doc


def signed_head(doc, target=b"/slack/events", version=b"HTTP/1.1", host=b"Host: it\r\n"):
    """The request line and headers of a signed event, without its framing
    (Content-Length or Transfer-Encoding), and the body."""
    body = json.dumps(doc).encode()
    h = sign(body)
    head = (b"POST " + target + b" " + version + b"\r\n" + host + b"Content-Type: application/json\r\n"
            b"X-Slack-Request-Timestamp: " + h["X-Slack-Request-Timestamp"].encode() + b"\r\n"
            b"X-Slack-Signature: " + h["X-Slack-Signature"].encode() + b"\r\n")
    return head, body


def with_length(head, body):
    return head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def with_chunks(head, te_lines, body):
    """body in two chunks under the given Transfer-Encoding header lines."""
    half = len(body) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:])) + b"0\r\n\r\n"
    return head + te_lines + b"\r\n" + chunks


def exchange(port, raw, then=b""):
    """Send raw (and then, a request behind it on the same connection);
    returns the answers read and whether the gateway closed the connection."""
    s = socket.create_connection(("127.0.0.1", port))
    try:
        s.sendall(raw + then)
        out, closed = read_responses(s, 2 if then else 1)
        if not closed:   # a refusal closes at once; --keepalive-timeout (2 s) is far off
            closed = closed_by_peer(s, 0.3)
        return out, closed
    finally:
        s.close()


def requests_total(port, route, code):
    want = 'hookgate_http_requests_total{route="%s",code="%s"} ' % (route, code)
    for line in request(port, "GET", "/metrics").body.decode().splitlines():
        if line.startswith(want):
            return float(line.split()[-1])
    raise AssertionError(want + "not in /metrics")


def assert_refused(out, closed, status, code):
    assert len(out) == 1, out
    got, headers, body = out[0]
    assert got == status, out
    assert headers.get("content-type", "").startswith("application/json"), headers
    doc = json.loads(body)
    assert doc["error"] == code and doc["message"], doc
    assert headers.get("connection", "").lower() == "close", headers
    assert closed, "the connection stayed open"
    return doc


# ---- Host (RFC 9112 §3.2) ---------------------------------------------------------

def test_http11_without_host_is_400(gateway):
    before = requests_total(gateway.port, "events", "400")
    out, closed = exchange(gateway.port, with_length(*signed_head(refused_event(), host=b"")),
                           then=b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
    d = assert_refused(out, closed, 400, "missing_host")
    assert "Host" in d["message"], d
    assert requests_total(gateway.port, "events", "400") == before + 1
    # also a GET, and an absolute-form target (its authority does not stand in for it)
    out, closed = exchange(gateway.port, b"GET /healthz HTTP/1.1\r\n\r\n")
    assert_refused(out, closed, 400, "missing_host")
    out, closed = exchange(gateway.port, with_length(*signed_head(refused_event(), target=b"http://it/slack/events",
                                                    host=b"")))
    assert_refused(out, closed, 400, "missing_host")


def test_http10_without_host_is_accepted(gateway, reader):
    doc = event_callback()
    out, _ = exchange(gateway.port, with_length(*signed_head(doc, version=b"HTTP/1.0", host=b"")))
    assert out[0][0] == 200, out
    assert len(reader.by_id(doc["event_id"])) == 1
    out, _ = exchange(gateway.port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert out[0][0] == 200, out


def test_two_host_lines_are_400(gateway):
    for host in (b"Host: it\r\nHost: it\r\n", b"Host: a.example\r\nhost: b.example\r\n",
                 b"Host: it\r\nX-Between: 1\r\nHOST: it\r\n"):
        out, closed = exchange(gateway.port, with_length(*signed_head(refused_event(), host=host)))
        assert_refused(out, closed, 400, "duplicate_host")
    # HTTP/1.0 too: the rule is for any request that has more than one
    out, closed = exchange(gateway.port, with_length(*signed_head(refused_event(), version=b"HTTP/1.0",
                                                    host=b"Host: it\r\nHost: it\r\n")))
    assert_refused(out, closed, 400, "duplicate_host")


def test_invalid_host_values_are_400(gateway):
    for value in (b"a b", b"a/b", b"it@evil.example", b"it?x", b"it#x", b"[::1", b"::1", b"[::1]x",
                  b"[::1]:80:80", b"it:80x", b"it:8:80", b"%zz.example", b"%4", b"\xc3\xa9.example",
                  b"it\\x", b":80", b"[]", b"a\"b"):
        out, closed = exchange(gateway.port, with_length(*signed_head(refused_event(), host=b"Host: " + value + b"\r\n")))
        assert_refused(out, closed, 400, "invalid_host")
        assert out[0][0] == 400, value


def test_valid_host_values_are_accepted(gateway, reader):
    # an empty value is what a client sends when the target has no authority
    values = (b"", b"it", b"EXAMPLE.com", b"example.com:8443", b"example.com:", b"127.0.0.1:80",
              b"[::1]", b"[::1]:8080", b"[2001:db8::7]", b"[v7.fe80::a+en1]", b"xn--bcher-kva.example",
              b"a%2Db.example", b"it\t ", b"a_b~c-d!$&'()*+,;=.example")
    docs = []
    for value in values:
        doc = event_callback()
        docs.append(doc)
        out, closed = exchange(gateway.port, with_length(*signed_head(doc, host=b"Host: " + value + b"\r\n")))
        assert out and out[0][0] == 200, (value, out)
        assert not closed, value
    want = {d["event_id"] for d in docs}
    found = reader.wait_for(lambda x: x["id"] in want, n=len(want))
    assert {rec["id"] for _, rec in found} == want


# ---- absolute-form (RFC 9112 §3.2.2) ---------------------------------------------

def test_absolute_form_target_is_routed_by_its_path(gateway, reader):
    docs = []
    for target in (b"http://example.com/slack/events", b"HTTP://Example.COM:8080/slack/events?source=it",
                   b"https://[::1]/slack/events", b"http://example.com/slack/events?next=/slack/x",
                   b"http://127.0.0.1:9/slack/events"):
        doc = event_callback()
        docs.append(doc)
        out, closed = exchange(gateway.port, with_length(*signed_head(doc, target=target)))
        assert out and out[0][0] == 200, (target, out)
        assert not closed, target
    # HTTP/1.0 has no Host to need
    doc = event_callback()
    docs.append(doc)
    out, _ = exchange(gateway.port, with_length(*signed_head(doc, target=b"http://example.com/slack/events",
                                               version=b"HTTP/1.0", host=b"")))
    assert out and out[0][0] == 200, out
    want = {d["event_id"] for d in docs}
    found = reader.wait_for(lambda x: x["id"] in want, n=len(want))
    assert {rec["id"] for _, rec in found} == want
    # the other routes the same way; a path no route has (none at all) is 404
    out, _ = exchange(gateway.port, b"GET http://example.com/healthz HTTP/1.1\r\nHost: it\r\n\r\n")
    assert out[0][0] == 200 and out[0][2] == b"ok\n", out
    out, _ = exchange(gateway.port, b"GET http://example.com/healthz?probe=alb HTTP/1.1\r\nHost: it\r\n\r\n")
    assert out[0][0] == 200, out
    for target in (b"http://example.com/nope", b"http://example.com", b"http://example.com?x=/healthz",
                   b"http://example.com/slack/events/x"):
        out, _ = exchange(gateway.port, b"GET " + target + b" HTTP/1.1\r\nHost: it\r\n\r\n")
        assert out[0][0] == 404 and json.loads(out[0][2])["error"] == "not_found", (target, out)
    out, _ = exchange(gateway.port, b"GET http://example.com/slack/events HTTP/1.1\r\nHost: it\r\n\r\n")
    assert out[0][0] == 405, out


def test_absolute_form_with_a_bad_authority_or_scheme_is_400(gateway):
    for target in (b"http:///slack/events", b"http://user@example.com/slack/events",
                   b"http://user:pw@example.com/slack/events", b"ftp://example.com/slack/events",
                   b"http://example.com:80x/slack/events", b"http://[::1/slack/events",
                   b"http://%zz/slack/events", b"httpx://example.com/slack/events"):
        out, closed = exchange(gateway.port, with_length(*signed_head(refused_event(), target=target)))
        assert_refused(out, closed, 400, "invalid_request_target")


# ---- Transfer-Encoding (RFC 9112 §6) --------------------------------------------

def test_transfer_coding_other_than_chunked_is_501(gateway):
    # chunked is final, so the body could be framed, but the coding under it
    # is not one the gateway decodes: a gzip body must not be taken as JSON
    before = requests_total(gateway.port, "events", "501")
    shapes = (b"Transfer-Encoding: gzip, chunked\r\n", b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
              b"Transfer-Encoding: deflate ,chunked\r\n", b"Transfer-Encoding: x-custom, Chunked\r\n")
    for te in shapes:
        head, body = signed_head(refused_event())
        out, closed = exchange(gateway.port, with_chunks(head, te, body), then=b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
        d = assert_refused(out, closed, 501, "unsupported_transfer_coding")
        assert "chunked" in d["message"], d
    assert requests_total(gateway.port, "events", "501") == before + len(shapes)


def test_transfer_encoding_not_ending_in_one_chunked_is_400(gateway):
    # not final: the body's length cannot be known; chunked twice: a sender
    # must not apply it more than once
    for te, why in ((b"gzip", "final"), (b"identity", "final"), (b"chunked, gzip", "final"),
                    (b"chunked;ext=1", "final"), (b"chunked\r\nTransfer-Encoding: gzip", "final"),
                    (b"chunked, chunked", "more than once"),
                    (b"chunked\r\nTransfer-Encoding: chunked", "more than once")):
        head, body = signed_head(refused_event())
        out, closed = exchange(gateway.port, with_chunks(head, b"Transfer-Encoding: " + te + b"\r\n", body),
                               then=b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
        d = assert_refused(out, closed, 400, "invalid_transfer_encoding")
        assert why in d["message"], (te, d)


def test_exactly_chunked_is_accepted(gateway, reader):
    docs = []
    for te in (b"chunked", b"Chunked", b"CHUNKED  "):
        doc = event_callback()
        docs.append(doc)
        head, body = signed_head(doc)
        out, closed = exchange(gateway.port, with_chunks(head, b"Transfer-Encoding: " + te + b"\r\n", body),
                               then=b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
        assert [o[0] for o in out] == [200, 200], (te, out)
    want = {d["event_id"] for d in docs}
    found = reader.wait_for(lambda x: x["id"] in want, n=len(want))
    assert {rec["id"] for _, rec in found} == want


def test_content_length_with_transfer_encoding_is_400_and_closes(gateway):
    # the request-smuggling shape: which one frames the body is not guessed
    for te_cl in (b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
                  b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                  b"Transfer-Encoding: gzip\r\nContent-Length: 4\r\n",
                  b"Content-Length: 4\r\nTransfer-Encoding: gzip, chunked\r\n"):
        head, body = signed_head(refused_event())
        out, closed = exchange(gateway.port, with_chunks(head, te_cl, body), then=b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
        assert_refused(out, closed, 400, "ambiguous_length")


def test_http10_with_transfer_encoding_closes_after_the_answer(gateway, reader):
    # RFC 9112 §6.1: the framing of an HTTP/1.0 message with Transfer-Encoding
    # is treated as faulty: it is answered, then the connection closes
    doc = event_callback()
    head, body = signed_head(doc, version=b"HTTP/1.0", host=b"Connection: keep-alive\r\n")
    out, closed = exchange(gateway.port, with_chunks(head, b"Transfer-Encoding: chunked\r\n", body),
                           then=b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert [o[0] for o in out] == [200], out
    assert out[0][1].get("connection", "").lower() == "close", out
    assert closed
    assert len(reader.by_id(doc["event_id"])) == 1


def test_no_refused_request_reached_the_topic(gateway, reader):
    assert len(refused_ids) >= 30
    reader.poll(1.5)
    assert reader.find(lambda x: x["id"] in refused_ids) == []
    assert len(reader.messages) >= 1   # the reader does see this module's accepted records
