"""test_worker_gateway.py — the whole flow with the real programs: a signed
Slack file_shared event POSTed to hookgate lands on the mock cluster as a
record, and hookgate-consumer turns it into an S3 object, a Glue run and
one PASS message."""
import hashlib
import hmac
import json
import os
import subprocess
import time
import urllib.request

import pytest

from conftest import wait_for
from test_worker_e2e import GOOD_CSV, GOOD_NORMALISED, data_key, wait_committed, wait_messages

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


# note: a field the pipeline does not read; with U+0000 (valid JSON, written
# as the escape \u0000) the gateway once answered 400 and the event was lost
@pytest.mark.parametrize("note", [None, "before\u0000after"], ids=["plain", "u0000"])
def test_gateway_to_consumer(env, tmp_path, note):
    exe = os.environ.get("HOOKGATE_GATEWAY")
    assert exe, "HOOKGATE_GATEWAY is not set (run through meson test)"
    port_file = tmp_path / "port"
    gw_env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKGATE_")}
    gw_env.update({"HOOKGATE_LISTEN": "127.0.0.1:0", "HOOKGATE_PORT_FILE": str(port_file),
                   "HOOKGATE_KAFKA_BROKERS": env.kafka.bootstrap, "HOOKGATE_TOPIC": env.topic,
                   "HOOKGATE_SIGNING_SECRETS": SECRET})
    log = open(tmp_path / "gateway.log", "w")
    gw = subprocess.Popen([exe], env=gw_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        port = int(wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 20,
                            what="gateway port file"))
        env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
        doc = {
            "token": "x", "team_id": "T0TEST", "api_app_id": "A0APP", "type": "event_callback",
            "event_id": "Ev0GATEWAY1", "event_time": 1795330000,
            "event": {"type": "file_shared", "channel_id": "C0TEST", "file_id": "F1",
                      "user_id": "U0USER", "file": {"id": "F1"}, "event_ts": "1795330000.000100"},
        }
        if note is not None:
            doc["event"]["note"] = note
            doc["note\u0000"] = [note]
        body = json.dumps(doc).encode()
        ts = str(int(time.time()))
        sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body,
                               hashlib.sha256).hexdigest()
        req = urllib.request.Request("http://127.0.0.1:%d/slack/events" % port, data=body, headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200
        env.start()
        msgs = wait_messages(env, 1, timeout=60)
        wait_committed(env, 1)
        assert len(msgs) == 1 and msgs[0]["text"].startswith(":white_check_mark: PASS")
        assert msgs[0]["metadata"]["event_payload"]["event_id"] == "Ev0GATEWAY1"
        assert env.s3.get(data_key(env)) == GOOD_NORMALISED
        assert len(env.glue.runs) == 1
    finally:
        gw.terminate()
        gw.wait(10)
        log.close()
