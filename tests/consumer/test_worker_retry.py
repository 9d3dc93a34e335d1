"""test_worker_retry.py — transient failures: retried with backoff while the
partition is paused (other partitions keep flowing, the worker stays in its
group); faults that clear end in one PASS; faults that never clear end in
the dead-letter topic with the step/reason/attempts/source headers."""
import json
import time

import pytest

from conftest import wait_for
from test_worker_e2e import DT, GOOD_CSV, data_key, wait_committed, wait_messages


def test_transient_faults_clear(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.fault("files.info", "429", "204")        # Retry-After: 1; a 2xx that is no answer
    env.slack.fault("download", "500", "503", "202")
    env.slack.fault("chat.postMessage", "429")
    env.glue.fault("StartJobRun", "ConcurrentRunsExceededException")
    env.s3proxy.fault("PUT", "/campaign_tags/", 503, "SlowDown", times=1)
    event_id, rec = env.file_shared("F1")
    p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=10)
    env.produce(rec)
    msgs = wait_messages(env, 1, timeout=60)
    wait_committed(env, 1, timeout=60)
    assert len(msgs) == 1 and msgs[0]["text"].startswith(":white_check_mark: PASS")
    assert env.data_keys() == [data_key(env)]
    assert len(env.glue.runs) == 1
    # The worker retried (not librdkafka or curl alone), honouring Retry-After:
    # the second files.info came at least ~1 s after the 429.
    fi = env.slack.calls("files.info")
    assert len(fi) >= 2
    assert fi[1]["time"] - fi[0]["time"] >= 0.9
    events = env.log_events(p)
    retries = [e for e in events if e.get("event") == "retry_scheduled"]
    assert len(retries) >= 3, retries
    assert not [e for e in events if e.get("event") == "partitions_revoked"]


def test_glue_resource_limit_is_retried_not_reported(env):
    # StartJobRun answers ResourceNumberLimitExceededException (400) when the
    # account's limit on concurrent runs or DPUs is reached; it clears when
    # other runs finish. It used to be permanent: the owner was told their
    # upload had failed. Now the Glue client retries it in place (it proves
    # no run started), so the file passes with one run, one object and one
    # message, and the worker never had to look for an earlier run again.
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.glue.fault("StartJobRun", "ResourceNumberLimitExceededException")
    _, rec = env.file_shared("F1")
    p = env.start()
    env.produce(rec)
    msgs = wait_messages(env, 1, timeout=60)
    wait_committed(env, 1, timeout=60)
    assert len(msgs) == 1 and msgs[0]["text"].startswith(":white_check_mark: PASS"), msgs
    assert len(env.glue.runs) == 1 and env.glue.runs[0]["JobRunId"] in msgs[0]["text"]
    assert env.data_keys() == [data_key(env)]
    assert len([r for r in env.glue.requests if r["op"] == "StartJobRun"]) == 2
    assert len([r for r in env.glue.requests if r["op"] == "GetJobRuns"]) == 1
    assert len(env.slack.messages) == 1
    assert env.read_topic(env.topic + ".dlq", 1, timeout=2) == []
    assert not [e for e in env.log_events(p) if e.get("event") == "retry_scheduled"]


def test_glue_resource_limit_that_never_clears_is_dead_lettered(env):
    # It never clears: dead-lettered (set aside for a redrive once other runs
    # have finished), not a permanent ERROR with a done marker.
    dead_letter_glue_start(env, "ResourceNumberLimitExceededException", 2)


def test_backoff_pauses_only_its_partition(env):
    env.use_topic(2)
    env.slack.add_file("FA", "campaign_tags.csv", GOOD_CSV)
    env.slack.add_file("FB", "orders.csv", b"order_id,amount,paid,day,note\n1,2.5,true,2026-01-02,x\n")
    env.glue.jobs.add("mkt-orders-load")
    env.slack.fault("download:FA", "always:503")
    _, rec_a = env.file_shared("FA")
    _, rec_a2 = env.file_shared("FA")        # a second record behind A, same partition
    _, rec_b = env.file_shared("FB")
    p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=50, HOOKGATE_RETRY_BASE_MS=200, HOOKGATE_RETRY_MAX_MS=300)
    env.produce(rec_a, partition=0)
    env.produce(rec_a2, partition=0)
    wait_for(lambda: len(env.slack.calls("download")) >= 2, 30, what="A retrying")
    env.produce(rec_b, partition=1)
    msgs = wait_messages(env, 1, timeout=30)
    assert "orders.csv" in msgs[0]["text"] and "PASS" in msgs[0]["text"]
    assert env.committed(0) < 0 or env.committed(0) == 0   # A not committed while it retries
    n_before = len([r for r in env.slack.calls("download") if "/FA/" in r["path"]])
    time.sleep(1.0)
    n_after = len([r for r in env.slack.calls("download") if "/FA/" in r["path"]])
    assert n_after > n_before          # still retrying A with backoff
    # The record behind A in the same partition was not processed out of order.
    assert len([m for m in env.slack.messages if "campaign_tags" in m["text"]]) == 0
    env.slack.clear_faults()
    wait_messages(env, 3, timeout=30)
    wait_for(lambda: env.committed(0) == 2, 30, what="partition 0 committed")
    texts = [m["text"] for m in env.slack.messages]
    assert sum("campaign_tags.csv" in t for t in texts) == 2   # two events, one message each
    assert len(env.glue.runs) == 2 and {r["JobName"] for r in env.glue.runs} == \
        {"mkt-campaign_tags-load", "mkt-orders-load"}
    events = env.log_events(p)
    assert not [e for e in events if e.get("event") == "partitions_revoked"]


