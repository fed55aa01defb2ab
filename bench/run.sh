#!/usr/bin/env bash
# Benchmarks for the README, in one run on this machine (root, after npm run setup):
#  1. hil run scenarios/sw-offload.yaml, warm (snapshot present) and --cold, vs bench/baseline.sh
#     (same work, plain script, cold boot), ROUNDS rounds each, interleaved
#  2. cold boot to ready vs snapshot restore to ready (bench/boot-restore.mjs)
#  3. console round trip: the agent's (median of 100 `true`) beside a plain echo loop's on the same line, alternating
#  4. the shipped suite: --cold with fixed durations and adaptive, warm from an empty snapshot
#     cache, warm with the snapshot present with fixed durations and adaptive (wall time; peak
#     RSS of the harness process; bench/steps.mjs on the report printed says where the time went)
#  5. throughput and DUT CPU per GB for no, software and simulated hardware offload (bench/offload-modes.mjs)
# ONLY=part,... runs only those parts (sw-offload, boot, console, suite, modes).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
only=${ONLY:-sw-offload,boot,console,suite,modes}
part() { [[ ",$only," == *",$1,"* ]]; }
snaps=$(mktemp -d)
scratch=$(mktemp -d)  # the timed single runs' reports, which nothing reads
export HIL_SNAPSHOT_DIR=$snaps
trap 'rm -rf "$snaps" "$scratch"' EXIT
now() { date +%s.%N; }
hil() { node harness/bin/hil.js run "$@" --out "$(mktemp -d -p "$scratch")" >/dev/null 2>&1; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
if part sw-offload; then
hil scenarios/sw-offload.yaml   # creates the snapshot the warm rounds restore
w=(); c=(); b=()
for i in $(seq "$rounds"); do
  t=$(now); hil scenarios/sw-offload.yaml; w+=("$(echo "$(now) - $t" | bc)")
  t=$(now); hil scenarios/sw-offload.yaml --cold; c+=("$(echo "$(now) - $t" | bc)")
  t=$(now); bash bench/baseline.sh >/dev/null; b+=("$(echo "$(now) - $t" | bc)")
done
wm=$(median "${w[@]}"); cm=$(median "${c[@]}"); bm=$(median "${b[@]}")
echo "sw-offload: hil warm ${wm}s (${w[*]}), hil cold ${cm}s (${c[*]}), baseline ${bm}s (${b[*]}); warm/baseline $(echo "scale=3; $wm / $bm" | bc), cold/baseline $(echo "scale=3; $cm / $bm" | bc)"
fi
part boot && echo "boot vs restore: $(node bench/boot-restore.mjs)"
part console && echo "console: $(node bench/console-rtt.mjs)"
suite() {
  local t hwm=0 v pid out
  out=$(mktemp -d)
  t=$(now); node harness/bin/hil.js run scenarios/ "$@" --out "$out" >/dev/null 2>&1 & pid=$!
  # Peak RSS of the harness's own node process (VmHWM), not of its QEMU children.
  while kill -0 $pid 2>/dev/null; do
    v=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || true); [ -n "$v" ] && hwm=$v; sleep 0.2
  done
  wait $pid
  echo "$(echo "$(now) - $t" | bc)s wall, harness peak RSS $((hwm / 1024)) MB (node bench/steps.mjs $out/report.json: where it went)"
}
if part suite; then
echo "suite --cold --fixed-duration: $(suite --cold --fixed-duration)"
echo "suite --cold (adaptive traffic): $(suite --cold)"
rm -rf "${snaps:?}"/*
echo "suite warm, empty snapshot cache: $(suite)"
echo "suite warm --fixed-duration, snapshot present: $(suite --fixed-duration)"
echo "suite warm, snapshot present: $(suite)"
fi
if part modes; then echo "offload modes (TCP, hil_offload ports, median of ${ROUNDS:-2}):"; node bench/offload-modes.mjs; fi
