# test_bad_input.py — every refusal: 400 malformed JSON/form/base64/envelope,
# 401 signature problems, 404, 405, 413 (Content-Length and chunked), 415,
# 431; each answer a small JSON body with "error" and "message", and nothing
# refused ever reaches the topic. Slack signing facts: protocols.md §1
# (https://api.slack.com/authentication/verifying-requests-from-slack).
import json
import select
import socket
import time
import urllib.parse

from conftest import (SECRET, Gateway, TopicReader, assert_error, b64, event_callback, gateway_args,
                      metric, post_event, post_signed, request, run_refused,
                      sign, uid)

FORM = "application/x-www-form-urlencoded"
MAX_BODY = 65536          # the module gateway's --max-body (conftest.gateway)
refused_ids = []          # event ids of refused requests: none may reach the topic


def bad_event():
    doc = event_callback(event_id=uid("EvBAD"))
    refused_ids.append(doc["event_id"])
    return doc


# ---- 400 ------------------------------------------------------------------------

def test_400_malformed_json(gateway):
    body = b'{"type":"event_callback","event_id":"EvX","event":{'
    r = post_signed(gateway.port, "/slack/events", body, "application/json")
    doc = assert_error(r, 400, "malformed_json")
    assert "JSON" in doc["message"]


def test_400_json_with_vertical_tab_or_form_feed_as_whitespace(gateway):
    # yajl's lexer skips \v and \f as whitespace; RFC 8259 does not, and the
    # body goes into the record byte for byte, so it would not be JSON there
    for ws in (b"\v", b"\f"):
        doc = bad_event()
        body = json.dumps(doc).encode().replace(b'{"type"', b'{' + ws + b'"type"', 1)
        d = assert_error(post_signed(gateway.port, "/slack/events", body, "application/json"),
                         400, "malformed_json")
        assert "raw control character" in d["message"], d
        payload = b'{"type":"block_actions",' + ws + b'"team":{"id":"T1"}}'
        form = b"payload=" + urllib.parse.quote_from_bytes(payload).encode()
        assert_error(post_signed(gateway.port, "/slack/interactive", form, FORM), 400)


def test_400_json_not_an_object_or_without_type(gateway):
    for body in (b'[1,2,3]', b'"x"', b'{"event_id":"EvNOTYPE"}', b'{"type":"event_callback","event":3}'):
        r = post_signed(gateway.port, "/slack/events", body, "application/json")
        assert_error(r, 400)


def test_400_invalid_utf8_and_deep_nesting(gateway):
    doc = bad_event()
    body = json.dumps(doc).encode().replace(b'"hello"', b'"he\xffllo"')
    d = assert_error(post_signed(gateway.port, "/slack/events", body, "application/json"), 400, "malformed_json")
    assert "UTF8" in d["message"] or "UTF-8" in d["message"], d
    deep = b'{"type":"event_callback","a":' + b"[" * 100 + b"]" * 100 + b"}"
    d = assert_error(post_signed(gateway.port, "/slack/events", deep, "application/json"), 400, "malformed_json")
    assert "nesting" in d["message"], d
    # a form field (slash command) and an interactive payload with a byte that is not UTF-8
    form = b"command=%2Fx&team_id=T1&channel_id=C1&text=a%FFb"
    assert_error(post_signed(gateway.port, "/slack/commands", form, FORM), 400, "malformed_form")
    payload = b'{"type":"block_actions","team":{"id":"T1"},"x":"\xff"}'
    form = b"payload=" + urllib.parse.quote_from_bytes(payload).encode()
    assert_error(post_signed(gateway.port, "/slack/interactive", form, FORM), 400)


