"""test_worker_tools.py — replay (offset range, time range, --dry-run),
redrive and doctor against the same local stand-ins, checking that neither
replays nor redrives duplicate an S3 object, a Glue run or a message, and
that replay leaves the worker group's offsets alone."""
import json
import os
import shutil
import time

import pytest

from conftest import BUCKET, TOKEN, wait_for
from test_worker_e2e import GOOD_CSV, data_key, wait_committed, wait_messages


def test_replay_offset_range_then_again_without_duplicates(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.add_file("F2", "campaign_tags.csv", b"id,tag\n7,x\n")
    _, r1 = env.file_shared("F1")
    _, r2 = env.file_shared("F2")
    env.produce(r1)
    env.produce(env.record("com.slack.command", "cmd-1", {"command": "/x"}))
    env.produce(r2)
    res = env.run("--partition", "0", "--from-offset", "0", "--to-offset", "1", cmd="replay")
    assert res.returncode == 0, res.stderr
    assert "partition 0 offset 0: pass" in res.stdout
    assert "partition 0 offset 1: skipped" in res.stdout
    assert "offset 2" not in res.stdout               # --to-offset is inclusive and respected
    assert len(env.slack.messages) == 1 and len(env.glue.runs) == 1
    res = env.run("--partition", "0", "--from-offset", "0", cmd="replay")
    assert res.returncode == 0, res.stderr
    assert "partition 0 offset 0: duplicate" in res.stdout
    assert "partition 0 offset 2: pass" in res.stdout
    assert len(env.slack.messages) == 2 and len(env.glue.runs) == 2
    assert env.data_keys() == sorted([data_key(env), data_key(env, file_id="F2")])
    assert env.committed() < 0                         # the worker group was not touched


def test_replay_dry_run_has_no_side_effects(env):
    env.slack.add_file("F1", "campaign_tags.csv", b"id,tag\nabc,red\n2,ok\n")
    env.slack.add_file("F2", "campaign_tags.csv", GOOD_CSV)
    _, r1 = env.file_shared("F1")
    _, r2 = env.file_shared("F2")
    env.produce(r1)
    env.produce(r2)
    env.produce(b"not json")
    res = env.run("--partition", "0", "--from-offset", "0", "--dry-run", cmd="replay")
    assert res.returncode == 1, res.stdout + res.stderr     # one file is invalid
    assert "offset 0: invalid" in res.stdout and "abc" in res.stdout
    assert "offset 1: valid" in res.stdout and data_key(env, file_id="F2") in res.stdout
    # what a real run would dead-letter is reported so, and nothing is sent
    assert "offset 2: invalid: would be dead-lettered: bad_record" in res.stdout, res.stdout
    assert "dead_lettered" not in res.stdout, res.stdout
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": env.kafka.bootstrap, "group.id": "check-" + env.uid})
    lo, hi = c.get_watermark_offsets(TopicPartition(env.topic + ".dlq", 0), timeout=10)
    c.close()
    assert hi == 0, (lo, hi)
    assert env.slack.messages == [] and env.glue.runs == []
    assert env.s3.keys(env.prefix + "/") == []
    assert not [r for r in env.s3proxy.requests if r["method"] in ("PUT", "POST", "DELETE")]
    assert not [r for r in env.glue.requests if r["op"] != "GetJob"]


def test_replay_time_range(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    _, r1 = env.file_shared("F1")
    env.produce(r1)
    now_ms = int(time.time() * 1000)
    res = env.run("--from-time", str(now_ms + 3600_000), cmd="replay")
    assert res.returncode == 0, res.stderr
    assert "replayed 0 record(s)" in res.stdout
    res = env.run("--from-time", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ms / 1000 - 600)),
                  "--to-time", str(now_ms + 60_000), cmd="replay")
    assert res.returncode == 0, res.stderr
    assert "partition 0 offset 0: pass" in res.stdout
    assert len(env.slack.messages) == 1


