# test_records.py — every kind of accepted Slack request, direct and inside
# API Gateway v1/v2 and ALB envelopes, read back from Kafka and checked field
# by field against the record contract (common/record.h).
# Shapes: protocols.md §1–3, §5 (api.slack.com/authentication/verifying-
# requests-from-slack, docs.slack.dev/apis/events-api, docs.slack.dev/
# interactivity/handling-user-interaction, docs.aws.amazon.com/apigateway/
# latest/developerguide/set-up-lambda-proxy-integrations.html,
# http-api-develop-integrations-lambda.html, elasticloadbalancing/latest/
# application/lambda-functions.html).
import calendar
import http.client
import json
import re
import time
import urllib.parse

import pytest

from conftest import (SECRET, Gateway, TopicReader, b64, event_callback, gateway_args, post_event,
                      post_signed, request, sign, uid)

RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# Slack's published slash-command example (protocols.md §1).
SLACK_EXAMPLE_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_EXAMPLE_TS = "1531420618"
SLACK_EXAMPLE_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIG"
    b"lgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
SLACK_EXAMPLE_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

FORM = "application/x-www-form-urlencoded"
OTHER_SECRET = "it-rotated-secret-0b7e2c"


def ms_of(ts):
    """RFC 3339 with milliseconds → ms since the epoch."""
    base, frac = ts[:-1].split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) * 1000 + int(frac)


def check_record(key, rec, *, id=None, type, team, channel, app, route, envelope, encoding,
                 data, time_s=None, retrynum=None, retryreason=None):
    """The CloudEvents attributes and hookgate extensions, one by one."""
    assert rec["specversion"] == "1.0"
    if id is not None:
        assert rec["id"] == id
    else:
        # a generated id: a UUID (v7), unique per request
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", rec["id"]), rec["id"]
    assert rec["type"] == type
    assert rec["source"] == f"slack://{team}" + (f"/{app}" if app else "")
    assert RFC3339_MS.match(rec["time"]), rec["time"]
    now_ms = time.time() * 1000
    if time_s is not None:
        assert ms_of(rec["time"]) == time_s * 1000
    else:
        assert abs(ms_of(rec["time"]) - now_ms) < 60_000, rec["time"]
    assert RFC3339_MS.match(rec["hgreceivedat"]), rec
    assert abs(ms_of(rec["hgreceivedat"]) - now_ms) < 60_000, rec["hgreceivedat"]
    assert rec["datacontenttype"] == "application/json"
    assert rec["hgrecordversion"] == 1
    assert rec.get("slackteam") == team
    assert rec.get("slackchannel") == channel
    assert rec.get("slackapp") == app
    assert rec.get("slackretrynum") == retrynum
    assert rec.get("slackretryreason") == retryreason
    assert rec["hgroute"] == route
    assert rec["hgenvelope"] == envelope
    assert rec["hgencoding"] == encoding
    assert rec["data"] == data
    expected_key = f"{team}:{channel}" if channel else team
    assert key == expected_key.encode(), key
    known = {"specversion", "id", "source", "type", "time", "datacontenttype", "hgrecordversion",
             "slackteam", "slackchannel", "slackapp", "slackretrynum", "slackretryreason",
             "hgroute", "hgenvelope", "hgencoding", "hgreceivedat", "data"}
    assert set(rec) <= known, set(rec) - known


def one(reader, pred, timeout=10):
    found = reader.wait_for(pred, timeout=timeout)
    assert len(found) == 1, found
    return found[0]


# ---- Events API --------------------------------------------------------------

def test_event_callback_message(gateway, reader):
    doc = event_callback(team="T0MSG1", app="A0MSG1")
    r = post_event(gateway.port, doc)
    assert r.status == 200, r
    assert r.body == b""
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    check_record(key, rec, id=doc["event_id"], type="com.slack.events.message", team="T0MSG1",
                 channel="C0IT1", app="A0MSG1", route="events", envelope="none", encoding="json",
                 data=doc, time_s=1700000000)


