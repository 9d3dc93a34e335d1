#!/usr/bin/env bash
# gateway_bench.sh — hookgate against the nginx static-200 ceiling, same run,
# same core. Gateway and nginx are pinned to CPU 0 (one thread / one worker);
# wrk and the mock Kafka cluster (3 brokers) share CPU 1. Every request is a
# distinct, freshly signed Slack event_callback; the gateway runs with
# --dedup-size 0, so every request (the 2000 bodies are sent round and
# round) is a real Kafka write, and the script checks that the records the
# gateway acknowledged match the 2xx answers. Prints both results, the
# ratio, the gateway's peak RSS, and each server's CPU time per request
# (user + system, all threads and processes, from /proc: steadier than the
# throughput on a shared host). Then librdkafka alone on the same core and
# cluster (hookgate-produce-loop: the gateway's producer settings, as many
# records in flight as there are connections, driven like the gateway),
# and what the core would allow a gateway whose HTTP side cost no more than
# nginx's whole request: 1 / (nginx's CPU a request + librdkafka's a
# record), as a ratio to nginx. An estimate, not a bound: it shows how much
# of hookgate's CPU a request is neither HTTP nor librdkafka.
#   tests/bench/gateway_bench.sh [-d SECONDS] [-c CONNECTIONS] [-b BUILD_DIR] [-k PROP=VALUE]... [-n]
# (-k: a librdkafka property for the gateway's producer, as --kafka gives it;
#  -n: librdkafka's threads at the default scheduling policy
#  (--sched-batch=false) instead of SCHED_BATCH, for librdkafka alone too)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
D=10; C=64; B=$here/build-bench; KAFKA=(); SCHED=true
while getopts "d:c:b:k:n" o; do case $o in d) D=$OPTARG;; c) C=$OPTARG;; b) B=$OPTARG;; k) KAFKA+=(--kafka "$OPTARG");;
  n) SCHED=false;; *) exit 2;; esac; done
"$here/deploy/install-deps.sh" --bench >/dev/null
[ -f "$B/build.ninja" ] || meson setup "$B" "$here" --buildtype=release >/dev/null
ninja -C "$B" gateway/hookgate tests/tools/hookgate-mockcluster tests/tools/hookgate-produce-loop >/dev/null

W=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
/usr/bin/python3 "$here/tests/bench/slack_wrk.py" "$W/load.lua" 2000 test-secret

mkfifo "$W/ctl"
taskset -c 1 "$B/tests/tools/hookgate-mockcluster" 3 "$W/bs" <"$W/ctl" >/dev/null 2>&1 & PIDS+=($!)
exec 3>"$W/ctl"
for _ in $(seq 50); do [ -s "$W/bs" ] && break; sleep 0.1; done
BROKERS=$(cat "$W/bs")

