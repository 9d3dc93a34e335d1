# test_settings.py — settings from flags and HOOKGATE_* variables, invalid
# settings refused at start naming the setting, librdkafka properties passed
# through, the secrets file, secrets and bodies never in logs, and the
# embedded default (no brokers → in-process mock cluster, loud warning,
# --bootstrap-file).
import json
import os
import stat
import subprocess
import time

import pytest

from conftest import (HOOKGATE_BIN, SECRET, TOPIC, Gateway, TopicReader, event_callback, gateway_args, post_event,
                      request, run_refused, uid)


def base(bootstrap="127.0.0.1:1"):
    return ["--listen", "127.0.0.1:0", "--brokers", bootstrap, "--signing-secret", SECRET]


def assert_refused(args, names, env=None):
    rc, err = run_refused(args, env=env)
    assert rc != 0, err
    for n in names:
        assert n in err, f"message does not name {n!r}: {err}"
    assert SECRET not in err
    return err


@pytest.mark.parametrize("extra,names", [
    (["--threads", "-1"], ["--threads"]),
    (["--threads", "257"], ["--threads"]),
    (["--signature-max-age", "abc"], ["--signature-max-age"]),
    (["--signature-max-age", "-5"], ["--signature-max-age"]),
    (["--ack-timeout-ms", "100"], ["--ack-timeout-ms"]),
    (["--max-body", "10"], ["--max-body"]),
    (["--keepalive-timeout", "0"], ["--keepalive-timeout"]),
    (["--no-such-flag", "1"], ["--no-such-flag"]),
    (["-x"], ["-x"]),
    (["--kafka", "no.such.property=1"], ["no.such.property"]),
    (["--kafka", "linger.ms=soon"], ["linger.ms"]),
    (["--kafka", "novalue"], ["--kafka"]),
    (["--kafka", "acks=1"], ["acks", "must be all"]),
    (["--kafka", "request.required.acks=0"], ["acks", "must be all"]),
    (["--kafka", "enable.idempotence=false"], ["enable.idempotence"]),
    (["--kafka", "delivery.report.only.error=true"], ["delivery.report.only.error", "must be false"]),
    (["--listen", "nonsense"], ["--listen"]),
    # getaddrinfo would keep the low 16 bits (99999 -> 34463, 65536 -> any port)
    (["--listen", "127.0.0.1:99999"], ["--listen", "0-65535"]),
    (["--listen", "127.0.0.1:65536"], ["--listen", "0-65535"]),
    (["--listen", "127.0.0.1:+80"], ["--listen", "0-65535"]),
    (["--log-level", "loud"], ["--log-level"]),
    (["--kafka-auth", "kerberos"], ["--kafka-auth"]),
    (["--topic", ""], ["--topic"]),
    # Kafka refuses these names: every record would be answered 503
    (["--topic", "slack events"], ["--topic"]),
    (["--topic", "slack/events"], ["--topic"]),
    (["--topic", ".."], ["--topic"]),
    (["stray-positional"], ["stray-positional"]),
])
def test_invalid_flag_refused_naming_it(extra, names):
    assert_refused(base() + extra, names)


@pytest.mark.parametrize("env,names", [
    ({"HOOKGATE_THREADS": "abc"}, ["HOOKGATE_THREADS"]),
    ({"HOOKGATE_SIGNATURE_MAX_AGE": "99999999"}, ["HOOKGATE_SIGNATURE_MAX_AGE"]),
    ({"HOOKGATE_MAX_INFLIGHT": "0"}, ["HOOKGATE_MAX_INFLIGHT"]),
    ({"HOOKGATE_TOPIC": "slack.events "}, ["HOOKGATE_TOPIC"]),   # a trailing space in an env file
    ({"HOOKGATE_KAFKA_NO_SUCH_PROPERTY": "1"}, ["no.such.property"]),
])
def test_invalid_environment_refused_naming_it(env, names):
    assert_refused(base(), names, env=env)


