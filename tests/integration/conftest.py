# conftest.py — fixtures for the gateway integration suites: a mock Kafka
# cluster (tests/tools/hookgate-mockcluster), the real hookgate process on
# 127.0.0.1 port 0, Slack v0 signing done independently of the C code, an
# HTTP helper and a Kafka reader that reads the topic back.
#
# Slack signing facts: /work/shared/reference/protocols.md §1
# (https://api.slack.com/authentication/verifying-requests-from-slack).
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import jsonschema
import pytest
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

HOOKGATE_BIN = os.environ.get("HOOKGATE_BIN", "")
MOCKCLUSTER_BIN = os.environ.get("HOOKGATE_MOCKCLUSTER_BIN", "")

SECRET = "it-secret-5d1c0a9e7b3f4e21a8c6"
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common",
                           "record.schema.json")
TOPIC = "slack.events"
ACK_TIMEOUT_MS = 1500


_started = []   # every process the suite started, killed at the end if still running


def pytest_sessionfinish(session, exitstatus):
    for proc in _started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def pytest_configure(config):
    for name, path in (("HOOKGATE_BIN", HOOKGATE_BIN), ("HOOKGATE_MOCKCLUSTER_BIN", MOCKCLUSTER_BIN)):
        if not path or not os.access(path, os.X_OK):
            raise pytest.UsageError(
                f"{name} must name the built program (run through meson test --suite integration)")


# ---- Slack signing ----------------------------------------------------------

def sign(body: bytes, ts=None, secret=SECRET):
    """Headers Slack would send for body: v0 HMAC-SHA256 over v0:ts:body."""
    if ts is None:
        ts = int(time.time())
    ts = str(ts)
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + mac}


def uid(prefix="Ev"):
    return prefix + uuid.uuid4().hex[:20].upper()