def dead_letter_glue_start(env, code, attempts):
    """Share F1 with StartJobRun always answering code, with
    HOOKGATE_RETRY_MAX_ATTEMPTS=attempts; check that the record ends in the
    dead-letter topic from the glue_start step, with one set-aside notice,
    no run and no done marker. Returns the dead-lettered message and its
    headers."""
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.glue.fault("StartJobRun", "always:" + code)
    _, rec = env.file_shared("F1")
    env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=attempts)
    env.produce(rec)
    wait_committed(env, 1, timeout=90)
    dl = env.read_topic(env.topic + ".dlq", 1)
    assert len(dl) == 1
    m = dl[0]
    assert m.value() == rec
    h = {k: v.decode() for k, v in m.headers()}
    assert h["hookgate-dlq-step"] == "glue_start"
    assert code in h["hookgate-dlq-reason"]
    assert h["hookgate-dlq-attempts"] == str(attempts)
    # The channel heard once that the file is stuck; no Glue run happened.
    msgs = wait_messages(env, 1)
    assert len(msgs) == 1 and msgs[0]["text"].startswith(":x: ERROR") and \
        "%d attempts" % attempts in msgs[0]["text"] and "set aside" in msgs[0]["text"], msgs
    assert env.glue.runs == []
    # No done marker: a redrive may still finish the job.
    assert not [k for k in env.s3.keys(env.prefix + "/_hookgate/done/")]
    return m, h


def test_exhausted_retries_go_to_dead_letter_topic(env):
    m, h = dead_letter_glue_start(env, "ThrottlingException", 3)
    assert m.key() == b"T0TEST:C0TEST"
    assert h["hookgate-dlq-source-topic"] == env.topic
    assert h["hookgate-dlq-source-partition"] == "0"
    assert h["hookgate-dlq-source-offset"] == "0"


def metric(text, name):
    """The value of metric name (with its labels) in a /metrics text, or None."""
    for line in text.splitlines():
        if line.split(" ")[0] == name:
            return float(line.split()[-1])
    return None


def test_admin_metrics_and_healthz(env):
    import urllib.request
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.fault("files.info", "500")
    from conftest import free_port
    port = free_port()
    env.start(HOOKGATE_ADMIN_LISTEN="127.0.0.1:%d" % port)
    _, rec = env.file_shared("F1")
    env.produce(rec)
    env.produce(env.record("com.slack.command", "cmd-1", {"command": "/x"}))
    wait_committed(env, 2, timeout=30)

    text = wait_for(lambda: (lambda t: t if metric(t, 'hookgate_consumer_records_total{outcome="pass"}') == 1
                             else None)(env.metrics(port)), 10, what="metrics")
    assert metric(text, 'hookgate_consumer_records_total{outcome="skipped"}') == 1
    assert metric(text, "hookgate_consumer_retries_total") == 1
    assert metric(text, "hookgate_consumer_dead_lettered_total") == 0
    assert 'hookgate_consumer_step_seconds_count{step="download_validate"} 1' in text
    assert "hookgate_consumer_lag" in text
    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as r:
        assert r.status == 200


def _admin_exchange(port, data, timeout=10):
    """Send data on a new connection, read until the server closes it."""
    import socket as so
    s = so.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out