def test_replay_time_range_with_timestamps_out_of_order(env):
    # Several gateways produce to a partition, so its timestamps need not
    # grow: a record stamped after --to-time does not end the range.
    t0 = int(time.time() * 1000) - 600_000
    for i, dt in enumerate((1000, 2000, 3000, 9000, 4000, 5000)):
        env.producer.produce(env.topic, key=b"T0TEST:C0TEST", timestamp=t0 + dt,
                             value=env.record("com.slack.command", "cmd-%d" % i, {"command": "/x"}))
    assert env.producer.flush(10) == 0
    res = env.run("--from-time", str(t0 + 2000), "--to-time", str(t0 + 5000), "--dry-run", cmd="replay")
    assert res.returncode == 0, res.stdout + res.stderr
    got = [l.split(":")[0] for l in res.stdout.splitlines() if l.startswith("partition")]
    assert got == ["partition 0 offset 1", "partition 0 offset 2", "partition 0 offset 4",
                   "partition 0 offset 5"], res.stdout


def test_replay_usage_errors(env):
    res = env.run("--from-offset", "0", cmd="replay")     # no partition
    assert res.returncode == 2 and "--partition" in res.stderr
    res = env.run("--partition", "0", "--from-offset", "x", cmd="replay")
    assert res.returncode == 2 and "offset" in res.stderr
    res = env.run("--from-time", "yesterday", cmd="replay")
    assert res.returncode == 2 and "RFC 3339" in res.stderr
    for t in ("300000000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"):   # timegm would overflow / negative
        res = env.run("--from-time", t, cmd="replay")
        assert res.returncode == 2 and "RFC 3339" in res.stderr, (t, res.stdout, res.stderr)
    # a date that does not exist was rolled over (2026-02-31 became March 3);
    # single digits and a missing zone were taken too
    for t, why in (("2026-02-31T07:00:00Z", "is not a date and time that exists"),
                   ("2026-11-22T24:00:00Z", "is not a date and time that exists"),
                   ("2026-1-2T07:00:00Z", "must be RFC 3339"),
                   ("2026-11-22T07:00:00", "must be RFC 3339"),
                   ("2026-11-22T07:00:00.Z", "must be RFC 3339")):
        res = env.run("--from-time", t, "--dry-run", cmd="replay")
        assert res.returncode == 2, (t, res.stdout + res.stderr)
        assert "--from-time %s %s" % (t, why) in res.stderr, (t, res.stderr)
    # epoch seconds read as milliseconds were a moment in January 1970: the
    # whole partition replayed
    res = env.run("--from-time", "1764000000", "--dry-run", cmd="replay")
    assert res.returncode == 2 and "looks like epoch seconds" in res.stderr, res.stderr
    assert "replayed" not in res.stdout


def test_replay_time_with_an_offset_or_lower_case(env):
    # RFC 3339 allows a numeric offset and a lower-case t and z: 09:00+09:00
    # is 00:00Z, the same records as the UTC form
    base = int(time.time()) // 60 * 60 - 3600
    for i in range(2):
        env.produce(env.record("com.slack.command", "cmd-%d" % i, {"command": "/x"}))
    utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base))
    tokyo = time.strftime("%Y-%m-%dt%H:%M:%S+09:00", time.gmtime(base + 9 * 3600))
    outs = []
    for t in (utc, tokyo, utc.lower()):
        res = env.run("--from-time", t, "--dry-run", cmd="replay")
        assert res.returncode == 0, (t, res.stdout + res.stderr)
        outs.append(res.stdout)
    assert outs[0] == outs[1] == outs[2] and "replayed 2 record(s)" in outs[0], outs


def test_replay_past_the_end_says_so(env):
    # "replayed 0 record(s)" alone read like a range replayed
    for i in range(2):
        env.produce(env.record("com.slack.command", "cmd-%d" % i, {"command": "/x"}), partition=0)
    res = env.run("--partition", "0", "--from-offset", "5", "--dry-run", cmd="replay")
    assert res.returncode == 0 and "replayed 0 record(s)" in res.stdout, res.stdout + res.stderr
    assert ("note: partition 0 holds offsets up to 1 only: nothing at --from-offset 5 yet"
            in res.stderr), res.stderr


