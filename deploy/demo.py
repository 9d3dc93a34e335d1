#!/usr/bin/env python3
"""demo.py — the whole flow on embedded defaults, on this machine only.

Starts hookgate with its embedded Kafka (no brokers configured: librdkafka's
in-process mock cluster, nothing persisted), a real S3 REST server (s3rver),
local stand-ins for Slack and Glue (tests/consumer/), and hookgate-consumer.
Then it plays Slack: a CSV file `campaign_tags.csv` is "shared", a signed
file_shared event is POSTed to hookgate, and the demo prints the gateway's
answer, the record read back from the topic, the object in S3, the Glue run and the
message the consumer posted to the channel. Then hookgate keeps serving on
--port until Ctrl-C (or exits at once with --once).

Usage: deploy/demo.py --build-dir DIR [--port 8080] [--once]
"""
import argparse
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "consumer"))
from glue_standin import GlueStandin    # noqa: E402
from slack_standin import SlackStandin  # noqa: E402

SECRET = "demo-signing-secret"
TOKEN = "xoxb-demo-token"
BUCKET = "hookgate-demo"
AKID = SKEY = "S3RVER"   # s3rver's fixed credentials
CSV = ("id,tag\r\n1,spring-sale\r\n2,\"newsletter,vip\"\r\n3,ー\r\n4,캠페인\r\n").encode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, what, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise SystemExit("demo: timed out waiting for " + what)


