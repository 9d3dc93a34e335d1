"""conftest.py — fixtures for the AWS-layer tests: the hg-aws-probe binary,
s3rver (installed from package-lock.json when absent), and the
botocore-verifying stand-ins of standins.py, all on 127.0.0.1."""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import standins  # noqa: E402

BUCKET = "hg-test"
REGION = "eu-west-1"
AKID = "AKIDHOOKGATETEST"
SECRET = "hookgate/secret+KEY0123456789abcdefSECRET"


@pytest.fixture(scope="session")
def probe():
    p = os.environ.get("HG_AWS_PROBE")
    if not p or not os.access(p, os.X_OK):
        pytest.fail("HG_AWS_PROBE must name the built hg-aws-probe (run through meson test --suite aws)")
    return p


def run_probe(probe, args, env, stdin=None, timeout=120):
    """Run the probe with exactly env (plus PATH); return (json, stderr)."""
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": env.get("HOME", "/nonexistent"),
            "AWS_EC2_METADATA_DISABLED": "true"}
    full.update({k: v for k, v in env.items() if v is not None})
    for k in [k for k, v in env.items() if v is None]:
        full.pop(k, None)
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            full[k] = os.environ[k]
    r = subprocess.run([probe] + list(args), env=full, input=stdin, capture_output=True,
                       timeout=timeout)
    out = r.stdout.decode()
    err = r.stderr.decode()
    try:
        doc = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    except (ValueError, IndexError):
        raise AssertionError("probe printed no JSON: %r stderr=%r" % (out, err))
    if "ERROR: AddressSanitizer" in err or "ERROR: LeakSanitizer" in err or "runtime error:" in err:
        raise AssertionError("sanitizer report:\n" + err)
    return doc, err


@pytest.fixture(scope="session")
def s3rver(tmp_path_factory):
    mod = os.path.join(HERE, "node_modules", "s3rver")
    if not os.path.isdir(mod):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", HERE], check=True,
                       capture_output=True, timeout=300)
    d = tmp_path_factory.mktemp("s3rver")
    # s3rver makes ListObjectsV2 continuation tokens with DES, which Node's
    # OpenSSL 3 has only in its legacy provider (without it every truncated
    # listing is a 500).
    proc = subprocess.Popen(["node", "--openssl-legacy-provider", os.path.join(HERE, "s3rver_main.js"),
                             str(d), BUCKET],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().decode()
    if not line:
        proc.kill()
        pytest.fail("s3rver did not start: " + proc.stderr.read().decode())
    port = json.loads(line)["port"]
    yield port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def keyring():
    k = standins.Keyring()
    k.add(AKID, SECRET)
    return k


@pytest.fixture
def s3(s3rver, keyring):
    srv = standins.start("s3", keyring, upstream_port=s3rver)
    yield srv
    srv.stop()


@pytest.fixture
def glue(keyring):
    srv = standins.start("glue", keyring, jobs={"hg-load"})
    yield srv
    srv.stop()


def base_env(**extra):
    env = {"AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET,
           "HG_PROBE_BASE_MS": "20", "HG_PROBE_TIMEOUT_MS": "5000"}
    env.update(extra)
    return env


def log_lines(err, event):
    """The log lines of event in a probe run's stderr, in order."""
    out = []
    for line in err.splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if isinstance(d, dict) and d.get("event") == event:
            out.append(d)
    return out


def retry_lines(err):
    """The aws_retry log lines of a probe run's stderr, in order."""
    return log_lines(err, "aws_retry")
