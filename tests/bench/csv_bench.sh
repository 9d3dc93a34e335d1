#!/bin/sh
# csv_bench.sh — validation benchmark (issue 4): the C validator (hookgate-consumer
# validate) and the pandas implementation of the same rules (csv_pandas.py), on the
# same generated CSV (gen_csv.py: Korean/Japanese text, quoted commas/newlines/quotes,
# every column type, unique int index, split multi-valued column), each pinned to one
# core. Prints MB/s for both, the ratio, peak RSS, and whether the two normalised
# outputs are byte-identical; also the C validator without --output (checks only),
# to show what writing the output costs. Not part of meson test (CPU-heavy: run it
# by hand).
#
# usage: tests/bench/csv_bench.sh BUILD_DIR [SIZE_MB (default 200)] [CPU (default 0)]
# needs: /usr/bin/python3 with python3-pandas, taskset, /usr/bin/time
set -eu
BUILD=${1:?usage: csv_bench.sh BUILD_DIR [SIZE_MB] [CPU]}
SIZE=${2:-200}
CPU=${3:-0}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$BUILD/consumer/hookgate-consumer
[ -x "$BIN" ] || BIN=$BUILD/tests/consumer/validate_driver   # same command, no worker linked
[ -x "$BIN" ] || { echo "csv_bench: build $BUILD first (ninja -C $BUILD)" >&2; exit 2; }
# tmpfs when there is one, so disk speed does not enter the numbers.
BASE=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && BASE=/dev/shm
WORK=$(mktemp -d "$BASE/hgc-csvbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

/usr/bin/python3 "$HERE/gen_csv.py" "$WORK" "$SIZE"
CSV=$WORK/bench_tags.csv
BYTES=$(stat -c %s "$CSV")

echo "== C: $BIN validate (cpu $CPU)"
taskset -c "$CPU" /usr/bin/time -f '%e %U %S %M' -o "$WORK/c.time" \
    "$BIN" validate --tables "$WORK" "$CSV" --output "$WORK/c_out.csv"
echo "== C: $BIN validate, no --output (cpu $CPU)"
taskset -c "$CPU" /usr/bin/time -f '%e %U %S %M' -o "$WORK/c_noout.time" \
    "$BIN" validate --tables "$WORK" "$CSV" > /dev/null
echo "== pandas $(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)') (cpu $CPU)"
taskset -c "$CPU" /usr/bin/time -f '%e %U %S %M' -o "$WORK/py.time" \
    /usr/bin/python3 "$HERE/csv_pandas.py" "$WORK" "$CSV" "$WORK/py_out.csv"

read -r C_S C_U C_SYS C_KB < "$WORK/c.time"
read -r P_S P_U P_SYS P_KB < "$WORK/py.time"
read -r N_S N_U N_SYS N_KB < "$WORK/c_noout.time"
if cmp -s "$WORK/c_out.csv" "$WORK/py_out.csv"; then SAME=yes; else SAME=NO; fi
# MB/s from CPU time (user + sys on the pinned core): on a shared machine the
# wall clock also counts time spent waiting for the core. Both are printed.
awk -v b="$BYTES" -v cs="$C_S" -v cu="$C_U" -v csy="$C_SYS" -v ck="$C_KB" \
    -v ps="$P_S" -v pu="$P_U" -v psy="$P_SYS" -v pk="$P_KB" -v same="$SAME" \
    -v ns="$N_S" -v nu="$N_U" -v nsy="$N_SYS" 'BEGIN {
    mb = b / 1e6
    cc = cu + csy; pc = pu + psy; nc = nu + nsy
    cr = (cc > 0) ? mb / cc : 0; pr = (pc > 0) ? mb / pc : 0; nr = (nc > 0) ? mb / nc : 0
    printf "file:          %.1f MB\n", mb
    printf "C validator:   %.2f s CPU (%.2f s wall)  %.0f MB/s  peak RSS %.1f MB\n", cc, cs, cr, ck / 1024
    printf "C, no output:  %.2f s CPU (%.2f s wall)  %.0f MB/s\n", nc, ns, nr
    printf "pandas:        %.2f s CPU (%.2f s wall)  %.1f MB/s  peak RSS %.1f MB\n", pc, ps, pr, pk / 1024
    printf "ratio:         %.0fx\n", (pr > 0) ? cr / pr : 0
    printf "same output:   %s\n", same
}'