def test_400_event_fields_outside_their_limits(gateway):
    for mutate in (lambda d: d.update(event_id="Ev 1;drop"),          # not a token
                   lambda d: d.update(event_id="E" * 129),             # HG_RECORD_ID_MAX is 128
                   lambda d: d["event"].update(type="message/evil"),   # type token alphabet
                   lambda d: d["event"].update(type="t" * 65)):        # type token length
        doc = bad_event()
        mutate(doc)
        assert_error(post_event(gateway.port, doc), 400, "malformed_event")
    big = {"token": "t", "challenge": "c" * 1025, "type": "url_verification"}
    assert_error(post_event(gateway.port, big), 400, "malformed_event")
    r = post_event(gateway.port, bad_event(), extra={"X-Slack-Retry-Num": "1000"})
    assert_error(r, 400)


def test_400_ids_and_types_holding_u0000(gateway):
    # \u0000 is accepted in strings (test_records.py), but not in what becomes
    # the record's id (and dedup key) or type: a 400 naming the field, not a
    # value cut at the NUL
    for mutate, field in ((lambda d: d.update(event_id=d["event_id"] + "\u0000x"), "event_id"),
                          (lambda d: d.update(type="event_callback\u0000"), "type"),
                          (lambda d: d["event"].update(type="message\u0000evil"), "type")):
        doc = bad_event()
        mutate(doc)
        d = assert_error(post_event(gateway.port, doc), 400, "malformed_event")
        assert field in d["message"], d
    chal = {"token": "t", "challenge": "abc\u0000def", "type": "url_verification"}
    d = assert_error(post_event(gateway.port, chal), 400, "malformed_event")
    assert "challenge" in d["message"], d
    payload = {"type": "block_actions\u0000", "team": {"id": "T1"}}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    d = assert_error(post_signed(gateway.port, "/slack/interactive", body, FORM), 400, "malformed_payload")
    assert "type" in d["message"], d
    # a raw control byte (not the escape) stays refused, in strings and out
    for raw in (b"\x00", b"\x01", b"\x1f"):
        body = json.dumps(bad_event()).encode().replace(b'"hello"', b'"he' + raw + b'llo"')
        assert_error(post_signed(gateway.port, "/slack/events", body, "application/json"), 400, "malformed_json")
        payload = b'{"type":"block_actions","team":{"id":"T1"},"x":"a' + raw + b'"}'
        form = b"payload=" + urllib.parse.quote_from_bytes(payload).encode()
        assert_error(post_signed(gateway.port, "/slack/interactive", form, FORM), 400, "malformed_json")


def test_400_malformed_form(gateway):
    r = post_signed(gateway.port, "/slack/commands", b"command=%2Fx&text=%zz&team_id=T1", FORM)
    doc = assert_error(r, 400, "malformed_form")
    assert "escape" in doc["message"]
    r = post_signed(gateway.port, "/slack/commands", b"=nokey&command=%2Fx", FORM)
    assert_error(r, 400, "malformed_form")
    # a slash command without "command"
    r = post_signed(gateway.port, "/slack/commands", b"team_id=T1&text=hi", FORM)
    assert_error(r, 400, "malformed_form")


def test_400_interactive_without_or_with_bad_payload(gateway):
    r = post_signed(gateway.port, "/slack/interactive", b"notpayload=1", FORM)
    assert_error(r, 400, "malformed_form")
    body = urllib.parse.urlencode({"payload": "{not json"}).encode()
    r = post_signed(gateway.port, "/slack/interactive", body, FORM)
    assert_error(r, 400, "malformed_json")
    body = urllib.parse.urlencode({"payload": json.dumps({"no": "type"})}).encode()
    r = post_signed(gateway.port, "/slack/interactive", body, FORM)
    assert_error(r, 400)


def test_400_bad_retry_header(gateway):
    r = post_event(gateway.port, bad_event(), extra={"X-Slack-Retry-Num": "one"})
    assert_error(r, 400)


def env_v1(body_text, base64_flag, headers, path="/slack/events", method="POST"):
    return {"resource": path, "path": path, "httpMethod": method, "headers": headers,
            "requestContext": {"requestId": "r", "stage": "prod"},
            "body": body_text, "isBase64Encoded": base64_flag}