def test_admin_port_one_request_a_connection_with_limits(env):
    # The admin port answers one request a connection (Connection: close):
    # requests pipelined behind it are not read, so a client that never
    # reads its answers cannot queue more of them; the request head is
    # capped; a slow client is cut at the deadline; a 33rd connection ends
    # the oldest, so the port stays reachable.
    import socket as so
    from conftest import free_port
    port = free_port()
    p = env.start(HOOKGATE_ADMIN_LISTEN="127.0.0.1:%d" % port)
    wait_for(lambda: any(e.get("event") == "admin_listening" for e in env.log_events(p)), 10,
             what="admin port")
    out = _admin_exchange(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 200)
    assert out.startswith(b"HTTP/1.1 200 OK\r\n") and out.count(b"HTTP/1.1 ") == 1, out[:200]
    assert b"Connection: close" in out and b"hookgate_consumer_records_total" in out
    wait_for(lambda: _admin_exchange(port, b"GET /healthz HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 200"),
             15, what="healthz 200 (the worker has polled)")
    out = _admin_exchange(port, b"HEAD /healthz HTTP/1.1\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"\r\n\r\n"), out
    assert b"Content-Length: 3\r\n" in out, out
    assert _admin_exchange(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").startswith(
        b"HTTP/1.1 405 ")
    assert _admin_exchange(port, b"GET /nope HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    assert _admin_exchange(port, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert _admin_exchange(port, b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 9000).startswith(
        b"HTTP/1.1 431 ")
    # slow: one header line a second, never finished
    s = so.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    t0 = time.monotonic()
    closed = False
    while time.monotonic() - t0 < 12:
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except OSError:
            closed = True
            break
        s.settimeout(1)
        try:
            if s.recv(100) == b"":
                closed = True
                break
        except so.timeout:
            pass
    s.close()
    assert closed and time.monotonic() - t0 < 8, time.monotonic() - t0
    # idle connections beyond the cap end the oldest; a new request is still answered
    idle = [so.create_connection(("127.0.0.1", port), timeout=5) for _ in range(40)]
    time.sleep(0.3)
    out = _admin_exchange(port, b"GET /healthz HTTP/1.1\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK"), out
    ended = 0
    for c in idle:
        c.settimeout(0.2)
        try:
            if c.recv(10) == b"":
                ended += 1
        except (so.timeout, OSError):
            pass
        c.close()
    assert ended >= 9, ended


def test_same_file_shared_twice_at_once_starts_one_glue_run(env):
    env.use_topic(2)
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    _, r1 = env.file_shared("F1", channel="C0ONE")
    _, r2 = env.file_shared("F1", channel="C0TWO")
    held = env.glue.gate("StartJobRun")
    # Two workers, one partition each (a worker handles one record at a time).
    kw = dict(HOOKGATE_RETRY_MAX_ATTEMPTS=50, HOOKGATE_RETRY_BASE_MS=100, HOOKGATE_RETRY_MAX_MS=200,
              HOOKGATE_KAFKA_HEARTBEAT_INTERVAL_MS=300, HOOKGATE_KAFKA_SESSION_TIMEOUT_MS=6000,
              HOOKGATE_KAFKA_MAX_POLL_INTERVAL_MS=10000)
    workers = [env.start(**kw), env.start(**kw)]

    def assigned_each():
        return all(any(e.get("event") == "partitions_assigned" for e in env.log_events(w))
                   for w in workers)
    wait_for(assigned_each, 60, what="both workers in the group")
    time.sleep(1.0)   # let the final rebalance settle
    env.produce(r1, partition=0)
    assert held.wait(30)
    env.produce(r2, partition=1)
    wait_for(lambda: [e for w in workers for e in env.log_events(w)
                      if e.get("event") == "retry_scheduled" and e.get("code") == "glue_claimed"],
             30, what="second share waiting on the claim")
    env.glue.release_gate("StartJobRun")
    msgs = wait_messages(env, 2, timeout=30)
    wait_for(lambda: env.committed(0) == 1 and env.committed(1) == 1, 30, what="both committed")
    assert sorted(m["channel"] for m in msgs) == ["C0ONE", "C0TWO"]
    assert all(m["text"].startswith(":white_check_mark: PASS") and "jr_0001" in m["text"] for m in msgs)
    assert len(env.glue.runs) == 1
    assert env.data_keys() == [data_key(env)]


def test_start_job_run_that_failed_after_starting_is_not_started_twice(env):
    # Glue started the run but the answer was a 500: the client must not
    # start it again blindly; the worker's retry looks it up and uses it.
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.glue.fault("StartJobRun", "started-then-500")
    _, rec = env.file_shared("F1")
    env.start()
    env.produce(rec)
    msgs = wait_messages(env, 1, timeout=60)
    wait_committed(env, 1, timeout=60)
    assert len(env.glue.runs) == 1, env.glue.runs
    assert msgs[0]["text"].startswith(":white_check_mark: PASS")
    assert env.glue.runs[0]["JobRunId"] in msgs[0]["text"]
    assert len([r for r in env.glue.requests if r["op"] == "StartJobRun"]) == 1


def pass_one_file(env, timeout=60, **start_over):
    """Share F1 (a good CSV) once with the faults the caller queued, and wait
    for its PASS. Returns the worker."""
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    _, rec = env.file_shared("F1")
    p = env.start(**start_over)
    env.produce(rec)
    msgs = wait_messages(env, 1, timeout=timeout)
    assert msgs[0]["text"].startswith(":white_check_mark: PASS"), msgs
    return p


def test_download_longer_than_the_timeout_is_not_cut_off(env):
    # HOOKGATE_HTTP_TIMEOUT_MS limits a stall, not a whole file: a download
    # that keeps moving for three times the timeout goes through at once.
    env.slack.fault("download", "slow:3")
    pass_one_file(env, HOOKGATE_HTTP_TIMEOUT_MS=1000)
    assert len(env.slack.calls("download")) == 1
    assert env.data_keys() == [data_key(env)]


def test_stalled_download_times_out_and_is_retried(env):
    env.slack.fault("download", "stall:4")
    p = pass_one_file(env, HOOKGATE_HTTP_TIMEOUT_MS=1000)
    assert len(env.slack.calls("download")) == 2
    retries = [e for e in env.log_events(p) if e.get("event") == "retry_scheduled"]
    assert retries and "timeout" in json.dumps(retries[0]).lower(), retries


def test_get_job_runs_is_bound_by_the_http_timeout(env):
    # GetJobRuns goes through the common Glue client, so HOOKGATE_HTTP_TIMEOUT_MS
    # bounds it like every other Glue call: a stalled answer is cut off after
    # 1 s and asked again, not waited on for the client default of 30 s.
    env.glue.fault("GetJobRuns", "delay:20")
    pass_one_file(env, timeout=15, HOOKGATE_HTTP_TIMEOUT_MS=1000)
    calls = [r for r in env.glue.requests if r["op"] == "GetJobRuns"]
    assert len(calls) == 2, calls
    assert 0.9 <= calls[1]["time"] - calls[0]["time"] < 5
    assert len(env.glue.runs) == 1


def test_partition_revoked_and_given_back_during_backoff_is_resumed(env):
    # A rebalance while a record backs off (its partition paused) revokes the
    # partition and, with nobody else subscribed to the topic, gives it back
    # to the same worker. librdkafka keeps a partition's pause across that;
    # the worker forgot the retry state with the revocation, so it must not
    # leave the partition paused: the record is fetched again and finishes.
    from confluent_kafka import Consumer
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.fault("files.info", "always:429")              # Retry-After: 1
    _, rec = env.file_shared("F1")
    p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=1000, HOOKGATE_RETRY_BASE_MS=3000,
                  HOOKGATE_RETRY_MAX_MS=3000, HOOKGATE_KAFKA_HEARTBEAT_INTERVAL_MS=300,
                  HOOKGATE_KAFKA_SESSION_TIMEOUT_MS=6000)
    wait_for(lambda: [e for e in env.log_events(p) if e.get("event") == "partitions_assigned"],
             60, what="worker in the group")
    env.produce(rec)
    wait_for(lambda: [e for e in env.log_events(p) if e.get("event") == "retry_scheduled"],
             30, what="a retry scheduled")
    # Another member joins the group, subscribed to another topic: every
    # member's partitions are revoked and assigned again.
    other_topic = env.topic + "-other"
    env.kafka.command("topic %s 1" % other_topic)
    other = Consumer({"bootstrap.servers": env.kafka.bootstrap, "group.id": env.group,
                      "session.timeout.ms": 6000, "heartbeat.interval.ms": 300})
    other.subscribe([other_topic])
    try:
        def reassigned():
            other.poll(0.1)
            ev = [e.get("event") for e in env.log_events(p)]
            return "partitions_revoked" in ev and ev.count("partitions_assigned") >= 2
        wait_for(reassigned, 60, what="the worker's partition revoked and assigned again")
        env.slack.clear_faults()
        msgs = wait_messages(env, 1, timeout=30)
        assert msgs[0]["text"].startswith(":white_check_mark: PASS"), msgs
        wait_committed(env, 1, timeout=30)
    finally:
        other.close()