def test_replay_inverted_range_is_a_usage_error(env):
    # A range whose end is before its start selects nothing: exit 2 naming
    # the flags, not "replayed 0 record(s)" and exit 0.
    for i in range(3):
        env.produce(env.record("com.slack.command", "cmd-%d" % i, {"command": "/x"}))
    res = env.run("--partition", "0", "--from-offset", "2", "--to-offset", "1", "--dry-run", cmd="replay")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "--to-offset 1 is before --from-offset 2" in res.stderr and "replayed" not in res.stdout
    res = env.run("--from-time", "2026-11-22T08:00:00Z", "--to-time", "2026-11-22T07:00:00Z", "--dry-run",
                  cmd="replay")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "--to-time 2026-11-22T07:00:00Z is before --from-time 2026-11-22T08:00:00Z" in res.stderr
    res = env.run("--partition", "0", "--from-offset", "2", "--to-offset", "2", "--dry-run", cmd="replay")
    assert res.returncode == 0 and "partition 0 offset 2: skipped" in res.stdout, res.stdout + res.stderr


def test_redrive_refuses_replay_flags(env):
    # redrive starts at its group's committed offsets: --partition or
    # --from-offset given to pick one record were ignored, and the first
    # uncommitted record (any record, with no --limit) redriven instead.
    for i in range(2):
        env.producer.produce(env.topic + ".dlq", key=b"T0TEST:C0TEST",
                             value=env.record("com.slack.command", "cmd-%d" % i, {"command": "/x"}),
                             headers=[("hookgate-dlq-source-topic", env.topic.encode())])
    assert env.producer.flush(10) == 0
    for flags in (["--partition", "0", "--from-offset", "1"], ["--to-offset", "1"],
                  ["--from-time", "2026-11-22T07:00:00Z"], ["--to-time", "1"]):
        res = env.run(*flags, "--limit", "1", cmd="redrive")
        assert res.returncode == 2, (flags, res.stdout + res.stderr)
        assert flags[0] + " is a replay flag" in res.stderr, (flags, res.stderr)
        assert "redrove" not in res.stdout, (flags, res.stdout)
    assert env.read_topic(env.topic, 1, timeout=3) == []       # nothing was redriven
    res = env.run("--dry-run", cmd="redrive")
    assert res.returncode == 0 and "would redrive 2 record(s)" in res.stdout, res.stdout + res.stderr


def test_run_and_doctor_refuse_replay_flags(env):
    # "run --dry-run" ran a real worker with every side effect; the other
    # replay-only flags were ignored the same way.
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.produce(env.file_shared("F1")[1])
    res = env.run("--dry-run", cmd="run", timeout=20)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "--dry-run is a replay and redrive flag; run processes the topic" in res.stderr, res.stderr
    assert env.slack.messages == [] and env.glue.runs == [] and env.data_keys() == []
    for flags in (["--partition", "0"], ["--from-offset", "1"], ["--limit", "3"]):
        res = env.run(*flags, cmd="doctor")
        assert res.returncode == 2 and flags[0] + " is a replay" in res.stderr, (flags, res.stderr)
        assert "checks" not in res.stdout


def dead_letter_then_clear(env, **start_over):
    """One file_shared record whose StartJobRun is throttled until retries run
    out: dead-lettered with a set-aside notice. Returns (event_id, worker,
    the notice as the Slack stand-in holds it)."""
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.glue.fault("StartJobRun", "always:ThrottlingException")
    event_id, rec = env.file_shared("F1")
    p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=2, **start_over)
    env.produce(rec)
    wait_committed(env, 1, timeout=60)
    assert len(env.read_topic(env.topic + ".dlq", 1)) == 1
    notice = wait_messages(env, 1)[0]
    assert notice["text"].startswith(":x: ERROR") and "set aside" in notice["text"]
    assert notice["metadata"]["event_payload"]["outcome"] == "unfinished"
    env.glue.faults.clear()
    return event_id, p, dict(notice)


def test_record_at_the_size_limit_is_dead_lettered_and_redriven(env):
    # A record just under librdkafka's default 1,000,000-byte limit (the
    # gateway's own) plus the dead-letter headers is over it: the DLQ
    # producer must still take it, or the record is retried for ever.
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.glue.fault("StartJobRun", "always:ThrottlingException")
    event_id, rec = env.file_shared("F1")
    doc = json.loads(rec)
    doc["hgpad"] = ""
    doc["hgpad"] = "x" * (999_800 - len(json.dumps(doc).encode()))
    rec = json.dumps(doc).encode()
    assert len(rec) == 999_800
    p = env.start(HOOKGATE_RETRY_MAX_ATTEMPTS=2)
    env.produce(rec)
    wait_committed(env, 1, timeout=60)
    dl = env.read_topic(env.topic + ".dlq", 1)
    assert len(dl) == 1 and dl[0].value() == rec
    h = dict(dl[0].headers() or [])
    assert sum(len(k) + len(v) for k, v in h.items()) + len(rec) > 1_000_000   # over the default
    env.glue.faults.clear()
    res = env.run(cmd="redrive")
    assert res.returncode == 0 and "redrove 1 record(s)" in res.stdout, res.stdout + res.stderr
    wait_committed(env, 2, timeout=60)
    again = env.read_topic(env.topic, 2)
    assert len(again) == 2 and again[1].value() == rec
    assert len(env.glue.runs) == 1
    env.stop(p)