def post_env(port, env_doc):
    raw = env_doc if isinstance(env_doc, bytes) else json.dumps(env_doc).encode()
    return request(port, "POST", "/aws/events", raw, {"Content-Type": "application/json"})


def test_400_malformed_base64(gateway):
    doc = bad_event()
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    for text in ("!!!not-base64!!!", b64(body)[:-3] + "*==", "QUJD=QUJD"):
        r = post_env(gateway.port, env_v1(text, True, h))
        d = assert_error(r, 400, "malformed_envelope")
        assert "base64" in d["message"], d


def test_400_malformed_envelope(gateway):
    cases = [
        b"{not json",
        b"[]",
        json.dumps({"hello": "world"}).encode(),                                    # no known shape
        json.dumps(env_v1("e30=", "yes", {})).encode(),                             # isBase64Encoded not bool
        json.dumps(env_v1(42, False, {})).encode(),                                 # body not a string
        json.dumps(env_v1("{}", False, "headers-as-string")).encode(),              # headers not an object
        json.dumps({"version": "2.0", "rawPath": "/slack/events", "body": "{}"}).encode(),  # v2 without method
        json.dumps({**env_v1("{}", False, {}), "path": "no-slash"}).encode(),       # bad path
        b'{"a":' * 200 + b'1' + b'}' * 200,                                         # nesting over the limit (not 413)
        json.dumps(env_v1('{"type":"a\u0000b"}', False, {})).encode(),             # U+0000 in the body (not cut at it)
        json.dumps(env_v1("{}", False, {"Content-Type": "application/json\u0000x"})).encode(),  # in a header it reads
        json.dumps({**env_v1("{}", False, {}), "pad": [0] * 5000}).encode(),       # over 4096 values (not parsed whole)
    ]
    for raw in cases:
        r = post_env(gateway.port, raw)
        d = assert_error(r, 400, "malformed_envelope")
        assert "envelope" in d["message"] or "API Gateway" in d["message"], d


# ---- 401 ---------------------------------------------------------------------------

def test_401_bad_signature(gateway):
    r = post_event(gateway.port, bad_event(), secret="wrong-secret")
    d = assert_error(r, 401, "invalid_signature")
    assert "does not match" in d["message"]
    assert SECRET not in r.body.decode()


def test_401_body_changed_after_signing(gateway):
    doc = bad_event()
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    r = request(gateway.port, "POST", "/slack/events", body.replace(b"hello", b"hellO"), h)
    assert_error(r, 401, "invalid_signature")


def test_401_stale_and_future_timestamp(gateway):
    for skew in (-301 - 60, +400):
        r = post_event(gateway.port, bad_event(), ts=int(time.time()) + skew)
        d = assert_error(r, 401, "invalid_signature")
        assert "window" in d["message"], d
    # inside the window is fine (and is written)
    doc = event_callback()
    assert post_event(gateway.port, doc, ts=int(time.time()) - 200).status == 200


def test_401_missing_or_malformed_headers(gateway):
    doc = bad_event()
    body = json.dumps(doc).encode()
    good = sign(body)
    variants = [
        {},                                                               # neither
        {"X-Slack-Signature": good["X-Slack-Signature"]},                 # no timestamp
        {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]},  # no signature
        {**good, "X-Slack-Signature": ""},
        {**good, "X-Slack-Signature": "v0=zz"},
        {**good, "X-Slack-Signature": "v1=" + good["X-Slack-Signature"][3:]},
        {**good, "X-Slack-Signature": good["X-Slack-Signature"].upper()[:-1] + "G"},
        {**good, "X-Slack-Request-Timestamp": "12ab"},
        {**good, "X-Slack-Signature": good["X-Slack-Signature"] + "0" * 400},  # overlong
    ]
    for h in variants:
        r = request(gateway.port, "POST", "/slack/events", body, {"Content-Type": "application/json", **h})
        assert_error(r, 401, "invalid_signature")


# ---- 404, 405 ------------------------------------------------------------------------