def test_event_callback_file_shared(gateway, reader):
    ev = {"type": "file_shared", "channel_id": "C0FILES", "file_id": "F0ABC123",
          "user_id": "U0UPLOAD", "file": {"id": "F0ABC123"}, "event_ts": "1700000100.000200"}
    doc = event_callback(team="T0FILE", app="A0FILE", event=ev)
    doc["event_time"] = 1700000100
    # send the exact bytes, with unicode and escapes, so "data" must be what was sent
    doc["event"]["note"] = "naïve \"quoted\" \\ \u2603"
    r = post_event(gateway.port, doc)
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    check_record(key, rec, id=doc["event_id"], type="com.slack.events.file_shared", team="T0FILE",
                 channel="C0FILES", app="A0FILE", route="events", envelope="none", encoding="json",
                 data=doc, time_s=1700000100)


def test_event_data_is_sent_bytes_verbatim(gateway, reader):
    # odd but valid JSON formatting: data is the envelope as sent
    doc = event_callback()
    body = json.dumps(doc, indent=3, ensure_ascii=True).encode()
    r = post_signed(gateway.port, "/slack/events", body, "application/json; charset=utf-8")
    assert r.status == 200, r
    one(reader, lambda x: x["id"] == doc["event_id"])
    raw = reader.raw_by_id(doc["event_id"])[0]
    assert body in raw, "data must be the sent JSON inserted verbatim"


def test_url_verification_answers_challenge_and_writes_nothing(gateway, reader):
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" + uid("")
    doc = {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"}
    r = post_event(gateway.port, doc)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/plain")
    assert r.body == challenge.encode()
    reader.poll(1)
    assert reader.find(lambda x: challenge in json.dumps(x)) == []


def test_ssl_check_is_200_and_writes_nothing(gateway, reader):
    token = "sslcheck" + uid("")
    body = f"ssl_check=1&token={token}".encode()
    r = post_signed(gateway.port, "/slack/commands", body, FORM)
    assert r.status == 200, r
    # Slack may send it unsigned (protocols.md §3: [U]); also 200
    r = request(gateway.port, "POST", "/slack/commands", body, {"Content-Type": FORM})
    assert r.status == 200, r
    reader.poll(1)
    assert reader.find(lambda x: token in json.dumps(x)) == []


# ---- interactivity and slash commands -------------------------------------------

def block_actions_payload(marker):
    return {
        "type": "block_actions",
        "user": {"id": "U0CLICK", "username": "clicker", "team_id": "T0INTER"},
        "api_app_id": "A0INTER",
        "token": "legacy",
        "container": {"type": "message", "message_ts": "1700000000.0001", "channel_id": "C0INTER"},
        "trigger_id": "123.456." + marker,
        "team": {"id": "T0INTER", "domain": "it"},
        "channel": {"id": "C0INTER", "name": "general"},
        "response_url": "https://hooks.slack.com/actions/T0INTER/1/xyz",
        "actions": [{"action_id": "approve", "block_id": "b1", "type": "button",
                     "value": "yes & no = maybe", "action_ts": "1700000001.0002"}],
    }


def view_submission_payload(marker):
    return {
        "type": "view_submission",
        "team": {"id": "T0VIEW", "domain": "it"},
        "user": {"id": "U0VIEW", "username": "viewer", "team_id": "T0VIEW"},
        "api_app_id": "A0VIEW",
        "token": "legacy",
        "trigger_id": "789." + marker,
        "view": {"id": "V0VIEW", "type": "modal", "callback_id": "cb",
                 "state": {"values": {"b1": {"a1": {"type": "plain_text_input", "value": "Grüße ✓"}}}}},
    }


def org_wide(make, **view):
    """An org-wide (Enterprise Grid) install: Slack sends "team": null."""
    def build(marker):
        p = make(marker)
        p["team"] = None
        p["enterprise"] = {"id": "E0GRID"}
        if view:
            p["view"].update(view)
        return p
    return build


@pytest.mark.parametrize("make,kind,team,channel,app", [
    (block_actions_payload, "block_actions", "T0INTER", "C0INTER", "A0INTER"),
    (view_submission_payload, "view_submission", "T0VIEW", None, "A0VIEW"),   # no channel: key = team
    # team null: the user's team, or (views) the installing team
    (org_wide(block_actions_payload), "block_actions", "T0INTER", "C0INTER", "A0INTER"),
    (org_wide(view_submission_payload), "view_submission", "T0VIEW", None, "A0VIEW"),
    (org_wide(view_submission_payload, app_installed_team_id="T0INSTALL"), "view_submission",
     "T0INSTALL", None, "A0VIEW"),
])
def test_interactive(gateway, reader, make, kind, team, channel, app):
    payload = make(uid(""))
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    r = post_signed(gateway.port, "/slack/interactive", body, FORM)
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["data"].get("trigger_id") == payload["trigger_id"])
    check_record(key, rec, type="com.slack.interactive." + kind, team=team, channel=channel,
                 app=app, route="interactive", envelope="none", encoding="form-payload", data=payload)


