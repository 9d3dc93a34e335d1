# test_ops.py — operations: /healthz, /readyz, /metrics (counters move with
# traffic), and SIGTERM during load: /readyz turns 503 for the grace period,
# no acknowledged record is lost, the process exits 0.
import http.client
import json
import os
import signal
import socket
import threading
import time

from conftest import (TOPIC, Gateway, MockCluster, TopicReader, event_callback, gateway_args,
                      post_event, request)


def metrics(port):
    r = request(port, "GET", "/metrics")
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for line in r.body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


def delta(before, after, name):
    return after.get(name, 0) - before.get(name, 0)


def test_healthz_and_readyz(gateway):
    r = request(gateway.port, "GET", "/healthz")
    assert r.status == 200 and r.body == b"ok\n"
    r = request(gateway.port, "GET", "/readyz")
    assert r.status == 200 and r.body == b"ready\n"
    r = request(gateway.port, "HEAD", "/healthz")
    assert r.status == 200 and r.body == b""
    r = request(gateway.port, "GET", "/healthz?probe=alb")
    assert r.status == 200


def test_metrics_counters_move(gateway, reader):
    before = metrics(gateway.port)
    assert "hookgate_ack_latency_seconds_count" in before
    a, b = event_callback(), event_callback()
    assert post_event(gateway.port, a).status == 200
    assert post_event(gateway.port, b).status == 200
    # a duplicate (Slack retry of an acknowledged event)
    assert post_event(gateway.port, a, extra={"X-Slack-Retry-Num": "1",
                                             "X-Slack-Retry-Reason": "http_timeout"}).status == 200
    assert post_event(gateway.port, event_callback(), secret="wrong").status == 401
    assert post_event(gateway.port, event_callback(), ts=int(time.time()) - 3600).status == 401
    assert request(gateway.port, "GET", "/nowhere").status == 404
    assert request(gateway.port, "GET", "/slack/events").status == 405
    after = metrics(gateway.port)

    req = 'hookgate_http_requests_total{route="%s",code="%s"}'
    assert delta(before, after, req % ("events", "200")) == 3
    assert delta(before, after, req % ("events", "401")) == 2
    assert delta(before, after, req % ("unknown", "404")) == 1
    assert delta(before, after, req % ("events", "405")) == 1
    assert delta(before, after, req % ("metrics", "200")) == 1      # the first scrape
    assert delta(before, after, 'hookgate_signature_failures_total{reason="signature does not match"}') == 1
    assert delta(before, after, 'hookgate_signature_failures_total{reason="timestamp outside the allowed window"}') == 1
    assert delta(before, after, "hookgate_duplicates_total") == 1
    assert delta(before, after, "hookgate_records_total") == 2
    assert delta(before, after, "hookgate_ack_latency_seconds_count") == 2
    assert delta(before, after, "hookgate_ack_latency_seconds_sum") > 0
    assert after['hookgate_ack_latency_seconds_bucket{le="+Inf"}'] == after["hookgate_ack_latency_seconds_count"]
    assert after["hookgate_inflight_records"] == 0
    assert after["hookgate_open_connections"] >= 1                   # this scrape's
    for rid in (a["event_id"], b["event_id"]):
        assert len(reader.by_id(rid)) == 1


def test_handshake_counter(gateway):
    before = metrics(gateway.port)
    doc = {"token": "t", "challenge": "c123", "type": "url_verification"}
    assert post_event(gateway.port, doc).status == 200
    after = metrics(gateway.port)
    assert delta(before, after, "hookgate_handshakes_total") == 1
    assert delta(before, after, "hookgate_records_total") == 0


# ---- SIGTERM during load ----------------------------------------------------------

GRACE_MS = 1500