NO_BROKERS = ["--listen", "127.0.0.1:0", "--signing-secret", SECRET]


@pytest.mark.parametrize("env", [{"HOOKGATE_BROKERS": "10.0.0.1:9092"},
                                 {"HOOKGATE_BOOTSTRAP_SERVERS": "10.0.0.1:9092"},
                                 {"HOOKGATE_KAFKA_BROKER": "10.0.0.1:9092"},
                                 {"HOOKGATE_KAFKA_BOOTSTRAP_SERVERS": "10.0.0.1:9092"},
                                 {"HOOKGATE_KAFKA_METADATA_BROKER_LIST": "10.0.0.1:9092"}])
def test_misspelt_broker_variable_refused_not_embedded(env):
    """A broker variable hookgate does not read must not leave it on the
    embedded cluster (which persists nothing) or beside it: refused, naming
    the variable; the right name is given where hookgate can tell."""
    (name,) = env
    err = assert_refused(NO_BROKERS, [], env=env)
    assert name in err or name[len("HOOKGATE_KAFKA_"):].lower().replace("_", ".") in err, err
    assert "HOOKGATE_KAFKA_BROKERS" in err, err
    assert "embedded_kafka" not in err, err   # refused before the embedded cluster started


@pytest.mark.parametrize("prop,names", [
    ("acks=1", ["acks", "must be all"]),
    ("enable.idempotence=false", ["enable.idempotence"]),
    ("no.such.property=1", ["no.such.property"]),
    ("linger.ms=soon", ["linger.ms"]),
])
def test_bad_kafka_property_refused_before_the_embedded_cluster(prop, names):
    """The producers' configuration is checked before anything starts: with
    no brokers, a property that could never work was refused only once the
    embedded cluster was up and had logged that it persists nothing."""
    err = assert_refused(NO_BROKERS + ["--kafka", prop], names + ["config_invalid"])
    assert "embedded_kafka" not in err and "NO BROKERS CONFIGURED" not in err, err


@pytest.mark.parametrize("prop", ["bootstrap.servers", "metadata.broker.list"])
def test_brokers_as_kafka_property_refused(prop):
    """With --brokers too, the property would override it unseen."""
    err = assert_refused(base() + ["--kafka", f"{prop}=10.0.0.1:9092"], [prop, "HOOKGATE_KAFKA_BROKERS"])
    assert "10.0.0.1" not in err


def test_unknown_broker_variable_ignored_when_brokers_set(cluster):
    """Only with no brokers is such a variable a danger (it may be another
    program's): with --brokers the gateway starts and delivers."""
    gw = Gateway(gateway_args(cluster.bootstrap), env={"HOOKGATE_BROKERS": "10.0.0.1:9092"})
    try:
        doc = event_callback()
        assert post_event(gw.port, doc).status == 200
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_no_signing_secret_refused():
    err = assert_refused(["--listen", "127.0.0.1:0", "--brokers", "127.0.0.1:1"],
                         ["--signing-secret", "HOOKGATE_SIGNING_SECRETS"])
    assert "secret" in err


def test_missing_secrets_file_refused_naming_the_setting():
    assert_refused(base() + ["--signing-secrets-file", "/nonexistent/hookgate-secrets"],
                   ["--signing-secrets-file"])


def test_help_exits_zero_and_lists_settings():
    rc, _ = run_refused(["--help"])
    assert rc == 0


# ---- settings that work ------------------------------------------------------------