def test_dead_letter_producer_is_replaced_after_a_fatal_error(env):
    # The dead-letter producer's first produce request gets 45
    # (OUT_OF_ORDER_SEQUENCE_NUMBER): a fatal error for an idempotent
    # producer, which then takes nothing more. It used to stay so: every
    # dead-letter failed and the record was retried for ever. Now it is
    # replaced and the next attempt dead-letters the record.
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.glue.fault("StartJobRun", "always:ThrottlingException")
    _, rec = env.file_shared("F1")
    env.produce(rec)
    try:
        assert env.kafka.command("produce-errors 1 45") == "ok"
        p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=2)
        wait_committed(env, 1, timeout=60)
    finally:
        env.kafka.command("clear-produce-errors")
    dl = env.read_topic(env.topic + ".dlq", 1)
    assert len(dl) == 1 and dl[0].value() == rec
    env.stop(p)
    p.logfile.seek(0)
    events = [json.loads(line).get("event") for line in p.logfile if line.startswith("{")]
    assert "dlq_producer_fatal" in events and "dlq_producer_replaced" in events, events


def test_dead_letter_send_is_bounded_even_with_no_message_timeout(env):
    # --kafka message.timeout.ms=0 (librdkafka: never) reaches the DLQ
    # producer too; with every produce request failing retriably its report
    # would never come and the worker would hang. Past 30 + 5 s the send is
    # purged and fails; the record stays, and is dead-lettered once Kafka
    # takes it.
    env.produce(b"not json")                  # straight to the dead-letter topic
    try:
        assert env.kafka.command("produce-errors 1000 7") == "ok"   # REQUEST_TIMED_OUT
        p = env.start(HOOKGATE_KAFKA_MESSAGE_TIMEOUT_MS="0")
        t0 = time.monotonic()
        wait_for(lambda: any(e.get("event") == "dead_letter_failed" for e in env.log_events(p)), 60,
                 what="the dead-letter send to give up")
        assert 34 <= time.monotonic() - t0 <= 50, time.monotonic() - t0
        assert env.committed() < 0                 # not committed: the record stays
    finally:
        env.kafka.command("clear-produce-errors")
    wait_committed(env, 1, timeout=60)
    dl = env.read_topic(env.topic + ".dlq", 1)
    assert len(dl) == 1 and dl[0].value() == b"not json"
    env.stop(p)