def test_sigterm_during_load_loses_no_acknowledged_record():
    mc = MockCluster()
    mc.cmd(f"topic {TOPIC} 4")
    gw = Gateway(gateway_args(mc.bootstrap, "--shutdown-grace-ms", str(GRACE_MS)))
    port = gw.port
    results = []            # (event_id, status, t_start)
    answers = []            # (t_answer, Connection: close)
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        conn = None
        while not stop.is_set():
            # one channel per event (the key): the records spread over the
            # 4 partitions instead of filling one past the mock cluster's
            # 5 MiB a partition (see TopicReader.truncated)
            doc = event_callback()
            doc["event"]["channel"] = "C" + doc["event_id"][-8:].upper()
            t = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                r = post_event(port, doc, conn=conn)
                status = r.status
                closing = r.headers.get("connection", "").lower() == "close"
                with lock:
                    answers.append((time.monotonic(), closing))
                if closing:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status = None
                if conn is not None:
                    conn.close()
                    conn = None
                time.sleep(0.01)
            with lock:
                results.append((doc["event_id"], status, t))
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        with lock:
            before_term = sum(1 for _, s, _ in results if s == 200)
        assert before_term > 0, results[:5]

        t_term = time.monotonic()
        gw.proc.send_signal(signal.SIGTERM)
        ready = []          # (time since SIGTERM, status) while the process lives
        while gw.proc.poll() is None and time.monotonic() - t_term < 20:
            try:
                r = request(port, "GET", "/readyz", timeout=2)
                ready.append((time.monotonic() - t_term, r.status))
            except OSError:
                ready.append((time.monotonic() - t_term, None))
            time.sleep(0.05)
        rc = gw.proc.wait(timeout=20)
        t_exit = time.monotonic() - t_term
    finally:
        stop.set()
        for t in threads:
            t.join()
        gw.stop()

    try:
        assert rc == 0, gw.stderr()
        assert t_exit >= GRACE_MS / 1000 - 0.05, t_exit
        # /readyz said 503 during the grace period, and never 200 after SIGTERM
        seen = [s for ts, s in ready if ts < GRACE_MS / 1000 - 0.1]
        assert 503 in seen, ready
        assert all(s != 200 for ts, s in ready if ts > 0.2), ready
        # requests were still served during the grace period
        acked = [rid for rid, s, _ in results if s == 200]
        after_term = [rid for rid, s, t in results if s == 200 and t > t_term]
        assert after_term, "no request was served after SIGTERM"
        # and each of those answers closed its connection (clients move on
        # instead of holding keep-alive connections the final cut resets)
        late = [closing for t, closing in answers if t > t_term + 0.2]
        assert late and all(late), late
        statuses = {s for _, s, _ in results}
        assert statuses <= {200, 503, None}, statuses
        log = gw.log_events()
        assert any(e.get("event") == "shutdown_started" for e in log), log
        assert any(e.get("event") == "shutdown_complete" for e in log), log

        # every acknowledged record is on the topic
        rd = TopicReader(mc.bootstrap)
        want = set(acked)
        found = rd.wait_for(lambda x: x["id"] in want, n=len(want), timeout=20)
        got = {rec["id"] for _, rec in found}
        cut = rd.truncated()
        rd.close()
        assert not cut, f"the mock cluster dropped old records (partition: first offset kept) {cut}: the test sent too much"
        assert want - got == set(), f"{len(want - got)} of {len(want)} acknowledged records lost"
        assert len(found) == len(want), "an acknowledged record was written twice"
    finally:
        mc.stop()


def test_sigint_also_exits_cleanly(cluster):
    gw = Gateway(gateway_args(cluster.bootstrap, threads=1))
    assert request(gw.port, "GET", "/healthz").status == 200
    assert gw.stop(sig=signal.SIGINT) == 0, gw.stderr()
    assert any(e.get("event") == "shutdown_complete" for e in gw.log_events())


def _cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime


def test_out_of_descriptors_pauses_accept_without_spinning(cluster):
    # under a small open-files limit, more clients than descriptors: the
    # listener pauses (no busy loop on EMFILE), start-up warned about the
    # limit, and once clients leave the gateway serves again
    gw = Gateway(gateway_args(cluster.bootstrap, threads=1), wrapper=["prlimit", "--nofile=64:64"])
    socks = []
    try:
        assert any(e.get("event") == "open_files_limit_low" for e in gw.log_events()), gw.stderr()
        for _ in range(100):
            socks.append(socket.create_connection(("127.0.0.1", gw.port)))
        time.sleep(0.5)
        t0 = _cpu_ticks(gw.proc.pid)
        time.sleep(1.0)
        used = _cpu_ticks(gw.proc.pid) - t0
        assert used < 0.3 * os.sysconf("SC_CLK_TCK"), f"{used} ticks in 1 s: spinning on accept"
        assert any(e.get("event") == "accept_paused" for e in gw.log_events()), gw.stderr()
    finally:
        for s in socks:
            s.close()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                r = request(gw.port, "GET", "/metrics", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert r.status == 200
        paused = [l for l in r.body.decode().splitlines() if l.startswith("hookgate_accept_paused_total")]
        assert paused and float(paused[0].split()[-1]) >= 1, paused
        assert post_event(gw.port, event_callback()).status == 200
    finally:
        assert gw.stop() == 0