def read_record(bootstrap, topic, event_id, timeout=30):
    """The record with this id on topic, read from the start of every
    partition by a consumer outside any group (the demo's own reader)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "demo-reader",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        md = c.list_topics(topic, timeout=10)
        c.assign([TopicPartition(topic, p, 0) for p in md.topics[topic].partitions])
        end = time.time() + timeout
        while time.time() < end:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            value = json.loads(m.value())
            if value.get("id") == event_id:
                return {"partition": m.partition(), "offset": m.offset(),
                        "key": (m.key() or b"").decode(), "value": value}
    finally:
        c.close()
    raise SystemExit("demo: the record %s is not on %s" % (event_id, topic))


def say(title, text=""):
    print("\n== " + title)
    if text:
        print(text)
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--once", action="store_true", help="exit after the sample upload")
    a = ap.parse_args()
    hookgate = os.path.join(a.build_dir, "gateway", "hookgate")
    consumer = os.path.join(a.build_dir, "consumer", "hookgate-consumer")
    s3rver = os.path.join(ROOT, "tests", "aws", "node_modules", "s3rver", "bin", "s3rver.js")
    work = tempfile.mkdtemp(prefix="hookgate-demo-")
    procs = []

    def stop_all():
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()

    try:
        # 1. the gateway, on embedded Kafka
        bs_file, port_file = os.path.join(work, "bootstrap"), os.path.join(work, "port")
        gw_log = open(os.path.join(work, "hookgate.log"), "w+")
        gw_env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKGATE_")}
        gw_env["HOOKGATE_SIGNING_SECRETS"] = SECRET   # a variable, not argv (ps shows argv)
        procs.append(subprocess.Popen(
            [hookgate, "--listen", "127.0.0.1:%d" % a.port,
             "--bootstrap-file", bs_file, "--port-file", port_file, "--shutdown-grace-ms", "0"],
            env=gw_env, stdout=gw_log, stderr=subprocess.STDOUT))
        wait_for(lambda: os.path.exists(port_file) and os.path.getsize(port_file) > 0, "hookgate")
        a.port = int(open(port_file).read())   # --port 0 picks a free one
        bootstrap = open(bs_file).read().strip()
        gw_log.seek(0)
        warning = [l for l in gw_log.read().splitlines() if "embedded_kafka" in l]
        say("hookgate listening on http://127.0.0.1:%d, embedded Kafka at %s" % (a.port, bootstrap),
            warning[0] if warning else "")

        # 2. S3 (s3rver), Slack and Glue stand-ins
        s3port = free_port()
        procs.append(subprocess.Popen(
            ["node", s3rver, "-d", os.path.join(work, "s3"), "-a", "127.0.0.1", "-p", str(s3port),
             "--configure-bucket", BUCKET, "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", s3port)) == 0, "s3rver")
        slack = SlackStandin(TOKEN)
        glue = GlueStandin({AKID: SKEY}, jobs={"mkt-campaign_tags-load"})
        tables = os.path.join(work, "tables")
        os.makedirs(tables)
        shutil.copy(os.path.join(ROOT, "tests", "consumer", "data", "tables", "campaign_tags.json"), tables)
        say("S3 (s3rver) at http://127.0.0.1:%d, Slack stand-in at %s, Glue stand-in at %s"
            % (s3port, slack.url, glue.url))

        # 3. the consumer
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOKGATE_", "AWS_"))}
        env.update({
            "HOOKGATE_KAFKA_BROKERS": bootstrap, "HOOKGATE_GROUP": "demo-workers",
            "HOOKGATE_TABLES": tables, "HOOKGATE_S3_BUCKET": BUCKET, "HOOKGATE_S3_PREFIX": "landing",
            "HOOKGATE_SLACK_BOT_TOKEN": TOKEN, "HOOKGATE_SLACK_API_URL": slack.url + "/api",
            "HOOKGATE_TMP_DIR": work, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": AKID,
            "AWS_SECRET_ACCESS_KEY": SKEY, "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:%d" % s3port,
            "AWS_ENDPOINT_URL_GLUE": glue.url, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        })
        consumer_log = open(os.path.join(work, "consumer.log"), "w+")
        procs.append(subprocess.Popen([consumer, "run"], env=env, stdout=consumer_log,
                                      stderr=subprocess.STDOUT))

        # 4. Slack: a CSV is shared in #C0DEMO; the signed file_shared event
        slack.add_file("F0DEMO01", "campaign_tags.csv", CSV, channel="C0DEMO")
        now = int(time.time())
        body = json.dumps({
            "token": "x", "team_id": "T0DEMO", "api_app_id": "A0DEMO", "type": "event_callback",
            "event_id": "Ev0DEMO%d" % now, "event_time": now,
            "event": {"type": "file_shared", "channel_id": "C0DEMO", "file_id": "F0DEMO01",
                      "user_id": "U0DEMO", "file": {"id": "F0DEMO01"}, "event_ts": "%d.000100" % now},
        }, separators=(",", ":")).encode()
        ts = str(now)
        sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
        req = urllib.request.Request("http://127.0.0.1:%d/slack/events" % a.port, data=body, headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
        t0 = time.time()
        with urllib.request.urlopen(req, timeout=10) as r:
            say("POST /slack/events (signed file_shared) → %d in %.1f ms (after Kafka's ack)"
                % (r.status, (time.time() - t0) * 1000))

        # 5. the record the 200 stood for, read back from the topic
        record = read_record(bootstrap, "slack.events", "Ev0DEMO%d" % now)
        say("the record on topic slack.events (partition %d, offset %d, key %s)"
            % (record["partition"], record["offset"], record["key"]),
            json.dumps(record["value"], indent=1, ensure_ascii=False))

        # 6. what happened downstream
        msgs = wait_for(lambda: [m for m in slack.messages if m.get("channel") == "C0DEMO"],
                        "the consumer's Slack message", timeout=60)
        say("the consumer told #C0DEMO", msgs[-1].get("text", json.dumps(msgs[-1])))
        say("Glue runs started", json.dumps(glue.runs, indent=1, ensure_ascii=False))
        import botocore.session
        s3 = botocore.session.get_session().create_client(
            "s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:%d" % s3port,
            aws_access_key_id=AKID, aws_secret_access_key=SKEY)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        data_keys = [k for k in keys if k.endswith(".csv")]
        say("objects in s3://%s" % BUCKET, "\n".join(keys))
        if data_keys:
            say("normalised CSV (%s)" % data_keys[0],
                s3.get_object(Bucket=BUCKET, Key=data_keys[0])["Body"].read().decode())
        ok = (bool(data_keys) and bool(glue.runs) and "PASS" in msgs[-1].get("text", "")
              and record["value"].get("type") == "com.slack.events.file_shared")
        say("RESULT: %s" % ("PASS — the upload went all the way through" if ok else "the flow did not complete"))
        if not a.once:
            say("hookgate keeps serving on http://127.0.0.1:%d (Ctrl-C to stop); signing secret %r"
                % (a.port, SECRET))
            try:
                procs[0].wait()
            except KeyboardInterrupt:
                pass
        return 0 if ok else 1
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