def redrive_and_wait(env):
    res = env.run(cmd="redrive")
    assert res.returncode == 0 and "redrove 1 record(s)" in res.stdout, res.stdout + res.stderr
    wait_committed(env, 2, timeout=60)      # the worker processed the redriven record


def aside_key(env, event_id):
    return "%s/_hookgate/set-aside/%s.json" % (env.prefix, event_id)


def test_redrive_after_dead_letter_without_duplicates(env):
    event_id, p, notice = dead_letter_then_clear(env)
    # Where the notice is, for the result to edit it.
    assert json.loads(env.s3.get(aside_key(env, event_id))) == {
        "event_id": event_id, "file_id": "F1", "channel": "C0TEST", "ts": notice["ts"]}
    res = env.run("--dry-run", cmd="redrive")
    assert res.returncode == 0 and "would redrive 1 record(s)" in res.stdout, res.stdout + res.stderr
    res = env.run(cmd="redrive")
    assert res.returncode == 0, res.stderr
    assert "failed at glue_start" in res.stdout and "redrove 1 record(s)" in res.stdout
    wait_committed(env, 2, timeout=60)      # the worker processed the redriven record
    # One message in the channel: the notice, edited into the PASS.
    assert len(env.slack.messages) == 1
    m = env.slack.messages[0]
    assert m["ts"] == notice["ts"] and m["edits"] == 1
    assert m["text"].startswith(":white_check_mark: PASS: campaign_tags.csv")
    assert len(env.slack.calls("chat.postMessage")) == 1
    upd = env.slack.calls("chat.update")
    assert len(upd) == 1
    assert upd[0]["headers"]["authorization"] == "Bearer " + TOKEN
    assert upd[0]["headers"]["content-type"] == "application/json; charset=utf-8"
    assert json.loads(upd[0]["body"]) == {
        "channel": "C0TEST", "ts": notice["ts"], "text": m["text"],
        "metadata": {"event_type": "hookgate_result",
                     "event_payload": {"file_id": "F1", "event_id": event_id, "outcome": "pass"}}}
    assert len(env.glue.runs) == 1
    assert env.data_keys() == [data_key(env)]
    # Redriven once: a second redrive finds nothing new.
    res = env.run(cmd="redrive")
    assert res.returncode == 0 and "redrove 0 record(s)" in res.stdout
    again = env.read_topic(env.topic, 2)
    assert len(again) == 2
    h = dict(again[1].headers() or [])
    assert h["hookgate-redriven-from"].decode() == env.topic + ".dlq/0/0"
    assert not [k for k in h if k.startswith("hookgate-dlq-")]
    env.stop(p)


def test_redrive_replaces_an_earlier_redrives_provenance(env):
    # A record dead-lettered again after a redrive carries the first
    # redrive's hookgate-redriven-from; the next redrive replaces it.
    rec = env.record("com.slack.command", "cmd-1", {"command": "/x"})
    env.producer.produce(env.topic + ".dlq", value=rec, key=b"T0TEST:C0TEST", headers=[
        ("hookgate-redriven-from", b"old/0/0"), ("x-keep", b"1"),
        ("hookgate-dlq-source-topic", env.topic.encode()), ("hookgate-dlq-step", b"files_info")])
    assert env.producer.flush(10) == 0
    res = env.run(cmd="redrive")
    assert res.returncode == 0 and "redrove 1 record(s)" in res.stdout, res.stdout + res.stderr
    out = env.read_topic(env.topic, 1)
    hs = out[0].headers() or []
    assert [v for k, v in hs if k == "hookgate-redriven-from"] == [(env.topic + ".dlq/0/0").encode()], hs
    assert ("x-keep", b"1") in hs and not [k for k, _ in hs if k.startswith("hookgate-dlq-")], hs


