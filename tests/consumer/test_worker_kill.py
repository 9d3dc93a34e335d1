"""test_worker_kill.py — kill -9 the worker at each point of the pipeline
(a stand-in holds the call until the test has killed the process, then lets
it complete as if the request had reached the service), restart it, and
check the end state: exactly one S3 object, one Glue run, one Slack
message, and the offset committed."""
import signal

import pytest

from conftest import wait_for
from test_worker_e2e import GOOD_CSV, GOOD_NORMALISED, data_key, wait_committed

FAST_GROUP = dict(HOOKGATE_KAFKA_SESSION_TIMEOUT_MS=6000,
                  HOOKGATE_KAFKA_HEARTBEAT_INTERVAL_MS=500)

# (name, how to hold the call, how to release it)
POINTS = [
    ("files_info", lambda e: e.slack.gate("files.info"), lambda e: e.slack.release_gate("files.info")),
    ("download", lambda e: e.slack.gate("download"), lambda e: e.slack.release_gate("download")),
    ("s3_put", lambda e: e.s3proxy.gate("PUT", "/campaign_tags/"),
     lambda e: e.s3proxy.release_gate("PUT", "/campaign_tags/")),
    ("landed_marker", lambda e: e.s3proxy.gate("PUT", "/_hookgate/landed/"),
     lambda e: e.s3proxy.release_gate("PUT", "/_hookgate/landed/")),
    ("glue_start", lambda e: e.glue.gate("StartJobRun"), lambda e: e.glue.release_gate("StartJobRun")),
    ("glue_marker", lambda e: e.s3proxy.gate("PUT", "/_hookgate/glue/"),
     lambda e: e.s3proxy.release_gate("PUT", "/_hookgate/glue/")),
    ("post_message", lambda e: e.slack.gate("chat.postMessage"),
     lambda e: e.slack.release_gate("chat.postMessage")),
    ("done_marker", lambda e: e.s3proxy.gate("PUT", "/_hookgate/done/"),
     lambda e: e.s3proxy.release_gate("PUT", "/_hookgate/done/")),
]


@pytest.mark.parametrize("name,hold,release", POINTS, ids=[p[0] for p in POINTS])
def test_kill_and_restart_is_exactly_once(env, name, hold, release):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    event_id, rec = env.file_shared("F1")
    entered = hold(env)
    p1 = env.start(**FAST_GROUP)
    env.produce(rec)
    assert entered.wait(30), "the worker never reached " + name
    p1.send_signal(signal.SIGKILL)
    p1.wait(10)
    release(env)          # the held request completes as if it had arrived
    p2 = env.start(**FAST_GROUP)
    wait_committed(env, 1, timeout=60)
    wait_for(lambda: env.slack.messages, 10, what="a message")
    msgs = env.slack.messages
    assert len(msgs) == 1, [m["text"] for m in msgs]
    assert msgs[0]["text"].startswith(":white_check_mark: PASS")
    assert env.data_keys() == [data_key(env)]
    assert env.s3.get(data_key(env)) == GOOD_NORMALISED
    assert len(env.glue.runs) == 1, env.glue.runs
    assert env.glue.runs[0]["JobRunId"] in msgs[0]["text"]
    env.stop(p2)
    assert p2.returncode == 0