def test_record_deleted_by_retention_while_backing_off_is_reported(env):
    # A file_shared record backs off (files.info keeps answering 429) with
    # its partition paused and rewound to it. Meanwhile ~7 MiB of other
    # records land behind it on the same partition; the mock cluster keeps
    # only the newest ~5 MiB of a partition, so the waiting record is
    # deleted and the resumed fetch resets to the earliest offset, past it.
    # The worker used to take the next record for a fresh one and go on
    # without a word about the lost one. Now it sees the low watermark past
    # the record: record_lost_to_retention (logged and counted), the slot
    # freed (paused gauge back to 0), and every later record processed and
    # committed.
    from conftest import free_port
    port = free_port()
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.add_file("F2", "orders.csv", b"order_id,amount,paid,day,note\n1,2.5,true,2026-01-02,x\n")
    env.glue.jobs.add("mkt-orders-load")
    env.slack.fault("files.info:F1", "always:429")             # Retry-After: 1
    lost_id, lost = env.file_shared("F1")
    p = env.start(HOOKGATE_ADMIN_LISTEN="127.0.0.1:%d" % port, HOOKGATE_RETRY_MAX_ATTEMPTS=1000,
                  HOOKGATE_RETRY_BASE_MS=2000, HOOKGATE_RETRY_MAX_MS=2000)
    env.produce(lost)                                          # offset 0
    wait_for(lambda: [e for e in env.log_events(p) if e.get("event") == "retry_scheduled"],
             30, what="the record backing off")
    pad = "x" * (100 * 1024)
    n_pad = 70                                                 # offsets 1..70, 7 MiB
    for i in range(n_pad):
        env.produce(env.record("com.slack.command", "pad-%d" % i, {"command": "/x", "pad": pad}))
    _, later = env.file_shared("F2")
    env.produce(later)                                         # offset 71
    lost_ev = wait_for(lambda: [e for e in env.log_events(p)
                                if e.get("event") == "record_lost_to_retention"],
                       60, what="the loss reported")
    assert len(lost_ev) == 1, lost_ev
    ev = lost_ev[0]
    low = int(ev["low_watermark"])
    assert ev["partition"] == "0" and ev["offset"] == "0" and ev["event_id"] == lost_id, ev
    assert 1 <= low <= n_pad, ev
    msgs = wait_messages(env, 1, timeout=30)
    wait_for(lambda: env.committed(0) == n_pad + 2, 30, what="partition 0 committed to the end")
    assert len(msgs) == 1 and msgs[0]["text"].startswith(":white_check_mark: PASS") and \
        "orders.csv" in msgs[0]["text"], msgs
    assert [r["JobName"] for r in env.glue.runs] == ["mkt-orders-load"]

    def settled():
        t = env.metrics(port)
        return t if metric(t, "hookgate_consumer_paused_partitions") == 0 else None
    text = wait_for(settled, 10, what="paused partitions gauge back to 0")
    assert metric(text, "hookgate_consumer_records_lost_total") == 1
    # Every record that was still there was processed, none twice.
    assert metric(text, 'hookgate_consumer_records_total{outcome="skipped"}') == n_pad - low + 1
    assert metric(text, 'hookgate_consumer_records_total{outcome="pass"}') == 1
    events = env.log_events(p)
    assert not [e for e in events if e.get("event") == "rewind_again"], events
    assert not [e for e in events if e.get("event") == "partitions_revoked"]


def test_slack_rate_limited_post_is_retried(env):
    # chat.postMessage documents ok:false "rate_limited" (HTTP 200) besides
    # the 429 "ratelimited": both pass; neither may set the PASS aside
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.fault("chat.postMessage", "rate_limited")
    _, rec = env.file_shared("F1")
    p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=5)
    env.produce(rec)
    msgs = wait_messages(env, 1, timeout=60)
    wait_committed(env, 1, timeout=60)
    assert len(msgs) == 1 and msgs[0]["text"].startswith(":white_check_mark: PASS"), msgs
    retries = [e for e in env.log_events(p) if e.get("event") == "retry_scheduled"]
    assert retries and retries[0].get("code") == "slack_rate_limited", retries
    assert env.read_topic(env.topic + ".dlq", 1, timeout=3) == []
    assert len(env.glue.runs) == 1


def test_tls_handshake_reset_is_retried(env):
    # a load balancer dropping the connection in the middle of the TLS
    # handshake is a network fault (curl: CURLE_SSL_CONNECT_ERROR), not a
    # certificate problem: retried, then dead-lettered, never an ERROR
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port = srv.getsockname()[1]

    def reset_after_client_hello():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.recv(100)
            c.close()
    threading.Thread(target=reset_after_client_hello, daemon=True).start()
    try:
        env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
        _, rec = env.file_shared("F1")
        p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=3,
                      HOOKGATE_SLACK_API_URL="https://127.0.0.1:%d/api" % port)
        env.produce(rec)
        wait_committed(env, 1, timeout=60)
    finally:
        srv.close()
    events = env.log_events(p)
    retries = [e for e in events if e.get("event") == "retry_scheduled"]
    assert len(retries) == 2, retries
    done = [e for e in events if e.get("event") == "record_done"]
    assert done and done[-1].get("outcome") == "dead_lettered", done
    dl = env.read_topic(env.topic + ".dlq", 1)
    h = {k: v.decode() for k, v in dl[0].headers()}
    assert h["hookgate-dlq-step"] == "files_info" and h["hookgate-dlq-attempts"] == "3", h
    assert "tls-handshake" in h["hookgate-dlq-reason"], h
    assert not env.s3.keys(env.prefix + "/_hookgate/done/")


def test_redrive_puts_a_record_where_the_gateway_would(env):
    # the gateway partitions keys with murmur2 (HG_KAFKA_PARTITIONER); a
    # redriven record must go back beside its channel's other records
    from confluent_kafka import Producer
    env.use_topic(8)
    assert env.kafka.command("topic %s.probe 8" % env.topic) == "ok"
    keys = [b"T0TEST:C0TEST", b"T0TEST:C0OTHER", b"T1:C9"]
    want = {}
    pr = Producer({"bootstrap.servers": env.kafka.bootstrap, "partitioner": "murmur2_random"})
    for k in keys:
        pr.produce(env.topic + ".probe", value=b"probe", key=k,
                   on_delivery=lambda e, m: want.setdefault(m.key(), m.partition()))
    assert pr.flush(10) == 0
    recs = {}
    for i, k in enumerate(keys):
        recs[k] = env.record("com.slack.command", "cmd-%d" % i, {"command": "/x"})
        env.producer.produce(env.topic + ".dlq", value=recs[k], key=k, headers=[
            ("hookgate-dlq-source-topic", env.topic.encode()), ("hookgate-dlq-step", b"files_info")])
    assert env.producer.flush(10) == 0
    res = env.run(cmd="redrive")
    assert res.returncode == 0, res.stdout + res.stderr
    out = env.read_topic(env.topic, len(keys))
    got = {m.key(): m.partition() for m in out}
    assert got == {k: want[k] for k in keys}, (got, want)
    # and the CRC32 partitioner (librdkafka's default) would not have agreed
    # on all of them: this test tells the two apart
    crc = {}
    pc = Producer({"bootstrap.servers": env.kafka.bootstrap})
    for k in keys:
        pc.produce(env.topic + ".probe", value=b"probe", key=k,
                   on_delivery=lambda e, m: crc.setdefault(m.key(), m.partition()))
    assert pc.flush(10) == 0
    assert crc != want