def test_redrive_to_error_edits_the_notice_without_history_scope(env):
    # No conversations.history scope: the set-aside marker alone finds the
    # notice; the redrive ends in a permanent ERROR (the job was deleted),
    # which is the channel's one ERROR message for the event.
    env.slack.fault("conversations.history", "always:missing_scope")
    event_id, p, notice = dead_letter_then_clear(env)
    env.glue.jobs.discard("mkt-campaign_tags-load")
    redrive_and_wait(env)
    assert len(env.slack.messages) == 1
    m = env.slack.messages[0]
    assert m["ts"] == notice["ts"] and m["edits"] == 1
    assert m["text"].startswith(":x: ERROR: ") and "does not exist" in m["text"], m["text"]
    assert "set aside" not in m["text"]
    assert m["metadata"]["event_payload"] == {"file_id": "F1", "event_id": event_id, "outcome": "error"}
    assert len(env.slack.calls("chat.postMessage")) == 1 and len(env.slack.calls("chat.update")) == 1
    assert env.data_keys() == [] and env.glue.runs == []
    done = json.loads(env.s3.get("%s/_hookgate/done/%s.json" % (env.prefix, event_id)))
    assert done["outcome"] == "error"
    env.stop(p)


def test_redrive_finds_the_notice_in_history_without_its_marker(env):
    # A crash between the notice and its marker: the history look-up (which
    # runs anyway) gives the notice's ts.
    event_id, p, notice = dead_letter_then_clear(env)
    env.s3.client.delete_object(Bucket=BUCKET, Key=aside_key(env, event_id))
    redrive_and_wait(env)
    assert len(env.slack.messages) == 1
    m = env.slack.messages[0]
    assert m["ts"] == notice["ts"] and m["edits"] == 1 and "PASS" in m["text"]
    assert len(env.slack.calls("chat.postMessage")) == 1
    env.stop(p)


def test_redrive_posts_the_result_when_the_notice_is_gone(env):
    # Someone deleted the notice: chat.update says message_not_found, so the
    # result is posted instead (still one message in the channel).
    event_id, p, notice = dead_letter_then_clear(env)
    with env.slack.lock:
        env.slack.messages.clear()
    redrive_and_wait(env)
    assert len(env.slack.calls("chat.update")) == 1
    assert len(env.slack.messages) == 1
    m = env.slack.messages[0]
    assert m["ts"] != notice["ts"] and "edits" not in m and "PASS" in m["text"]
    assert m["metadata"]["event_payload"]["outcome"] == "pass"
    env.stop(p)


def test_second_dead_letter_posts_no_second_notice(env):
    # Redriven while the fault is still there: retries run out again, and the
    # channel keeps its one notice (the marker says it was posted).
    env.slack.fault("conversations.history", "always:missing_scope")
    event_id, p, notice = dead_letter_then_clear(env)
    env.glue.fault("StartJobRun", "always:ThrottlingException")
    redrive_and_wait(env)
    assert len(env.read_topic(env.topic + ".dlq", 2)) == 2
    assert len(env.slack.messages) == 1 and env.slack.messages[0]["ts"] == notice["ts"]
    assert len(env.slack.calls("chat.postMessage")) == 1 and env.slack.calls("chat.update") == []
    env.stop(p)


def test_doctor_all_good_and_failures(env, tmp_path):
    good = tmp_path / "good_tables"
    good.mkdir()
    shutil.copy(os.path.join(str(env.tables), "campaign_tags.json"), good / "campaign_tags.json")
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "ok    kafka topic " + env.topic in out
    assert "ok    slack auth.test: team \"Test Team\"" in out
    assert "ok    s3 write" in out and "ok    s3 read back" in out and "ok    s3 delete" in out
    assert "ok    table campaign_tags: valid; Glue job mkt-campaign_tags-load exists" in out
    assert "ok    tmp dir " in out
    assert "all checks passed" in out
    # The probe object is gone again.
    assert [k for k in env.s3.keys(env.prefix + "/") if "doctor" in k] == []

    # a misspelt topic fails, and asking about it does not create it
    typo = env.topic + "-typo"
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good, HOOKGATE_TOPIC=typo)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "FAIL  kafka topic " + typo + ":" in res.stdout, res.stdout
    assert "FAIL  kafka topic " + typo + ".dlq (dead letters)" in res.stdout, res.stdout
    md = env.producer.list_topics(timeout=10)
    assert typo not in md.topics and typo + ".dlq" not in md.topics, sorted(md.topics)

    res = env.run(cmd="doctor", HOOKGATE_SLACK_BOT_TOKEN="xoxb-wrong")
    assert res.returncode == 1
    assert "FAIL  slack auth.test" in res.stdout and "invalid_auth" in res.stdout
    assert "xoxb-wrong" not in res.stdout + res.stderr
    assert "FAIL  table nojob: Glue job mkt-nojob-load does not exist" in res.stdout
    assert "FAIL  table broken" in res.stdout and "mappings" in res.stdout
    assert "some checks failed" in res.stdout