def test_environment_variables_configure_everything(cluster):
    topic = "it.env." + uid("").lower()
    env = {
        "HOOKGATE_LISTEN": "127.0.0.1:0",
        "HOOKGATE_KAFKA_BROKERS": cluster.bootstrap,
        "HOOKGATE_TOPIC": topic,
        "HOOKGATE_SIGNING_SECRETS": "env-secret-one,env-secret-two",
        "HOOKGATE_THREADS": "1",
        "HOOKGATE_ACK_TIMEOUT_MS": "1500",
        "HOOKGATE_KAFKA_LINGER_MS": "0",           # librdkafka pass-through (linger.ms)
    }
    gw = Gateway([], env=env)
    try:
        ids = []
        for s in ("env-secret-one", "env-secret-two"):
            d = event_callback()
            r = post_event(gw.port, d, secret=s)
            assert r.status == 200, r
            ids.append(d["event_id"])
        assert post_event(gw.port, event_callback(), secret=SECRET).status == 401
        rd = TopicReader(cluster.bootstrap, topic=topic)
        for i in ids:
            assert len(rd.by_id(i)) == 1, f"record not on {topic}"
        rd.close()
        listening = [e for e in gw.log_events() if e.get("event") == "listening"]
        assert listening and listening[0]["threads"] == "1" and listening[0]["topic"] == topic
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_flags_override_environment(cluster):
    topic = "it.flag." + uid("").lower()
    gw = Gateway(gateway_args(cluster.bootstrap, "--topic", topic),
                 env={"HOOKGATE_TOPIC": "it.env.loses", "HOOKGATE_THREADS": "1"})
    try:
        d = event_callback()
        assert post_event(gw.port, d).status == 200
        rd = TopicReader(cluster.bootstrap, topic=topic)
        assert len(rd.by_id(d["event_id"])) == 1
        rd.close()
        # --threads from gateway_args (2) beats HOOKGATE_THREADS=1
        listening = [e for e in gw.log_events() if e.get("event") == "listening"]
        assert listening[0]["threads"] == "2"
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_secrets_file_flag_and_environment(cluster, tmp_path):
    path = str(tmp_path / "secrets")
    with open(path, "w") as f:
        f.write("file-secret-alpha\nfile-secret-beta\n")
    os.chmod(path, 0o600)
    for how in ("flag", "env"):
        args = ["--listen", "127.0.0.1:0", "--brokers", cluster.bootstrap, "--threads", "1"]
        env = {}
        if how == "flag":
            args += ["--signing-secrets-file", path]
        else:
            env["HOOKGATE_SIGNING_SECRETS_FILE"] = path
        gw = Gateway(args, env=env)
        try:
            for s in ("file-secret-alpha", "file-secret-beta"):
                assert post_event(gw.port, event_callback(), secret=s).status == 200, (how, s)
            assert post_event(gw.port, event_callback(), secret="file-secret-gamma").status == 401
        finally:
            assert gw.stop() == 0
        log = gw.stderr()
        assert "file-secret-alpha" not in log and "file-secret-beta" not in log


def test_secrets_and_bodies_never_logged(cluster):
    secret = "LOGCHECK-" + uid("")
    marker = "BODYMARKER" + uid("")
    gw = Gateway(["--listen", "127.0.0.1:0", "--brokers", cluster.bootstrap, "--signing-secret",
                  f"{secret},second-{secret}", "--threads", "1", "--log-level", "debug"])
    try:
        doc = event_callback()
        doc["event"]["text"] = marker
        assert post_event(gw.port, doc, secret=secret).status == 200
        assert post_event(gw.port, doc, secret="wrong").status == 401
        assert post_event(gw.port, doc, secret=secret, ts=int(time.time()) - 4000).status == 401
        bad = json.dumps({"x": marker}).encode()[:-1]
        assert request(gw.port, "POST", "/slack/events", bad, {"Content-Type": "application/json"}).status == 401
        assert request(gw.port, "POST", "/aws/events", bad, {"Content-Type": "application/json"}).status == 400
    finally:
        assert gw.stop() == 0
    log = gw.stderr()
    assert log, "no logs at all"
    assert secret not in log
    assert marker not in log
    for line in log.splitlines():
        if line.startswith("{"):
            json.loads(line)          # JSON lines


def test_config_error_does_not_log_secret():
    secret = "CFGERR-" + uid("")
    for extra in (["--threads", "x"], ["--kafka", "sasl.password"], ["--kafka", "bogus.prop=" + secret]):
        rc, err = run_refused(["--listen", "127.0.0.1:0", "--brokers", "127.0.0.1:1",
                               "--signing-secret", secret] + extra)
        assert rc != 0
        assert secret not in err, err


