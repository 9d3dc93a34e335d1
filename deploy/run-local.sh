#!/usr/bin/env bash
# run-local.sh — install what is missing, build, and run the whole flow on
# embedded defaults: hookgate on its in-process Kafka (nothing persisted),
# s3rver, local Slack and Glue stand-ins, hookgate-consumer; one signed
# sample upload goes through and its result is printed; then hookgate keeps
# serving on 127.0.0.1:8080 until Ctrl-C.
#   deploy/run-local.sh [--once] [--port N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/deploy/install-deps.sh" --test
[ -f "$here/build/build.ninja" ] || meson setup "$here/build" "$here" >/dev/null
ninja -C "$here/build" gateway/hookgate consumer/hookgate-consumer
exec /usr/bin/python3 "$here/deploy/demo.py" --build-dir "$here/build" "$@"