def test_doctor_checks_configs_under_an_s3_prefix(env):
    # HOOKGATE_TABLES=s3://...: doctor lists the prefix (ListObjectsV2,
    # delimiter "/": the prefix's own objects, like a directory) and checks
    # each config as it checks a directory's.
    base = env.prefix + "/tables"
    for name in ("campaign_tags.json", "nojob.json", "broken.json"):
        with open(os.path.join(str(env.tables), name), "rb") as f:
            env.s3.put(base + "/" + name, f.read())
    env.s3.put(base + "/sub/orders.json", b"{}")       # below the prefix: not a config
    env.s3.put(base + "/notes.txt", b"not a config")
    res = env.run(cmd="doctor", HOOKGATE_TABLES="s3://%s/%s" % (BUCKET, base))
    assert res.returncode == 1, res.stdout + res.stderr
    out = res.stdout
    assert "ok    table campaign_tags: valid; Glue job mkt-campaign_tags-load exists" in out
    assert "FAIL  table nojob: Glue job mkt-nojob-load does not exist" in out
    assert "FAIL  table broken" in out and "mappings" in out
    assert "orders" not in out and "notes" not in out
    assert "each config is checked when its file arrives" not in out
    lists = [r["path"] for r in env.s3proxy.requests
             if r["method"] == "GET" and "list-type=2" in r["path"]]
    assert lists == ["/%s?list-type=2&delimiter=/&max-keys=1000&prefix=%s/" % (BUCKET, base)], lists
    # Only the good config: all checks pass.
    env.s3.client.delete_object(Bucket=BUCKET, Key=base + "/nojob.json")
    env.s3.client.delete_object(Bucket=BUCKET, Key=base + "/broken.json")
    res = env.run(cmd="doctor", HOOKGATE_TABLES="s3://%s/%s/" % (BUCKET, base))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "all checks passed" in res.stdout
    # An empty prefix is a failure, as an empty directory is.
    res = env.run(cmd="doctor", HOOKGATE_TABLES="s3://%s/%s/none/" % (BUCKET, env.prefix))
    assert res.returncode == 1
    assert "FAIL  tables: no *.json table configs under the prefix" in res.stdout
    # S3 refusing the listing is reported with its code.
    env.s3proxy.fault("GET", "list-type=2", 403, "AccessDenied")
    res = env.run(cmd="doctor", HOOKGATE_TABLES="s3://%s/%s/" % (BUCKET, base))
    assert res.returncode == 1
    assert "FAIL  tables list s3://%s/%s/: AccessDenied" % (BUCKET, base) in res.stdout


def test_doctor_checks_the_history_scope(env, tmp_path):
    good = tmp_path / "good_tables"
    good.mkdir()
    shutil.copy(os.path.join(str(env.tables), "campaign_tags.json"), good / "campaign_tags.json")
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good, HOOKGATE_SLACK_CHANNEL="C0RESULTS")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ok    slack conversations.history C0RESULTS: readable" in res.stdout
    h = env.slack.calls("conversations.history")
    assert len(h) == 1 and h[0]["query"]["channel"] == "C0RESULTS"
    # Slack answers missing_scope when the token lacks channels:history.
    env.slack.fault("conversations.history", "always:missing_scope")
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good, HOOKGATE_SLACK_CHANNEL="C0RESULTS")
    assert res.returncode == 1
    assert "FAIL  slack conversations.history C0RESULTS: missing_scope" in res.stdout
    assert "channels:history" in res.stdout and "some checks failed" in res.stdout
    # Without a configured result channel there is nothing to ask about.
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good)
    assert res.returncode == 0, res.stdout
    assert "ok    slack conversations.history: not checked" in res.stdout