# ---- the embedded default -------------------------------------------------------------

@pytest.mark.parametrize("brokers", [None, 3])
def test_embedded_default_cluster(tmp_path, brokers):
    bootfile = str(tmp_path / "bootstrap")
    extra = ["--embedded-brokers", str(brokers)] if brokers else []
    gw = Gateway(["--listen", "127.0.0.1:0", "--signing-secret", SECRET, "--threads", "1",
                  "--bootstrap-file", bootfile] + extra)
    try:
        warn = [e for e in gw.log_events() if e.get("event") == "embedded_kafka"]
        assert warn, gw.stderr()
        assert warn[0]["level"] == "warn"
        assert "NOTHING IS PERSISTED" in warn[0]["warning"]
        with open(bootfile) as f:
            bootstrap = f.read().strip()
        assert bootstrap and bootstrap == warn[0]["bootstrap"]
        addrs = bootstrap.split(",")
        assert len(addrs) == (brokers or 1), bootstrap
        for a in addrs:
            host, _, port = a.rpartition(":")
            assert host and int(port) > 0
        doc = event_callback()
        r = post_event(gw.port, doc)
        assert r.status == 200, r
        rd = TopicReader(bootstrap, topic=TOPIC)
        found = rd.by_id(doc["event_id"])
        rd.close()
        assert len(found) == 1
        assert found[0][1]["data"] == doc
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_bootstrap_and_port_files_never_replace_what_is_no_regular_file(tmp_path):
    """Both are written beside the path and renamed over it: a FIFO (or
    /dev/null, run as root) there became a plain file. The bootstrap file
    is refused at start, the port file only warned about."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    err = assert_refused(NO_BROKERS + ["--bootstrap-file", str(fifo)], [str(fifo), "not a regular file"])
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]
    proc = subprocess.Popen([HOOKGATE_BIN, "--listen", "127.0.0.1:0", "--brokers", "127.0.0.1:1",
                             "--signing-secret", SECRET, "--port-file", str(fifo)],
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        lines = []
        while time.time() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if '"port_file_failed"' in line or not line:
                break
        assert any('"port_file_failed"' in l and "not a regular file" in l for l in lines), lines
    finally:
        proc.terminate()
        proc.wait(20)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]


@pytest.mark.parametrize("ms,warned", [("3000", True), ("2999", False)])
def test_ack_timeout_past_slacks_deadline_is_warned(cluster, ms, warned):
    """Slack waits 3 s: a longer --ack-timeout-ms answers requests Slack has
    given up on. Allowed (replays, other senders), but said at start."""
    gw = Gateway(gateway_args(cluster.bootstrap) + ["--ack-timeout-ms", ms])
    try:
        w = [e for e in gw.log_events() if e.get("event") == "ack_timeout_over_slack_deadline"]
        assert bool(w) == warned, gw.stderr()
        if warned:
            assert w[0]["level"] == "warn" and w[0]["ack_timeout_ms"] == ms
        assert post_event(gw.port, event_callback()).status == 200
    finally:
        assert gw.stop() == 0, gw.stderr()


def thread_policies(pid):
    """{thread name: scheduling policy} from /proc (stat field 41: 0 normal, 3 batch)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except FileNotFoundError:   # a thread that just ended
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        out[f"{comm}/{tid}"] = int(text[text.rindex(")") + 2:].split()[38])
    return out