def slack_example_fields(body=SLACK_EXAMPLE_BODY):
    return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))


def test_slash_command_slack_example_fresh_signature(gateway, reader):
    # Slack's example body, with a unique trigger_id so this request's record can be found
    marker = uid("")
    body = SLACK_EXAMPLE_BODY.replace(b"trigger_id=398738663015", b"trigger_id=" + marker.encode())
    r = post_signed(gateway.port, "/slack/commands", body, FORM)
    assert r.status == 200, r
    assert r.body == b""
    fields = slack_example_fields(body)
    assert fields["text"] == "" and fields["command"] == "/webhook-collect"
    key, rec = one(reader, lambda x: x["data"].get("trigger_id", "").startswith(marker))
    check_record(key, rec, type="com.slack.command", team="T1DC2JH3J", channel="G8PSS9T3V",
                 app=None, route="commands", envelope="none", encoding="form", data=fields)


def test_slash_command_generated_ids_are_unique(gateway, reader):
    marker = uid("")
    body = urllib.parse.urlencode({"command": "/it", "text": marker, "team_id": "T0CMD",
                                   "channel_id": "C0CMD", "api_app_id": "A0CMD"}).encode()
    for _ in range(2):
        assert post_signed(gateway.port, "/slack/commands", body, FORM).status == 200
    found = reader.wait_for(lambda x: x["data"].get("text") == marker, n=2)
    assert len(found) == 2
    assert found[0][1]["id"] != found[1][1]["id"]
    for key, rec in found:
        check_record(key, rec, type="com.slack.command", team="T0CMD", channel="C0CMD", app="A0CMD",
                     route="commands", envelope="none", encoding="form",
                     data={"command": "/it", "text": marker, "team_id": "T0CMD",
                           "channel_id": "C0CMD", "api_app_id": "A0CMD"})


# ---- replay mode and rotation: a second gateway -----------------------------------

@pytest.fixture(scope="module")
def replay_gateway(cluster):
    gw = Gateway(gateway_args(cluster.bootstrap, "--signature-max-age", "0",
                              secret=f"{OTHER_SECRET},{SLACK_EXAMPLE_SECRET}"))
    yield gw
    assert gw.stop() == 0, gw.stderr()


def test_our_signer_reproduces_slacks_example():
    # the suite's own signer (conftest.sign) agrees with Slack's worked example,
    # so every signature the suite sends is computed the way Slack computes it
    h = sign(SLACK_EXAMPLE_BODY, ts=SLACK_EXAMPLE_TS, secret=SLACK_EXAMPLE_SECRET)
    assert h["X-Slack-Signature"] == SLACK_EXAMPLE_SIG
    assert len(SLACK_EXAMPLE_BODY) == 362


