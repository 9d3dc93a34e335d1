#!/usr/bin/env python3
"""slack_wrk.py — write a wrk Lua script cycling through N distinct, freshly
signed Slack event_callback requests (file_shared events with distinct
event_ids, 200 channels, 50 teams).
Usage: slack_wrk.py OUT.lua [N] [SECRET] [PATH]"""
import hashlib, hmac, json, sys, time

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
secret = (sys.argv[3] if len(sys.argv) > 3 else "test-secret").encode()
path = sys.argv[4] if len(sys.argv) > 4 else "/slack/events"
ts = str(int(time.time()))


def lua(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


with open(out, "w") as f:
    f.write("local reqs, raw = {}, {}\n")
    for i in range(n):
        body = json.dumps({
            "token": "x", "team_id": "T%05d" % (i % 50), "api_app_id": "A1", "type": "event_callback",
            "event": {"type": "file_shared", "channel_id": "C%04d" % (i % 200), "file_id": "F%08d" % i,
                      "user_id": "U1", "file": {"id": "F%08d" % i}, "event_ts": "%s.%06d" % (ts, i)},
            "event_id": "EvB%s%08d" % (ts, i), "event_time": int(ts)}, separators=(",", ":"))
        sig = "v0=" + hmac.new(secret, ("v0:%s:%s" % (ts, body)).encode(), hashlib.sha256).hexdigest()
        f.write("raw[#raw+1] = {%s, %s}\n" % (lua(sig), lua(body)))
    f.write("""init = function(args)
  for k, d in ipairs(raw) do
    reqs[k] = wrk.format('POST', %s, {['Host'] = wrk.host .. ':' .. wrk.port,
      ['Content-Type'] = 'application/json', ['X-Slack-Request-Timestamp'] = %s,
      ['X-Slack-Signature'] = d[1]}, d[2])
  end
end
local i = 0
request = function() i = i %% #reqs + 1; return reqs[i] end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%%.0f p50_ms=%%.3f p99_ms=%%.3f requests=%%d non2xx=%%d errors=%%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
""" % (lua(path), lua(ts)))