def test_404_unknown_path(gateway):
    for method, path in (("POST", "/slack/event"), ("GET", "/"), ("POST", "/slack/events/extra"),
                         ("GET", "/healthz/x")):
        assert_error(request(gateway.port, method, path, b"{}" if method == "POST" else b""), 404, "not_found")
    # an envelope whose path is not a Slack route
    doc = bad_event()
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    assert_error(post_env(gateway.port, env_v1(b64(body), True, h, path="/other")), 404)


def test_405_wrong_method(gateway):
    for method, path in (("GET", "/slack/events"), ("PUT", "/slack/commands"), ("GET", "/slack/interactive"),
                         ("GET", "/aws/events"), ("POST", "/healthz"), ("DELETE", "/readyz"),
                         ("POST", "/metrics")):
        r = request(gateway.port, method, path, b"{}" if method != "GET" else b"")
        assert_error(r, 405, "method_not_allowed")
        # RFC 9110 §15.5.6: a 405 lists the methods the route takes
        assert r.headers.get("allow") == ("POST" if path.startswith(("/slack", "/aws")) else "GET, HEAD"), r.headers
    doc = bad_event()
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    assert_error(post_env(gateway.port, env_v1(b64(body), True, h, method="GET")), 405)


# ---- 413 ------------------------------------------------------------------------------