def test_slack_published_example_signature(replay_gateway, reader):
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": SLACK_EXAMPLE_TS,
               "X-Slack-Signature": SLACK_EXAMPLE_SIG}
    r = request(replay_gateway.port, "POST", "/slack/commands", SLACK_EXAMPLE_BODY, headers)
    assert r.status == 200, r
    fields = slack_example_fields()
    key, rec = one(reader, lambda x: x["data"] == fields and x["hgroute"] == "commands"
                   and x["data"].get("trigger_id") == fields["trigger_id"])
    check_record(key, rec, type="com.slack.command", team="T1DC2JH3J", channel="G8PSS9T3V",
                 app=None, route="commands", envelope="none", encoding="form", data=fields)
    # one changed byte breaks it
    bad = SLACK_EXAMPLE_BODY.replace(b"foobar", b"foobaz")
    r = request(replay_gateway.port, "POST", "/slack/commands", bad, headers)
    assert r.status == 401, r


def test_rotated_secrets_both_accepted(replay_gateway, reader):
    ids = []
    for secret in (OTHER_SECRET, SLACK_EXAMPLE_SECRET):
        doc = event_callback()
        r = post_event(replay_gateway.port, doc, secret=secret)
        assert r.status == 200, (secret[:4], r)
        ids.append(doc["event_id"])
    for i in ids:
        assert len(reader.by_id(i)) == 1
    # a secret that is not configured (the first gateway's) is refused here
    r = post_event(replay_gateway.port, event_callback(), secret=SECRET)
    assert r.status == 401, r


def test_max_age_zero_accepts_old_timestamp(replay_gateway, reader):
    doc = event_callback()
    r = post_event(replay_gateway.port, doc, ts=int(time.time()) - 30 * 86400, secret=OTHER_SECRET)
    assert r.status == 200, r
    assert len(reader.by_id(doc["event_id"])) == 1


# ---- API Gateway v1, v2 and ALB envelopes --------------------------------------------

def envelope(kind, path, body: bytes, headers, base64=True, method="POST"):
    text = b64(body) if base64 else body.decode()
    if kind == "apigw-v1":
        return {
            "resource": path, "path": path, "httpMethod": method,
            "headers": dict(headers),
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": None, "stageVariables": None,
            "requestContext": {"requestId": "req-1", "stage": "prod", "httpMethod": method,
                               "identity": {"sourceIp": "203.0.113.1"}, "path": "/prod" + path},
            "body": text, "isBase64Encoded": base64,
        }
    if kind == "apigw-v2":
        return {
            "version": "2.0", "routeKey": "POST /slack/{proxy+}", "rawPath": "/prod" + path,
            "rawQueryString": "", "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": method, "path": "/prod" + path, "protocol": "HTTP/1.1",
                                        "sourceIp": "203.0.113.1", "userAgent": "Slackbot 1.0"},
                               "requestId": "req-2", "stage": "prod", "timeEpoch": 1700000000000},
            "body": text, "isBase64Encoded": base64,
        }
    assert kind == "alb"
    return {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/it/abc"}},
        "httpMethod": method, "path": path, "queryStringParameters": {},
        "headers": {k.lower(): v for k, v in headers.items()},
        "body": text, "isBase64Encoded": base64,
    }


def post_envelope(port, env):
    return request(port, "POST", "/aws/events", json.dumps(env).encode(),
                   {"Content-Type": "application/json"})


KINDS = ["apigw-v1", "apigw-v2", "alb"]


@pytest.mark.parametrize("kind", KINDS)
def test_envelope_json_event_base64(gateway, reader, kind):
    doc = event_callback(team="T0ENV", app="A0ENV")
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    r = post_envelope(gateway.port, envelope(kind, "/slack/events", body, h))
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    check_record(key, rec, id=doc["event_id"], type="com.slack.events.message", team="T0ENV",
                 channel="C0IT1", app="A0ENV", route="events", envelope=kind,
                 encoding="json+base64", data=doc, time_s=1700000000)


