"""conftest.py — fixtures for the consumer worker's end-to-end tests: the
mock Kafka cluster (hookgate-mockcluster), s3rver, the Slack and Glue
stand-ins, and a launcher for the real hookgate-consumer. Paths come from
meson (HOOKGATE_CONSUMER, HOOKGATE_MOCKCLUSTER, S3RVER) through the
environment."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from glue_standin import GlueStandin
from s3_proxy import S3Proxy
from slack_standin import SlackStandin

AKID, SECRET = "S3RVER", "S3RVER"      # s3rver's fixed credentials
BUCKET = "hookgate-test"
TOKEN = "xoxb-test-token"

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_for(pred, timeout=20.0, step=0.05, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@pytest.fixture(scope="session")
def kafka():
    exe = os.environ.get("HOOKGATE_MOCKCLUSTER")
    if not exe:
        pytest.fail("HOOKGATE_MOCKCLUSTER is not set (run through meson test)")
    p = subprocess.Popen([exe, "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, bufsize=1)
    bootstrap = p.stdout.readline().strip()
    assert bootstrap, "mock cluster printed no bootstrap list"

    class K:
        pass
    k = K()
    k.bootstrap = bootstrap
    k.proc = p

    def command(line):
        p.stdin.write(line + "\n")
        p.stdin.flush()
        return p.stdout.readline().strip()
    k.command = command
    yield k
    try:
        p.stdin.close()
    except OSError:
        pass
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()


@pytest.fixture(scope="session")
def s3server(tmp_path_factory):
    exe = os.environ.get("S3RVER")
    if not exe or not os.path.exists(exe):
        pytest.fail("S3RVER is not set or missing (npm ci --prefix tests/aws)")
    d = tmp_path_factory.mktemp("s3rver")
    port = free_port()
    # --openssl-legacy-provider: s3rver's ListObjectsV2 continuation tokens use DES.
    p = subprocess.Popen(["node", "--openssl-legacy-provider", exe, "-d", str(d), "-a", "127.0.0.1", "-p", str(port),
                          "--configure-bucket", BUCKET, "--silent"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = "http://127.0.0.1:%d" % port

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False
    wait_for(up, 20, what="s3rver")

    class S:
        pass
    s = S()
    s.url, s.dir, s.proc = url, d, p
    yield s
    p.terminate()
    p.wait(5)


@pytest.fixture
def s3(s3server):
    import botocore.session
    sess = botocore.session.get_session()
    c = sess.create_client("s3", region_name="us-east-1", endpoint_url=s3server.url,
                           aws_access_key_id=AKID, aws_secret_access_key=SECRET)

    class S3:
        client = c

        def keys(self, prefix=""):
            out, token = [], None
            while True:
                kw = dict(Bucket=BUCKET, Prefix=prefix)
                if token:
                    kw["ContinuationToken"] = token
                r = c.list_objects_v2(**kw)
                out += [o["Key"] for o in r.get("Contents", [])]
                if not r.get("IsTruncated"):
                    return sorted(out)
                token = r["NextContinuationToken"]

        def get(self, key):
            return c.get_object(Bucket=BUCKET, Key=key)["Body"].read()

        def put(self, key, body):
            c.put_object(Bucket=BUCKET, Key=key, Body=body)
    return S3()


@pytest.fixture
def s3proxy(s3server):
    p = S3Proxy(s3server.url)
    yield p
    p.close()


@pytest.fixture
def slack():
    s = SlackStandin(TOKEN)
    yield s
    s.close()


@pytest.fixture
def glue():
    g = GlueStandin({AKID: SECRET}, jobs={"mkt-campaign_tags-load", "mkt-orders-load"})
    yield g
    g.close()


@pytest.fixture
def tables(tmp_path):
    d = tmp_path / "tables"
    shutil.copytree(os.path.join(HERE, "data", "tables"), d)
    return d


class Env:
    """Everything one test needs: unique topic/group/prefix, the consumer."""

    def __init__(self, kafka, s3, slack, glue, tables, tmp_path):
        self.kafka, self.s3, self.slack, self.glue = kafka, s3, slack, glue
        self.tables, self.tmp = tables, tmp_path
        self.uid = uuid.uuid4().hex[:10]
        self.topic = "events-" + self.uid
        self.group = "workers-" + self.uid
        self.prefix = "landing/" + self.uid
        self.procs = []
        self.producer = Producer({"bootstrap.servers": kafka.bootstrap, "linger.ms": 0})
        kafka.command("topic %s 1" % self.topic)
        kafka.command("topic %s.dlq 1" % self.topic)

    def env(self, **over):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("HOOKGATE_", "AWS_"))}
        e.update({
            "HOOKGATE_KAFKA_BROKERS": self.kafka.bootstrap,
            "HOOKGATE_TOPIC": self.topic,
            "HOOKGATE_GROUP": self.group,
            "HOOKGATE_TABLES": str(self.tables),
            "HOOKGATE_S3_BUCKET": BUCKET,
            "HOOKGATE_S3_PREFIX": self.prefix,
            "HOOKGATE_SLACK_BOT_TOKEN": TOKEN,
            "HOOKGATE_SLACK_API_URL": self.slack.url + "/api",
            "HOOKGATE_RETRY_BASE_MS": "100",
            "HOOKGATE_RETRY_MAX_MS": "400",
            "HOOKGATE_RETRY_MAX_ATTEMPTS": "4",
            "HOOKGATE_POLL_MS": "50",
            "HOOKGATE_TMP_DIR": str(self.tmp),
            "HOOKGATE_LOG_LEVEL": "debug",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": AKID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_ENDPOINT_URL_S3": self.s3_url,
            "AWS_ENDPOINT_URL_GLUE": self.glue.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        })
        e.update({k: str(v) for k, v in over.items()})
        return e

    def start(self, *args, cmd="run", **over):
        log = open(self.tmp / ("consumer-%d.log" % len(self.procs)), "w+")
        p = subprocess.Popen([os.environ["HOOKGATE_CONSUMER"], cmd, *args], env=self.env(**over),
                             stdout=log, stderr=subprocess.STDOUT)
        p.logfile = log
        self.procs.append(p)
        return p

    def run(self, *args, cmd, timeout=60, **over):
        return subprocess.run([os.environ["HOOKGATE_CONSUMER"], cmd, *args], env=self.env(**over),
                              capture_output=True, text=True, timeout=timeout)

    def log(self, p):
        p.logfile.flush()
        p.logfile.seek(0)
        return p.logfile.read()

    def log_events(self, p):
        out = []
        for line in self.log(p).splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def close(self):
        for p in self.procs:
            self.stop(p)
            p.logfile.close()

    # ---- records ---------------------------------------------------------
    def file_shared(self, file_id, event_id=None, channel="C0TEST", event_time=1795330000):
        event_id = event_id or "Ev" + uuid.uuid4().hex[:12].upper()
        data = {"token": "x", "team_id": "T0TEST", "api_app_id": "A0APP", "type": "event_callback",
                "event_id": event_id, "event_time": event_time,
                "event": {"type": "file_shared", "channel_id": channel, "file_id": file_id,
                          "user_id": "U0USER", "file": {"id": file_id}, "event_ts": "1795330000.000100"}}
        return event_id, self.record("com.slack.events.file_shared", event_id, data, channel)

    def record(self, rtype, rid, data, channel="C0TEST"):
        return json.dumps({"specversion": "1.0", "id": rid, "type": rtype,
                           "source": "slack://T0TEST/A0APP", "time": "2026-11-22T07:00:00.000Z",
                           "datacontenttype": "application/json", "hgrecordversion": 1,
                           "slackteam": "T0TEST", "slackchannel": channel, "hgroute": "events",
                           "data": data}).encode()

    def use_topic(self, partitions):
        """Switch to a fresh topic with the given partition count."""
        self.topic = "events%d-%s" % (partitions, self.uid)
        assert self.kafka.command("topic %s %d" % (self.topic, partitions)) == "ok"
        self.kafka.command("topic %s.dlq 1" % self.topic)

    def produce(self, value, key=b"T0TEST:C0TEST", topic=None, partition=None):
        kw = {} if partition is None else {"partition": partition}
        self.producer.produce(topic or self.topic, value=value, key=key, **kw)
        assert self.producer.flush(10) == 0

    def metrics(self, port):
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            return r.read().decode()

    def committed(self, partition=0):
        c = Consumer({"bootstrap.servers": self.kafka.bootstrap, "group.id": self.group,
                      "enable.auto.commit": False})
        try:
            tp = c.committed([TopicPartition(self.topic, partition)], timeout=10)
            return tp[0].offset
        finally:
            c.close()

    def read_topic(self, topic, n, timeout=20):
        c = Consumer({"bootstrap.servers": self.kafka.bootstrap, "group.id": "reader-" + uuid.uuid4().hex,
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe([topic])
        out, end = [], time.time() + timeout
        try:
            while len(out) < n and time.time() < end:
                m = c.poll(0.2)
                if m is None or m.error():
                    continue
                out.append(m)
        finally:
            c.close()
        return out

    def data_keys(self):
        return [k for k in self.s3.keys(self.prefix + "/") if "/_hookgate/" not in k]


@pytest.fixture
def env(kafka, s3, slack, glue, tables, tmp_path, s3proxy):
    e = Env(kafka, s3, slack, glue, tables, tmp_path)
    e.s3_url = s3proxy.url
    e.s3proxy = s3proxy
    yield e
    e.close()