@pytest.mark.parametrize("change", ["file_deleted", "config_removed"])
def test_retry_after_the_file_is_loaded_reports_pass_from_the_markers(env, change):
    # attempt 1 stores the file and starts Glue, then posting PASS fails;
    # before attempt 2 the owner deletes the file from Slack (or the data
    # team renames the config). The file is loaded: the retry must say
    # PASS, not "deleted, upload it again" (which would load it twice)
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.fault("chat.postMessage", "500")
    held = env.slack.gate("chat.postMessage")
    event_id, rec = env.file_shared("F1")
    p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=5)
    env.produce(rec)
    assert held.wait(30)
    if change == "file_deleted":
        env.slack.files["F1"]["deleted"] = True
    else:
        (env.tables / "campaign_tags.json").rename(env.tables / "campaign_tags.json.old")
    env.slack.release_gate("chat.postMessage")
    msgs = wait_messages(env, 1, timeout=60)
    wait_committed(env, 1, timeout=60)
    assert len(msgs) == 1 and msgs[0]["text"].startswith(":white_check_mark: PASS: campaign_tags.csv"), msgs
    assert "jr_0001" in msgs[0]["text"] and data_key(env) in msgs[0]["text"], msgs
    assert msgs[0]["channel"] == "C0TEST"
    assert len(env.glue.runs) == 1 and env.data_keys() == [data_key(env)]
    assert len(env.slack.calls("files.info")) == 1   # the retry did not ask again
    done = json.loads(env.s3.get("%s/_hookgate/done/%s.json" % (env.prefix, event_id)))
    assert done["outcome"] == "pass", done
    assert any(e.get("event") == "resumed_from_markers" for e in env.log_events(p))


def test_error_that_cannot_be_posted_is_dead_lettered_as_a_notify_failure(env):
    # an invalid CSV whose ERROR cannot be posted (the channel is gone): the
    # dead letter says the post failed, with the cause it was about, so an
    # operator fixes the channel and redrives rather than blames the file
    env.slack.add_file("F1", "campaign_tags.csv", b"id,tag\r\nx,red\r\n")
    env.slack.fault("chat.postMessage", "always:channel_not_found")
    _, rec = env.file_shared("F1")
    env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=3)
    env.produce(rec)
    wait_committed(env, 1, timeout=60)
    dl = env.read_topic(env.topic + ".dlq", 1)
    assert len(dl) == 1 and dl[0].value() == rec
    h = {k: v.decode() for k, v in dl[0].headers()}
    assert h["hookgate-dlq-step"] == "notify", h
    reason = h["hookgate-dlq-reason"]
    assert reason.startswith("slack_channel_not_found: "), reason
    assert "the ERROR it was to post: download_validate: csv_invalid" in reason, reason
    assert not env.s3.keys(env.prefix + "/_hookgate/done/")


def test_replay_while_the_worker_has_the_event_starts_one_glue_run(env):
    # the same event in two processes at once (a replay while the worker is
    # inside StartJobRun): the claim is the worker's process's, so the
    # replay waits for its glue marker instead of starting a second run
    import threading
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    event_id, rec = env.file_shared("F1")
    held = env.glue.gate("StartJobRun")
    p = env.start()
    env.produce(rec)
    assert held.wait(30)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault(
        "r", env.run("--partition", "0", "--from-offset", "0", "--to-offset", "1", cmd="replay",
                     timeout=120, HOOKGATE_RETRY_BASE_MS=200, HOOKGATE_RETRY_MAX_MS=500)))
    t.start()
    time.sleep(4)   # the replay meets the claim (and retries) meanwhile
    env.glue.release_gate("StartJobRun")
    t.join(120)
    wait_committed(env, 1, timeout=60)
    res = out["r"]
    assert res.returncode == 0, res.stdout + res.stderr[-2000:]
    assert "glue_claimed" in res.stderr, res.stderr[-2000:]
    assert len([r for r in env.glue.requests if r["op"] == "StartJobRun"]) == 1
    assert len(env.glue.runs) == 1
    msgs = [m for m in env.slack.messages if m["text"].startswith(":white_check_mark: PASS")]
    assert msgs and all("jr_0001" in m["text"] for m in msgs), env.slack.messages
    env.stop(p)