@pytest.mark.parametrize("kind", KINDS)
def test_envelope_slash_command_base64(gateway, reader, kind):
    marker = uid("")
    fields = {"command": "/deploy", "text": f"env {marker} & more", "team_id": "T0ENVC",
              "channel_id": "C0ENVC", "user_id": "U0ENVC", "trigger_id": marker}
    body = urllib.parse.urlencode(fields).encode()
    h = {"Content-Type": FORM}
    h.update(sign(body))
    r = post_envelope(gateway.port, envelope(kind, "/slack/commands", body, h))
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["data"].get("trigger_id") == marker)
    check_record(key, rec, type="com.slack.command", team="T0ENVC", channel="C0ENVC", app=None,
                 route="commands", envelope=kind, encoding="form+base64", data=fields)


@pytest.mark.parametrize("kind", KINDS)
def test_envelope_interactive_base64(gateway, reader, kind):
    marker = uid("")
    payload = block_actions_payload(marker)
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    h = {"Content-Type": FORM}
    h.update(sign(body))
    r = post_envelope(gateway.port, envelope(kind, "/slack/interactive", body, h))
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["data"].get("trigger_id") == payload["trigger_id"])
    check_record(key, rec, type="com.slack.interactive.block_actions", team="T0INTER",
                 channel="C0INTER", app="A0INTER", route="interactive", envelope=kind,
                 encoding="form-payload+base64", data=payload)


def test_envelope_plain_body_not_base64(gateway, reader):
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    r = post_envelope(gateway.port, envelope("apigw-v1", "/slack/events", body, h, base64=False))
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    assert rec["hgenvelope"] == "apigw-v1" and rec["hgencoding"] == "json"
    assert rec["data"] == doc


def test_envelope_v2_stage_prefix_and_url_verification(gateway, reader):
    # rawPath carries the stage ("/prod/slack/events"); the handshake works inside too
    doc = {"token": "t", "challenge": "chal-" + uid(""), "type": "url_verification"}
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    env = envelope("apigw-v2", "/slack/events", body, h)
    assert env["rawPath"] == "/prod/slack/events"
    r = post_envelope(gateway.port, env)
    assert r.status == 200, r
    assert r.body == doc["challenge"].encode()


@pytest.mark.parametrize("kind", KINDS)
def test_envelope_bad_signature_is_401(gateway, reader, kind):
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body, secret="not-the-secret"))
    r = post_envelope(gateway.port, envelope(kind, "/slack/events", body, h))
    assert r.status == 401, r
    assert r.json()["error"] == "invalid_signature"
    # signed over the base64 text instead of the decoded bytes: also refused
    h2 = {"Content-Type": "application/json"}
    h2.update(sign(b64(body).encode()))
    r = post_envelope(gateway.port, envelope(kind, "/slack/events", body, h2))
    assert r.status == 401, r
    reader.poll(1)
    assert reader.find(lambda x: x["id"] == doc["event_id"]) == []


def test_envelope_repeated_header_last_wins(gateway, reader):
    # as for a direct request (test_http.py): a name given twice, in other
    # letter cases, counts by its last occurrence; "headers" still wins over
    # "multiValueHeaders"
    doc = event_callback()
    body = json.dumps(doc).encode()
    good = sign(body)
    env = envelope("apigw-v1", "/slack/events", body, {"Content-Type": "application/json"})
    env["headers"]["X-Slack-Signature"] = "v0=" + "0" * 64
    env["headers"]["X-Slack-Request-Timestamp"] = good["X-Slack-Request-Timestamp"]
    env["headers"]["x-slack-signature"] = good["X-Slack-Signature"]
    env["multiValueHeaders"] = {"x-slack-signature": ["v0=" + "1" * 64]}
    r = post_envelope(gateway.port, env)
    assert r.status == 200, r
    assert len(reader.wait_for(lambda x: x["id"] == doc["event_id"])) == 1
    del env["headers"]["X-Slack-Signature"]
    env["headers"]["X-SLACK-SIGNATURE"] = "v0=" + "0" * 64     # now the bad one comes last
    r = post_envelope(gateway.port, env)
    assert r.status == 401, r