def read_response(sock, timeout=5):
    """Read one HTTP response (headers + Content-Length body) from a socket."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:n], rest[n:]


def test_413_content_length_over_limit(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    ts = str(int(time.time()))
    s.sendall(("POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: v0={'0' * 64}\r\n"
               f"Content-Length: {MAX_BODY + 1}\r\n\r\n").encode())
    # answered from the headers alone, before any body byte is sent
    status, headers, body, _ = read_response(s)
    s.close()
    assert status == 413
    d = json.loads(body)
    assert d["error"] == "body_too_large" and str(MAX_BODY) in d["message"], d


def test_body_at_limit_is_accepted_up_to_ingest(gateway):
    # exactly max-body bytes passes the size check (then fails as JSON: 400, not 413)
    body = b"[" + b" " * (MAX_BODY - 2) + b"x"
    r = post_signed(gateway.port, "/slack/events", body, "application/json")
    assert_error(r, 400, "malformed_json")


def test_413_chunked_over_limit(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
    sent = 0
    answered = False
    for _ in range(64):                     # up to 256 KiB, far above the 64 KiB limit
        try:
            s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 4096
        r, _, _ = select.select([s], [], [], 0.02)
        if r:
            answered = True
            break
    status, headers, body, _ = read_response(s)
    s.close()
    assert answered or sent > MAX_BODY
    assert status == 413
    assert json.loads(body)["error"] == "body_too_large"
    assert headers.get("connection", "").lower() == "close"


def test_413_envelope_inner_body_over_limit(gateway):
    inner = b'{"type":"event_callback","pad":"' + b"a" * (MAX_BODY + 10) + b'"}'
    h = {"Content-Type": "application/json"}
    h.update(sign(inner))
    r = post_env(gateway.port, env_v1(b64(inner), True, h))
    assert_error(r, 413, "body_too_large")


def test_envelope_base64_inner_body_of_exactly_the_limit(gateway):
    # the quick bound before decoding must not refuse what fits: N bytes and
    # N - 1 (two lengths, so both ways the last base64 quantum is padded)
    for size in (MAX_BODY, MAX_BODY - 1):
        doc, inner = padded_event(size)
        h = {"Content-Type": "application/json"}
        h.update(sign(inner))
        r = post_env(gateway.port, env_v1(b64(inner), True, h))
        assert r.status == 200, (size, r)
    doc, inner = padded_event(MAX_BODY + 1)
    refused_ids.append(doc["event_id"])
    h = {"Content-Type": "application/json"}
    h.update(sign(inner))
    assert_error(post_env(gateway.port, env_v1(b64(inner), True, h)), 413, "body_too_large")


# ---- 503: --max-buffered-bytes --------------------------------------------------------

def padded_event(size):
    """A signed-able event_callback body of exactly size bytes."""
    doc = event_callback(event_id=uid("EvBUF"))
    doc["event"]["text"] = ""
    body = json.dumps(doc).encode()
    doc["event"]["text"] = "x" * (size - len(body))
    body = json.dumps(doc).encode()
    assert len(body) == size
    return doc, body


def post_head(body, content_length=True):
    h = sign(body)
    head = ("POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Type: application/json\r\n"
            f"X-Slack-Request-Timestamp: {h['X-Slack-Request-Timestamp']}\r\n"
            f"X-Slack-Signature: {h['X-Slack-Signature']}\r\n")
    head += f"Content-Length: {len(body)}\r\n\r\n" if content_length else "Transfer-Encoding: chunked\r\n\r\n"
    return head.encode()


def test_503_buffered_bytes_limit(cluster):
    # One process-wide budget for bodies being received and records waiting for
    # Kafka: its least, 8 x 64 KiB + 64 KiB. Bytes are taken as they arrive; a
    # declared length must fit what is left.
    size, budget = 60000, 8 * 65536 + 65536
    gw = Gateway(gateway_args(cluster.bootstrap, "--max-body", "65536",
                              "--max-buffered-bytes", str(budget)))
    rd = TopicReader(cluster.bootstrap)
    held = []
    try:
        # headers declaring lengths their clients do not send hold nothing
        idle = []
        for _ in range(20):                    # 1.2 MB declared, over the budget
            doc, body = padded_event(size)
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(post_head(body))
            idle.append(s)
        time.sleep(0.3)
        assert metric(gw.port, "hookgate_buffered_bytes") == 0
        r = post_signed(gw.port, "/slack/events", padded_event(size)[1], "application/json")
        assert r.status == 200, r
        for s in idle:
            s.close()

        for _ in range(9):                     # 539,991 bytes sent, all but one of each
            doc, body = padded_event(size)
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(post_head(body) + body[:size - 1])
            held.append((s, doc, body))
        deadline = time.monotonic() + 5
        while metric(gw.port, "hookgate_buffered_bytes") != 9 * (size - 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert metric(gw.port, "hookgate_buffered_bytes") == 9 * (size - 1)

        # a tenth is answered from its headers alone: 503, Retry-After, closed
        doc9, body9 = padded_event(size)
        s = socket.create_connection(("127.0.0.1", gw.port))
        s.sendall(post_head(body9))
        status, headers, body, _ = read_response(s)
        s.close()
        assert status == 503, body
        d = json.loads(body)
        assert d["error"] == "buffer_full" and str(budget) in d["message"], d
        assert headers.get("retry-after") == "1" and headers.get("connection", "").lower() == "close"

        # a chunked body is counted as it comes: over the 49,833 bytes left → 503
        s = socket.create_connection(("127.0.0.1", gw.port))
        s.sendall(post_head(body9, content_length=False))
        chunk = b"1000\r\n" + b" " * 4096 + b"\r\n"
        for _ in range(15):                    # 61,440 bytes at most (under --max-body)
            try:
                s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            if select.select([s], [], [], 0.02)[0]:
                break
        status, headers, body, _ = read_response(s)
        s.close()
        assert status == 503 and json.loads(body)["error"] == "buffer_full", body
        assert metric(gw.port, "hookgate_buffer_full_total") == 2
        assert metric(gw.port, "hookgate_buffered_bytes") == 9 * (size - 1)

        # finishing one request gives its bytes back (after its 200): the retry of the tenth passes
        s0, doc0, body0 = held.pop(0)
        s0.sendall(body0[size - 1:])
        status, _, body, _ = read_response(s0)
        assert status == 200, body
        r = post_signed(gw.port, "/slack/events", body9, "application/json")
        assert r.status == 200, r

        # clients that go away mid-body give theirs back
        for s, _, _ in held:
            s.close()
        deadline = time.monotonic() + 5
        while metric(gw.port, "hookgate_buffered_bytes") != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert metric(gw.port, "hookgate_buffered_bytes") == 0
        s0.close()

        # what was answered 200 is on the topic once; what was refused or cut off is not
        for doc in (doc0, doc9):
            assert len(rd.wait_for(lambda x, i=doc["event_id"]: x["id"] == i)) == 1
        rd.poll(1)
        for _, doc, _ in held:
            assert rd.find(lambda x, i=doc["event_id"]: x["id"] == i) == []
    finally:
        for s, _, _ in held:
            s.close()
        rd.close()
        assert gw.stop() == 0, gw.stderr()


def test_max_buffered_bytes_must_hold_the_largest_request():
    rc, err = run_refused(["--signing-secret", SECRET, "--max-body", "1048576",
                           "--max-buffered-bytes", "8388608"])
    assert rc != 0 and "--max-buffered-bytes" in err and "8454144" in err, err



# ---- 415, 431 ---------------------------------------------------------------------------

def test_415_unsupported_content_type(gateway):
    doc = bad_event()
    body = json.dumps(doc).encode()
    for ct in ("text/plain", "application/jsonx", "multipart/form-data; boundary=x"):
        assert_error(post_signed(gateway.port, "/slack/events", body, ct), 415, "unsupported_media_type")
    # missing Content-Type on the events route
    h = sign(body)
    assert_error(request(gateway.port, "POST", "/slack/events", body, h), 415)
    form = b"command=%2Fx&team_id=T1"
    assert_error(post_signed(gateway.port, "/slack/commands", form, "application/json"), 415)
    assert_error(post_signed(gateway.port, "/slack/interactive", b"payload=%7B%7D", "text/plain"), 415)


def test_431_huge_headers(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    try:
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 20000 + b"\r\n"
                  b"Content-Length: 2\r\n\r\n{}")
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, headers, body, _ = read_response(s)
    s.close()
    assert status == 431
    d = json.loads(body)
    assert d["error"] == "headers_too_large" and d["message"], d
    # many small headers add up the same way
    s = socket.create_connection(("127.0.0.1", gateway.port))
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(200))
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, _, _, _ = read_response(s)
    s.close()
    assert status == 431


def test_431_too_many_header_fields(gateway):
    # tiny fields, far under the byte limit: at most 64 of them (Host included)
    def get_with(n_extra):
        s = socket.create_connection(("127.0.0.1", gateway.port))
        extra = b"".join(b"X-%d: v\r\n" % i for i in range(n_extra))
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = read_response(s)
        s.close()
        return out
    assert get_with(63)[0] == 200
    for n in (64, 1500):
        status, _, body, _ = get_with(n)
        assert status == 431, (n, status)
        d = json.loads(body)
        assert d == {"error": "too_many_headers", "message": "more than 64 header fields"}, d


def test_request_smuggling_shapes_are_400(gateway):
    # Content-Length together with Transfer-Encoding, and two different
    # Content-Lengths, are refused rather than guessed at
    for head in (b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
                 b"Content-Length: 2\r\nContent-Length: 3\r\n"):
        s = socket.create_connection(("127.0.0.1", gateway.port))
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + head +
                  b"\r\n{}\r\n\r\n")
        status, headers, body, _ = read_response(s)
        s.close()
        assert status == 400, (head, status, body)
        assert json.loads(body)["error"]


def test_malformed_http_is_400(gateway):
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
    status, headers, body, _ = read_response(s)
    s.close()
    assert status == 400
    assert json.loads(body)["error"]


# ---- nothing refused was written ------------------------------------------------------------

def test_no_refused_request_reached_the_topic(gateway, reader):
    assert len(refused_ids) >= 10
    reader.poll(1.5)
    leaked = reader.find(lambda x: x["id"] in refused_ids or x["id"].startswith("EvBAD"))
    assert leaked == []
    # the reader does see this module's accepted records (the check above is not vacuous)
    assert len(reader.messages) >= 1