def test_more_partitions_backing_off_than_slots_are_retried_in_place(env):
    # 1024 partitions back off at once (files.info failing), which takes
    # every retry slot; the records of the partitions beyond them were
    # paused with no slot to resume them, never processed or committed.
    # Now each is retried in place until it passes, and all are committed.
    from confluent_kafka import Consumer, TopicPartition
    n = 1030
    env.use_topic(n)
    for i in range(n):
        env.slack.add_file("F%04d" % i, "notes-%d.txt" % i, b"hello", filetype="text")
    env.slack.fault("files.info", "always:503")
    for i in range(n):
        env.produce(env.file_shared("F%04d" % i)[1], partition=i)
    p = env.start(HOOKGATE_RETRY_BASE_MS=15000, HOOKGATE_RETRY_MAX_MS=15000,
                  HOOKGATE_RETRY_MAX_ATTEMPTS=1000, HOOKGATE_LOG_LEVEL="info")
    tried = lambda: len({r["query"].get("file") for r in env.slack.calls("files.info")})
    wait_for(lambda: tried() > 1024, 120, step=0.5, what="a record beyond the slots tried")
    env.slack.clear_faults()

    def committed():
        c = Consumer({"bootstrap.servers": env.kafka.bootstrap, "group.id": env.group,
                      "enable.auto.commit": False})
        try:
            tps = c.committed([TopicPartition(env.topic, i) for i in range(n)], timeout=10)
            return sum(1 for tp in tps if tp.offset == 1)
        finally:
            c.close()
    wait_for(lambda: committed() == n, 120, step=2, what="every partition committed")
    events = env.log_events(p)
    full = [e for e in events if e.get("event") == "retry_slots_full"]
    assert full and all(e["slots"] == "1024" and e["code"] == "slack_http" for e in full), full[:3]
    assert len([e for e in events if e.get("event") == "record_done"
                and e.get("outcome") == "ignored"]) == n
    assert env.read_topic(env.topic + ".dlq", 1, timeout=2) == []
    env.stop(p)


def test_three_takers_of_one_stale_claim_start_one_glue_run(env):
    # a claim left by a process that died is stale after 120 s; three
    # processes (the worker and two replays of the event) read it at once
    # and each finds it stale: only the one whose If-Match replacement of
    # the stale object lands takes it over and starts the run, the others
    # wait on its claim and report the same run
    import threading
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    event_id, rec = env.file_shared("F1")
    claim = "%s/_hookgate/glue-claim/F1.json" % env.prefix
    env.s3.put(claim, json.dumps({"event_id": event_id, "file_id": "F1", "owner": "dead-process",
                                  "claimed_at": int(time.time()) - 600}).encode())
    env.s3proxy.gate("GET", "/_hookgate/glue-claim/F1")
    env.produce(rec)
    kw = dict(HOOKGATE_RETRY_BASE_MS=200, HOOKGATE_RETRY_MAX_MS=500)
    p = env.start(**kw)
    out = []
    threads = [threading.Thread(target=lambda: out.append(
        env.run("--partition", "0", "--from-offset", "0", "--to-offset", "0", cmd="replay",
                timeout=120, **kw))) for _ in range(2)]
    for t in threads:
        t.start()
    reads = lambda: [r for r in env.s3proxy.requests
                     if r["method"] == "GET" and "/_hookgate/glue-claim/F1" in r["path"]]
    wait_for(lambda: len(reads()) >= 3, 25, what="three processes reading the stale claim")
    env.s3proxy.release_gate("GET", "/_hookgate/glue-claim/F1")
    for t in threads:
        t.join(120)
    wait_committed(env, 1, timeout=60)
    assert len(out) == 2 and all(r.returncode == 0 for r in out), [r.stderr[-2000:] for r in out]
    assert len([r for r in env.glue.requests if r["op"] == "StartJobRun"]) == 1
    assert len(env.glue.runs) == 1
    replaced = [r for r in env.s3proxy.requests
                if r["method"] == "PUT" and "/_hookgate/glue-claim/F1" in r["path"]
                and r["headers"].get("if-match")]
    assert len(replaced) == 3, replaced              # each tried, on the stale object's ETag
    assert len({r["headers"]["if-match"] for r in replaced}) == 1
    stale = [e for e in env.log_events(p) if e.get("event") == "glue_claim_stale"]
    stale += [json.loads(line) for r in out for line in r.stderr.splitlines()
              if '"glue_claim_stale"' in line]
    assert len(stale) == 1 and stale[0]["stale_owner"] == "dead-process", stale
    assert json.loads(env.s3.get(claim))["owner"] != "dead-process"
    msgs = [m for m in env.slack.messages if m["text"].startswith(":white_check_mark: PASS")]
    assert msgs and all("jr_0001" in m["text"] for m in msgs), env.slack.messages
    env.stop(p)


def test_stale_claim_taken_over_looks_again_for_a_run(env):
    # The stale claim's owner may start its run after this process looked
    # (GetJobRuns) and before it takes the claim over: after the takeover
    # it looks once more, records that run and starts none.
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    event_id, rec = env.file_shared("F1")
    claim = "%s/_hookgate/glue-claim/F1.json" % env.prefix
    env.s3.put(claim, json.dumps({"event_id": event_id, "file_id": "F1", "owner": "slow-process",
                                  "claimed_at": int(time.time()) - 600}).encode())
    entered = env.s3proxy.gate("GET", "/_hookgate/glue-claim/F1")
    env.produce(rec)
    p = env.start(HOOKGATE_RETRY_BASE_MS=200, HOOKGATE_RETRY_MAX_MS=500)
    assert entered.wait(30), "the worker never read the claim"
    assert [r for r in env.glue.requests if r["op"] == "GetJobRuns"]   # it has looked: no run
    with env.glue.lock:     # the slow owner's StartJobRun lands now
        env.glue.runs.append(dict(JobName="mkt-campaign_tags-load", JobRunId="jr_slow",
                                  Arguments={"--hookgate_file_id": "F1", "--hookgate_event_id": event_id}))
    env.s3proxy.release_gate("GET", "/_hookgate/glue-claim/F1")
    msgs = wait_messages(env, 1, timeout=60)
    wait_committed(env, 1, timeout=60)
    assert [r for r in env.glue.requests if r["op"] == "StartJobRun"] == []
    assert len(env.glue.runs) == 1
    assert msgs[0]["text"].startswith(":white_check_mark: PASS") and "jr_slow" in msgs[0]["text"], msgs
    events = env.log_events(p)
    assert [e["stale_owner"] for e in events if e.get("event") == "glue_claim_stale"] == ["slow-process"]
    assert [e["run_id"] for e in events if e.get("event") == "glue_run_found"] == ["jr_slow"]
    assert json.loads(env.s3.get("%s/_hookgate/glue/F1.json" % env.prefix))["run_id"] == "jr_slow"
    env.stop(p)


