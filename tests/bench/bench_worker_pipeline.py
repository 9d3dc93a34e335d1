"""bench_worker_pipeline.py — how long a 20 MB CSV takes from its
file_shared record to Glue StartJobRun (issue 4 target: under 1 s on
loopback), with the consumer's e2e stand-ins (mock Kafka, s3rver behind the
fault proxy, Slack and Glue stand-ins). A benchmark, not a test: prints the
timings; run through pytest so the fixtures start everything:

  HOOKGATE_CONSUMER=build/consumer/hookgate-consumer \\
  HOOKGATE_MOCKCLUSTER=build/tests/tools/hookgate-mockcluster \\
  S3RVER=tests/aws/node_modules/s3rver/bin/s3rver.js \\
  /usr/bin/python3 -m pytest -q -s -p no:cacheprovider \\
      --rootdir tests/consumer -c /dev/null tests/bench/bench_worker_pipeline.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "consumer"))

from conftest import *  # noqa: F401,F403  (fixtures)
from conftest import free_port, wait_for


def make_csv(size):
    rows = [b"id,tag"]
    n, i = 6, 0
    while n < size:
        row = b'%d,"tag-%d,\xed\x95\x9c\xea\xb8\x80-%d,\xe6\x97\xa5\xe6\x9c\xac"' % (i, i % 97, i % 13)
        rows.append(row)
        n += len(row) + 1
        i += 1
    return b"\n".join(rows) + b"\n", i


def test_bench_20mb_to_glue(env, s3server):
    data, rows = make_csv(20 * 1024 * 1024)
    env.slack.add_file("FBENCH", "campaign_tags.csv", data)
    port = free_port()
    # s3rver directly, not through the tests' Python fault proxy.
    p = env.start(HOOKGATE_LOG_LEVEL="info", HOOKGATE_ADMIN_LISTEN="127.0.0.1:%d" % port,
                  AWS_ENDPOINT_URL_S3=s3server.url)
    # Warm up: group join and connections, with a tiny file.
    env.slack.add_file("FWARM", "campaign_tags.csv", b"id,tag\n1,a\n")
    _, warm = env.file_shared("FWARM")
    env.produce(warm)
    wait_for(lambda: len(env.glue.runs) == 1, 60, what="warm-up run")
    _, rec = env.file_shared("FBENCH")
    t0 = time.time()
    env.produce(rec)
    wait_for(lambda: len(env.glue.runs) == 2, 120, step=0.005, what="Glue run")
    t_glue = time.time() - t0
    dl = [r for r in env.slack.calls("download") if "FBENCH" in r["path"]][0]["time"] - t0
    print("\n20 MB CSV (%d rows, %d bytes): record produced → download started %.3f s, "
          "→ Glue StartJobRun %.3f s" % (rows, len(data), dl, t_glue))
    # Per-step time of the 20 MB record: the step histograms' sums minus
    # the warm-up's (read before the big record was produced).
    for line in env.metrics(port).splitlines():
        if "step_seconds_sum" in line:
            step = line.split('"')[1]
            print("  %-18s %.3f s (both records)" % (step, float(line.split()[-1])))
    env.stop(p)
