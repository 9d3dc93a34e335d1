# test_kafka_failure.py — the durable-acknowledgement contract under broker
# faults injected through hookgate-mockcluster: brokers down, produce errors,
# slow acks, full in-flight queue → 503 + Retry-After within the ack deadline;
# after recovery the same request succeeds and is on the topic once; a record
# answered 503 does not turn up later. librdkafka facts: protocols.md §11
# (src/rdkafka.h, rdkafka_mock.h @ v2.0.2).
import json
import socket
import signal
import threading
import time

import pytest

from conftest import (ACK_TIMEOUT_MS, TOPIC, Gateway, MockCluster, TopicReader, assert_error, sign,
                      event_callback, gateway_args, metric, post_event, request)

DEADLINE_S = ACK_TIMEOUT_MS / 1000 + 0.5
# reconnect quickly after "up all" so recovery is measured in seconds
FAST_RECONNECT = ["--kafka", "reconnect.backoff.max.ms=200", "--kafka", "reconnect.backoff.ms=50"]


@pytest.fixture
def faulty():
    """A fresh cluster + gateway + reader per test: faults do not leak."""
    mc = MockCluster()
    mc.cmd(f"topic {TOPIC} 4")
    gw = Gateway(gateway_args(mc.bootstrap, *FAST_RECONNECT, "--retry-after", "2"))
    rd = TopicReader(mc.bootstrap)
    yield mc, gw, rd
    rd.close()
    rc = gw.stop()
    mc.stop()
    assert rc == 0, gw.stderr()


def assert_503(r, codes=("kafka_delivery_failed", "kafka_ack_timeout", "kafka_queue_failed")):
    assert r.status == 503, r
    assert r.headers.get("retry-after") == "2", r.headers
    doc = json.loads(r.body)
    assert doc["error"] in codes, doc
    assert doc["message"]
    assert r.elapsed < DEADLINE_S, f"503 after {r.elapsed:.2f}s, deadline {DEADLINE_S}s"
    return doc


