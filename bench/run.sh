#!/usr/bin/env bash
# Benchmarks for the README, in one run on this machine (root, after npm run setup):
#  1. hil run scenarios/sw-offload.yaml vs bench/baseline.sh (same work, plain script), 3 rounds each, alternating
#  2. boot to a working shell and console round trip (median of 50 `true`)
#  3. the six shipped scenarios together (wall time, peak RSS of the harness process)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
now() { date +%s.%N; }
h=(); b=()
for i in $(seq "$rounds"); do
  t=$(now); node harness/bin/hil.js run scenarios/sw-offload.yaml --out "$(mktemp -d)" >/dev/null 2>&1; h+=("$(echo "$(now) - $t" | bc)")
  t=$(now); bash bench/baseline.sh >/dev/null; b+=("$(echo "$(now) - $t" | bc)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
hm=$(median "${h[@]}"); bm=$(median "${b[@]}")
echo "sw-offload: hil median ${hm}s (${h[*]}), baseline median ${bm}s (${b[*]}), ratio $(echo "scale=3; $hm / $bm" | bc)"
echo "console: $(node bench/console-rtt.mjs)"
out=$(mktemp -d)
# Peak RSS of the harness's own node process (VmHWM), not of its QEMU children.
t=$(now); node harness/bin/hil.js run scenarios/ --out "$out/r" >/dev/null 2>&1 & pid=$!
hwm=0
while kill -0 $pid 2>/dev/null; do
  v=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || true); [ -n "$v" ] && hwm=$v; sleep 0.2
done
wait $pid
echo "six scenarios: $(echo "$(now) - $t" | bc)s wall, harness peak RSS $((hwm / 1024)) MB"