@pytest.mark.parametrize("setting", [None, "false"])
def test_sched_batch_for_librdkafka_threads(cluster, setting):
    # default: librdkafka's threads (the producers' and the embedded
    # cluster's, rdk:*) under SCHED_BATCH, the HTTP loops and main at the
    # default policy; false: every thread at the default policy
    env = {"HOOKGATE_SCHED_BATCH": setting} if setting else {}
    args = ["--listen", "127.0.0.1:0", "--signing-secret", SECRET, "--threads", "2"]
    if setting:
        args += ["--brokers", cluster.bootstrap]   # default case: the embedded cluster
    gw = Gateway(args, env=env)
    try:
        r = post_event(gw.port, event_callback())   # the producers are connected
        assert r.status == 200, r
        pols = thread_policies(gw.proc.pid)
        rdk = {n: p for n, p in pols.items() if n.startswith("rdk:")}
        ours = {n: p for n, p in pols.items() if not n.startswith("rdk:")}
        assert len(ours) >= 3, pols                 # main and 2 loops
        assert any(n.startswith("rdk:broker") for n in rdk), pols
        if setting is None:
            assert any(n.startswith("rdk:mock") for n in rdk), pols
        assert set(ours.values()) == {0}, pols
        assert set(rdk.values()) == {0 if setting == "false" else 3}, pols
        assert not [e for e in gw.log_events() if e.get("event") == "sched_batch_refused"]
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_defaults_every_core_and_keepalive_above_alb_idle(cluster):
    # no --threads: one loop per core; the default keep-alive outlives the
    # ALB's 60 s idle timeout (protocols.md §5, docs.aws.amazon.com/
    # elasticloadbalancing/latest/application/edit-load-balancer-attributes.html)
    gw = Gateway(["--listen", "127.0.0.1:0", "--brokers", cluster.bootstrap, "--signing-secret", SECRET])
    try:
        listening = [e for e in gw.log_events() if e.get("event") == "listening"]
        assert listening and int(listening[0]["threads"]) == len(os.sched_getaffinity(0))
        assert listening[0]["topic"] == "slack.events"
    finally:
        assert gw.stop() == 0
    p = subprocess.run([HOOKGATE_BIN, "--print-settings"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=10)
    assert p.returncode == 0
    text = p.stdout.decode()
    line = [l for l in text.splitlines() if "keepalive-timeout" in l]
    assert line, text
    cols = [c.strip().strip("`") for c in line[0].split("|")]
    assert int(cols[3]) > 60, line[0]          # | flag | variable | default | ...
    for name in ("listen", "brokers", "topic", "signing-secret", "signing-secrets-file",
                 "signature-max-age", "threads"):
        assert f"{name}" in text, name


def test_dedup_set_is_bounded_oldest_forgotten_first(cluster):
    gw = Gateway(gateway_args(cluster.bootstrap, "--dedup-size", "2"))
    rd = TopicReader(cluster.bootstrap)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    try:
        a, b, c = event_callback(), event_callback(), event_callback()
        for d in (a, b, c):
            assert post_event(gw.port, d).status == 200
            assert len(rd.by_id(d["event_id"])) == 1      # acknowledged, in order
        # c is remembered; a (the oldest of three in a set of two) is not
        assert post_event(gw.port, c, extra=retry).status == 200
        assert post_event(gw.port, a, extra=retry).status == 200
        assert len(rd.by_id(a["event_id"], n=2)) == 2
        rd.poll(1)
        assert len(rd.find(lambda x: x["id"] == c["event_id"])) == 1
        second = [rec for _, rec in rd.find(lambda x: x["id"] == a["event_id"])
                  if rec.get("slackretrynum") == 1]
        assert len(second) == 1 and second[0]["slackretryreason"] == "http_timeout"
    finally:
        rd.close()
        assert gw.stop() == 0, gw.stderr()


def test_dedup_size_zero_disables(cluster):
    gw = Gateway(gateway_args(cluster.bootstrap, "--dedup-size", "0"))
    rd = TopicReader(cluster.bootstrap)
    try:
        d = event_callback()
        assert post_event(gw.port, d).status == 200
        assert post_event(gw.port, d, extra={"X-Slack-Retry-Num": "1"}).status == 200
        assert len(rd.by_id(d["event_id"], n=2)) == 2
    finally:
        rd.close()
        assert gw.stop() == 0, gw.stderr()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_kafka_properties_override_built_in_defaults(how):
    # client.id has a built-in default ("hookgate-N"); the user's value wins.
    # librdkafka names its client after it in every log line it emits, and a
    # broker that refuses connections makes it log at once.
    name = "it-" + how + "-" + uid("").lower()[:8]
    args = ["--listen", "127.0.0.1:0", "--brokers", "127.0.0.1:1", "--signing-secret", SECRET,
            "--threads", "1"]
    env = {}
    if how == "flag":
        args += ["--kafka", f"client.id={name}"]
    else:
        env["HOOKGATE_KAFKA_CLIENT_ID"] = name
    gw = Gateway(args, env=env)
    try:
        deadline = time.monotonic() + 5
        clients = set()
        while time.monotonic() < deadline and not any(c.startswith(name + "#") for c in clients):
            time.sleep(0.1)
            clients = {e.get("client", "") for e in gw.log_events() if e.get("event") == "kafka_log"}
        assert any(c.startswith(name + "#producer") for c in clients), clients
        assert not any(c.startswith("hookgate-") for c in clients), clients
    finally:
        assert gw.stop() == 0, gw.stderr()


def test_msk_iam_on_more_threads_than_handle_slots():
    # One MSK IAM handle serves every thread's producer (there are 8 handle
    # slots per process; one producer per thread used to take one each).
    # The broker is unreachable: the gateway must start, sign its tokens
    # without a poll from the loop, answer health checks, and keep the AWS
    # secret out of its logs.
    aws_secret = "it-aws-secret-" + uid()
    env = {"AWS_ACCESS_KEY_ID": "AKIDITMSK", "AWS_SECRET_ACCESS_KEY": aws_secret,
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
    gw = Gateway(base() + ["--threads", "12", "--kafka-auth", "msk-iam", "--aws-region", "eu-west-1"],
                 env=env)
    try:
        assert request(gw.port, "GET", "/healthz").status == 200
        ev = [e for e in gw.log_events() if e.get("event") == "kafka_auth"]
        assert ev and ev[0].get("mode") == "msk-iam" and ev[0].get("region") == "eu-west-1", gw.stderr()
        assert "msk_iam_token_failed" not in gw.stderr()
    finally:
        assert gw.stop() == 0
    assert aws_secret not in gw.final_log


def test_msk_iam_without_region_refused():
    env = {"AWS_ACCESS_KEY_ID": "AKIDITMSK", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "",
           "AWS_DEFAULT_REGION": ""}
    assert_refused(base() + ["--kafka-auth", "msk-iam"], ["--aws-region"], env=env)


def test_default_threads_follow_the_cpu_affinity(cluster):
    # under taskset / a cpuset the default is the cores the process may use
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})   # inherited by the gateway
    try:
        gw = Gateway(["--listen", "127.0.0.1:0", "--brokers", cluster.bootstrap, "--signing-secret", SECRET])
    finally:
        os.sched_setaffinity(0, before)
    try:
        listening = [e for e in gw.log_events() if e.get("event") == "listening"]
        assert listening and listening[0]["threads"] == "1", gw.stderr()
    finally:
        assert gw.stop() == 0


def test_secret_flags_blanked_in_the_process_arguments(cluster):
    # /proc/PID/cmdline is readable by every local user: once read, the
    # signing secret and a Kafka password given as flags show as x's there.
    from conftest import Gateway, SECRET, gateway_args, post_event, event_callback
    gw = Gateway(gateway_args(cluster.bootstrap, "--kafka", "sasl.password=hunter2", threads=1))
    try:
        args = open("/proc/%d/cmdline" % gw.proc.pid, "rb").read().split(b"\0")
        assert SECRET.encode() not in b" ".join(args), args
        assert b"x" * len(SECRET) in args, args
        assert b"sasl.password=xxxxxxx" in args and b"hunter2" not in b" ".join(args), args
        assert post_event(gw.port, event_callback()).status == 200   # the secret itself still works
    finally:
        assert gw.stop() == 0