@pytest.mark.parametrize("over, names", [
    ({"HOOKGATE_SLACK_BOT_TOKEN": "", "HOOKGATE_SLACK_BOT_TOKEN_FILE": "/nonexistent/hgc-token"},
     ["HOOKGATE_SLACK_BOT_TOKEN_FILE", "/nonexistent/hgc-token", "No such file"]),
    ({"HOOKGATE_SLACK_BOT_TOKEN_FILE": "/etc/hostname"},
     ["HOOKGATE_SLACK_BOT_TOKEN", "HOOKGATE_SLACK_BOT_TOKEN_FILE"]),
    ({"HOOKGATE_RETRY_BASE_MS": "5000", "HOOKGATE_RETRY_MAX_MS": "1000"},
     ["HOOKGATE_RETRY_BASE_MS", "HOOKGATE_RETRY_MAX_MS"]),
    ({"HOOKGATE_KAFKA_AUTH": "kerberos"}, ["HOOKGATE_KAFKA_AUTH", "msk-iam"]),
    ({"HOOKGATE_KAFKA_AUTH": "msk-iam", "AWS_REGION": "", "AWS_DEFAULT_REGION": ""},
     ["HOOKGATE_KAFKA_AUTH", "AWS_REGION"]),
    ({"HOOKGATE_SLACK_CHANNEL": "#x"}, ["HOOKGATE_SLACK_CHANNEL", "channel ID", "C0123ABCD"]),
    # every key starts with it: one the key builder refuses failed every file
    ({"HOOKGATE_S3_PREFIX": "landing/../x"}, ["HOOKGATE_S3_PREFIX", '".."']),
    # a dead-letter topic that is the topic: every dead letter comes back
    ({"HOOKGATE_DLQ_TOPIC": "__TOPIC__"}, ["HOOKGATE_DLQ_TOPIC", "must differ from HOOKGATE_TOPIC"]),
    ({"HOOKGATE_TOPIC": "slack events"}, ["HOOKGATE_TOPIC", "a name Kafka accepts"]),
    ({"HOOKGATE_S3_PREFIX": "landing/./x"}, ["HOOKGATE_S3_PREFIX", '"." segment']),
])
def test_invalid_settings_refused_naming_the_setting(env, over, names):
    over = {k: env.topic if v == "__TOPIC__" else v for k, v in over.items()}
    res = env.run(cmd="run", timeout=20, **over)
    assert res.returncode != 0, res.stderr
    for n in names:
        assert n in res.stderr, f"{n!r} not named: {res.stderr}"
    assert TOKEN not in res.stderr


def test_doctor_fails_when_a_missing_key_reads_as_access_denied(env, tmp_path):
    # A role without s3:ListBucket gets 403 AccessDenied, not 404, for a
    # key that is not there. The worker looks its markers up by GET, so
    # every file would end in ERROR ("marker_get: ... AccessDenied"), while
    # writing, reading back and deleting the probe object all work.
    good = tmp_path / "good_tables"
    good.mkdir()
    shutil.copy(os.path.join(str(env.tables), "campaign_tags.json"), good / "campaign_tags.json")
    env.s3proxy.deny_missing = True
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "ok    s3 write" in res.stdout and "ok    s3 delete" in res.stdout
    assert "FAIL  s3 read of a missing key: AccessDenied instead of NoSuchKey" in res.stdout
    assert "s3:ListBucket" in res.stdout and "some checks failed" in res.stdout
    env.s3proxy.deny_missing = False
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ok    s3 read of a missing key" in res.stdout