def test_alb_multi_value_headers(gateway, reader):
    # ALB with lambda.multi_value_headers.enabled sends only multiValueHeaders
    doc = event_callback()
    body = json.dumps(doc).encode()
    h = {"content-type": "application/json"}
    h.update({k.lower(): v for k, v in sign(body).items()})
    env = envelope("alb", "/slack/events", body, h)
    del env["headers"]
    env["multiValueHeaders"] = {k: [v] for k, v in h.items()}
    r = post_envelope(gateway.port, env)
    assert r.status == 200, r
    assert len(reader.by_id(doc["event_id"])) == 1


# ---- Slack retries -------------------------------------------------------------------

def test_retry_of_acknowledged_event_is_not_written_twice(gateway, reader):
    doc = event_callback()
    assert post_event(gateway.port, doc).status == 200
    assert len(reader.by_id(doc["event_id"])) == 1
    for n in (1, 2):
        r = post_event(gateway.port, doc, extra={"X-Slack-Retry-Num": str(n),
                                                 "X-Slack-Retry-Reason": "http_timeout"})
        assert r.status == 200, r
    # a "retry" with a bad signature is refused, not answered from the dedup set
    r = post_event(gateway.port, doc, secret="wrong", extra={"X-Slack-Retry-Num": "3"})
    assert r.status == 401, r
    reader.poll(2)
    assert len(reader.find(lambda x: x["id"] == doc["event_id"])) == 1


def test_first_delivered_retry_carries_its_number(gateway, reader):
    # Slack's first attempt failed elsewhere; this retry is the first we see
    doc = event_callback()
    r = post_event(gateway.port, doc, extra={"X-Slack-Retry-Num": "2",
                                             "X-Slack-Retry-Reason": "http_timeout"})
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    check_record(key, rec, id=doc["event_id"], type="com.slack.events.message", team="T0IT1",
                 channel="C0IT1", app="A0IT1", route="events", envelope="none", encoding="json",
                 data=doc, time_s=1700000000, retrynum=2, retryreason="http_timeout")


def test_envelope_with_body_near_the_limit(gateway, reader):
    # a 60 KiB event (limit 64 KiB) base64-wrapped grows by 4/3: still accepted
    doc = event_callback()
    doc["event"]["text"] = "x" * (60 * 1024)
    body = json.dumps(doc).encode()
    assert len(body) < 65536
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    r = post_envelope(gateway.port, envelope("apigw-v2", "/slack/events", body, h))
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    assert rec["data"] == doc and rec["hgencoding"] == "json+base64"


def test_event_without_team_or_ids(gateway, reader):
    # no team_id / api_app_id / channel / event_time / event_id: a generated
    # id, source slack://unknown, no key, received time as the time
    doc = {"type": "event_callback", "event": {"type": "app_rate_limited_probe", "marker": uid("")}}
    r = post_event(gateway.port, doc)
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["data"].get("event", {}).get("marker") == doc["event"]["marker"])
    assert key is None
    assert rec["source"] == "slack://unknown"
    assert rec["type"] == "com.slack.events.app_rate_limited_probe"
    for absent in ("slackteam", "slackchannel", "slackapp", "slackretrynum"):
        assert absent not in rec, absent
    assert abs(ms_of(rec["time"]) - time.time() * 1000) < 60_000
    assert rec["data"] == doc


def test_untrusted_ids_left_out_of_key_and_extensions(gateway, reader):
    # ids outside Slack's alphabet are not trusted into the key or extensions
    doc = event_callback(team="T0:EVIL/../x")
    doc["event"]["channel"] = "C0\nINJECT"
    r = post_event(gateway.port, doc)
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    assert "slackteam" not in rec and "slackchannel" not in rec
    assert key is None
    assert rec["source"] == "slack://unknown/A0IT1"
    assert rec["data"] == doc


# ---- U+0000 (\u0000) in strings ------------------------------------------------------
# Valid JSON (RFC 8259 §7), so Slack may send it: it was answered 400, Slack
# retried and then dropped the event. The record carries it as sent, escaped.