def event_callback(event_id=None, team="T0IT1", app="A0IT1", event=None):
    """A Slack Events API event_callback envelope (protocols.md §2)."""
    return {
        "token": "legacy-token-not-checked",
        "team_id": team,
        "api_app_id": app,
        "event": event if event is not None else {
            "type": "message", "channel": "C0IT1", "user": "U0IT1",
            "text": "hello", "ts": "1700000000.000100", "event_ts": "1700000000.000100",
        },
        "type": "event_callback",
        "event_id": event_id or uid(),
        "event_time": 1700000000,
        "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": "U0BOT",
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


# ---- HTTP -------------------------------------------------------------------

class Resp:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers       # dict, lower-case names
        self.body = body
        self.elapsed = elapsed

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Resp {self.status} {self.body[:200]!r}>"


def request(port, method, path, body=b"", headers=None, timeout=10, conn=None):
    """One HTTP/1.1 request; a new connection unless conn is given."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data, time.monotonic() - t0)
    finally:
        if own:
            conn.close()


def metric(port, name):
    """The value of an unlabelled metric on /metrics."""
    for line in request(port, "GET", "/metrics").body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def post_signed(port, path, body: bytes, content_type, extra=None, ts=None, secret=SECRET, conn=None):
    h = {"Content-Type": content_type}
    h.update(sign(body, ts=ts, secret=secret))
    if extra:
        h.update(extra)
    return request(port, "POST", path, body, h, conn=conn)


def post_event(port, doc, **kw):
    body = json.dumps(doc).encode()
    return post_signed(port, "/slack/events", body, "application/json", **kw)


def assert_error(resp, status, code=None):
    """An error answer: the status, and a small JSON body with error + message."""
    assert resp.status == status, resp
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    doc = resp.json()
    assert isinstance(doc.get("error"), str) and doc["error"], doc
    assert isinstance(doc.get("message"), str) and doc["message"], doc
    if code is not None:
        assert doc["error"] == code, doc
    return doc


# ---- the mock Kafka cluster ---------------------------------------------------

class MockCluster:
    """hookgate-mockcluster: bootstrap on stdout's first line; commands on stdin."""

    def __init__(self, brokers=1):
        self.proc = subprocess.Popen([MOCKCLUSTER_BIN, str(brokers)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        _started.append(self.proc)
        self.bootstrap = self.proc.stdout.readline().strip()
        assert self.bootstrap, "mock cluster printed no bootstrap"

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer == "ok", f"mock cluster: {line!r} → {answer!r}"

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


# ---- the gateway --------------------------------------------------------------

class Gateway:
    """A running hookgate; stderr (JSON-lines logs) kept in a file."""

    def __init__(self, args, env=None, wait=True, wrapper=()):
        self.dir = tempfile.mkdtemp(prefix="hookgate-it-")
        self.port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.log = open(self.log_path, "wb")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKGATE_")}
        full_env.update(env or {})
        self.proc = subprocess.Popen(list(wrapper) + [HOOKGATE_BIN, "--port-file", self.port_file] + list(args),
                                     stdout=subprocess.DEVNULL, stderr=self.log, env=full_env)
        _started.append(self.proc)
        self.port = None
        self.final_log = None
        if wait:
            self.wait_port()

    def wait_port(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"hookgate exited {self.proc.returncode}: {self.stderr()}")
            try:
                with open(self.port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    return self.port
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        raise AssertionError("hookgate did not write its port file: " + self.stderr())

    def stderr(self):
        if self.final_log is not None:
            return self.final_log
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def log_events(self):
        out = []
        for line in self.stderr().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("hookgate did not exit after SIGTERM")
        if self.final_log is None:
            self.log.close()
            self.final_log = self.stderr()
            shutil.rmtree(self.dir, ignore_errors=True)
        # under -Db_sanitize=address,undefined a finding fails the test
        text = self.final_log
        for mark in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
            assert mark not in text, text[-4000:]
        return self.proc.returncode


def gateway_args(bootstrap, *extra, threads=2, ack_timeout_ms=ACK_TIMEOUT_MS, secret=SECRET):
    return ["--listen", "127.0.0.1:0", "--brokers", bootstrap, "--signing-secret", secret,
            "--threads", str(threads), "--ack-timeout-ms", str(ack_timeout_ms),
            "--log-level", "info"] + list(extra)


def run_refused(args, env=None, timeout=15):
    """Run hookgate expecting it to refuse to start; returns (rc, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKGATE_")}
    full_env.update(env or {})
    p = subprocess.run([HOOKGATE_BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=full_env, timeout=timeout)
    err = p.stderr.decode(errors="replace")
    for mark in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
        assert mark not in err, err[-4000:]
    return p.returncode, err


# ---- reading the topic back -------------------------------------------------------

def record_validator():
    """The published record contract (common/record.schema.json, draft 2020-12)."""
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema = json.load(f)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


class TopicReader:
    """Reads every partition of a topic from the beginning; keeps all records,
    each checked against the record schema as it arrives."""

    def __init__(self, bootstrap, topic=TOPIC):
        self.topic = topic
        self.validator = record_validator()
        self.c = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": "it-" + uuid.uuid4().hex,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "topic.metadata.refresh.interval.ms": 1000,
            "reconnect.backoff.max.ms": 500,
            "log_level": 2,
        })
        self.messages = []   # (key, value bytes, parsed record)
        self.position = {}   # record id → (partition, offset) of its last copy
        self.assigned = set()

    def _assign(self):
        md = self.c.list_topics(self.topic, timeout=5)
        t = md.topics.get(self.topic)
        if t is None or t.error is not None or not t.partitions:
            return
        parts = set(t.partitions.keys())
        if parts != self.assigned:
            self.assigned = parts
            self.c.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in sorted(parts)])

    def poll(self, seconds):
        deadline = time.monotonic() + seconds
        if not self.assigned:
            self._assign()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if not self.assigned:
                time.sleep(min(0.2, left))
                self._assign()
                continue
            m = self.c.poll(min(0.2, left))
            if m is None or m.error():
                continue
            value = m.value()
            rec = json.loads(value)
            self.validator.validate(rec)       # raises: the record breaks the contract
            self.messages.append((m.key(), value, rec))
            self.position[rec["id"]] = (m.partition(), m.offset())

    def find(self, pred):
        return [(k, rec) for k, _, rec in self.messages if pred(rec)]

    def wait_for(self, pred, n=1, timeout=10):
        """Poll until at least n records match; returns the matches (key, record)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(pred)
            if len(found) >= n or time.monotonic() >= deadline:
                return found
            self.poll(0.3)

    def by_id(self, rid, n=1, timeout=10):
        return self.wait_for(lambda r: r.get("id") == rid, n=n, timeout=timeout)

    def raw_by_id(self, rid):
        return [v for _, v, rec in self.messages if rec.get("id") == rid]

    def truncated(self):
        """Partitions whose log no longer starts at offset 0: librdkafka's mock
        cluster keeps 5 MiB (and 100,000 message sets) a partition and drops
        the oldest beyond that, so a test reading everything back must stay
        under it."""
        self._assign()
        out = {}
        for p in sorted(self.assigned):
            low, _ = self.c.get_watermark_offsets(TopicPartition(self.topic, p), timeout=5)
            if low > 0:
                out[p] = low
        return out

    def close(self):
        self.c.close()


# ---- fixtures ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    mc = MockCluster()
    mc.cmd(f"topic {TOPIC} 4")
    yield mc
    mc.stop()


@pytest.fixture(scope="module")
def gateway(cluster):
    gw = Gateway(gateway_args(cluster.bootstrap, "--max-body", "65536",
                              "--request-timeout-ms", "800", "--keepalive-timeout", "2"))
    yield gw
    rc = gw.stop()
    assert rc == 0, gw.stderr()


@pytest.fixture(scope="module")
def reader(cluster):
    r = TopicReader(cluster.bootstrap)
    yield r
    r.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