def test_doctor_fails_when_the_bucket_ignores_conditional_writes(env, tmp_path):
    # The worker's markers and claims are create-once (If-None-Match: *) and
    # a stale Glue claim is taken over with If-Match: a store that ignores
    # both (s3rver itself, some S3 look-alikes) lets two workers land and
    # load one file twice, while plain writes, reads and deletes all work.
    good = tmp_path / "good_tables"
    good.mkdir()
    shutil.copy(os.path.join(str(env.tables), "campaign_tags.json"), good / "campaign_tags.json")
    env.s3proxy.conditions = False
    try:
        res = env.run(cmd="doctor", HOOKGATE_TABLES=good)
    finally:
        env.s3proxy.conditions = True
    assert res.returncode == 1, res.stdout + res.stderr
    assert "ok    s3 write" in res.stdout and "ok    s3 read back" in res.stdout
    assert ("FAIL  s3 create-once write refused when the key exists (If-None-Match: *): "
            "the bucket ignores If-None-Match") in res.stdout, res.stdout
    assert "FAIL  s3 write refused for another ETag (If-Match): the bucket ignores If-Match" in res.stdout
    # the probe is deleted all the same, and nothing else is blamed
    assert "ok    s3 delete" in res.stdout and "ok    s3 read of a missing key" in res.stdout
    assert "ok    table campaign_tags" in res.stdout
    probes = [r for r in env.s3proxy.requests if "/_hookgate/doctor/" in r["path"]]
    assert [r["method"] for r in probes] == ["PUT", "GET", "PUT", "PUT", "HEAD", "PUT", "DELETE", "GET"]
    assert probes[2]["headers"].get("if-none-match") == "*"
    assert probes[3]["headers"].get("if-match") == '"00000000000000000000000000000000"'
    assert probes[5]["headers"].get("if-match") not in (None, probes[3]["headers"].get("if-match"))
    # with conditions honoured every probe passes
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good)
    assert res.returncode == 0, res.stdout + res.stderr
    for line in ("ok    s3 create-once write refused when the key exists (If-None-Match: *)",
                 "ok    s3 write refused for another ETag (If-Match)",
                 "ok    s3 write accepted for the object's ETag (If-Match)"):
        assert line in res.stdout, res.stdout


def test_tmp_dir_that_cannot_hold_a_file_is_refused_at_start(env, tmp_path):
    # Every download is spooled in HOOKGATE_TMP_DIR: a missing or read-only
    # one failed every file (transient spool_open), each dead-lettered
    # after all its attempts, while the worker looked healthy.
    missing = str(tmp_path / "no-such-dir")
    for cmd, args in (("run", []), ("replay", ["--partition", "0", "--from-offset", "0", "--dry-run"])):
        res = env.run(*args, cmd=cmd, timeout=20, HOOKGATE_TMP_DIR=missing)
        assert res.returncode == 2, (cmd, res.stdout + res.stderr)
        assert ("hookgate-consumer %s: setting HOOKGATE_TMP_DIR (--tmp-dir): cannot create a file in %s: "
                "No such file or directory" % (cmd, missing)) in res.stderr, res.stderr
    good = tmp_path / "good_tables"
    good.mkdir()
    shutil.copy(os.path.join(str(env.tables), "campaign_tags.json"), good / "campaign_tags.json")
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good, HOOKGATE_TMP_DIR=missing)
    assert res.returncode == 1, res.stdout + res.stderr
    assert ("FAIL  tmp dir %s: cannot create a file in %s: No such file or directory"
            % (missing, missing)) in res.stdout, res.stdout
    spool = tmp_path / "spool"
    spool.mkdir()
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good, HOOKGATE_TMP_DIR=str(spool))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ok    tmp dir %s: writable" % spool in res.stdout
    assert list(spool.iterdir()) == []          # the probe file is gone


def test_doctor_checks_that_the_glue_job_runs_can_be_read(env, tmp_path):
    # The worker calls GetJobRuns before every StartJobRun. A role allowed
    # glue:GetJob but not glue:GetJobRuns passed doctor, and then every file
    # of the table ended in ERROR (its upload deleted again).
    good = tmp_path / "good_tables"
    good.mkdir()
    shutil.copy(os.path.join(str(env.tables), "campaign_tags.json"), good / "campaign_tags.json")
    env.glue.fault("GetJobRuns", "always:AccessDeniedException")
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "FAIL  table campaign_tags: Glue job mkt-campaign_tags-load exists, but GetJobRuns " \
           "failed" in res.stdout
    assert "AccessDeniedException" in res.stdout and "some checks failed" in res.stdout
    env.glue.clear_faults()
    res = env.run(cmd="doctor", HOOKGATE_TABLES=good)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ok    table campaign_tags: valid; Glue job mkt-campaign_tags-load exists, its runs " \
           "readable" in res.stdout