def retry_until_200(port, doc, timeout=15, extra=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = post_event(port, doc, extra=extra)
        if last.status == 200:
            return last
        assert last.status == 503, last
        time.sleep(0.2)
    raise AssertionError(f"no 200 within {timeout}s after recovery: {last}")


def test_brokers_down_503_then_same_request_succeeds(faulty):
    mc, gw, rd = faulty
    warm = event_callback()
    assert post_event(gw.port, warm).status == 200   # producer connected and idle
    assert len(rd.by_id(warm["event_id"])) == 1

    mc.cmd("down all")
    a, b = event_callback(), event_callback()
    assert_503(post_event(gw.port, a))
    assert_503(post_event(gw.port, b))

    mc.cmd("up all")
    # Slack's retry of the failed delivery (protocols.md §2: x-slack-retry-num,
    # x-slack-retry-reason; docs.slack.dev/apis/events-api)
    r = retry_until_200(gw.port, a, extra={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    assert r.body == b""
    found = rd.by_id(a["event_id"])
    assert len(found) == 1
    rec = found[0][1]
    assert rec["slackretrynum"] == 1 and rec["slackretryreason"] == "http_error"
    assert rec["data"] == a
    # the 503 answers stay unwritten: a exactly once (its retry), b never
    rd.poll(3)
    assert len(rd.find(lambda x: x["id"] == a["event_id"])) == 1
    assert rd.find(lambda x: x["id"] == b["event_id"]) == []
    assert rd.find(lambda x: x["id"] == warm["event_id"])[0][1]["data"] == warm


def wait_readyz(port, status, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = request(port, "GET", "/readyz")
        if r.status == status:
            return r
        time.sleep(0.2)
    raise AssertionError(f"/readyz not {status} within {timeout}s: {r}")


def test_readyz_follows_the_broker_connections(faulty):
    # a load balancer sends traffic elsewhere while this instance cannot
    # reach Kafka, and back once it can (librdkafka's statistics, every 1 s)
    mc, gw, rd = faulty
    assert post_event(gw.port, event_callback()).status == 200
    wait_readyz(gw.port, 200)
    assert metric(gw.port, "hookgate_kafka_producers_down") == 0
    mc.cmd("down all")
    r = wait_readyz(gw.port, 503)
    assert json.loads(r.body)["error"] == "kafka_unreachable"
    assert metric(gw.port, "hookgate_kafka_producers_down") >= 1   # one a thread
    assert "kafka_unreachable" in gw.stderr()
    assert request(gw.port, "GET", "/healthz").status == 200   # alive all the same
    mc.cmd("up all")
    wait_readyz(gw.port, 200)   # no request needed to notice
    assert metric(gw.port, "hookgate_kafka_producers_down") == 0
    assert retry_until_200(gw.port, event_callback()).status == 200


def test_readyz_says_when_the_cluster_has_no_such_topic():
    # brokers up, the topic missing (a typo, deleted, MSK's auto-creation
    # off): every request got 503 while /readyz said 200. From librdkafka's
    # statistics, without a request; back to 200 once the topic is there.
    mc = MockCluster()
    topic = "it.topic.missing"
    mc.cmd(f"topic-error {topic} 3")   # 3 = UNKNOWN_TOPIC_OR_PART in Metadata answers
    gw = Gateway(gateway_args(mc.bootstrap, "--topic", topic, *FAST_RECONNECT, threads=1))
    try:
        r = wait_readyz(gw.port, 503)
        body = json.loads(r.body)
        assert body["error"] == "kafka_topic_missing" and "auto-creation" in body["message"], body
        missing = [e for e in gw.log_events() if e.get("event") == "kafka_topic_missing"]
        assert len(missing) == 1 and missing[0]["topic"] == topic and missing[0]["level"] == "error"
        assert metric(gw.port, "hookgate_kafka_topic_missing") == 1
        mc.cmd(f"topic-error {topic} 0")   # the mock then creates it, as auto-creation would
        wait_readyz(gw.port, 200)
        assert any(e.get("event") == "kafka_topic_found" for e in gw.log_events())
        assert metric(gw.port, "hookgate_kafka_topic_missing") == 0
        assert retry_until_200(gw.port, event_callback()).status == 200
    finally:
        rc = gw.stop()
        mc.stop()
    assert rc == 0, gw.stderr()[-2000:]


def test_readyz_stays_200_for_a_topic_that_exists(faulty):
    # the topic check must not flap: with the topic there, every statistics
    # tick over a few seconds leaves /readyz at 200 and logs nothing
    mc, gw, rd = faulty
    for _ in range(15):
        assert request(gw.port, "GET", "/readyz").status == 200
        time.sleep(0.2)
    assert not [e for e in gw.log_events() if e.get("event") == "kafka_topic_missing"]


def test_produce_errors_503_then_200_after_clearing(faulty):
    mc, gw, rd = faulty
    assert post_event(gw.port, event_callback()).status == 200
    # 7 = REQUEST_TIMED_OUT: retriable, librdkafka retries until message.timeout.ms
    mc.cmd("produce-errors 1000 7")
    d = event_callback()
    assert_503(post_event(gw.port, d))
    mc.cmd("clear-produce-errors")
    retry_until_200(gw.port, d)
    assert len(rd.by_id(d["event_id"])) == 1
    rd.poll(2)
    assert len(rd.find(lambda x: x["id"] == d["event_id"])) == 1


def test_permanent_produce_error_is_immediate_503(faulty):
    mc, gw, rd = faulty
    assert post_event(gw.port, event_callback()).status == 200
    # 87 = INVALID_RECORD: not retriable, the delivery report fails at once
    mc.cmd("produce-errors 1 87")
    d = event_callback()
    r = post_event(gw.port, d)
    doc = assert_503(r, codes=("kafka_delivery_failed",))
    assert r.elapsed < 0.8, r.elapsed
    assert "failed to validate record" in doc["message"], doc
    r = post_event(gw.port, d)
    assert r.status == 200, r
    rd.poll(1.5)
    assert len(rd.find(lambda x: x["id"] == d["event_id"])) == 1


def test_broker_refusing_the_size_is_413(faulty):
    mc, gw, rd = faulty
    # 10 = MESSAGE_TOO_LARGE from the broker (the topic's max.message.bytes):
    # a retry of that record cannot succeed, so 413 rather than 503
    mc.cmd("produce-errors 1 10")
    d = event_callback()
    r = post_event(gw.port, d)
    assert_error(r, 413, "record_too_large")
    assert r.elapsed < 0.8, r.elapsed
    rd.poll(1.5)
    assert rd.find(lambda x: x["id"] == d["event_id"]) == []


def test_slow_ack_answered_503_at_the_deadline(faulty):
    mc, _, rd = faulty
    # a message timeout longer than the ack deadline (a user override through
    # --kafka), so the deadline itself answers, not a failed delivery report
    gw = Gateway(gateway_args(mc.bootstrap, "--kafka", "message.timeout.ms=20000", "--retry-after", "2"))
    try:
        warm = event_callback()
        assert post_event(gw.port, warm).status == 200
        assert len(rd.by_id(warm["event_id"])) == 1     # reader connected before the fault
        mc.cmd("rtt 1 2500")
        d = event_callback()
        r = post_event(gw.port, d)
        doc = assert_503(r, codes=("kafka_ack_timeout",))
        assert r.elapsed >= ACK_TIMEOUT_MS / 1000 - 0.1, r.elapsed
        mc.cmd("rtt 1 0")
        # the record lands later ("possibly persisted"; consumers dedupe by id)
        # and is counted as a late ack
        assert len(rd.by_id(d["event_id"], timeout=8)) == 1
        # (the reader may see the record before the producer has its report)
        deadline = time.monotonic() + 5
        while True:
            m = request(gw.port, "GET", "/metrics").body.decode().splitlines()
            if "hookgate_late_acks_total 1" in m or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert "hookgate_late_acks_total 1" in m, m
        assert "hookgate_ack_timeouts_total 1" in m
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_inflight_limit_answers_503_at_once(faulty):
    mc, _, rd = faulty
    gw = Gateway(gateway_args(mc.bootstrap, "--max-inflight", "1", "--retry-after", "2", threads=1,
                              ack_timeout_ms=3000))
    try:
        assert post_event(gw.port, event_callback()).status == 200
        mc.cmd("rtt 1 1500")
        slow = {}
        t = threading.Thread(target=lambda: slow.setdefault("r", post_event(gw.port, event_callback())))
        t.start()
        time.sleep(0.3)          # the first record is now waiting for Kafka
        r = post_event(gw.port, event_callback())
        t.join()
        assert r.status == 503, r
        assert r.headers.get("retry-after") == "2"
        assert json.loads(r.body)["error"] == "overloaded"
        assert r.elapsed < 0.5, r.elapsed
        assert slow["r"].status == 200, slow
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_loop_not_blocked_while_waiting_for_kafka(faulty):
    # one loop thread: while its record waits for a slow broker, the same loop
    # keeps answering other requests at once
    mc, _, rd = faulty
    gw = Gateway(gateway_args(mc.bootstrap, threads=1, ack_timeout_ms=3000))
    try:
        assert post_event(gw.port, event_callback()).status == 200
        mc.cmd("rtt 1 1500")
        slow = {}
        t = threading.Thread(target=lambda: slow.setdefault("r", post_event(gw.port, event_callback())))
        t.start()
        time.sleep(0.2)
        for _ in range(5):
            r = request(gw.port, "GET", "/healthz")
            assert r.status == 200 and r.elapsed < 0.5, r.elapsed
        t.join()
        assert slow["r"].status == 200 and slow["r"].elapsed >= 1.3, slow
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_sigterm_lets_a_waiting_request_finish(faulty):
    # SIGTERM (no grace period) while a record waits for its ack: the request
    # still gets its 200, the record is on the topic, exit 0
    mc, _, rd = faulty
    gw = Gateway(gateway_args(mc.bootstrap, threads=1, ack_timeout_ms=3000))
    warm = event_callback()
    assert post_event(gw.port, warm).status == 200
    assert len(rd.by_id(warm["event_id"])) == 1
    mc.cmd("rtt 1 1000")
    d = event_callback()
    slow = {}

    def send():
        try:
            slow["r"] = post_event(gw.port, d)
        except OSError as e:
            slow["e"] = e

    t = threading.Thread(target=send)
    t.start()
    time.sleep(0.3)
    gw.proc.send_signal(signal.SIGTERM)
    t.join()
    rc = gw.stop()
    mc.cmd("rtt 1 0")
    assert rc == 0, gw.stderr()
    assert "r" in slow, f"the in-flight request got no answer: {slow.get('e')!r}"
    assert slow["r"].status == 200, slow["r"]
    assert len(rd.by_id(d["event_id"])) == 1


def test_sigterm_with_brokers_down_answers_and_exits(faulty):
    # the waiting request still gets its answer (503, nothing acknowledged),
    # and shutdown does not hang on a producer that cannot flush
    mc, _, rd = faulty
    gw = Gateway(gateway_args(mc.bootstrap, "--retry-after", "2", threads=1))
    assert post_event(gw.port, event_callback()).status == 200
    mc.cmd("down all")
    res = {}

    def send():
        try:
            res["r"] = post_event(gw.port, event_callback())
        except OSError as e:
            res["e"] = e

    t = threading.Thread(target=send)
    t.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    gw.proc.send_signal(signal.SIGTERM)
    rc = gw.proc.wait(timeout=15)
    took = time.monotonic() - t0
    t.join()
    gw.stop()
    mc.cmd("up all")
    assert rc == 0, gw.stderr()
    # well under the 10 s flush the gateway would wait for a reachable cluster
    # (librdkafka scans message timeouts about once a second, and its destroy
    # waits for broker threads)
    assert took < ACK_TIMEOUT_MS / 1000 + 4.0, took
    assert "r" in res, f"the waiting request got no answer: {res.get('e')!r}"
    assert_503(res["r"])


def test_record_over_the_kafka_message_limit_is_413_not_503(cluster, reader):
    # a body the HTTP limit allows but whose record Kafka can never take:
    # 413 (a retry cannot succeed), not 503 forever; nothing on the topic
    gw = Gateway(gateway_args(cluster.bootstrap, "--kafka", "message.max.bytes=5000"))
    try:
        big = event_callback(event={"type": "message", "channel": "C0BIG", "text": "x" * 8000,
                                    "event_ts": "1.000001"})
        r = post_event(gw.port, big)
        assert_error(r, 413, "record_too_large")
        assert "message.max.bytes" in r.json()["message"]
        small = event_callback()
        assert post_event(gw.port, small).status == 200   # the producer is fine
        assert len(reader.wait_for(lambda x: x["id"] == small["event_id"])) == 1
        assert reader.by_id(big["event_id"]) == []
    finally:
        assert gw.stop() == 0


@pytest.mark.parametrize("value", ["20000", "0"])   # 0 is librdkafka's "no timeout"
def test_message_timeout_over_the_ack_deadline_is_warned(cluster, value):
    gw = Gateway(gateway_args(cluster.bootstrap, "--kafka", f"delivery.timeout.ms={value}"))
    try:
        ev = [e for e in gw.log_events() if e.get("event") == "kafka_timeout_over_deadline"]
        assert ev and ev[0]["message.timeout.ms"] == value, gw.stderr()
    finally:
        assert gw.stop() == 0


@pytest.mark.parametrize("ack_ms,warned", [(500, True), (1099, True), (ACK_TIMEOUT_MS, False)])
def test_short_ack_deadline_is_warned(cluster, ack_ms, warned):
    # message.timeout.ms is held a second under the deadline (librdkafka
    # scans for timed-out records about once a second), at least 100 ms:
    # below 1100 ms there is less than that second, so a 503'd record may
    # still be sent later. Said at start, not silently.
    gw = Gateway(gateway_args(cluster.bootstrap, ack_timeout_ms=ack_ms))
    try:
        ev = [e for e in gw.log_events() if e.get("event") == "kafka_timeout_margin_short"]
        assert bool(ev) == warned, gw.stderr()
        if warned:
            assert ev[0]["ack_timeout_ms"] == str(ack_ms) and ev[0]["message.timeout.ms"] == "100", ev
        assert not [e for e in gw.log_events() if e.get("event") == "kafka_timeout_over_deadline"]
    finally:
        assert gw.stop() == 0


def test_fatal_producer_error_replaces_the_producer(cluster, reader):
    # 45 = OUT_OF_ORDER_SEQUENCE_NUMBER: the idempotent producer's fatal
    # error. That request gets 503; the producer is replaced, so the next
    # requests are taken again (they used to get 503 for good).
    gw = Gateway(gateway_args(cluster.bootstrap, threads=1))
    try:
        assert post_event(gw.port, event_callback()).status == 200
        cluster.cmd("produce-errors 1 45")
        d = event_callback()
        assert post_event(gw.port, d).status == 503
        deadline = time.monotonic() + 10
        while post_event(gw.port, d).status != 200:
            assert time.monotonic() < deadline, gw.stderr()[-3000:]
            time.sleep(0.2)
        assert len(reader.wait_for(lambda x: x["id"] == d["event_id"])) == 1
        events = [e.get("event") for e in gw.log_events()]
        assert "kafka_fatal" in events and "kafka_producer_replaced" in events, events
        m = request(gw.port, "GET", "/metrics").body.decode().splitlines()
        assert "hookgate_producer_restarts_total 1" in m, [l for l in m if "restart" in l]
    finally:
        assert gw.stop() == 0


def test_topic_missing_on_the_cluster_is_503_not_a_crash():
    # the topic does not exist (deleted, a typo, brokers without topic
    # auto-creation): once librdkafka marks it unknown each record is
    # refused when queued. That refusal used to free the record twice
    # (rd_kafka_produce_batch frees an F_FREE payload it refuses this way,
    # and so did the gateway): "double free or corruption", SIGABRT.
    mc = MockCluster()
    topic = "it.no.such.topic"
    mc.cmd(f"topic-error {topic} 3")   # 3 = UNKNOWN_TOPIC_OR_PART in Metadata answers
    gw = Gateway(gateway_args(mc.bootstrap, "--topic", topic, "--retry-after", "2",
                              "--kafka", "topic.metadata.propagation.max.ms=100", threads=1))
    try:
        codes = []
        for _ in range(5):
            r = post_event(gw.port, event_callback())
            assert_503(r, codes=("kafka_delivery_failed", "kafka_ack_timeout", "kafka_queue_failed"))
            codes.append(json.loads(r.body)["error"])
            time.sleep(0.2)
        assert "kafka_queue_failed" in codes, codes   # the refusal at queue time was reached
        assert "Unknown topic" in r.json()["message"], r.body
        assert gw.proc.poll() is None, gw.stderr()[-2000:]
        assert request(gw.port, "GET", "/healthz").status == 200
        # counted, and said in the log: once for the burst (at most a line
        # every 10 s a thread), with the error and the topic
        refused = codes.count("kafka_queue_failed")
        assert metric(gw.port, "hookgate_produce_refused_total") == refused
    finally:
        rc = gw.stop()
        mc.stop()
    assert rc == 0, gw.stderr()[-2000:]
    lines = [json.loads(l) for l in gw.stderr().splitlines()
             if l.startswith("{") and '"kafka_produce_refused"' in l]
    assert len(lines) == 1, lines
    assert lines[0]["error"].startswith("Local: Unknown topic"), lines
    assert lines[0]["topic"] == topic and lines[0]["records"] == "1", lines


def test_clients_cannot_take_the_descriptors_kafka_needs():
    # under an open-files limit below --max-connections, clients fill what
    # they may; a broker restart must still find descriptors to reconnect
    # with (it found none: "Too many open files", 503 until clients left)
    mc = MockCluster()
    mc.cmd(f"topic {TOPIC} 4")
    gw = Gateway(gateway_args(mc.bootstrap, *FAST_RECONNECT, "--max-connections", "1000", threads=1),
                 wrapper=["prlimit", "--nofile=256:256"])
    socks = []
    try:
        first = socket.create_connection(("127.0.0.1", gw.port))
        first.sendall(b"GET /healthz HTTP/1.1\r\nHost: it\r\n\r\n")
        assert first.recv(4096).startswith(b"HTTP/1.1 200")
        for _ in range(300):   # more than the limit: the rest wait in the backlog
            socks.append(socket.create_connection(("127.0.0.1", gw.port)))
        time.sleep(1.0)
        assert any(e.get("event") == "accept_paused" for e in gw.log_events()), gw.stderr()
        mc.cmd("down all")
        time.sleep(1.0)
        mc.cmd("up all")
        doc = event_callback()
        body = json.dumps(doc).encode()
        h = sign(body)
        deadline = time.monotonic() + 15
        while True:   # on the connection accepted first, kept alive
            first.sendall(b"POST /slack/events HTTP/1.1\r\nHost: it\r\nContent-Type: application/json\r\n"
                          b"X-Slack-Request-Timestamp: " + h["X-Slack-Request-Timestamp"].encode() +
                          b"\r\nX-Slack-Signature: " + h["X-Slack-Signature"].encode() +
                          b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            head = first.recv(65536)
            if head.startswith(b"HTTP/1.1 200"):
                break
            assert head.startswith(b"HTTP/1.1 503"), head
            assert time.monotonic() < deadline, gw.stderr()[-2000:]
            time.sleep(0.5)
        assert not [e for e in gw.log_events()
                    if e.get("event") == "kafka_log" and "Too many open files" in e.get("message", "")]
    finally:
        first.close()
        for s in socks:
            s.close()
        rc = gw.stop()
        mc.stop()
    assert rc == 0


def test_failed_deliveries_are_counted_each_but_logged_once_in_a_while(faulty):
    # an outage fails every request: one log line each, written on the loop
    # thread, would stall it behind a slow log pipe; at most a line every
    # 10 s a thread, with the counts since
    mc, gw, rd = faulty
    assert post_event(gw.port, event_callback()).status == 200
    before = metric(gw.port, "hookgate_delivery_failures_total")
    mc.cmd("produce-errors 1000 87")   # INVALID_RECORD: fails at once
    n = 20
    for _ in range(n):
        assert_503(post_event(gw.port, event_callback()), codes=("kafka_delivery_failed",))
    mc.cmd("clear-produce-errors")
    assert metric(gw.port, "hookgate_delivery_failures_total") - before == n
    lines = [e for e in gw.log_events() if e.get("event") == "kafka_delivery_failed"]
    threads = {e["thread"] for e in lines}
    assert 1 <= len(lines) <= len(threads) <= 2, lines   # the first failure of each thread
    for e in lines:
        assert e["not_persisted"] == "1" and e["possibly_persisted"] == "0", e
        assert "failed to validate record" in e["error"], e