def test_own_claim_renewed_before_a_late_start(env):
    # The worker's first StartJobRun fails (a 500: Glue may have acted, so
    # it backs off and looks again) and its retries take long: its claim is
    # nearly stale when it starts the run. Started on that claim, a replay
    # finding it stale meanwhile would start the run again; renewed first,
    # the replay finds it held and reports the worker's run.
    import threading
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    event_id, rec = env.file_shared("F1")
    claim = "%s/_hookgate/glue-claim/F1.json" % env.prefix
    env.glue.fault("StartJobRun", "500")
    env.glue.fault("GetJobRuns", "delay:0", "delay:3")     # the second look: time to age the claim
    starts = lambda: [r for r in env.glue.requests if r["op"] == "StartJobRun"]
    kw = dict(HOOKGATE_RETRY_BASE_MS=200, HOOKGATE_RETRY_MAX_MS=500)
    env.produce(rec)
    p = env.start(**kw)
    wait_for(lambda: starts(), 30, what="the first StartJobRun")
    held = env.glue.gate("StartJobRun")
    doc = json.loads(env.s3.get(claim))        # the worker's own claim, as if 115 s of retries passed
    aged = int(time.time()) - 115
    doc["claimed_at"] = aged
    env.s3.put(claim, json.dumps(doc).encode())
    assert held.wait(30), "no second StartJobRun"
    read = env.s3proxy.gate("GET", "/_hookgate/glue-claim/F1")
    out = []
    t = threading.Thread(target=lambda: out.append(
        env.run("--partition", "0", "--from-offset", "0", "--to-offset", "0", cmd="replay",
                timeout=120, **kw)))
    t.start()
    assert read.wait(60), "the replay never read the claim"
    while time.time() < aged + 123:            # the claim as first written is stale by now
        time.sleep(0.1)
    env.s3proxy.release_gate("GET", "/_hookgate/glue-claim/F1")
    time.sleep(1.5)                            # the replay decides on what it read
    env.glue.release_gate("StartJobRun")
    t.join(120)
    wait_committed(env, 1, timeout=60)
    assert out and out[0].returncode == 0, out and out[0].stderr[-2000:]
    assert len(starts()) == 2 and len(env.glue.runs) == 1, env.glue.runs
    assert "glue_claimed" in out[0].stderr and "glue_claim_stale" not in out[0].stderr
    renewed = [e for e in env.log_events(p) if e.get("event") == "glue_claim_renewed"]
    assert len(renewed) == 1 and int(renewed[0]["age_s"]) >= 115, renewed
    assert json.loads(env.s3.get(claim))["claimed_at"] > aged + 100
    msgs = [m for m in env.slack.messages if m["text"].startswith(":white_check_mark: PASS")]
    assert msgs and all("jr_0001" in m["text"] for m in msgs), env.slack.messages
    env.stop(p)


def test_second_share_waits_for_the_claim_without_spending_attempts(env):
    # share A holds the claim while Glue refuses it for a while (concurrent
    # runs): share B waits for A's run, and is not set aside when its few
    # attempts would have run out
    env.use_topic(2)
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    _, r1 = env.file_shared("F1", channel="C0ONE")
    _, r2 = env.file_shared("F1", channel="C0TWO")
    env.glue.fault("StartJobRun", *(["ConcurrentRunsExceededException"] * 16))
    # five attempts each: A's last starts the run (Glue's client tries each
    # attempt four times); B, waiting all along, would have run out
    kw = dict(HOOKGATE_RETRY_MAX_ATTEMPTS=5, HOOKGATE_RETRY_BASE_MS=100, HOOKGATE_RETRY_MAX_MS=300,
              HOOKGATE_KAFKA_HEARTBEAT_INTERVAL_MS=300, HOOKGATE_KAFKA_SESSION_TIMEOUT_MS=6000,
              HOOKGATE_KAFKA_MAX_POLL_INTERVAL_MS=10000)
    a = env.start(**kw)
    b = env.start(**kw)
    wait_for(lambda: all(any(e.get("event") == "partitions_assigned" for e in env.log_events(w))
                         for w in (a, b)), 60, what="both in the group")
    time.sleep(1.0)
    env.produce(r1, partition=0)
    wait_for(lambda: [r for r in env.glue.requests if r["op"] == "StartJobRun"], 30, what="A starts")
    env.produce(r2, partition=1)
    msgs = wait_messages(env, 2, timeout=90)
    wait_for(lambda: env.committed(0) == 1 and env.committed(1) == 1, 60, what="both committed")
    assert sorted(m["channel"] for m in msgs) == ["C0ONE", "C0TWO"], msgs
    assert all(m["text"].startswith(":white_check_mark: PASS") and "jr_0001" in m["text"] for m in msgs), msgs
    assert len(env.glue.runs) == 1
    assert env.read_topic(env.topic + ".dlq", 1, timeout=3) == []
    claimed = [e for w in (a, b) for e in env.log_events(w)
               if e.get("event") == "retry_scheduled" and e.get("code") == "glue_claimed"]
    assert len(claimed) >= 5, claimed   # as many waits as B has attempts: the 5th was final
