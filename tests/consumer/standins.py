"""standins.py — run the Slack and Glue stand-ins outside pytest, for the
README's local demo: serves the given CSV files through files.info and the
download, knows the Glue jobs of the table configs, writes the variables
hookgate-consumer needs to --env-file, and prints every message posted and
every Glue run started until interrupted.

  /usr/bin/python3 tests/consumer/standins.py --tables tests/consumer/data/tables \\
      --file F1=campaign_tags.csv:/path/to/campaign_tags.csv --env-file /tmp/standins.env
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from glue_standin import GlueStandin  # noqa: E402
from slack_standin import SlackStandin  # noqa: E402


def glue_jobs(tables_dir):
    jobs = set()
    for name in sorted(os.listdir(tables_dir)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(tables_dir, name)) as f:
                t = json.load(f)
            jobs.add(t.get("options", {}).get("glue_job") or "%s-%s-load" % (t["project"], t["name"]))
        except (ValueError, KeyError, OSError):
            pass
    return jobs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", required=True, help="table config directory")
    ap.add_argument("--file", action="append", default=[],
                    help="FILE_ID=NAME:PATH, a file Slack will serve (repeatable)")
    ap.add_argument("--token", default="xoxb-local-demo")
    ap.add_argument("--access-key", default="S3RVER")
    ap.add_argument("--secret-key", default="S3RVER")
    ap.add_argument("--env-file", help="write KEY=VALUE lines for hookgate-consumer here")
    a = ap.parse_args()
    slack = SlackStandin(a.token)
    glue = GlueStandin({a.access_key: a.secret_key}, jobs=glue_jobs(a.tables))
    for spec in a.file:
        fid, rest = spec.split("=", 1)
        name, path = rest.split(":", 1)
        with open(path, "rb") as f:
            slack.add_file(fid, name, f.read())
    env = {"HOOKGATE_SLACK_API_URL": slack.url + "/api", "HOOKGATE_SLACK_BOT_TOKEN": a.token,
           "AWS_ENDPOINT_URL_GLUE": glue.url}
    if a.env_file:
        with open(a.env_file + ".tmp", "w") as f:
            f.writelines("%s=%s\n" % kv for kv in env.items())
        os.replace(a.env_file + ".tmp", a.env_file)
    print("stand-ins up: Slack %s, Glue %s (jobs: %s)" % (slack.url, glue.url,
                                                          ", ".join(sorted(glue.jobs))), flush=True)
    seen_m = seen_r = 0
    try:
        while True:
            time.sleep(0.2)
            for m in slack.messages[seen_m:]:
                print("slack message to %s: %s" % (m["channel"], m["text"]), flush=True)
            for r in glue.runs[seen_r:]:
                print("glue run %s of %s: %s" % (r["JobRunId"], r["JobName"],
                                                json.dumps(r["Arguments"])), flush=True)
            seen_m, seen_r = len(slack.messages), len(glue.runs)
    except KeyboardInterrupt:
        pass
    finally:
        slack.close()
        glue.close()


if __name__ == "__main__":
    main()