wait_port() { for _ in $(seq 100); do (exec 4<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# CPU ticks (user + system) of a process and its children's threads so far
cpu_ticks() { local t=0 p; for p in "$@" $(pgrep -P "$1" 2>/dev/null || true); do
  [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat"))); done; echo $t; }
load() { taskset -c 1 wrk -t1 -c"$C" -d"${D}s" -s "$W/load.lua" "http://127.0.0.1:$1/slack/events" | grep RESULT; }

# the same nginx as ../shared/peers/nginx-static.conf: one worker answering 200
cat >"$W/nginx.conf" <<NGX
worker_processes 1; daemon off; pid $W/nginx.pid; error_log $W/nginx.err;
events { worker_connections 4096; }
http { access_log off; client_body_buffer_size 64k; client_body_temp_path $W;
  server { listen 127.0.0.1:18482; location / { return 200 "ok"; } } }
NGX
taskset -c 0 nginx -c "$W/nginx.conf" & NG=$!; PIDS+=($NG)
wait_port 18482; sleep 0.5
ng_t0=$(cpu_ticks $NG)
ng=$(load 18482)
ng_t1=$(cpu_ticks $NG); kill $NG; wait $NG 2>/dev/null || true
echo "nginx-static-200: $ng"

taskset -c 0 "$B/gateway/hookgate" --listen 127.0.0.1:18483 --brokers "$BROKERS" \
  --signing-secret test-secret --threads 1 --dedup-size 0 --log-level warn --sched-batch="$SCHED" \
  ${KAFKA[@]+"${KAFKA[@]}"} \
  >"$W/gw.log" 2>&1 & GW=$!; PIDS+=($GW)
wait_port 18483; sleep 0.5
before=$(curl -s http://127.0.0.1:18483/metrics | awk '$1 == "hookgate_records_total" {print $2}')
# how busy each core is in the middle of the load: the gateway's (0), and
# wrk's + the mock cluster's (1) — whether the harness itself is the limit
cpu_busy() { awk '/^cpu[01] / {print $1, $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }
( sleep $((D / 2)); a=$(cpu_busy); sleep 1; b=$(cpu_busy)
  paste <(echo "$a") <(echo "$b") | awk '{printf "%s busy %.0f%%  ", $1, 100*($5-$2)/(($5-$2)+($6-$3))}' >"$W/cpu" ) & CPUP=$!
gw_t0=$(cpu_ticks $GW)
gw=$(load 18483)
gw_t1=$(cpu_ticks $GW)
wait $CPUP
sleep 0.5   # the last delivery reports
after=$(curl -s http://127.0.0.1:18483/metrics | awk '$1 == "hookgate_records_total" {print $2}')
rss=$(awk '/VmHWM/ {print $2}' /proc/$GW/status)
kill -TERM $GW; wait $GW 2>/dev/null || true
echo "hookgate (1 core, 1 thread, --sched-batch $SCHED): $gw peak_rss_kb=$rss records_written=$((${after%.*} - ${before%.*}))"
echo "during the gateway's load: $(cat "$W/cpu")"
PROPS=(); for ((i = 1; i < ${#KAFKA[@]}; i += 2)); do PROPS+=("${KAFKA[i]}"); done
kl=$(HOOKGATE_SCHED_BATCH=$SCHED taskset -c 0 "$B/tests/tools/hookgate-produce-loop" "$BROKERS" slack.events "$D" "$C" 750 \
  ${PROPS[@]+"${PROPS[@]}"} | grep RESULT)
echo "librdkafka alone (the gateway's producer settings and scheduling policy, $C records in flight, CPU 0): $kl"

/usr/bin/python3 - "$ng" "$gw" "$rss" "$((${after%.*} - ${before%.*}))" \
  "$((ng_t1 - ng_t0))" "$((gw_t1 - gw_t0))" "$(getconf CLK_TCK)" "$kl" <<'PY'
import re, sys
def rps(s): return float(re.search(r"rps=(\d+)", s).group(1))
def p99(s): return float(re.search(r"p99_ms=([\d.]+)", s).group(1))
def num(s, k): return int(re.search(k + r"=(\d+)", s).group(1))
ng, gw, rss, written = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ok = num(gw, "requests") - num(gw, "non2xx")
print(f"records written = {written}, 2xx answers = {ok}" +
      ("" if written >= ok else "  (FEWER RECORDS THAN 200s: the benchmark is not measuring Kafka writes)"))
ng_ticks, gw_ticks, hz = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def us_per_req(ticks, s): return ticks * 1e6 / hz / max(num(s, "requests"), 1)
ng_us, gw_us = us_per_req(ng_ticks, ng), us_per_req(gw_ticks, gw)
print(f"CPU per request: hookgate {gw_us:.1f} us, nginx {ng_us:.1f} us "
      f"(nginx/hookgate = {ng_us / gw_us if gw_us else 0:.2f}: the ratio the pinned core allows when both are CPU-bound)")
kl = sys.argv[8]
kl_rate = float(re.search(r"records_per_s=(\d+)", kl).group(1))
kl_us = float(re.search(r"cpu_us_per_record=([\d.]+)", kl).group(1))
est = 1e6 / (kl_us + ng_us) if kl_us + ng_us > 0 else 0
print(f"librdkafka alone: {kl_rate:.0f} records/s, {kl_us:.1f} us of CPU a record; nginx's "
      f"{ng_us:.1f} us + that = {kl_us + ng_us:.1f} us would allow ~{est:.0f} req/s = "
      f"{est / rps(ng):.2f} x nginx; the other {max(gw_us - kl_us - ng_us, 0):.1f} us of hookgate's "
      f"{gw_us:.1f} are its own work")
r = rps(gw) / rps(ng)
print(f"RATIO hookgate/nginx = {r:.2f} (target >= 0.60); hookgate p99 = {p99(gw):.2f} ms (target <= 10); "
      f"peak RSS = {rss/1024:.1f} MB (target <= 50)")
PY
