#!/usr/bin/env bash
# run.sh — the test command: installs what is missing, builds twice (plain,
# and AddressSanitizer + UndefinedBehaviorSanitizer), runs every suite in
# both, and ends with one line "N passed, M failed".
#   tests/run.sh            everything
#   tests/run.sh --quick    plain build only
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
deploy/install-deps.sh --test || { echo "0 passed, 1 failed"; exit 1; }

werror=()
[ "${CI:-}" = true ] && werror=(--werror)
builds=(build-test)
[ "${1:-}" = --quick ] || builds+=(build-asan)
status=0
for b in "${builds[@]}"; do
  opts=("${werror[@]}")
  if [ "$b" = build-asan ]; then
    opts+=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export LSAN_OPTIONS=suppressions=$here/tests/lsan.supp:print_suppressions=0
  fi
  if [ ! -f "$b/build.ninja" ]; then
    meson setup "$b" "${opts[@]}" >"$b.setup.log" 2>&1 || { cat "$b.setup.log"; status=1; continue; }
  fi
  ninja -C "$b" || { status=1; continue; }
  echo "== meson test ($b)"
  meson test -C "$b" --print-errorlogs --num-processes 2 || status=1
done
/usr/bin/python3 tests/summary.py "${builds[@]}" || status=1
exit $status
