"""test_worker_e2e.py — hookgate-consumer run, end to end on 127.0.0.1:
mock Kafka, s3rver (behind a fault proxy), Slack and Glue stand-ins. The
pipeline's PASS path and every ERROR situation of issue 4: exactly one
ERROR message, no S3 object, no Glue run, the offset committed."""
import json

import pytest

from conftest import BUCKET, wait_for

GOOD_CSV = b'id,tag\r\n1,"red,blue"\r\n2,green\r\n3,-\r\n'
GOOD_NORMALISED = b"id,tag\n1,red\n1,blue\n2,green\n"
DT = "2026-11-22"   # date of event_time 1795330000


def data_key(env, table="campaign_tags", schema="sheets", file_id="F1"):
    return "%s/mkt/%s/%s/dt=%s/%s.csv" % (env.prefix, schema, table, DT, file_id)


def wait_messages(env, n, timeout=30):
    return wait_for(lambda: len(env.slack.messages) >= n and env.slack.messages, timeout,
                    what="%d Slack message(s)" % n)


def wait_committed(env, offset, timeout=30):
    wait_for(lambda: env.committed() == offset, timeout, what="offset %d committed" % offset)


def test_pass_end_to_end(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    event_id, rec = env.file_shared("F1")
    p = env.start()
    env.produce(rec)
    msgs = wait_messages(env, 1)
    wait_committed(env, 1)
    m = msgs[0]
    assert m["channel"] == "C0TEST"
    assert m["text"].startswith(":white_check_mark: PASS: campaign_tags.csv: 3 rows")
    assert data_key(env) in m["text"]
    assert "jr_0001" in m["text"]
    assert m["metadata"] == {"event_type": "hookgate_result",
                             "event_payload": {"file_id": "F1", "event_id": event_id,
                                               "outcome": "pass"}}
    # S3: exactly the normalised CSV at the deterministic key.
    assert env.data_keys() == [data_key(env)]
    assert env.s3.get(data_key(env)) == GOOD_NORMALISED
    # Glue: one run of the configured job with the S3 path and table.
    assert len(env.glue.runs) == 1
    run = env.glue.runs[0]
    assert run["JobName"] == "mkt-campaign_tags-load"
    assert run["Arguments"]["--s3_path"] == "s3://%s/%s" % (BUCKET, data_key(env))
    assert run["Arguments"]["--table"] == "campaign_tags"
    assert run["Arguments"]["--hookgate_file_id"] == "F1"
    assert run["Arguments"]["--hookgate_event_id"] == event_id
    # Slack saw the bot token on every call, and the download was streamed
    # from url_private_download.
    for r in env.slack.requests:
        assert r["headers"]["authorization"] == "Bearer xoxb-test-token"
    assert [r["api"] for r in env.slack.requests if r["api"] != "conversations.history"] == \
        ["files.info", "download", "chat.postMessage"]
    assert env.slack.calls("download")[0]["path"] == "/files/F1/download/campaign_tags.csv"
    # The markers that make a redelivery harmless.
    keys = env.s3.keys(env.prefix + "/_hookgate/")
    assert keys == sorted(["%s/_hookgate/done/%s.json" % (env.prefix, event_id),
                           "%s/_hookgate/glue/F1.json" % env.prefix,
                           "%s/_hookgate/glue-claim/F1.json" % env.prefix,
                           "%s/_hookgate/landed/F1.json" % env.prefix])
    # A redelivered event changes nothing and is committed.
    env.produce(rec)
    wait_committed(env, 2)
    assert len(env.slack.messages) == 1 and len(env.glue.runs) == 1
    assert env.data_keys() == [data_key(env)]
    env.stop(p)
    assert p.returncode == 0


def test_other_record_types_are_skipped_and_committed(env):
    env.produce(env.record("com.slack.events.message", "EvMSG1", {"event": {"type": "message"}}))
    env.produce(env.record("com.slack.command", "cmd-1", {"command": "/x"}))
    env.start()
    wait_committed(env, 2)
    assert env.slack.requests == [] and env.glue.runs == []


def test_not_csv_is_ignored(env):
    env.slack.add_file("F9", "notes.txt", b"hello", filetype="text")
    _, rec = env.file_shared("F9")
    env.start()
    env.produce(rec)
    wait_committed(env, 1)
    assert env.slack.messages == [] and env.glue.runs == [] and env.data_keys() == []


def _error_case(env, expect_words, file_id="F1", **settings):
    """Run one record, expect exactly one ERROR message and no side effects.
    settings: HOOKGATE_* variables for the worker."""
    _, rec = env.file_shared(file_id)
    p = env.start(**settings)
    env.produce(rec)
    msgs = wait_messages(env, 1)
    wait_committed(env, 1)
    assert len(msgs) == 1, msgs
    text = msgs[0]["text"]
    assert text.startswith(":x: ERROR: "), text
    for w in expect_words:
        assert w in text, (w, text)
    assert env.data_keys() == []
    assert env.glue.runs == []
    # The outcome is final: a redelivery does not post again.
    env.produce(rec)
    wait_committed(env, 2)
    assert len(env.slack.messages) == 1
    return p, text


def test_error_no_table_config(env):
    env.slack.add_file("F1", "unknown_table.csv", GOOD_CSV)
    _error_case(env, ["no table config", "unknown_table.json"])


def test_error_file_name_matches_no_table(env):
    env.slack.add_file("F1", "my sheet (1).csv", GOOD_CSV)
    _error_case(env, ["does not match any table config"])


def test_error_config_wrong_shape(env):
    env.slack.add_file("F1", "broken.csv", b"id\n1\n")
    _, text = _error_case(env, ["broken.json is broken", "mappings"])


def test_error_config_s3_key_among_the_markers(env):
    # A layout whose key lands in <prefix>/_hookgate/ (here exactly the
    # landed marker's key) would overwrite or fake a marker: an ERROR.
    cfg = {"project": "_hookgate", "name": "sneaky", "schema": "landed",
           "mappings": [{"name": "id", "type": "int"}, {"name": "tag", "type": "string"}],
           "options": {"s3_key_template": "{prefix}/{project}/{schema}/{file_id}.json"}}
    (env.tables / "sneaky.json").write_text(json.dumps(cfg))
    env.slack.add_file("F1", "sneaky.csv", GOOD_CSV)
    _error_case(env, ["sneaky.json puts files under hookgate's own _hookgate folder"])
    assert env.s3.keys("%s/_hookgate/landed/" % env.prefix) == []


def test_error_header_differs(env):
    env.slack.add_file("F1", "campaign_tags.csv", b"id,label\n1,red\n")
    _error_case(env, ["campaign_tags.csv", "label"])


def test_error_column_count(env):
    env.slack.add_file("F1", "campaign_tags.csv", b"id,tag\n1,red,extra\n2,ok\n")
    _error_case(env, ["campaign_tags.csv", "Row 1"])


def test_error_wrong_type(env):
    env.slack.add_file("F1", "campaign_tags.csv", b"id,tag\nabc,red\n")
    _error_case(env, ["campaign_tags.csv", "abc"])


def test_error_quotes_values_and_names_escaped_for_slack(env):
    # A cell or a file name is quoted in the ERROR: Slack's control
    # characters (& < >) in it are sent as entities, so '<!channel>' is
    # shown, not a mention of the whole channel, and no disguised link.
    env.slack.add_file("F1", "campaign_tags.csv", b"id,tag\n<!channel>,red\n")
    _, text = _error_case(env, ["'&lt;!channel&gt;' is not a whole number"])
    assert "<" not in text and ">" not in text, text


def test_error_file_name_escaped_for_slack(env):
    env.slack.add_file("F1", "a&b <https://evil.example|x>.csv", GOOD_CSV)
    _, text = _error_case(env, ["a&amp;b &lt;https://evil.example|x&gt;.csv"])
    assert "<" not in text and ">" not in text, text


def test_error_token_invalid(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.fault("files.info", "invalid_auth")
    _error_case(env, ["access token is invalid"])


def test_error_download_gives_login_page(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.fault("download", "html")
    _error_case(env, ["access token is invalid"])


def test_error_download_address_not_https_gets_no_token(env):
    # files.info naming a plain-http download elsewhere: the bot token would
    # go there in clear. One ERROR; nothing is fetched.
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV,
                       download_url="http://files.example.invalid/F1/campaign_tags.csv")
    p, _ = _error_case(env, ["campaign_tags.csv", "not https", "does not send its token in clear"])
    assert env.slack.calls("download") == []
    done = [e for e in env.log_events(p) if e.get("event") == "record_done"]
    assert done and all(e.get("code") == "slack_bad_url" for e in done[:1]), done


def test_error_file_deleted_before_processing(env):
    # files.info still knows it, the download is gone.
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.slack.fault("download", "deleted")
    _error_case(env, ["deleted from Slack"])


def test_error_file_not_found(env):
    _error_case(env, ["deleted from Slack"], file_id="F404")


def test_error_file_over_the_size_cap_is_not_downloaded(env):
    # files.info says it is over HOOKGATE_MAX_FILE_BYTES: ERROR, no download
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV, size=10**9)
    _error_case(env, ["campaign_tags.csv", "larger than the 1000000 bytes"],
                HOOKGATE_MAX_FILE_BYTES="1000000")
    assert env.slack.calls("download") == []


def test_error_file_over_the_size_cap_while_downloading(env):
    # files.info under-reports; the streamed download still stops at the cap
    big = GOOD_CSV + b"".join(b"%d,tag%d\r\n" % (i, i) for i in range(10, 3000))
    env.slack.add_file("F1", "campaign_tags.csv", big, size=100)
    _error_case(env, ["campaign_tags.csv", "larger than the 20000 bytes"],
                HOOKGATE_MAX_FILE_BYTES="20000")
    assert len(env.slack.calls("download")) == 1


def test_error_s3_upload_fails_for_good(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.s3proxy.fault("PUT", "/campaign_tags/", 403, "AccessDenied")
    _error_case(env, ["storing it in S3 failed", "AccessDenied"])


def test_error_glue_job_missing(env):
    env.slack.add_file("F1", "nojob.csv", b"id,v\n1,x\n")
    _error_case(env, ["Glue job \"mkt-nojob-load\"", "does not exist"])


def test_error_object_not_found_after_write(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    env.s3proxy.fault("HEAD", "/campaign_tags/", 404, "NoSuchKey")
    env.s3proxy.fault("PUT", "/campaign_tags/", 200, "Lost")   # the write "succeeds" but stores nothing
    _error_case(env, ["not there afterwards"])


def test_table_configs_from_s3_and_channel_override(env):
    with open(env.tables / "campaign_tags.json", "rb") as f:
        env.s3.put("configs/%s/campaign_tags.json" % env.uid, f.read())
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    _, rec = env.file_shared("F1")
    env.start(HOOKGATE_TABLES="s3://%s/configs/%s/" % (BUCKET, env.uid),
              HOOKGATE_SLACK_CHANNEL="C0OPS")
    env.produce(rec)
    msgs = wait_messages(env, 1)
    wait_committed(env, 1)
    assert msgs[0]["channel"] == "C0OPS"
    assert msgs[0]["text"].startswith(":white_check_mark: PASS")
    assert env.data_keys() == [data_key(env)]
    # A file with no config in the S3 prefix is the "config missing" ERROR.
    env.slack.add_file("F2", "unknown_table.csv", GOOD_CSV)
    _, rec2 = env.file_shared("F2")
    env.produce(rec2)
    msgs = wait_messages(env, 2)
    assert msgs[1]["text"].startswith(":x: ERROR") and "unknown_table.json" in msgs[1]["text"]


def _campaign_tags_with(env, **options):
    """Rewrite the local campaign_tags.json with extra options."""
    path = env.tables / "campaign_tags.json"
    with open(path) as f:
        cfg = json.load(f)
    cfg["options"].update(options)
    with open(path, "w") as f:
        json.dump(cfg, f)


def test_table_notify_channel_gets_the_result(env):
    # The HOOKGATE_SLACK_CHANNEL override is covered above; here the table's
    # own options.notify_channel (a channel ID) gets the PASS, not the file's
    # channel, and the duplicate check reads that channel's history.
    # It also wins over the program-wide HOOKGATE_SLACK_CHANNEL.
    _campaign_tags_with(env, notify_channel="C0LOADS")
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    event_id, rec = env.file_shared("F1")
    p = env.start(HOOKGATE_SLACK_CHANNEL="C0OPS")
    env.produce(rec)
    msgs = wait_messages(env, 1)
    wait_committed(env, 1)
    assert len(msgs) == 1, msgs
    assert msgs[0]["channel"] == "C0LOADS"
    assert msgs[0]["text"].startswith(":white_check_mark: PASS: campaign_tags.csv: 3 rows")
    assert msgs[0]["metadata"]["event_payload"] == {"file_id": "F1", "event_id": event_id,
                                                    "outcome": "pass"}
    hist = env.slack.calls("conversations.history")
    assert hist and {h["query"]["channel"] for h in hist} == {"C0LOADS"}
    assert env.data_keys() == [data_key(env)] and len(env.glue.runs) == 1
    assert "%s/_hookgate/done/%s.json" % (env.prefix, event_id) in env.s3.keys(env.prefix + "/_hookgate/")
    # A redelivery posts nothing more.
    env.produce(rec)
    wait_committed(env, 2)
    assert len(env.slack.messages) == 1
    env.stop(p)
    assert p.returncode == 0
    assert "bad_channel" not in env.log(p)


def test_error_config_notify_channel_is_a_name(env):
    # "#data-loads" used to pass the config check and then fail every file at
    # the notify step (S3 object and Glue run made, nothing posted, record
    # dead-lettered). Now it is an invalid config: one ERROR to the file's
    # channel, before anything is stored or started.
    _campaign_tags_with(env, notify_channel="#data-loads")
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    p, text = _error_case(env, ["campaign_tags.json is broken", "options.notify_channel",
                                "channel ID", "C0123ABCD", "not a #name"])
    assert env.slack.messages[0]["channel"] == "C0TEST"
    env.stop(p)
    assert "bad_channel" not in env.log(p)


def test_unparseable_record_is_dead_lettered_and_token_never_logged(env):
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    _, good = env.file_shared("F1")
    p = env.start()
    env.produce(b"{not json")
    env.produce(good)
    wait_committed(env, 2)
    dl = env.read_topic(env.topic + ".dlq", 1)
    assert len(dl) == 1 and dl[0].value() == b"{not json"
    h = {k: v.decode() for k, v in dl[0].headers()}
    assert h["hookgate-dlq-step"] == "record" and "bad_record" in h["hookgate-dlq-reason"]
    assert h["hookgate-dlq-attempts"] == "1"       # permanent: not retried
    assert len(env.slack.messages) == 1            # the good record still went through
    env.stop(p)
    assert "xoxb-test-token" not in env.log(p)


def test_error_config_in_s3_over_the_size_cap(env):
    # A config over the 1 MiB cap is refused in the words a directory's is
    # ("is larger than 1048576 bytes"), not as an S3 failure.
    with open(env.tables / "campaign_tags.json") as f:
        cfg = json.load(f)
    big = (json.dumps(cfg) + " " * (1024 * 1024)).encode()     # valid JSON, over the cap
    env.s3.put("configs/%s/campaign_tags.json" % env.uid, big)
    env.slack.add_file("F1", "campaign_tags.csv", GOOD_CSV)
    _, rec = env.file_shared("F1")
    env.start(HOOKGATE_TABLES="s3://%s/configs/%s/" % (BUCKET, env.uid))
    env.produce(rec)
    msgs = wait_messages(env, 1)
    wait_committed(env, 1)
    text = msgs[0]["text"]
    assert text.startswith(":x: ERROR: The table config campaign_tags.json could not be read"), text
    assert "campaign_tags.json is larger than 1048576 bytes" in text, text
    assert "ResponseTooLarge" not in text and "buffer" not in text, text
    assert env.data_keys() == [] and env.glue.runs == []