def test_u0000_in_strings_reaches_the_topic_escaped(gateway, reader):
    doc = event_callback(team="T0NUL", app="A0NUL")
    doc["event"]["text"] = "before\u0000after"
    doc["event"]["blocks"] = [{"k\u0000ey": "\u0000", "t": "x\u0000" * 40}]
    body = json.dumps(doc).encode()
    assert b"\\u0000" in body and b"\x00" not in body
    r = post_signed(gateway.port, "/slack/events", body, "application/json")
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    check_record(key, rec, id=doc["event_id"], type="com.slack.events.message", team="T0NUL",
                 channel="C0IT1", app="A0NUL", route="events", envelope="none", encoding="json",
                 data=doc, time_s=1700000000)
    assert rec["data"]["event"]["text"] == "before\u0000after"   # not cut at the NUL
    raw = reader.raw_by_id(doc["event_id"])[0]
    assert body in raw, "data must be the sent JSON inserted verbatim"
    assert b"\x00" not in raw, "the record holds the escape, never a raw NUL byte"


def test_ids_holding_u0000_are_left_out_not_cut(gateway, reader):
    # a team, channel or app id with U+0000 is no Slack ID: left out of the
    # key and extensions like any other (not "T0NUL" cut at the NUL)
    doc = event_callback(team="T0NUL\u0000T0EVIL", app="A0NUL\u0000")
    doc["event"]["channel"] = "C0NUL\u0000"
    r = post_event(gateway.port, doc)
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    for absent in ("slackteam", "slackchannel", "slackapp"):
        assert absent not in rec, absent
    assert key is None
    assert rec["source"] == "slack://unknown"
    assert rec["data"] == doc


def test_interactive_payload_with_u0000(gateway, reader):
    payload = block_actions_payload(uid(""))
    payload["actions"][0]["value"] = "yes\u0000no"
    payload["k\u0000"] = ["\u0000"]
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    r = post_signed(gateway.port, "/slack/interactive", body, FORM)
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["data"].get("trigger_id") == payload["trigger_id"])
    check_record(key, rec, type="com.slack.interactive.block_actions", team="T0INTER", channel="C0INTER",
                 app="A0INTER", route="interactive", envelope="none", encoding="form-payload", data=payload)
    assert b"\x00" not in reader.raw_by_id(rec["id"])[0]


@pytest.mark.parametrize("base64", [True, False])
def test_envelope_with_u0000(gateway, reader, base64):
    # in the inner body, and where API Gateway v1 puts a decoded ?q=%00
    doc = event_callback()
    doc["event"]["text"] = "a\u0000b"
    body = json.dumps(doc).encode()
    h = {"Content-Type": "application/json"}
    h.update(sign(body))
    env = envelope("apigw-v1", "/slack/events", body, h, base64=base64)
    env["queryStringParameters"] = {"q": "\u0000"}
    env["multiValueQueryStringParameters"] = {"q": ["\u0000"]}
    r = post_envelope(gateway.port, env)
    assert r.status == 200, r
    key, rec = one(reader, lambda x: x["id"] == doc["event_id"])
    assert rec["hgencoding"] == ("json+base64" if base64 else "json")
    assert rec["data"] == doc


def test_one_channel_keeps_its_order(gateway, reader):
    # the key team:channel puts a channel's records on one partition, in the
    # order they were acknowledged; other channels of the team may go elsewhere
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    ids = []
    for i in range(12):
        doc = event_callback(team="T0ORDER")
        doc["event"]["channel"] = "C0ORDER"
        doc["event"]["seq"] = i
        assert post_event(gateway.port, doc, conn=conn).status == 200
        ids.append(doc["event_id"])
    conn.close()
    want = set(ids)
    found = reader.wait_for(lambda x: x["id"] in want, n=len(ids))
    assert len(found) == len(ids)
    assert {k for k, _ in found} == {b"T0ORDER:C0ORDER"}
    positions = [reader.position[i] for i in ids]
    assert len({p for p, _ in positions}) == 1, positions
    offsets = [o for _, o in positions]
    assert offsets == sorted(offsets), offsets
